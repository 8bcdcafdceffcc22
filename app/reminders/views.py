from flask import Response
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.htmx import render
from app.reminders import bp

COMING = [
        _l("各类截止日期按时提醒（邮件与站内信）"),
        _l("每条提醒只发送一次，重启后补发"),
]


@bp.get("/")
@login_required
def index() -> Response:
    """Show what this area will offer until it is built."""
    return render("coming_soon.html", title=_l("提醒"), coming=COMING)
