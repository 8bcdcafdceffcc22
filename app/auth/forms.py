from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.core.form_base import AppForm


class LoginForm(AppForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码"))])
    remember = BooleanField(_l("记住我"))
