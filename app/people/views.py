"""The pages of people, organisations, users, the policy table and the audit trail, on core's blueprint (endpoints
``core.<view>``). Thin views: parse the form, call the service, render the page or the changed fragment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.validators import DataRequired

from app.auth.permissions import can, require
from app.core import audit, bp, record
from app.core.enums import District, DocType, OrgKind, Role, Sex, SkillLevel, member_labels
from app.core.forms import (
    CertificateForm,
    OrganisationForm,
    PeopleImportForm,
    PersonForm,
    PersonMergeForm,
    PolicyValueForm,
    UserForm,
)
from app.core.labels import AUDIT_ENTITIES
from app.core.models import Person
from app.core.policy import POLICY_KEYS
from app.core.services import PersonData, occupation_choices
from app.core.views import attempt, form_status, submit, today_in_shanghai
from app.errors import DomainError
from app.extensions import limiter
from app.htmx import redirect_after_post, render
from app.people import imports, services
from app.people import person_merge as person_merge_service


def _enum_arg(enum_cls, name: str):
    value = request.args.get(name, "")
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def _present(**args: str | None) -> dict[str, str]:
    """The filter arguments that are set, for links that keep the current filters."""
    return {k: v for k, v in args.items() if v}


def _page_arg() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


# ---------------------------------------------------------------- organisations

@bp.get("/organisations")
@login_required
def organisations() -> Response:
    q = request.args.get("q", "").strip()
    kind, district, page = _enum_arg(OrgKind, "kind"), _enum_arg(District, "district"), _page_arg()
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = services.list_organisations(current_user, q=q, kind=kind, district=district, page=page,
                                              per_page=per_page)
    args = _present(q=q, kind=kind and kind.value, district=district and district.value)
    return render("core/organisations.html", block="organisation_results", rows=rows, total=total, page=page,
                  per_page=per_page, args=args, q=q, kind=kind, district=district,
                  kind_choices=OrgKind.choices(), district_choices=District.choices())


def _org_data(form: OrganisationForm, editing: bool = False) -> services.OrganisationData:
    phone = (form.contact_phone.data or "").strip()
    return services.OrganisationData(
        name=form.name.data or "", kind=OrgKind(form.kind.data), uscc=(form.uscc.data or "").strip() or None,
        district=District(form.district.data) if form.district.data else None, address=form.address.data or "",
        contact_name=form.contact_name.data or "",
        # An edit form cannot show the stored phone; left blank, it stays as it is.
        contact_phone=None if editing and not phone else phone, active=bool(form.active.data))


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def organisation_new() -> Response:
    require(current_user, "organisation.manage")
    form = OrganisationForm()
    org = submit(form, lambda: services.create_organisation(current_user, _org_data(form)))
    if org is not None:
        flash(_("已添加单位：%(name)s", name=org.name), "success")
        return redirect_after_post("core.organisation_detail", org_id=org.id)
    return render("core/organisation_form.html", block="organisation_form", form=form, org=None,
                  http_status=form_status())


@bp.get("/organisations/<int:org_id>")
@login_required
def organisation_detail(org_id: int) -> Response:
    org = services.get_organisation(current_user, org_id)
    return render("core/organisation_detail.html", org=org, history=audit.entries_for("organisations", org.id))


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def organisation_edit(org_id: int) -> Response:
    org = services.get_organisation(current_user, org_id)
    require(current_user, "organisation.manage", org)
    form = OrganisationForm(obj=org)
    if request.method == "GET":
        form.kind.data = org.kind.value
        form.district.data = org.district.value if org.district else ""
        form.contact_phone.data = ""
    if submit(form, lambda: services.update_organisation(current_user, org, _org_data(form, editing=True))):
        flash(_("已保存"), "success")
        return redirect_after_post("core.organisation_detail", org_id=org.id)
    return render("core/organisation_form.html", block="organisation_form", form=form, org=org,
                  http_status=form_status())


# ---------------------------------------------------------------- users

@bp.get("/users")
@login_required
def users() -> Response:
    q, role, page = request.args.get("q", "").strip(), _enum_arg(Role, "role"), _page_arg()
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = services.list_users(current_user, q=q, role=role, page=page, per_page=per_page)
    args = _present(q=q, role=role and role.value)
    return render("core/users.html", block="user_results", rows=rows, total=total, page=page, per_page=per_page,
                  args=args, q=q, role=role, role_choices=Role.choices())


def _user_form(user=None) -> UserForm:
    form = UserForm(obj=user)
    form.organisation_id.choices = [("", "—")] + services.organisation_choices(current_user)
    if user is not None and request.method == "GET":
        form.roles.data = [r.value for r in user.roles]
    return form


def _user_data(form: UserForm, username: str | None = None) -> services.UserData:
    return services.UserData(
        username=username or (form.username.data or "").strip(), display_name=form.display_name.data or "",
        email=form.email.data or "", organisation_id=form.organisation_id.data or 0,
        roles={Role(r) for r in form.roles.data or []}, active=bool(form.active.data),
        password=form.password.data or "", person_id_number=(form.person_id_number.data or "").strip())


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def user_new() -> Response:
    require(current_user, "user.manage")
    form = _user_form()
    saved = submit(form, lambda: services.create_user(current_user, _user_data(form)))
    if saved is not None:
        flash(_("已创建用户"), "success")
        return redirect_after_post("core.users")
    return render("core/user_form.html", block="user_form", form=form, user=None,
                  http_status=form_status())


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int) -> Response:
    user = services.get_user(current_user, user_id)
    form = _user_form(user)
    del form.username  # not editable, so not validated (old accounts may predate the length rule)
    saved = submit(form, lambda: services.update_user(current_user, user,
                                                      _user_data(form, username=user.username)))
    if saved is not None:
        flash(_("已保存"), "success")
        return redirect_after_post("core.users")
    return render("core/user_form.html", block="user_form", form=form, user=user,
                  history=audit.entries_for("users", user.id), http_status=form_status())


@bp.post("/users/<int:user_id>/end-sessions")
@login_required
def user_end_sessions(user_id: int) -> ResponseReturnValue:
    """Sign a user out everywhere: every session and remember cookie of the account ends."""
    user = services.get_user(current_user, user_id)
    services.end_user_sessions(current_user, user)
    if user.id == current_user.id:
        return redirect(url_for("auth.login"), code=303)
    flash(_("已结束该用户的所有登录会话"), "success")
    return redirect_after_post("core.user_edit", user_id=user.id)


# ---------------------------------------------------------------- people

def _people_filter() -> services.PeopleFilter:
    return services.PeopleFilter(q=request.args.get("q", "").strip()[:50],
                                 employer=request.args.get("employer", "").strip()[:100],
                                 level=_enum_arg(SkillLevel, "level"))


def _not_guessing_ids() -> bool:
    return not services.is_guessed_id_search(current_user, request.args.get("q", "").strip()[:50])


def _user_key() -> str:
    return f"id-search:{current_user.get_id()}"


_ID_SEARCH_LIMIT = limiter.shared_limit(lambda: current_app.config["ID_SEARCH_RATE_LIMIT"], scope="id-search",
                                        key_func=_user_key, exempt_when=_not_guessing_ids)


def _id_search_limit(view: Callable[..., Response]) -> Callable[..., Response]:
    """The id-search limit, checked only on a search that guesses document numbers: a name search or a plain
    list (the common case) goes straight to the view instead of through Flask-Limiter's per-request work
    (resolving the limits, the exemption check; ~1 ms a page), which would exempt it anyway."""
    limited = _ID_SEARCH_LIMIT(view)

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Response:
        return view(*args, **kwargs) if _not_guessing_ids() else limited(*args, **kwargs)
    return checked


@bp.get("/people")
@login_required
@_id_search_limit
def people() -> Response:
    flt = _people_filter()
    page = services.list_people(current_user, flt, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render("core/people.html", block="people_results", page=page, flt=flt, args=flt.as_args(),
                  level_choices=SkillLevel.choices(), labels=member_labels(Sex, SkillLevel))


@bp.get("/people/export.xlsx")
@login_required
@_id_search_limit
def people_export() -> Response:
    rows = services.people_for_export(current_user, _people_filter())
    data = imports.export_people(rows)
    stamp = today_in_shanghai().isoformat()
    return send_file(BytesIO(data), as_attachment=True, download_name=f"people-{stamp}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _person_form(person=None) -> PersonForm:
    form = PersonForm(obj=person)
    form.employer_id.choices = [("", "—")] + services.organisation_choices(current_user)
    if person is not None and request.method == "GET":
        form.doc_type.data = person.doc_type.value
        form.id_number.data = ""
        form.sex.data = person.sex.value if person.sex else ""
        if person.doc_type is DocType.RIC and not can(current_user, "person.reveal_id", person):
            # The full birth date and the masked number would give the ID back; a 身份证号's birth date is
            # derived from the number anyway, so the field is not needed here.
            form.birth_date.data = None
    return form


def _person_data(form: PersonForm, editing: bool = False) -> PersonData:
    phone = (form.phone.data or "").strip()
    return PersonData(
        name=form.name.data or "", doc_type=DocType(form.doc_type.data), id_number=form.id_number.data or "",
        # An edit form cannot show the stored phone; left blank, it stays as it is.
        phone=None if editing and not phone else phone, employer_id=form.employer_id.data,
        birth_date=form.birth_date.data, sex=Sex(form.sex.data) if form.sex.data else None)


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def person_new() -> Response:
    require(current_user, "person.edit")
    form = _person_form()
    if request.method == "GET" and not can(current_user, "organisation.view"):
        form.employer_id.data = current_user.organisation_id
    person = submit(form, lambda: services.create_person(current_user, _person_data(form)))
    if person is not None:
        flash(_("已登记人员：%(name)s", name=person.name), "success")
        return redirect_after_post("core.person_detail", person_id=person.id)
    return render("core/person_form.html", block="person_form", form=form, person=None,
                  http_status=form_status())


@bp.get("/people/<int:person_id>")
@login_required
def person_detail(person_id: int) -> Response:
    return _person_page(services.get_person(current_user, person_id))


def _person_page(person, block: str | None = None, **context) -> Response:
    form = CertificateForm()
    form.occupation_code.choices = occupation_choices()
    return render("core/person_detail.html", block=block, person=person, cert_form=form,
                  history=audit.entries_for("people", person.id, limit=50),
                  record_sections=[(sec.title, Markup(render_template(sec.template, **sec.context)))
                                   for sec in record.sections_for(current_user, person)], **context)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def person_edit(person_id: int) -> Response:
    person = services.get_person(current_user, person_id)
    require(current_user, "person.edit", person)
    form = _person_form(person)
    form.id_number.validators = [v for v in form.id_number.validators if not isinstance(v, DataRequired)]
    form.id_number.flags.required = False
    saved = submit(form, lambda: services.update_person(current_user, person,
                                                        _person_data(form, editing=True)))
    if saved is not None:
        flash(_("已保存"), "success")
        return redirect_after_post("core.person_detail", person_id=person.id)
    return render("core/person_form.html", block="person_form", form=form, person=person,
                  http_status=form_status())


@bp.post("/people/<int:person_id>/reveal")
@login_required
def person_reveal(person_id: int) -> Response:
    person = services.get_person(current_user, person_id)
    number = services.reveal_id_number(current_user, person)
    # htmx swaps the number in; without JavaScript the whole page comes back with it shown.
    response = _person_page(person, block="id_number", revealed=number)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/people/<int:person_id>/merge", methods=["GET", "POST"])
@login_required
def person_merge(person_id: int) -> Response:
    """合并重复人员: find the other record, see what each holds, choose the one to keep, merge."""
    this = services.get_person(current_user, person_id)
    require(current_user, "person.merge", this)
    form = PersonMergeForm()
    other_id = request.values.get("other_id", type=int)
    other = services.get_person(current_user, other_id) if other_id and other_id != this.id else None
    if other is not None:
        require(current_user, "person.merge", other)
        form.other_id.data = str(other.id)
    q = request.args.get("q", "").strip()[:50]
    candidates = [p for p in services.find_people(current_user, services.PeopleFilter(q=q or this.name), 20)
                  if p.id != this.id]

    def merge() -> Person:
        if other is None:
            raise DomainError(_("请先选择另一条记录"), "other_id")
        keep, drop = (this, other) if form.keep.data == "this" else (other, this)
        return person_merge_service.merge_people(current_user, keep, drop)

    kept = submit(form, merge) if request.method == "POST" else None
    if kept is not None:
        flash(_("已合并：所有记录已归入 %(name)s", name=kept.name), "success")
        return redirect_after_post("core.person_detail", person_id=kept.id)
    return render("core/person_merge.html", this=this, other=other, form=form, q=q, candidates=candidates,
                  holdings={p.id: person_merge_service.holdings(p) for p in (this, other) if p is not None},
                  http_status=form_status())


@bp.post("/people/<int:person_id>/certificates")
@login_required
def certificate_add(person_id: int) -> Response:
    person = services.get_person(current_user, person_id)
    form = CertificateForm()
    form.occupation_code.choices = occupation_choices()
    saved = submit(form, lambda: services.add_certificate(current_user, person, services.CertificateData(
        level=SkillLevel(form.level.data), occupation_code=form.occupation_code.data,
        issuer=form.issuer.data or "", number=form.number.data or "", issued_on=form.issued_on.data),
        today=today_in_shanghai()))
    if saved is not None:
        flash(_("已添加证书"), "success")
        return redirect_after_post("core.person_detail", person_id=person.id)
    return render("core/person_detail.html", block="certificate_form", person=person, cert_form=form,
                  history=audit.entries_for("people", person.id, limit=50), http_status=422)


@bp.get("/people/import/template.xlsx")
@login_required
def people_import_template() -> Response:
    require(current_user, "person.import")
    return send_file(BytesIO(imports.people_template()), as_attachment=True,
                     download_name="people-import-template.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
def people_import() -> Response:
    """Upload → preview with every bad row and its reason → import all, or only the good rows."""
    require(current_user, "person.import")
    form = PeopleImportForm()
    preview = None
    status = 200
    if request.method == "POST" and "confirm" in request.form:
        token = request.form.get("token", "")
        only_valid = request.form.get("confirm") == "valid"
        done, created = attempt(lambda: imports.commit_import(current_user, token, only_valid=only_valid))
        if done:
            flash(_("已导入 %(n)d 人", n=created), "success")
            return redirect_after_post("core.people")
        status = 422
    elif request.method == "POST":
        preview = submit(form, lambda: imports.preview_import(current_user, form.file.data.read()))
        status = 200 if preview is not None and preview.ok else 422
    return render("core/people_import.html", block="import_panel", form=form, preview=preview, http_status=status)


# ---------------------------------------------------------------- policy table

@bp.route("/policies", methods=["GET", "POST"])
@login_required
def policies() -> Response:
    require(current_user, "policy.view")
    form = PolicyValueForm()
    key = request.values.get("key") or next(iter(POLICY_KEYS))
    spec = POLICY_KEYS.get(key) or next(iter(POLICY_KEYS.values()))
    form.qualifier.choices = [(q, str(label)) for q, label in spec.qualifiers.items()] or [("", "—")]
    status = 200
    if request.method == "POST":
        require(current_user, "policy.edit")
        if submit(form, lambda: services.add_policy_value(current_user, services.PolicyData(
                key=form.key.data, qualifier=form.qualifier.data or "",
                district=District(form.district.data) if form.district.data else None,
                effective_from=form.effective_from.data, value=form.value.data, note=form.note.data or "")) or True):
            flash(_("已添加新的取值，历史取值保留"), "success")
            return redirect_after_post("core.policies", key=form.key.data)
        status = 422
    elif request.args.get("key"):
        form.key.data = key
    rows = services.list_policy_values(current_user)
    return render("core/policies.html", block=request.args.get("block") == "form" and "policy_form" or None,
                  form=form, rows=rows, keys=POLICY_KEYS, today=today_in_shanghai(), http_status=status)


# ---------------------------------------------------------------- audit trail

def _audit_filter() -> services.AuditFilter:
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    return services.AuditFilter(
        entity_type=request.args.get("entity_type", "").strip()[:40],
        entity_id=request.args.get("entity_id", "").strip()[:40],
        username=request.args.get("user", "").strip()[:50], date_from=day("from"), date_to=day("to"))


@bp.get("/audit")
@login_required
def audit_log() -> Response:
    flt = _audit_filter()
    page = services.list_audit(current_user, flt, ZoneInfo(current_app.config["TZ"]), request.args.get("after"),
                               current_app.config["PAGE_SIZE"])
    return render("core/audit.html", block="audit_results", page=page, args=flt.as_args(), flt=flt,
                  entities=sorted(AUDIT_ENTITIES.items(), key=lambda item: str(item[1])))


@bp.get("/audit.xlsx")
@login_required
def audit_export() -> ResponseReturnValue:
    flt = _audit_filter()
    done, rows = attempt(lambda: services.audit_for_export(current_user, flt, ZoneInfo(current_app.config["TZ"])),
                         "warning")
    if not done or rows is None:
        args: dict[str, Any] = flt.as_args()
        return redirect(url_for("core.audit_log", **args))
    return send_file(BytesIO(imports.export_audit(rows, ZoneInfo(current_app.config["TZ"]))), as_attachment=True,
                     download_name="audit-trail.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

