from flask import Response
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app.competitions import bp
from app.htmx import render

COMING = [
        _l("世赛、国赛、市赛、区赛、岗位练兵五级竞赛金字塔"),
        _l("大赛与赛项登记、参赛资格规则"),
        _l("单位报名（表单或 Excel 导入）与审核"),
        _l("评分方案、三人评判打分、成绩与奖牌"),
        _l("选手梯队、集训队阶段考核"),
]


@bp.get("/")
@login_required
def index() -> Response:
    """Show what this area will offer until it is built."""
    return render("coming_soon.html", title=_l("技能竞赛"), coming=COMING)
