"""Thin views of 企业新型学徒制: parse the request, call the service, render the page or the changed part."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Response, abort, current_app, flash, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.apprenticeships import bp, imports, rules, services, uploads
from app.apprenticeships.forms import ClassForm, ClassImportForm, DocumentForm, EnrollmentForm
from app.apprenticeships.models import (
    DocumentKind,
    EnrollmentStatus,
    HireType,
    MentorKind,
    ModuleKind,
    SubsidyKind,
    SubsidyStatus,
)
from app.auth.permissions import can, require
from app.core import services as core_services
from app.core.enums import District, SkillLevel, member_labels
from app.core.types import utcnow
from app.core.views import attempt, form_status, submit, today_in_shanghai
from app.errors import DomainError
from app.htmx import redirect_after_post, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enum_arg(enum_cls, name: str):  # noqa: ANN001, ANN202
    value = request.args.get(name, "")
    return enum_cls(value) if value in enum_cls._value2member_map_ else None


def _filter() -> services.EnrollmentFilter:
    return services.EnrollmentFilter(district=_enum_arg(District, "district"),
                                     status=_enum_arg(EnrollmentStatus, "status"),
                                     class_id=request.args.get("class_id", type=int),
                                     q=request.args.get("q", "").strip()[:50])


@bp.get("/")
@login_required
def index() -> Response:
    """The enrollment list (filtered in the URL), with status counts and, for the city, the plan's progress."""
    flt = _filter()
    page = services.list_enrollments(current_user, flt, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render("apprenticeships/index.html", block="enrollment_results", page=page, flt=flt, args=flt.as_args(),
                  mentors=services.mentor_names([row.id for row in page.items]),
                  labels=member_labels(District, EnrollmentStatus, SkillLevel, MentorKind),
                  statuses=EnrollmentStatus, districts=District)


@bp.get("/summary")
@login_required
def summary() -> Response:
    """The counts by status (and, for the city, progress against the plan) above the list, loaded after it:
    counting thousands of rows must not hold up the page of 50."""
    flt = _filter()
    return render("apprenticeships/_summary.html", counts=services.status_counts(current_user, flt),
                  statuses=EnrollmentStatus,
                  # The city's progress is one city-wide figure: shown above the unfiltered list only.
                  progress=None if flt.as_args() else services.plan_progress(current_user))


@bp.get("/export.xlsx")
@login_required
def export() -> Response:
    rows = services.enrollments_for_export(current_user, _filter())
    return send_file(BytesIO(imports.export_enrollments(rows)), as_attachment=True,
                     download_name="apprentices.xlsx", mimetype=XLSX)


# ---------------------------------------------------------------- classes

@bp.get("/classes")
@login_required
def classes() -> Response:
    return render("apprenticeships/classes.html", rows=services.list_classes(current_user), statuses=EnrollmentStatus)


@bp.route("/classes/new", methods=["GET", "POST"])
@login_required
def class_new() -> Response:
    require(current_user, "apprenticeship.enroll")
    form = ClassForm()
    form.institution_id.choices = [("", "—")] + services.institution_choices()
    form.occupation_code.choices = core_services.occupation_choices()
    klass = submit(form, lambda: services.create_class(current_user, services.ClassData(
        name=form.name.data or "", institution_id=form.institution_id.data or 0,
        occupation_code=form.occupation_code.data, target_level=SkillLevel(form.target_level.data))))
    if klass is not None:
        flash(_("已创建班级：%(name)s", name=klass.name), "success")
        return redirect_after_post("apprenticeships.class_detail", class_id=klass.id)
    return render("apprenticeships/class_form.html", form=form, http_status=form_status())


def _class_page(klass, status: int = 200, import_form=None, document_form=None, reports=None) -> Response:  # noqa: ANN001
    enrollments = services.class_enrollments(klass)
    years = max((len(rules.training_years(e.starts_on, e.ends_on)) for e in enrollments), default=1)
    return render("apprenticeships/class_detail.html", http_status=status, klass=klass, enrollments=enrollments,
                  lines=services.class_lines(klass), import_form=import_form or ClassImportForm(prefix="import"),
                  document_form=document_form or DocumentForm(prefix="doc"), reports=reports or [],
                  may=lambda action: services.may(current_user, action, klass) and any(
                      rules.next_status(e.status, action) for e in enrollments), MentorKind=MentorKind,
                  training_years=range(1, years + 1), can_claim=can(current_user, "subsidy.claim", klass),
                  statuses=EnrollmentStatus)


@bp.get("/classes/<int:class_id>")
@login_required
def class_detail(class_id: int) -> Response:
    return _class_page(services.get_class(current_user, class_id))


@bp.get("/template.xlsx")
@login_required
def class_template() -> Response:
    return send_file(BytesIO(imports.template()), as_attachment=True, download_name="apprentice-class-template.xlsx",
                     mimetype=XLSX)


@bp.post("/classes/<int:class_id>/import")
@login_required
def class_import(class_id: int) -> Response:
    klass = services.get_class(current_user, class_id)
    require(current_user, "apprenticeship.enroll", klass)
    form = ClassImportForm(prefix="import")
    reports: list[imports.RowReport] = []
    imported = submit(form, lambda: imports.import_class(current_user, klass, form.file.data.read(),
                                                         today_in_shanghai()))
    if imported is not None:
        created, reports = imported
        if not reports:
            flash(_("已导入 %(n)d 名学徒（草稿），请上传文件后提交备案", n=created), "success")
            return redirect_after_post("apprenticeships.class_detail", class_id=klass.id)
    return _class_page(klass, 422, import_form=form, reports=reports)


@bp.post("/classes/<int:class_id>/documents")
@login_required
def class_document(class_id: int) -> Response:
    """One file (e.g. the enterprise–institution agreement) attached to every draft or submitted enrollment."""
    klass = services.get_class(current_user, class_id)
    form = DocumentForm(prefix="doc")
    targets = [e for e in services.class_enrollments(klass)
               if e.status in (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED)]
    done = submit(form, lambda: services.attach_document(
        current_user, targets, DocumentKind(form.kind.data), form.file.data.filename or "",
        form.file.data.read(), current_app.config["UPLOAD_MAX_BYTES"]))
    if done:
        flash(_("已为 %(n)d 名学徒附上文件", n=done), "success")
        return redirect_after_post("apprenticeships.class_detail", class_id=klass.id)
    return _class_page(klass, 422, document_form=form)


@bp.post("/classes/<int:class_id>/transition")
@login_required
def class_transition(class_id: int) -> Response:
    klass = services.get_class(current_user, class_id)
    action = request.form.get("action", "")
    if action not in services.ACTION_PERMISSIONS or action == "assess":
        abort(400)
    done, n = attempt(lambda: services.transition_class(current_user, klass, action, today=today_in_shanghai(),
                                                        now=utcnow(), reason=request.form.get("reason", "")))
    if not done:
        return _class_page(klass, 422)
    flash(_("已为 %(n)d 名学徒%(action)s", n=n, action=services.action_label(action)), "success")
    return redirect_after_post("apprenticeships.class_detail", class_id=klass.id)


@bp.post("/classes/<int:class_id>/remind")
@login_required
def class_remind(class_id: int) -> Response:
    klass = services.get_class(current_user, class_id)
    done, _result = attempt(lambda: services.remind_class(current_user, klass, utcnow()), "warning")
    if not done:
        return _class_page(klass, 422)
    flash(_("提醒已排入发送，学徒和导师将在站内信（及所选的电子邮件）中收到"), "success")
    return redirect_after_post("apprenticeships.class_detail", class_id=klass.id)


@bp.post("/classes/<int:class_id>/claim")
@login_required
def class_claim(class_id: int) -> Response:
    klass = services.get_class(current_user, class_id)
    kind = request.form.get("kind", "")
    year = request.form.get("training_year", type=int) or 1

    def write() -> services.ClaimResult:
        if kind not in (SubsidyKind.ADVANCE.value, SubsidyKind.BALANCE.value):
            raise DomainError(_("请选择申领预支或尾款"))
        if not 1 <= year <= 3:
            raise DomainError(_("培训年度应为第1–3年"))
        return services.claim(current_user, klass, SubsidyKind(kind), year, today=today_in_shanghai(), now=utcnow())

    done, result = attempt(write)
    if not done or result is None:
        return _class_page(klass, 422)
    flash(_("已申领 %(n)d 名学徒的%(kind)s", n=len(result.created), kind=SubsidyKind(kind).label)
          + ("；" + "；".join(result.notes + result.skipped) if result.notes or result.skipped else ""), "success")
    return redirect_after_post("apprenticeships.class_detail", class_id=klass.id)


@bp.get("/classes/<int:class_id>/export.xlsx")
@login_required
def class_export(class_id: int) -> Response:
    klass = services.get_class(current_user, class_id)
    rows = services.enrollments_for_export(current_user, services.EnrollmentFilter(class_id=klass.id))
    return send_file(BytesIO(imports.export_enrollments(rows)), as_attachment=True,
                     download_name=f"class-{klass.id}.xlsx", mimetype=XLSX)


# ---------------------------------------------------------------- one enrollment

def _enrollment_form() -> EnrollmentForm:
    form = EnrollmentForm()
    org_id = current_user.organisation_id
    form.person_id.choices = [("", "—")] + services.mentor_choices(org_id, 2000)
    form.enterprise_mentor_id.choices = [("", "—")] + services.mentor_choices(org_id)
    form.institution_id.choices = [("", "—")] + services.institution_choices()
    form.institution_mentor_id.choices = [("", "—")] + services.institution_mentor_choices()
    form.occupation_code.choices = core_services.occupation_choices()
    return form


def _enrollment_data(form: EnrollmentForm) -> services.EnrollmentData:
    modules = [services.ModuleData(m.form.name.data or "", ModuleKind(m.form.kind.data), m.form.hours.data or 0)
               for m in form.modules if (m.form.name.data or "").strip() or m.form.hours.data]
    return services.EnrollmentData(
        person_id=form.person_id.data or 0, institution_id=form.institution_id.data or 0,
        enterprise_mentor_id=form.enterprise_mentor_id.data, institution_mentor_id=form.institution_mentor_id.data,
        occupation_code=form.occupation_code.data, target_level=SkillLevel(form.target_level.data),
        hire_type=HireType(form.hire_type.data), contract_starts_on=form.contract_starts_on.data,
        contract_ends_on=form.contract_ends_on.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        extension_reason=form.extension_reason.data or "", modules=modules)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def enrollment_new() -> Response:
    require(current_user, "apprenticeship.enroll")
    form = _enrollment_form()
    if request.method == "GET":
        defaults = [(_("安全生产与职业素养"), ModuleKind.CLASSROOM, 80), (_("专业理论"), ModuleKind.CLASSROOM, 120),
                    (_("岗位技能实训"), ModuleKind.PRACTICAL, 420)]
        for entry, (name, kind, hours) in zip(form.modules, defaults, strict=False):
            entry.form.name.data, entry.form.kind.data, entry.form.hours.data = name, kind.value, hours
    enrollment = submit(form, lambda: services.create_enrollment(current_user, _enrollment_data(form),
                                                                 today_in_shanghai()))
    if enrollment is not None:
        flash(_("已登记学徒（草稿）：%(name)s", name=enrollment.person.name), "success")
        return redirect_after_post("apprenticeships.enrollment_detail", enrollment_id=enrollment.id)
    return render("apprenticeships/enrollment_form.html", form=form, http_status=form_status())


def _detail(enrollment, status: int = 200, document_form=None) -> Response:  # noqa: ANN001
    actions = [a for a in rules.allowed_actions(enrollment.status)
               if services.may(current_user, a, enrollment)]
    return render("apprenticeships/enrollment_detail.html", http_status=status, e=enrollment, actions=actions,
                  action_label=services.action_label, timeline=services.timeline(enrollment),
                  lines=services.enrollment_lines(enrollment), MentorKind=MentorKind, ModuleKind=ModuleKind,
                  problems=[services.problem_message(p) for p in services.readiness(enrollment, today_in_shanghai())]
                  if enrollment.status in (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED) else [],
                  document_form=document_form or DocumentForm(prefix="doc"),
                  can_upload=can(current_user, "apprenticeship.enroll", enrollment)
                  and enrollment.status in (EnrollmentStatus.DRAFT, EnrollmentStatus.SUBMITTED),
                  levels=rules.TARGET_LEVELS, today=today_in_shanghai(), status_label=_status_label,
                  mentor_load={m.mentor_id: services.mentor_load(m.mentor_id) for m in enrollment.mentors})


def _status_label(value: str) -> str:
    return EnrollmentStatus(value).label if value in EnrollmentStatus._value2member_map_ else value


@bp.get("/<int:enrollment_id>")
@login_required
def enrollment_detail(enrollment_id: int) -> Response:
    return _detail(services.get_enrollment(current_user, enrollment_id))


@bp.post("/<int:enrollment_id>/documents")
@login_required
def enrollment_document(enrollment_id: int) -> Response:
    enrollment = services.get_enrollment(current_user, enrollment_id)
    form = DocumentForm(prefix="doc")
    done = submit(form, lambda: services.attach_document(
        current_user, [enrollment], DocumentKind(form.kind.data), form.file.data.filename or "",
        form.file.data.read(), current_app.config["UPLOAD_MAX_BYTES"]))
    if done:
        flash(_("已上传：%(kind)s", kind=DocumentKind(form.kind.data).label), "success")
        return redirect_after_post("apprenticeships.enrollment_detail", enrollment_id=enrollment.id)
    return _detail(enrollment, 422, document_form=form)


def _assessment() -> services.Assessment:
    passed = request.form.get("passed", "")
    if passed not in ("yes", "no"):
        raise DomainError(_("请选择认定结果"), "passed")
    try:
        assessed_on = date.fromisoformat(request.form.get("assessed_on", ""))
    except ValueError as exc:
        raise DomainError(_("请填写认定日期"), "assessed_on") from exc
    level = request.form.get("certificate_level", "")
    return services.Assessment(passed=passed == "yes", assessed_on=assessed_on,
                               certificate_number=request.form.get("certificate_number", "").strip()[:50],
                               certificate_level=SkillLevel(level) if level in SkillLevel._value2member_map_
                               else None)


@bp.post("/<int:enrollment_id>/transition")
@login_required
def enrollment_transition(enrollment_id: int) -> Response:
    enrollment = services.get_enrollment(current_user, enrollment_id)
    action = request.form.get("action", "")
    if action not in services.ACTION_PERMISSIONS:
        abort(400)

    def write() -> None:
        assessment = _assessment() if action == "assess" else None
        withdrawn_on = None
        if action == "withdraw" and request.form.get("withdrawn_on"):
            try:
                withdrawn_on = date.fromisoformat(request.form["withdrawn_on"])
            except ValueError:
                raise DomainError(_("退出日期格式应为 YYYY-MM-DD"), "withdrawn_on") from None
        services.transition(current_user, enrollment, action, today=today_in_shanghai(), now=utcnow(),
                            reason=request.form.get("reason", ""), assessment=assessment, withdrawn_on=withdrawn_on)

    done, _result = attempt(write)
    if not done:
        return _detail(services.get_enrollment(current_user, enrollment_id), 422)
    flash(_("%(name)s：已%(action)s", name=enrollment.person.name, action=services.action_label(action)), "success")
    return redirect_after_post("apprenticeships.enrollment_detail", enrollment_id=enrollment.id)


@bp.get("/documents/<int:document_id>")
@login_required
def document_download(document_id: int) -> Response:
    """A document, only for those who may see its enrollment; served as a download under its sniffed type."""
    doc = services.get_document(current_user, document_id)
    try:
        path = uploads.path_of(doc.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=doc.content_type, as_attachment=True, download_name=doc.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- the subsidy ledger

def _ledger_filter() -> services.LedgerFilter:
    return services.LedgerFilter(year=request.args.get("year", type=int), district=_enum_arg(District, "district"),
                                 class_id=request.args.get("class_id", type=int),
                                 kind=_enum_arg(SubsidyKind, "kind"), status=_enum_arg(SubsidyStatus, "status"))


def _group() -> str:
    group = request.args.get("group", "enterprise")
    return group if group in services.GROUPS else "enterprise"


def _ledger_page(status: int = 200) -> Response:
    flt, group = _ledger_filter(), _group()
    summary, total = services.ledger_summary(current_user, flt, group)
    page = services.ledger_lines(current_user, flt, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render("apprenticeships/ledger.html", block="ledger_results", http_status=status, flt=flt,
                  args=dict(flt.as_args(), group=group), group=group, summary=summary, total=total, page=page,
                  districts=District, kinds=SubsidyKind, line_statuses=SubsidyStatus,
                  can_review=can(current_user, "subsidy.review"))


@bp.get("/ledger")
@login_required
def ledger() -> Response:
    require(current_user, "subsidy.view")
    return _ledger_page()


@bp.post("/ledger/decide")
@login_required
def ledger_decide() -> Response:
    ids = request.form.getlist("line_id", type=int)
    decision = request.form.get("decision", "")
    done, n = attempt(lambda: services.decide_lines(current_user, ids, decision, utcnow()))
    if not done:
        return _ledger_page(422)
    flash(_("已处理 %(n)d 条补贴记录", n=n), "success")
    return _ledger_page()


@bp.get("/ledger/export.xlsx")
@login_required
def ledger_export() -> Response:
    flt, group = _ledger_filter(), _group()
    summary, total = services.ledger_summary(current_user, flt, group)
    page = services.ledger_lines(current_user, flt, None, 50_000)
    return send_file(BytesIO(imports.export_ledger(summary, total, page.items)), as_attachment=True,
                     download_name="subsidy-ledger.xlsx", mimetype=XLSX)
