"""Thin views of certificates: an event's certificates (issue, print, revoke, re-issue), an apprentice's 合格证明,
one certificate's PDF, and the public verification page."""

from __future__ import annotations

import time
from io import BytesIO

from flask import Response, current_app, flash, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.certificates import bp, services
from app.certificates.forms import RevokeForm
from app.certificates.models import IssuedCertificate
from app.competitions.events import services as event_services
from app.core.types import utcnow
from app.core.views import attempt, today_in_shanghai
from app.extensions import limiter
from app.htmx import redirect_after_post, render


def _base_url() -> str:
    """Where the printed QR codes point: CERTIFICATE_BASE_URL when set (the public address), else this site."""
    return current_app.config.get("CERTIFICATE_BASE_URL") or request.host_url


def _render_pdf(certificates: list[IssuedCertificate], base_url: str) -> bytes:
    # WeasyPrint (and Pillow, fonts) load on the first print, not in every web worker (issue 21: worker memory).
    from app.certificates import documents

    return documents.render_pdf(certificates, base_url)


def _pdf(data: bytes, name: str) -> Response:
    return send_file(BytesIO(data), as_attachment=True, download_name=name, mimetype="application/pdf")


# ---------------------------------------------------------------- an event's certificates

def _event_page(event, status: int = 200, form: RevokeForm | None = None, errors: dict | None = None) -> Response:
    certificates = services.event_certificates(current_user, event, include_revoked=True)
    return render("certificates/event.html", event=event, certificates=certificates,
                  valid=sum(1 for c in certificates if c.revoked_at is None),
                  pending=services.pending_count(event), form=form or RevokeForm(prefix="revoke"),
                  errors=errors or {}, http_status=status)


@bp.get("/certificates/events/<int:event_id>")
@login_required
def event_certificates(event_id: int) -> Response:
    return _event_page(event_services.get_event(current_user, event_id))


@bp.post("/certificates/events/<int:event_id>/issue")
@login_required
def event_issue(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    done, n = attempt(lambda: services.issue_for_event(current_user, event, today_in_shanghai(), utcnow()))
    if done:
        flash(_("已签发 %(n)d 张获奖证书", n=n), "success")
    return redirect_after_post("certificates.event_certificates", event_id=event.id)


@bp.get("/certificates/events/<int:event_id>/certificates.pdf")
@login_required
def event_pdf(event_id: int) -> Response:
    event = event_services.get_event(current_user, event_id)
    certificates = services.event_certificates(current_user, event)
    if not certificates:
        flash(_("还没有签发证书"), "warning")
        return redirect_after_post("certificates.event_certificates", event_id=event.id)
    return _pdf(_render_pdf(certificates, _base_url()), f"certificates-event-{event.id}.pdf")


@bp.post("/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(certificate_id: int) -> Response:
    certificate = services.get(certificate_id)
    form = RevokeForm(prefix="revoke")
    done, _result = attempt(lambda: services.revoke(current_user, certificate_id, form.reason.data or "", utcnow()))
    if done:
        flash(_("证书 %(number)s 已作废", number=certificate.number), "warning")
    return _back(certificate)


@bp.post("/certificates/<int:certificate_id>/reissue")
@login_required
def reissue(certificate_id: int) -> Response:
    certificate = services.get(certificate_id)
    done, new = attempt(lambda: services.reissue(current_user, certificate_id, today_in_shanghai(), utcnow()))
    if done and new is not None:
        flash(_("已重新签发，新证书编号 %(number)s", number=new.number), "success")
    return _back(certificate)


def _back(certificate) -> Response:
    if certificate.event_id is not None:
        return redirect_after_post("certificates.event_certificates", event_id=certificate.event_id)
    return redirect_after_post("apprenticeships.enrollment_detail", enrollment_id=certificate.enrollment_id)


# ---------------------------------------------------------------- apprentices, one certificate

@bp.post("/certificates/enrollments/<int:enrollment_id>/issue")
@login_required
def enrollment_issue(enrollment_id: int) -> Response:
    done, certificate = attempt(lambda: services.issue_for_enrollment(current_user, enrollment_id,
                                                                      today_in_shanghai(), utcnow()))
    if done and certificate is not None:
        flash(_("已签发学徒培训合格证明 %(number)s", number=certificate.number), "success")
    return redirect_after_post("apprenticeships.enrollment_detail", enrollment_id=enrollment_id)


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int) -> Response:
    certificate = services.for_download(current_user, certificate_id)
    return _pdf(_render_pdf([certificate], _base_url()), f"certificate-{certificate.number}.pdf")


# ---------------------------------------------------------------- public verification

@bp.get("/verify/<code>")
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def verify(code: str) -> Response:
    """No sign-in. Shows only: valid or revoked, the masked name, what was awarded, the issue date and issuer.

    Every answer takes at least VERIFY_MIN_SECONDS: a wrong code, a revoked and a valid one do the same look-up
    and render the same page, and the floor evens out what is left (fewer labels to fill in for a wrong code)."""
    started = time.perf_counter()
    response = render("certificates/verify.html", result=services.verify(code))
    time.sleep(max(0.0, float(current_app.config["VERIFY_MIN_SECONDS"]) - (time.perf_counter() - started)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
