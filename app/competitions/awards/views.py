"""Thin views of award incentives (same blueprint as the competition pyramid)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from flask import Response, flash, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import STAFF_ROLES, can, require
from app.competitions.awards import due, payees
from app.competitions.awards import services as awards
from app.competitions.awards.forms import AwardRuleForm, EndRuleForm, HoldForm, NoticeForm, PayeeAccountForm
from app.competitions.awards.models import AwardBand, AwardLine, AwardLineStatus, AwardNotice, AwardRule, PromotionMode
from app.competitions.blueprint import bp
from app.competitions.events import services as event_services
from app.competitions.events.models import CompetitionClass, CompetitionLevel
from app.core.enums import SkillLevel
from app.core.models import Organisation, Person
from app.core.services import raise_not_found
from app.core.types import utcnow
from app.core.views import attempt, form_status, submit, today_in_shanghai, try_write
from app.core.xlsx import export_workbook
from app.extensions import db
from app.htmx import redirect_after_post, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- rules

def _rule_form() -> AwardRuleForm:
    form = AwardRuleForm(prefix="rule")
    form.competition_id.choices = [("", _("（所有届次）"))] + awards.competition_choices()
    return form


def _level(value: str) -> SkillLevel | None:
    return SkillLevel(value) if value else None


@bp.route("/awards/rules", methods=["GET", "POST"])
@login_required
def award_rules() -> Response:
    require(current_user, "award.manage")
    form = _rule_form()

    def write() -> AwardRule:
        return awards.create_rule(current_user, awards.RuleData(
            name=form.name.data or "", level=CompetitionLevel(form.level.data),
            klass=CompetitionClass(form.klass.data) if form.klass.data else None,
            competition_id=form.competition_id.data, band=AwardBand(form.band.data), top_n=form.top_n.data,
            top_n_pair=form.top_n_pair.data, top_n_trio=form.top_n_trio.data,
            competitor_amount=form.competitor_amount.data, split_team=bool(form.split_team.data),
            expert_team_amount=form.expert_team_amount.data, unit_amount=form.unit_amount.data,
            promotion=PromotionMode(form.promotion.data), promotion_level=_level(form.promotion_level.data),
            promotion_alt_level=_level(form.promotion_alt_level.data), honour_title=form.honour_title.data or "",
            honour_level=form.honour_level.data or "", honour_body=form.honour_body.data or "",
            funder=form.funder.data or "", effective_from=form.effective_from.data,
            effective_to=form.effective_to.data))

    rule = submit(form, write) if request.method == "POST" else None
    if rule is not None:
        flash(_("已新增奖励规则：%(name)s", name=rule.name), "success")
        return redirect_after_post("competitions.award_rules")
    return render("competitions/award_rules.html", form=form, rules=awards.list_rules(current_user),
                  end_form=EndRuleForm(prefix="end"), today=today_in_shanghai(), http_status=form_status())


@bp.post("/awards/rules/<int:rule_id>/end")
@login_required
def award_rule_end(rule_id: int) -> Response:
    require(current_user, "award.manage")
    rule = db.session.get(AwardRule, rule_id)
    if rule is None:
        raise_not_found()
    form = EndRuleForm(prefix="end")

    def write() -> bool:
        awards.end_rule(current_user, rule, form.effective_to.data)
        return True

    if submit(form, write):
        flash(_("规则将于 %(d)s 失效", d=form.effective_to.data.isoformat()), "success")
        return redirect_after_post("competitions.award_rules")
    for error in form.effective_to.errors or form.form_errors:
        flash(str(error), "danger")
    return render("competitions/award_rules.html", form=_rule_form(), rules=awards.list_rules(current_user),
                  end_form=form, today=today_in_shanghai(), http_status=422)


# ---------------------------------------------------------------- an event's awards

def _event_page(event, status: int = 200, notice_form: NoticeForm | None = None, hold_errors=None) -> Response:
    shown, refusal = try_write(lambda: awards.preview(current_user, event))
    problem = refusal.message if refusal is not None else None
    if notice_form is None:
        notice_form = NoticeForm(prefix="notice")
        notice_form.title.data = _("%(competition)s %(event)s 奖励公示", competition=event.competition.name,
                                   event=event.name)
        notice_form.starts_on.data = today_in_shanghai()
    lines = awards.lines_for(event)
    return render("competitions/event_awards.html", event=event, http_status=status, preview=shown, problem=problem,
                  lines=lines, notices={n.id: n for n in awards.notices_for(event)}, notice_form=notice_form,
                  hold_form=HoldForm(prefix="hold"), hold_errors=hold_errors or {}, statuses=AwardLineStatus,
                  total=sum((ln.amount for ln in lines), Decimal(0)), today=today_in_shanghai(),
                  can_approve=can(current_user, "award.approve"))


def _award_event(event_id: int):
    event = event_services.get_event(current_user, event_id)
    require(current_user, "award.manage")
    return event


@bp.get("/events/<int:event_id>/awards")
@login_required
def event_awards(event_id: int) -> Response:
    return _event_page(_award_event(event_id))


@bp.post("/events/<int:event_id>/awards/generate")
@login_required
def awards_generate(event_id: int) -> Response:
    event = _award_event(event_id)
    done, n = attempt(lambda: awards.generate(current_user, event))
    if not done:
        return _event_page(event, 422)
    flash(_("已生成 %(n)d 条奖励（草稿）", n=n), "success")
    return redirect_after_post("competitions.event_awards", event_id=event.id)


@bp.post("/events/<int:event_id>/awards/notice")
@login_required
def awards_notice(event_id: int) -> Response:
    event = _award_event(event_id)
    form = NoticeForm(prefix="notice")
    notice = submit(form, lambda: awards.publish_notice(current_user, event, form.title.data,
                                                        form.starts_on.data, utcnow()))
    if notice is not None:
        flash(_("公示已发布，%(a)s 至 %(b)s", a=notice.starts_on.isoformat(), b=notice.ends_on.isoformat()),
              "success")
        return redirect_after_post("competitions.event_awards", event_id=event.id)
    return _event_page(event, 422, notice_form=form)


@bp.post("/awards/lines/<int:line_id>/hold")
@login_required
def award_hold(line_id: int) -> Response:
    form = HoldForm(prefix="hold")
    reason = form.reason.data or ""
    line, refusal = try_write(lambda: awards.hold(current_user, line_id, reason, today_in_shanghai()))
    if refusal is not None or line is None:
        line = db.session.get_one(AwardLine, line_id)
        return _event_page(line.event, 422, hold_errors={line_id: refusal.message if refusal else ""})
    flash(_("已登记异议，该项奖励暂缓"), "warning")
    return redirect_after_post("competitions.event_awards", event_id=line.event_id)


@bp.post("/awards/lines/<int:line_id>/release")
@login_required
def award_release(line_id: int) -> Response:
    line, refusal = try_write(lambda: awards.release(current_user, line_id, request.form.get("hold-reason", "")))
    if refusal is not None or line is None:
        line = db.session.get_one(AwardLine, line_id)
        return _event_page(line.event, 422, hold_errors={line_id: refusal.message if refusal else ""})
    flash(_("异议已处理，该项奖励恢复公示"), "success")
    return redirect_after_post("competitions.event_awards", event_id=line.event_id)


@bp.post("/awards/lines/<int:line_id>/withdraw")
@login_required
def award_withdraw(line_id: int) -> Response:
    """Withdraw an approved award with a reason; its certificate is revoked."""
    line, refusal = try_write(lambda: awards.withdraw(current_user, line_id, request.form.get("hold-reason", ""),
                                                      utcnow()))
    if refusal is not None or line is None:
        line = db.session.get_one(AwardLine, line_id)
        return _event_page(line.event, 422, hold_errors={line_id: refusal.message if refusal else ""})
    flash(_("奖励已撤销，相关证书已作废"), "warning")
    return redirect_after_post("competitions.event_awards", event_id=line.event_id)


@bp.post("/events/<int:event_id>/awards/approve")
@login_required
def awards_approve(event_id: int) -> Response:
    event = _award_event(event_id)
    done, n = attempt(lambda: awards.approve(current_user, event, today_in_shanghai(), utcnow()))
    if not done:
        return _event_page(event, 422)
    flash(_("已批准 %(n)d 条奖励；晋升和荣誉已记入个人档案", n=n), "success")
    return redirect_after_post("competitions.event_awards", event_id=event.id)


@bp.get("/awards/notices/<int:notice_id>")
@login_required
def award_notice(notice_id: int) -> Response:
    """The printable public notice: every line published with it."""
    notice = db.session.get(AwardNotice, notice_id)
    if notice is None:
        raise_not_found()
    event_services.get_event(current_user, notice.event_id)
    lines = [ln for ln in awards.lines_for(notice.event) if ln.notice_id == notice.id]
    return render("competitions/award_notice.html", notice=notice, lines=lines)


# ---------------------------------------------------------------- ledger and payments

@bp.get("/awards/ledger")
@login_required
def award_ledger() -> Response:
    status_value = request.args.get("status", "")
    status = AwardLineStatus(status_value) if status_value in AwardLineStatus._value2member_map_ else None
    competition_id = request.args.get("competition", type=int)
    rows, total, count = awards.ledger(current_user, competition_id, status)
    return render("competitions/award_ledger.html", rows=rows, total=total, count=count, status=status,
                  statuses=AwardLineStatus, competition_id=competition_id,
                  payable=db.session.scalar(awards.count_payable(current_user)),
                  missing=awards.missing_accounts(current_user),
                  batches=awards.batches(current_user))


@bp.post("/awards/payments")
@login_required
def payment_batch_create() -> Response:
    done, batch = attempt(lambda: awards.create_batch(current_user, utcnow()))
    if not done or batch is None:
        return redirect_after_post("competitions.award_ledger")
    flash(_("已生成支付批次 #%(id)d：%(n)d 笔，合计 %(total)s 元", id=batch.id, n=batch.line_count,
            total=f"{batch.total:,.2f}"), "success")
    return redirect_after_post("competitions.award_ledger")


@bp.get("/awards/payments/<int:batch_id>.xlsx")
@login_required
def payment_file(batch_id: int) -> Response:
    batch = awards.get_batch(current_user, batch_id)
    wb = export_workbook(write_only=True)
    ws = wb.create_sheet("奖金发放")
    ws.append(["序号", "姓名/单位", "证件号码（脱敏）", "开户银行", "银行账号（脱敏）", "金额（元）", "奖励", "赛项"])
    lines = awards.batch_lines(current_user, batch)
    accounts = payees.accounts_for(lines)
    for n, line in enumerate(lines, start=1):
        who = line.person.name if line.person else f"{line.unit.name}（{line.recipient_kind.label}）"
        account = accounts.get(payees.payee_key(line))
        ws.append([n, who, line.person.id_number_masked if line.person else "", account.bank if account else "",
                   account.number_masked if account else "", float(line.amount), line.rule.name, line.event.name])
    ws.append(["", _("合计"), "", "", "", float(batch.total), "", ""])
    buf = BytesIO()
    wb.save(buf)
    return send_file(BytesIO(buf.getvalue()), as_attachment=True, download_name=f"payment-batch-{batch.id}.xlsx",
                     mimetype=XLSX)


@bp.post("/awards/payments/<int:batch_id>/paid")
@login_required
def payment_batch_paid(batch_id: int) -> Response:
    batch = awards.get_batch(current_user, batch_id)
    done, n = attempt(lambda: awards.mark_paid(current_user, batch, utcnow()))
    if not done:
        return redirect_after_post("competitions.award_ledger")
    flash(_("支付批次 #%(id)d 的 %(n)d 笔奖励已标记为已发放", id=batch.id, n=n), "success")
    return redirect_after_post("competitions.award_ledger")


# ---------------------------------------------------------------- notices ending (the officials' to-do)

@bp.get("/awards/notices/due")
@login_required
def award_notices_due() -> Response:
    """Notices whose 公示 ends soon or has ended, with lines waiting for approval (app/competitions/awards/due.py)."""
    today = today_in_shanghai()
    return render("competitions/award_notices_due.html", notices=due.due_notices(current_user, today),
                  horizon=due.horizon(today), today=today)

# ---------------------------------------------------------------- prize-money accounts and the finance file

def _account_page(form: PayeeAccountForm, account, who: str, status: int) -> Response:
    return render("competitions/payee_account.html", form=form, account=account, who=who, http_status=status)


def _account_data(form: PayeeAccountForm) -> payees.AccountData:
    return payees.AccountData(form.holder.data or "", form.bank.data or "", form.branch.data or "",
                              form.number.data or "")


@bp.get("/awards/payees")
@login_required
def payee_list() -> ResponseReturnValue:
    """The winner goes to their own account; a unit's staff see their people with prize money."""
    if current_user.person_id is not None and not (current_user.roles & STAFF_ROLES):
        return redirect(url_for("competitions.person_account", person_id=current_user.person_id))
    people, own = payees.unit_payees(current_user)
    return render("competitions/payees.html", people=people, own=own)


@bp.route("/awards/payees/people/<int:person_id>/account", methods=["GET", "POST"])
@login_required
def person_account(person_id: int) -> Response:
    person = db.session.get(Person, person_id)
    if person is None:
        raise_not_found()
    account = payees.person_account(current_user, person)
    form = PayeeAccountForm(prefix="account")
    if request.method == "GET" and account is not None:
        form.holder.data, form.bank.data, form.branch.data = account.holder, account.bank, account.branch
    elif request.method == "GET":
        form.holder.data = person.name
    saved = submit(form, lambda: payees.save_person_account(current_user, person, _account_data(form))) \
        if request.method == "POST" else None
    if saved is not None:
        flash(_("收款账户已保存：%(number)s", number=saved.number_masked), "success")
        return redirect_after_post("competitions.person_account", person_id=person.id)
    return _account_page(form, account, person.name, form_status())


@bp.route("/awards/payees/units/<int:organisation_id>/account", methods=["GET", "POST"])
@login_required
def unit_account(organisation_id: int) -> Response:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise_not_found()
    account = payees.unit_account(current_user, organisation)
    form = PayeeAccountForm(prefix="account")
    if request.method == "GET":
        form.holder.data = account.holder if account else organisation.name
        if account is not None:
            form.bank.data, form.branch.data = account.bank, account.branch
    saved = submit(form, lambda: payees.save_unit_account(current_user, organisation, _account_data(form))) \
        if request.method == "POST" else None
    if saved is not None:
        flash(_("收款账户已保存：%(number)s", number=saved.number_masked), "success")
        return redirect_after_post("competitions.unit_account", organisation_id=organisation.id)
    return _account_page(form, account, organisation.name, form_status())


@bp.get("/finance/payments")
@login_required
def finance_payments() -> Response:
    return render("competitions/finance_payments.html", batches=payees.finance_batches(current_user))


@bp.get("/finance/payments/<int:batch_id>.xlsx")
@login_required
def finance_payment_file(batch_id: int) -> Response:
    """The bank batch-payment (代发) file: a header with the batch's count and total, then one row per payee with
    the full account number. Audited; refused while a payee has no account."""
    batch = payees.finance_batch(current_user, batch_id)
    done, rows = attempt(lambda: payees.payment_rows(current_user, batch))
    if not done or rows is None:
        return redirect_after_post("competitions.finance_payments")
    wb = export_workbook()
    ws = wb.active
    ws.title = "代发明细"
    ws.append(["批次号", f"JNT-{batch.id:06d}", "总笔数", batch.line_count, "总金额（元）", batch.total])
    ws.append(["付款用途", "技能竞赛奖金"])
    ws.append([])
    ws.append(["序号", "收款人户名", "收款账号", "开户银行", "开户网点", "金额（元）", "用途", "备注"])
    for n, row in enumerate(rows, start=1):
        ws.append([n, row.holder, row.number, row.bank, row.branch, row.amount, "技能竞赛奖金",
                   f"{row.line.event.name} · {row.line.rule.name}"])
    for sheet_row in ws.iter_rows(min_row=5, min_col=3, max_col=3):
        for cell in sheet_row:
            cell.number_format = "@"  # the account number is text: a bank's 19 digits are not a number
    for sheet_row in ws.iter_rows(min_row=5, min_col=6, max_col=6):
        for cell in sheet_row:
            cell.number_format = "#,##0.00"
    ws["F1"].number_format = "#,##0.00"
    buf = BytesIO()
    wb.save(buf)
    return send_file(BytesIO(buf.getvalue()), as_attachment=True, mimetype=XLSX,
                     download_name=f"daifa-batch-{batch.id}.xlsx")
