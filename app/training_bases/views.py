from flask import Response
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.htmx import render
from app.training_bases import bp

COMING = [
        _l("基地认定与设施管理"),
        _l("集训营与训练课程日历（防止冲突）"),
        _l("教练训练日志与选手进度"),
]


@bp.get("/")
@login_required
def index() -> Response:
    """Show what this area will offer until it is built."""
    return render("coming_soon.html", title=_l("集训基地"), coming=COMING)
