from flask import Response
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.htmx import render
from app.supervision import bp

COMING = [
        _l("每人一份技能档案"),
        _l("对照规划目标的数据看板"),
        _l("风险发现提示"),
]


@bp.get("/")
@login_required
def index() -> Response:
    """Show what this area will offer until it is built."""
    return render("coming_soon.html", title=_l("监管"), coming=COMING)
