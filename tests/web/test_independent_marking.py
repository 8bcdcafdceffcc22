"""Independent marking: an expert sees the other experts' judgement scores only once all three have saved theirs,
through every page, fragment and download an expert can fetch; the chief expert and the organiser follow who has
saved and the disagreements."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.competitions.judging import services as judging
from app.competitions.judging.models import Contestant, EventExpert
from app.core.enums import Role
from app.extensions import db
from tests import competition_factories as cf
from tests import factories

HX = {"HX-Request": "true"}


def others_cell(html: str, contestant: Contestant, aspect) -> str:
    """The text of the "各专家" cell of one contestant's row on the score sheet."""
    row = re.search(rf'<tr id="score-{contestant.id}-{aspect.id}".*?</tr>', html, re.S)
    assert row, html[:2000]
    cell = re.search(r'<td class="others">(.*?)</td>', row.group(0), re.S)
    assert cell, row.group(0)
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


def first_contestant(ev) -> Contestant:
    return db.session.scalar(sa.select(Contestant).where(Contestant.event_id == ev.id).order_by(Contestant.bib))


def save(client, ev, contestant, aspect, value: str, **kwargs):
    return client.post(f"/competitions/events/{ev.id}/score",
                       data={"contestant_id": contestant.id, "aspect_id": aspect.id, "value": value}, **kwargs)


def test_an_expert_sees_the_other_judgements_only_once_all_three_have_saved(app, ctx, login_as):
    ev, aspects, panel, _organiser = cf.judged_event(n=2)
    judgement = aspects[1]
    contestant = first_contestant(ev)
    first, second, third = (login_as(expert) for expert in panel)

    saved = save(first, ev, contestant, judgement, "2", headers=HX)
    assert saved.status_code == 200
    assert others_cell(saved.get_data(as_text=True), contestant, judgement) == \
        "待齐：已保存 1 / 3"

    saved = save(second, ev, contestant, judgement, "0", headers=HX)
    cell = others_cell(saved.get_data(as_text=True), contestant, judgement)
    assert cell == "待齐：已保存 2 / 3"
    assert "分差" not in saved.get_data(as_text=True)  # 0 and 2 disagree, but that would tell the first's score

    for headers in ({}, HX):  # the whole sheet and its fragment
        page = first.get(f"/competitions/events/{ev.id}/score?aspect=2", headers=headers).get_data(as_text=True)
        assert others_cell(page, contestant, judgement) == "待齐：已保存 2 / 3"
        assert "分差" not in page
    refused = save(first, ev, contestant, judgement, "7", headers=HX)  # the 422 row is no back door
    assert refused.status_code == 422
    assert others_cell(refused.get_data(as_text=True), contestant, judgement) == "待齐：已保存 2 / 3"

    saved = save(third, ev, contestant, judgement, "3", headers=HX)
    assert others_cell(saved.get_data(as_text=True), contestant, judgement) == "0 · 2 · 3 分差大于 1，请合议"
    page = first.get(f"/competitions/events/{ev.id}/score?aspect=2").get_data(as_text=True)
    assert others_cell(page, contestant, judgement) == "0 · 2 · 3 分差大于 1，请合议"


def test_an_expert_can_fetch_no_other_score_through_any_other_page_or_download(app, ctx, login_as):
    ev, aspects, panel, _organiser = cf.judged_event(n=2)
    contestant = first_contestant(ev)
    judging.save_score(panel[1], ev, contestant.id, aspects[1].id, "3")
    judging.save_score(panel[2], ev, contestant.id, aspects[1].id, "1")
    client = login_as(panel[0])
    for url in (f"/competitions/events/{ev.id}/results", f"/competitions/events/{ev.id}/results.xlsx",
                f"/competitions/events/{ev.id}/results/notice", f"/competitions/events/{ev.id}/judging",
                f"/competitions/events/{ev.id}/judging/progress", "/audit", "/audit.xlsx"):
        for headers in ({}, HX):
            assert client.get(url, headers=headers).status_code == 403, url
    mine = client.get("/competitions/judging/mine").get_data(as_text=True)
    assert "已评 0 / 6" in mine  # their own progress only


def test_the_chief_expert_and_the_organiser_see_who_has_saved_and_the_disagreements(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=2)
    chief = cf.expert(ev, name="裁判长甲")
    db.session.execute(sa.update(EventExpert).where(EventExpert.user_id == chief.id).values(is_chief=True))
    db.session.commit()
    contestant = first_contestant(ev)
    judging.save_score(panel[0], ev, contestant.id, aspects[1].id, "0")
    judging.save_score(panel[1], ev, contestant.id, aspects[1].id, "2")
    url = f"/competitions/events/{ev.id}/judging/progress?aspect=2"

    for client in (login_as(chief), login_as(organiser)):
        page = client.get(url).get_data(as_text=True)
        row = re.search(rf'<tr id="progress-{contestant.id}".*?</tr>', page, re.S).group(0)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        assert "专家1、专家2" in text and "（2 / 3）" in text and "全部保存后显示" in text
        assert "分差" not in text
    assert login_as(panel[2]).get(url).status_code == 403
    assert "评分进度（裁判长）" in login_as(chief).get("/competitions/judging/mine").get_data(as_text=True)
    assert "评分进度（裁判长）" not in login_as(panel[0]).get("/competitions/judging/mine").get_data(as_text=True)

    judging.save_score(panel[2], ev, contestant.id, aspects[1].id, "2")
    for client in (login_as(chief), login_as(organiser)):
        page = client.get(url, headers=HX).get_data(as_text=True)
        row = re.search(rf'<tr id="progress-{contestant.id}".*?</tr>', page, re.S).group(0)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        assert "专家1、专家2、专家3" in text and "0 · 2 · 2" in text and "分差大于 1，请合议" in text
        summary = re.search(r'<table class="table table-sm data-table aspect-progress-table">.*?</table>', page,
                            re.S).group(0)
        assert re.search(r"A2 评分项2.*?1 / 2.*?status-changes_requested\">1<", summary, re.S)
    desk = login_as(organiser).get(f"/competitions/events/{ev.id}/judging").get_data(as_text=True)
    assert "1 项裁判分差大于 1 分" in desk


def test_the_progress_page_queries_do_not_grow_with_the_field(app, ctx, login_as):
    from tests.conftest import count_queries

    small, aspects, panel, organiser = cf.judged_event(n=2)
    client = login_as(organiser)
    with count_queries(app) as few:
        client.get(f"/competitions/events/{small.id}/judging/progress?aspect=2")
    large, aspects, panel, organiser = cf.judged_event(n=8)
    cf.score_all(large, aspects, panel, {b: ["30", "2", "35"] for b in range(1, 9)})
    client = login_as(organiser)
    with count_queries(app) as many:
        page = client.get(f"/competitions/events/{large.id}/judging/progress?aspect=2").get_data(as_text=True)
    assert page.count("专家1、专家2、专家3") == 8
    assert len(many) == len(few)


def test_a_manager_who_is_on_the_panel_sees_no_preview_until_every_mark_is_in(app, ctx, login_as):
    ev, aspects, panel, organiser = cf.judged_event(n=1)
    organiser.set_roles({Role.ORGANIZER, Role.EXPERT})
    db.session.add(EventExpert(event_id=ev.id, user_id=organiser.id))
    db.session.commit()
    contestant = first_contestant(ev)
    judging.save_score(panel[0], ev, contestant.id, aspects[1].id, "3")
    client = login_as(organiser)
    page = client.get(f"/competitions/events/{ev.id}/results").get_data(as_text=True)
    assert "全部评分完成前不显示成绩预览" in page and "results-table preview" not in page
    other = factories.user(ev.competition.organiser, Role.ORGANIZER)
    page = login_as(other).get(f"/competitions/events/{ev.id}/results").get_data(as_text=True)
    assert "全部评分完成前不显示成绩预览" not in page and f"<td>{contestant.bib}</td>" in page
