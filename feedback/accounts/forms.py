"""Forms of the account pages. Flask-WTF adds the CSRF token (`csrf_token`) to each."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from feedback.accounts.models import ROLES
from feedback.i18n import LOCALES
from feedback.web.helpers import ROLE_LABELS

MIN_PASSWORD = 8

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice as _Choice

    def choice(value: str, label) -> object:
        return _Choice(value, label)
except ImportError:  # pragma: no cover - older WTForms
    def choice(value: str, label) -> object:
        return (value, label)


class LoginForm(FlaskForm):
    # CONTRACT.md: Web — a form with `username`, `password` and a CSRF token.
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=200)])


def _not_username(form, field):
    name = getattr(form, "_username", None) or (form.username.data if hasattr(form, "username") else None)
    if name and field.data and field.data.strip().lower() == name.strip().lower():
        raise ValidationError(_l("密码不能与用户名相同"))


NEW_PASSWORD = [
    DataRequired(_l("请输入新密码")),
    Length(min=MIN_PASSWORD, max=200, message=_l("密码至少 %(n)d 个字符", n=MIN_PASSWORD)),
    _not_username,
]


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))])
    new = PasswordField(_l("新密码"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(_l("请再次输入新密码")), EqualTo("new", _l("两次输入的新密码不一致"))])

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._username = username


class LocaleForm(FlaskForm):
    locale = SelectField(choices=[choice(code, code) for code in LOCALES])


class UserCreateForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[
        DataRequired(_l("请输入用户名")), Length(max=80),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("用户名只能包含字母、数字和 _ . @ -")),
    ])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=120)])
    email = StringField(_l("电子邮箱"), validators=[Optional(), Length(max=200)])
    # The least powerful role by default: a supervisor account is a deliberate choice.
    role = SelectField(_l("角色"), choices=[choice(r, ROLE_LABELS[r]) for r in ROLES], default="unit_staff")
    unit = SelectField(_l("单位"), choices=[])
    password = PasswordField(_l("初始密码"), validators=NEW_PASSWORD)


class UserEditForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=120)])
    email = StringField(_l("电子邮箱"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("角色"), choices=[choice(r, ROLE_LABELS[r]) for r in ROLES])
    unit = SelectField(_l("单位"), choices=[])
    active = BooleanField(_l("启用"))
    password = PasswordField(_l("重设密码（留空则不变）"), validators=[
        Optional(), Length(min=MIN_PASSWORD, max=200, message=_l("密码至少 %(n)d 个字符", n=MIN_PASSWORD)),
    ])
