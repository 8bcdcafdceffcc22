from flask import Response
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.apprenticeships import bp
from app.htmx import render

COMING = [
        _l("学徒登记：企业、培训机构与双导师"),
        _l("审核流程与培训补贴（先支后补）"),
        _l("导师带徒学时与带徒津贴"),
]


@bp.get("/")
@login_required
def index() -> Response:
    """Show what this area will offer until it is built."""
    return render("coming_soon.html", title=_l("企业新型学徒制"), coming=COMING)
