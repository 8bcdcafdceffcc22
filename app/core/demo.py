"""Realistic, fictitious demo data: Shanghai's districts, plausible units, people with check-digit-correct
(invented) ID numbers, real occupation codes from 《职业分类大典》, and the policy defaults.

``seed()`` is idempotent: every row is found by its natural key before it is created.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from stdnum.cn import ric, uscc

from app.core import rules
from app.core.crypto import cipher
from app.core.enums import District, DocType, OrgKind, Role, SkillLevel
from app.core.models import Certificate, Occupation, Organisation, Person, PolicyValue, User
from app.core.services import id_hash
from app.extensions import db

DEMO_PASSWORD = "jinengtong2026"

#: Administrative division codes (GB/T 2260) of Shanghai's districts, used in 身份证号.
DISTRICT_CODES = {
    District.HUANGPU: "310101", District.XUHUI: "310104", District.CHANGNING: "310105",
    District.JINGAN: "310106", District.PUTUO: "310107", District.HONGKOU: "310109",
    District.YANGPU: "310110", District.MINHANG: "310112", District.BAOSHAN: "310113",
    District.JIADING: "310114", District.PUDONG: "310115", District.JINSHAN: "310116",
    District.SONGJIANG: "310117", District.QINGPU: "310118", District.FENGXIAN: "310120",
    District.CHONGMING: "310151",
}
OLD_COUNTY_CODES = {
    District.JIADING: "310221", District.PUDONG: "310225", District.JINSHAN: "310228",
    District.SONGJIANG: "310227", District.QINGPU: "310229", District.FENGXIAN: "310226",
    District.CHONGMING: "310230",
}
DISTRICT_NAMES = {
    District.HUANGPU: "黄浦区", District.XUHUI: "徐汇区", District.CHANGNING: "长宁区", District.JINGAN: "静安区",
    District.PUTUO: "普陀区", District.HONGKOU: "虹口区", District.YANGPU: "杨浦区", District.MINHANG: "闵行区",
    District.BAOSHAN: "宝山区", District.JIADING: "嘉定区", District.PUDONG: "浦东新区", District.JINSHAN: "金山区",
    District.SONGJIANG: "松江区", District.QINGPU: "青浦区", District.FENGXIAN: "奉贤区", District.CHONGMING: "崇明区",
}

#: A real subset of 《中华人民共和国职业分类大典》 codes.
OCCUPATIONS = [
    ("4-03-02-01", "中式烹调师"), ("4-03-02-02", "中式面点师"), ("4-03-02-03", "西式烹调师"),
    ("4-03-02-04", "西式面点师"), ("4-10-01-05", "养老护理员"), ("4-10-03-01", "美容师"),
    ("4-10-03-02", "美发师"), ("4-12-01-01", "汽车维修工"), ("4-04-05-05", "人工智能训练师"),
    ("6-18-01-01", "车工"), ("6-18-01-02", "铣工"), ("6-18-02-04", "焊工"), ("6-31-01-03", "电工"),
    ("6-31-01-10", "工业机器人系统运维员"),
]

ENTERPRISES = [
    ("上海申港精密机械有限公司", District.PUDONG), ("上海东浦汽车零部件有限公司", District.JIADING),
    ("上海临江智能装备股份有限公司", District.MINHANG), ("上海云栖餐饮管理有限公司", District.HUANGPU),
    ("上海松韵电气有限公司", District.SONGJIANG), ("上海宝钢城焊接技术有限公司", District.BAOSHAN),
    ("上海静禾养老服务有限公司", District.JINGAN), ("上海徐光数据科技有限公司", District.XUHUI),
    ("上海青浦新材料有限公司", District.QINGPU), ("上海奉城生物医药有限公司", District.FENGXIAN),
]
COLLEGES = [
    ("上海申江技师学院", OrgKind.TECHNICIAN_COLLEGE, District.PUDONG),
    ("上海滨江高级技工学校", OrgKind.TECHNICAL_SCHOOL, District.YANGPU),
    ("上海沪西职业技术学院", OrgKind.VOCATIONAL_COLLEGE, District.PUTUO),
    ("闵行区启航职业技能培训中心", OrgKind.TRAINING_INSTITUTION, District.MINHANG),
    ("上海临江智能装备企业培训中心", OrgKind.ENTERPRISE_TRAINING_CENTRE, District.MINHANG),
]
OTHERS = [
    ("上海市机械工程行业协会（演示）", OrgKind.ASSOCIATION, District.JINGAN),
    ("世赛上海集训基地（数控车）", OrgKind.TRAINING_BASE, District.PUDONG),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华俊文斌宇浩凯鹏辉婷雪琳晨欣怡子轩梓涵一诺思远嘉怡浩然雨桐佳琪天佑明轩若汐"

POLICY_DEFAULTS = [
    # key, qualifier, district, effective_from, value, note
    ("apprenticeship.subsidy_per_year", "", None, date(2021, 10, 1), "5000", "人社部发〔2021〕39号：原则上5000元以上/人/年"),
    ("apprenticeship.district_topup", "level5", District.HUANGPU, date(2025, 9, 1), "2000", "黄浦区加码（演示，2025-09-01至2028-08-31）"),
    ("apprenticeship.district_topup", "level4", District.HUANGPU, date(2025, 9, 1), "3000", "黄浦区加码（演示）"),
    ("apprenticeship.district_topup", "level3", District.HUANGPU, date(2025, 9, 1), "4000", "黄浦区加码（演示）"),
    ("apprenticeship.district_topup", "level5", District.HUANGPU, date(2028, 9, 1), "0", "黄浦区加码期满"),
    ("apprenticeship.district_topup", "level4", District.HUANGPU, date(2028, 9, 1), "0", "黄浦区加码期满"),
    ("apprenticeship.district_topup", "level3", District.HUANGPU, date(2028, 9, 1), "0", "黄浦区加码期满"),
    ("apprenticeship.advance_ratio", "", None, date(2021, 10, 1), "0.50", "先支后补：预支不超过50%"),
    ("apprenticeship.claim_window_months", "", None, date(2021, 10, 1), "6", "结业后6个月内申领"),
    ("apprenticeship.min_hours_per_year", "", None, date(2021, 10, 1), "600", "年度培训不少于600学时"),
    ("apprenticeship.min_classroom_hours_per_year", "", None, date(2021, 10, 1), "160", "其中课堂学时不少于160"),
    ("apprenticeship.max_period_years", "", None, date(2021, 10, 1), "2", "培训期限1–2年"),
    ("apprenticeship.max_period_years_special", "", None, date(2021, 10, 1), "3", "特殊情况可延长至3年"),
    ("mentor.max_concurrent_apprentices", "", None, date(2021, 10, 1), "8", "导师同时带徒不超过8人（本地规则）"),
    ("training_base.funding_per_athlete_day", "", None, date(2024, 1, 1), "300", "演示数据"),
    ("reminder.offset_days", "first", None, date(2024, 1, 1), "7", "截止前7天提醒"),
    ("reminder.offset_days", "second", None, date(2024, 1, 1), "1", "截止前1天提醒"),
    ("reminder.send_hour", "", None, date(2024, 1, 1), "9", "上海时间9:00发送"),
    ("reminder.working_days_only", "", None, date(2024, 1, 1), "1", "遇周末或法定节假日提前到上一个工作日"),
]


def fake_uscc(rng: random.Random, district: District) -> str:
    """A 统一社会信用代码 with a correct check character (91 = enterprise; 31xxxx = Shanghai)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + DISTRICT_CODES[district] + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def fake_ric(rng: random.Random, district: District, birth: date, male: bool, seq: int | None = None) -> str:
    """An invented 身份证号 with a valid GB 11643 check digit (``seq``: its order code, random if not given; odd for
    a man, even for a woman)."""
    if seq is None:
        seq = rng.randrange(0, 99) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    # A suburban district's code only exists since it stopped being a county (嘉定县 → 嘉定区 …); stdnum
    # checks the code against the birth date, so older people carry the county code or an urban one.
    for region in (DISTRICT_CODES[district], OLD_COUNTY_CODES.get(district, ""), "310101"):
        body = f"{region}{birth:%Y%m%d}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
        if region and ric.is_valid(number):
            return number
    return number


def fake_mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "136", "150", "158", "186", "177", "199"]) + f"{rng.randrange(10**8):08d}"


def fake_name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(len(GIVEN))]
    if rng.random() < 0.6:
        given += GIVEN[rng.randrange(len(GIVEN))]
    return SURNAMES[rng.randrange(len(SURNAMES))] + given


def _org(name: str, kind: OrgKind, district: District | None, rng: random.Random) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind, district=district,
                           uscc=fake_uscc(rng, district) if kind is OrgKind.ENTERPRISE and district else None,
                           address=f"上海市{DISTRICT_NAMES[district] if district else '黄浦区'}演示路{rng.randrange(1, 999)}号",
                           contact_name=fake_name(rng))
        phone = fake_mobile(rng)
        org.contact_phone_encrypted = cipher().encrypt(phone)
        org.contact_phone_masked = rules.mask_phone(phone)
        db.session.add(org)
        db.session.flush()
    return org


def _user(username: str, name: str, org: Organisation, roles: set[Role]) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        user = User(username=username, display_name=name, organisation=org, email=f"{username}@demo.jinengtong.example")
        user.set_password(DEMO_PASSWORD)
        user.set_roles(roles)
        db.session.add(user)
    return user


DEMO_USERS = [
    # username, display name, organisation key, roles, what they show
    ("official", "陈主任", "municipal", {Role.OFFICIAL}, "市人社局工作人员（全市）"),
    ("pudong", "浦东区人社局 李科长", District.PUDONG, {Role.OFFICIAL}, "浦东新区人社局工作人员（本区）"),
    ("hr", "王经理", "enterprise", {Role.ENTERPRISE_HR}, "企业人事（上海申港精密机械有限公司）"),
    ("college", "赵老师", "college", {Role.COLLEGE_STAFF, Role.COACH}, "院校工作人员兼教练（上海申江技师学院）"),
    ("organizer", "周处长", "municipal", {Role.ORGANIZER}, "赛事组织者"),
    ("expert", "吴专家", "college", {Role.EXPERT}, "裁判专家"),
    ("mentor", "孙师傅", "enterprise", {Role.MENTOR}, "企业导师"),
    ("finance", "钱会计", "municipal", {Role.FINANCE}, "市人社局财务（导出奖金代发文件）"),
]
#: Made by the competitions demo, linked to a registered athlete.
PERSON_USER = ("athlete", "选手本人（查看自己的报名）")


def seed(people: int = 240, seed_value: int = 20261125) -> str:
    rng = random.Random(seed_value)
    for code, name in OCCUPATIONS:
        if db.session.get(Occupation, code) is None:
            db.session.add(Occupation(code=code, name=name))
    municipal = _org("上海市人力资源和社会保障局", OrgKind.MUNICIPAL_BUREAU, None, rng)
    bureaus = {d: _org(f"{DISTRICT_NAMES[d]}人力资源和社会保障局", OrgKind.DISTRICT_BUREAU, d, rng) for d in District}
    enterprises = [_org(n, OrgKind.ENTERPRISE, d, rng) for n, d in ENTERPRISES]
    colleges = [_org(n, k, d, rng) for n, k, d in COLLEGES]
    for n, k, d in OTHERS:
        _org(n, k, d, rng)
    orgs: dict[Any, Organisation] = {"municipal": municipal, "enterprise": enterprises[0], "college": colleges[0], **bureaus}
    for username, name, org_key, roles, _what in DEMO_USERS:
        _user(username, name, orgs[org_key], roles)
    for key, qualifier, district, since, value, note in POLICY_DEFAULTS:
        exists = db.session.scalar(sa.select(PolicyValue.id).where(
            PolicyValue.key == key, PolicyValue.qualifier == qualifier, PolicyValue.effective_from == since,
            PolicyValue.district.is_(None) if district is None else PolicyValue.district == district))
        if exists is None:
            db.session.add(PolicyValue(key=key, qualifier=qualifier, district=district, effective_from=since,
                                       value=Decimal(value), note=note))
    # People draw from their own generator so a second run makes the very same people (and skips them).
    created = _seed_people(random.Random(seed_value + 1), people, enterprises + colleges)
    db.session.commit()
    return f"demo data ready ({created} new people)"


def _seed_people(rng: random.Random, count: int, employers: list[Organisation]) -> int:
    created = 0
    levels = list(SkillLevel)[:6]
    for _ in range(count):
        employer = rng.choice(employers)
        district = employer.district or District.HUANGPU
        male = rng.random() < 0.62
        birth = date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
        number = fake_ric(rng, district, birth, male)
        name, phone = fake_name(rng), fake_mobile(rng)
        level = rng.choice(levels)
        code = rng.choice(OCCUPATIONS)[0]
        issued = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 365 * 10))
        cert_number = f"S{number[-6:]}{rng.randrange(10**6):06d}"
        # Every draw above happens whether or not the person exists, so a re-run meets the same people.
        if db.session.scalar(sa.select(Person.id).where(Person.id_number_hash == id_hash(DocType.RIC, number))):
            continue
        person = Person(name=name, doc_type=DocType.RIC, id_number_encrypted=cipher().encrypt(number),
                        id_number_hash=id_hash(DocType.RIC, number), id_number_masked=rules.mask_id_number(number),
                        id_tail=number[-4:], birth_date=birth, sex=rules.check_id_number(DocType.RIC, number).sex,
                        phone_encrypted=cipher().encrypt(phone), phone_masked=rules.mask_phone(phone),
                        employer_id=employer.id, current_level=level)
        person.certificates.append(Certificate(level=level, occupation_code=code, issuer="上海市职业技能鉴定中心（演示）",
                                               number=cert_number, issued_on=issued))
        db.session.add(person)
        created += 1
    return created
