"""Forms of 企业新型学徒制: shape and field validation only (the rules live in rules.py and services.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.apprenticeships.enums import DocumentKind, HireType, ModuleKind
from app.apprenticeships.rules import TARGET_LEVELS
from app.core.form_base import AppForm

REQUIRED = _l("此项为必填项")


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _target_levels() -> list[tuple[str, str]]:
    return [(level.value, level.label) for level in TARGET_LEVELS]


class ClassForm(AppForm):
    name = StringField(_l("班级名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    institution_id = SelectField(_l("培训机构"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    occupation_code = SelectField(_l("职业（工种）"), validators=[DataRequired(REQUIRED)])
    target_level = SelectField(_l("目标等级"), choices=_target_levels, validators=[DataRequired(REQUIRED)])


class ModuleForm(Form):
    """One row of the training plan (a blank row is ignored)."""

    name = StringField(_l("模块名称"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("类型"), choices=ModuleKind.choices, default=ModuleKind.CLASSROOM.value)
    hours = IntegerField(_l("计划学时"), validators=[Optional(), NumberRange(1, 10000, _l("学时应为1–10000"))])


class EnrollmentForm(AppForm):
    person_id = SelectField(_l("学徒"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    hire_type = SelectField(_l("用工类型"), choices=HireType.choices, default=HireType.NEW_HIRE.value)
    institution_id = SelectField(_l("培训机构"), coerce=_int_or_none, validators=[InputRequired(REQUIRED)])
    # Any person may be picked here; the service says why a mentor does not qualify (the wrong employer …).
    enterprise_mentor_id = SelectField(_l("企业导师"), coerce=_int_or_none, validate_choice=False,
                                       validators=[InputRequired(REQUIRED)])
    institution_mentor_id = SelectField(_l("院校导师"), coerce=_int_or_none, validate_choice=False,
                                        validators=[InputRequired(REQUIRED)])
    occupation_code = SelectField(_l("职业（工种）"), validators=[DataRequired(REQUIRED)])
    target_level = SelectField(_l("目标等级"), choices=_target_levels, validators=[DataRequired(REQUIRED)])
    contract_starts_on = DateField(_l("劳动合同起始日"), validators=[InputRequired(REQUIRED)])
    contract_ends_on = DateField(_l("劳动合同终止日（无固定期限留空）"), validators=[Optional()])
    starts_on = DateField(_l("培训开始日期"), validators=[InputRequired(REQUIRED)])
    ends_on = DateField(_l("培训结束日期"), validators=[InputRequired(REQUIRED)])
    extension_reason = StringField(_l("延期原因（超过2年时必填）"), validators=[Optional(), Length(max=300)])
    modules = FieldList(FormField(ModuleForm), min_entries=4, max_entries=20)


class DocumentForm(AppForm):
    kind = SelectField(_l("文件类型"), choices=DocumentKind.choices, validators=[DataRequired(REQUIRED)])
    file = FileField(_l("文件（PDF、PNG 或 JPEG）"), validators=[
        FileRequired(_l("请选择要上传的文件")),
        FileAllowed(["pdf", "png", "jpg", "jpeg"], _l("只支持 PDF、PNG 或 JPEG 文件"))])


class ClassImportForm(AppForm):
    file = FileField(_l("Excel 文件（.xlsx）"), validators=[
        FileRequired(_l("请选择要上传的文件")), FileAllowed(["xlsx"], _l("只支持 .xlsx 文件"))])
