"""证书: 获奖证书 for approved awards, 学徒培训合格证明 for apprentices who passed, printed as PDF, each with a code
and QR code that anyone can check at /verify/<code> without signing in. Builds on ``app.competitions`` (award
lines, results) and ``app.apprenticeships`` (enrollments)."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")

from app.certificates import labels, receivers, record, views  # noqa: E402,F401
