"""Error pages (translated) and the one handler for DomainError."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.htmx import is_htmx, render


class DomainError(Exception):
    """A business rule refused the action; the message is already translated for the user.

    ``field`` names the form field the message belongs next to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        """A refusal no view caught: shown once, on a whole page (never swapped into a fragment target)."""
        response = render("error.html", http_status=422, code=422, title=_("无法完成操作"), message=exc.message)
        if is_htmx():
            response.headers["HX-Retarget"] = "body"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Response:
        return render("error.html", http_status=400, code=400, title=_("页面已过期"),
                      message=_("安全令牌无效或已过期，请刷新页面后重试。"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        titles = {
            400: _("请求有误"), 403: _("没有权限"), 404: _("页面不存在"), 405: _("不支持该操作"),
            413: _("文件过大"), 422: _("无法处理"), 429: _("操作过于频繁"),
        }
        messages = {
            403: _("您没有执行此操作的权限。如需开通，请联系本单位管理员。"),
            404: _("您要找的页面不存在或已被删除。"),
            400: _("请求格式不正确，请返回后重试。"),
            405: _("此地址不支持该操作，请从页面上的按钮进入。"),
            413: _("上传的文件过大（上限 16 MB）。"),
            429: _("尝试次数过多，请稍后再试。"),
        }
        code = exc.code or 500
        if code not in titles:
            return exc
        if request.path.startswith("/static/"):
            return exc
        return render("error.html", http_status=code, code=code, title=titles[code],
                      message=messages.get(code, ""))

    @app.errorhandler(500)
    def server_error(exc: Exception) -> tuple[str, int]:
        return render_template("error.html", code=500, title=_("服务器错误"),
                               message=_("系统出现错误，已记录。请稍后重试。")), 500
