"""Forms of the directory admin (units, properties, routing rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from feedback.accounts.forms import choice
from feedback.directory.models import PROPERTY_KINDS, RULE_KINDS, UNIT_KINDS
from feedback.web.helpers import PROPERTY_KIND_LABELS, RULE_KIND_LABELS, UNIT_KIND_LABELS

CODE = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("编码只能包含字母、数字和 _ . -"))


class UnitForm(FlaskForm):
    code = StringField(_l("单位编码"), validators=[DataRequired(_l("请填写单位编码")), Length(max=64), CODE])
    name = StringField(_l("单位名称"), validators=[DataRequired(_l("请填写单位名称")), Length(max=200)])
    kind = SelectField(_l("类型"), choices=[choice(k, UNIT_KIND_LABELS[k]) for k in UNIT_KINDS], default="department")
    parent = SelectField(_l("上级单位"), choices=[])


class PropertyForm(FlaskForm):
    unit = SelectField(_l("主办单位"), choices=[])
    kind = SelectField(_l("类型"), choices=[choice(k, PROPERTY_KIND_LABELS[k]) for k in PROPERTY_KINDS])
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=200)])
    site_code = StringField(_l("网站标识码"), validators=[Optional(), Length(max=32)])
    url_prefixes = TextAreaField(_l("网址前缀（每行一个）"), validators=[Optional(), Length(max=5000)])
    account = StringField(_l("新媒体账号名称"), validators=[Optional(), Length(max=200)])

    def prefix_list(self) -> list[str]:
        raw = (self.url_prefixes.data or "").replace(";", "\n")
        return [line.strip() for line in raw.splitlines() if line.strip()]


class RuleForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=[choice(k, RULE_KIND_LABELS[k]) for k in RULE_KINDS], default="url_prefix")
    pattern = StringField(_l("匹配内容"), validators=[DataRequired(_l("请填写网址前缀、网站标识码或账号名称")), Length(max=500)])
    unit = SelectField(_l("转给单位"), choices=[])
