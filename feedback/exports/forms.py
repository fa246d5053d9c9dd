"""The two request forms of the exports page: a closure export and a quarterly assessment."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from feedback import formats
from feedback.exports.periods import PeriodError, Quarter, parse_month, parse_quarter, parse_range, previous_month

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice as _Choice
except ImportError:  # pragma: no cover - older WTForms
    _Choice = None


def choice(value: str, label):
    return _Choice(value, label) if _Choice is not None else (value, label)


class ClosureForm(FlaskForm):
    kind = HiddenField(default="closure")
    month = StringField(_l("月份"), render_kw={"type": "month", "placeholder": "2026-10"})
    date_from = StringField(_l("或：开始日期"), render_kw={"type": "date"})
    date_to = StringField(_l("结束日期"), render_kw={"type": "date"})
    format = SelectField(_l("格式"), choices=[choice("xlsx", "Excel (XLSX)"), choice("csv", "CSV")], default="xlsx")

    period = None

    def validate_month(self, field):
        has_range = bool(self.date_from.data or self.date_to.data)
        if field.data and has_range:
            raise ValidationError(_l("请只填月份，或只填开始和结束日期。"))
        if not field.data and not has_range:
            raise ValidationError(_l("请选择月份，或填写开始和结束日期。"))
        try:
            if field.data:
                self.period = parse_month(field.data)
            else:
                self.period = parse_range(self.date_from.data, self.date_to.data)
        except PeriodError:
            raise ValidationError(_l("日期不正确：月份如 2026-10，日期如 2026-10-31，结束日期不能早于开始日期。")) \
                from None


def recent_quarters(today: date, count: int = 8) -> list[Quarter]:
    year, number = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(Quarter(year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return out


class AssessmentForm(FlaskForm):
    kind = HiddenField(default="assessment")
    quarter = SelectField(_l("季度"), choices=[], validate_choice=False)
    date_from = StringField(_l("或：开始日期"), render_kw={"type": "date"})
    date_to = StringField(_l("结束日期"), render_kw={"type": "date"})
    format = SelectField(_l("格式"), choices=[choice("docx", _l("通报草稿 (DOCX)")),
                                             choice("xlsx", "Excel (XLSX)"), choice("json", "JSON")], default="docx")

    window = None  # a Quarter, or a Period from one cut-off to the next

    def fill_quarters(self, today: date) -> None:
        self.quarter.choices = [choice(q.label, formats.quarter(q.year, q.number)) for q in recent_quarters(today)]

    def validate_quarter(self, field):
        # dates given: a window (the quarter's select always holds a value and is then ignored)
        try:
            if self.date_from.data or self.date_to.data:
                self.window = parse_range(self.date_from.data, self.date_to.data)
            else:
                self.window = parse_quarter(field.data)
        except PeriodError:
            raise ValidationError(_l("请选择季度，或填写开始和结束日期（如 2026-10-31），结束日期不能早于开始日期。")) \
                from None


def default_month(today: date) -> str:
    return previous_month(today).date_from.strftime("%Y-%m")
