"""Forms: shape and field validation only; business rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.enums import District, DocType, OrgKind, Role, SkillLevel
from app.core.form_base import AppForm
from app.core.policy import POLICY_KEYS

REQUIRED = _l("此项为必填项")


def _enum_or_none(enum_cls):
    return lambda v: enum_cls(v) if v else None


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class OrganisationForm(AppForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    kind = SelectField(_l("类型"), choices=OrgKind.choices, validators=[DataRequired(REQUIRED)])
    uscc = StringField(_l("统一社会信用代码"), validators=[Optional(), Length(max=24)])
    district = SelectField(_l("所在区"), choices=lambda: [("", _l("（市级，无区）"))] + District.choices())
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(_l("联系人手机"), validators=[Optional(), Length(max=20)])
    active = BooleanField(_l("启用"), default=True)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(AppForm):
    username = StringField(_l("用户名"), validators=[DataRequired(REQUIRED), Length(min=3, max=50)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(REQUIRED), Length(max=50)])
    email = EmailField(_l("电子邮箱"), validators=[Optional(), Email(message=_l("电子邮箱格式不正确"))])
    organisation_id = SelectField(_l("所属单位"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    roles = MultiCheckboxField(_l("角色"), choices=Role.choices)
    password = PasswordField(_l("密码"), validators=[Optional(), Length(min=10, message=_l("密码至少10位"))])
    person_id_number = StringField(_l("本人证件号码（个人角色：选手/学徒）"), validators=[Optional(), Length(max=30)])
    active = BooleanField(_l("启用"), default=True)


class PersonForm(AppForm):
    name = StringField(_l("姓名"), validators=[DataRequired(REQUIRED), Length(max=50)])
    doc_type = SelectField(_l("证件类型"), choices=DocType.choices, default=DocType.RIC.value)
    id_number = StringField(_l("证件号码"), validators=[DataRequired(REQUIRED), Length(max=30)])
    phone = StringField(_l("手机号"), validators=[Optional(), Length(max=20)])
    employer_id = SelectField(_l("工作单位"), coerce=_int_or_none, validators=[Optional()])
    birth_date = DateField(_l("出生日期（非身份证时填写）"), validators=[Optional()])
    sex = SelectField(_l("性别（非身份证时填写）"), choices=[("", "—"), ("M", _l("男")), ("F", _l("女"))],
                      validators=[Optional()])


class CertificateForm(AppForm):
    level = SelectField(_l("等级"), choices=SkillLevel.choices, validators=[DataRequired(REQUIRED)])
    occupation_code = SelectField(_l("职业（工种）"), validators=[DataRequired(REQUIRED)])
    issuer = StringField(_l("发证机构"), validators=[DataRequired(REQUIRED), Length(max=100)])
    number = StringField(_l("证书编号"), validators=[DataRequired(REQUIRED), Length(max=50)])
    issued_on = DateField(_l("发证日期"), validators=[InputRequired(REQUIRED)])


class PeopleImportForm(AppForm):
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件")),
        FileAllowed(["xlsx"], _l("只支持 .xlsx 文件")),
    ])


class PolicyValueForm(AppForm):
    key = SelectField(_l("参数"), choices=lambda: [(k, str(v.label)) for k, v in POLICY_KEYS.items()],
                      validators=[DataRequired(REQUIRED)])
    qualifier = SelectField(_l("适用范围"), choices=[], validate_choice=False)
    district = SelectField(_l("适用区"), choices=lambda: [("", _l("全市"))] + District.choices())
    effective_from = DateField(_l("生效日期"), validators=[InputRequired(REQUIRED)])
    value = DecimalField(_l("数值"), places=2, validators=[InputRequired(REQUIRED)])
    note = StringField(_l("依据/备注"), validators=[Optional(), Length(max=200)])


class PersonMergeForm(AppForm):
    """合并重复人员: the other record, and which of the two is kept (the other one is merged into it)."""

    other_id = HiddenField(validators=[DataRequired(REQUIRED)])
    keep = RadioField(_l("保留哪一条记录"), choices=[("this", _l("本记录")), ("other", _l("另一条"))],
                      validators=[InputRequired(REQUIRED)])
