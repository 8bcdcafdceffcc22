from datetime import date
from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from app.core import audit
from app.core.enums import District, OrgKind, Role
from app.core.models import Person
from app.extensions import db
from app.people.imports import HEADERS
from tests import factories


def _upload(web, rows):
    return web.post("/people/import", {"file": (BytesIO(factories.xlsx(HEADERS, rows)), "people.xlsx")},
                    content_type="multipart/form-data")


def _ids(n: int) -> list[str]:
    return [factories.valid_ric(District.MINHANG, date(1995, 1, 1 + i), i % 2 == 0) for i in range(n)]


def _people_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def test_template_download_has_the_headers_and_text_formatted_id_column(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = web.get("/people/import/template.xlsx")
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.data)).active
    assert [c.value for c in ws[1]] == HEADERS
    assert ws["C2"].number_format == "@" and ws["D5"].number_format == "@"


def test_preview_lists_every_bad_row_with_its_reason_and_writes_nothing(app, ctx, login_as):
    employer = factories.org(OrgKind.ENTERPRISE, District.MINHANG, name="闵行某厂")
    ids = _ids(4)
    taken = factories.person(name="原来的名字", id_number=ids[3])
    bad_digit = ids[1][:-1] + ("0" if ids[1][-1] != "0" else "1")
    web = login_as(factories.municipal_official())
    response = _upload(web, [
        ["张一", "居民身份证", ids[0], "13800001111", "闵行某厂"],
        ["张二", "居民身份证", bad_digit, "", ""],
        ["张三", "居民身份证", ids[0], "", ""],                  # duplicate of line 2
        ["", "居民身份证", ids[2], "", ""],                      # missing name
        ["张五", "居民身份证", ids[3], "", ""],                  # registered under another name
        ["张六", "居民身份证", 310101199001011234, "", ""],      # stored as a number
        ["张七", "居民身份证", ids[2][:-2], "", ""],             # too short
        ["张八", "居民身份证", _ids(6)[5], "13800001112", "不存在的单位"],
    ])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for reason in ("身份证号校验位不正确", "与第 2 行证件号码重复", "缺少姓名",
                   "该证件号码已登记为另一个姓名：原来的名字", "证件号码被存成了数字", "身份证号应为18位",
                   "工作单位不存在或不在您的管辖范围：不存在的单位"):
        assert reason in html, reason
    assert "可导入 1 行" in html and "有误 7 行" in html
    assert ids[0] not in html and bad_digit not in html
    assert _people_count() == 1 and taken.name == "原来的名字"
    assert employer.id


def test_confirming_a_file_with_errors_imports_nothing_unless_only_valid_rows_are_chosen(app, ctx, login_as):
    ids = _ids(3)
    web = login_as(factories.municipal_official())
    html = _upload(web, [["甲", "", ids[0]], ["乙", "", ids[1]], ["丙", "", ids[2][:-1] + "0" if ids[2][-1] != "0"
                                                                 else ids[2][:-1] + "1"]]).get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    refused = web.post("/people/import", {"token": token, "confirm": "all"})
    assert refused.status_code == 422 and "未导入任何数据" in refused.get_data(as_text=True)
    assert _people_count() == 0
    done = web.post("/people/import", {"token": token, "confirm": "valid"})
    assert done.status_code == 303
    assert sorted(db.session.scalars(sa.select(Person.name))) == ["乙", "甲"]


def test_a_valid_file_imports_every_row_with_an_audit_row_each(app, ctx, login_as):
    employer = factories.org(OrgKind.ENTERPRISE, District.MINHANG)
    ids = _ids(3)
    web = login_as(factories.municipal_official())
    rows = [[f"学员{i}", "居民身份证", n, "", employer.uscc] for i, n in enumerate(ids)]
    rows.append(["Anna Ivanova", "护照", "P1234567", "", employer.name, "1992-04-05", "女"])
    html = _upload(web, rows).get_data(as_text=True)
    assert "确认导入 4 人" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    assert web.post("/people/import", {"token": token, "confirm": "all"}).status_code == 303
    people = db.session.scalars(sa.select(Person).order_by(Person.id)).all()
    assert [p.employer_id for p in people] == [employer.id] * 4
    assert people[3].birth_date == date(1992, 4, 5)
    from app.core.models import AuditEntry

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "import")) == 4


def test_existing_people_with_the_same_name_are_skipped_not_duplicated(app, ctx, login_as):
    ids = _ids(2)
    factories.person(name="老王", id_number=ids[0])
    web = login_as(factories.municipal_official())
    html = _upload(web, [["老王", "", ids[0]], ["小李", "", ids[1]]]).get_data(as_text=True)
    assert "已登记（跳过）1 行" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    web.post("/people/import", {"token": token, "confirm": "all"})
    assert _people_count() == 2


def test_import_is_all_or_nothing_when_a_write_fails_midway(app, ctx, login_as, monkeypatch):
    ids = _ids(3)
    web = login_as(factories.municipal_official())
    html = _upload(web, [[f"人{i}", "", n] for i, n in enumerate(ids)]).get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    real_record, calls = audit.record, []

    def failing_record(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert web.post("/people/import", {"token": token, "confirm": "all"}).status_code == 500
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert _people_count() == 0


def test_a_token_of_another_user_is_refused(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    html = _upload(web, [["甲", "", _ids(1)[0]]]).get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    other = login_as(factories.municipal_official())
    response = other.post("/people/import", {"token": token, "confirm": "all"})
    assert response.status_code == 422 and _people_count() == 0


def test_not_an_excel_file_is_refused_next_to_the_field(app, ctx, login_as):
    web = login_as(factories.municipal_official())
    response = web.post("/people/import", {"file": (BytesIO(b"not a zip"), "people.xlsx")},
                        content_type="multipart/form-data")
    assert response.status_code == 422 and "无法读取该文件" in response.get_data(as_text=True)
    response = web.post("/people/import", {"file": (BytesIO(b"a,b"), "people.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 422 and "只支持 .xlsx 文件" in response.get_data(as_text=True)


def test_enterprise_hr_imports_into_their_own_unit(app, ctx, login_as):
    mine = factories.org(OrgKind.ENTERPRISE, District.MINHANG)
    other = factories.org(OrgKind.ENTERPRISE, District.MINHANG, name="别家")
    web = login_as(factories.user(mine, Role.ENTERPRISE_HR))
    ids = _ids(2)
    html = _upload(web, [["甲", "", ids[0]], ["乙", "", ids[1], "", "别家"]]).get_data(as_text=True)
    assert "工作单位不存在或不在您的管辖范围：别家" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    web.post("/people/import", {"token": token, "confirm": "valid"})
    assert [p.employer_id for p in db.session.scalars(sa.select(Person))] == [mine.id]
    assert other.id


def test_export_holds_the_filtered_list_with_masked_numbers_only(app, ctx, login_as):
    ids = _ids(2)
    factories.person(name="王导出", id_number=ids[0], phone="13711112222")
    factories.person(name="李不导", id_number=ids[1])
    web = login_as(factories.municipal_official())
    response = web.get("/people/export.xlsx?q=王")
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.data)).active
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "姓名" and [r[0] for r in rows[1:]] == ["王导出"]
    flat = " ".join(str(c) for row in rows for c in row)
    assert ids[0] not in flat and "13711112222" not in flat and "137****2222" in flat


def test_the_previewed_sheet_waits_encrypted_and_owner_only(app, ctx, login_as):
    import stat
    from pathlib import Path

    number = _ids(1)[0]
    web = login_as(factories.municipal_official())
    html = _upload(web, [["甲", "", number]]).get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    stored = Path(app.instance_path) / "imports" / f"{token}.xlsx.enc"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert number.encode() not in stored.read_bytes() and b"PK" not in stored.read_bytes()[:4]
    web.post("/people/import", {"token": token, "confirm": "all"})
    assert not stored.exists()


def test_a_stranger_s_name_is_not_revealed_by_an_import(app, ctx, login_as):
    mine = factories.org(OrgKind.ENTERPRISE, District.MINHANG)
    other = factories.org(OrgKind.ENTERPRISE, District.MINHANG, name="别人家")
    number = _ids(1)[0]
    factories.person(name="真实姓名", employer=other, id_number=number)
    web = login_as(factories.user(mine, Role.ENTERPRISE_HR))
    html = _upload(web, [["随便写", "", number]]).get_data(as_text=True)
    assert "真实姓名" not in html and "该证件号码已登记在其他单位" in html


def test_a_sheet_longer_than_the_limit_is_refused_even_when_its_rows_are_blank(app, ctx, login_as, monkeypatch):
    from app.people import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [["甲", "", _ids(1)[0]], [None], [None], [None], ["乙", "", _ids(2)[1]]]
    response = _upload(login_as(factories.municipal_official()), rows)
    assert response.status_code == 422 and "一次最多导入 3 行" in response.get_data(as_text=True)
