"""Filling a template for one ticket; recording its use; the office's usage table."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from feedback.errors import InputError
from feedback.extensions import db
from feedback.knowledge.models import ReplyTemplate, TemplateUse
from feedback.tickets.models import CATEGORIES
from feedback.timeutil import local_date

MAX_TITLE = 200
MAX_BODY = 20_000
_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")


def _date(t: datetime | None) -> str:
    if t is None:
        return ""
    d = local_date(t)
    return f"{d.year}年{d.month}月{d.day}日"


def _site(ticket, at=None) -> str:
    if ticket.site_property is not None:
        return ticket.site_property.name
    return ticket.site_name or ""


# Each placeholder under its English and its Chinese name: the office writes either.
PLACEHOLDERS = {
    ("site", "网站"): _site,
    ("url", "网址"): lambda t, at: t.url or "",
    ("submitted", "留言日期"): lambda t, at: _date(t.submitted_at or t.received_at),
    ("received", "转办日期"): lambda t, at: _date(t.received_at),
    ("today", "今天"): lambda t, at: _date(at),
    ("unit", "单位"): lambda t, at: t.unit.name if t.unit else "",
    ("platform_id", "留言编号"): lambda t, at: t.platform_id,
}
_BY_NAME = {name: fn for names, fn in PLACEHOLDERS.items() for name in names}


def placeholder_names() -> list[tuple[str, str]]:
    return list(PLACEHOLDERS)


def render(template: ReplyTemplate, ticket, at: datetime) -> str:
    """The template's text with this ticket's values in its placeholders."""
    def value(match):
        fn = _BY_NAME.get(match.group(1))
        if fn is None:
            return match.group(0)
        return fn(ticket, at)

    return _PLACEHOLDER.sub(value, template.body)


def _check(title, body, category) -> tuple[str, str, str | None]:
    errors = {}
    title = (title or "").strip()
    body = (body or "").strip()
    category = (category or "").strip() or None
    if not title or len(title) > MAX_TITLE:
        errors["title"] = f"required, at most {MAX_TITLE} characters"
    if not body or len(body) > MAX_BODY:
        errors["body"] = f"required, at most {MAX_BODY} characters"
    else:
        unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(body)} - set(_BY_NAME))
        if unknown:
            errors["body"] = "unknown placeholder: " + ", ".join("{" + u + "}" for u in unknown)
    if category is not None and category not in CATEGORIES:
        errors["category"] = "one of " + ", ".join(CATEGORIES)
    if errors:
        raise InputError(errors)
    return title, body, category


def save_template(template: ReplyTemplate | None, *, title, body, category, active: bool, actor,
                  at: datetime) -> ReplyTemplate:
    title, body, category = _check(title, body, category)
    if template is None:
        template = ReplyTemplate()
        db.session.add(template)
    template.title, template.body, template.category, template.active = title, body, category, active
    template.updated_by, template.updated_at = actor.label, at
    db.session.flush()
    return template


def templates_for(category: str | None = None) -> list[ReplyTemplate]:
    """Active templates: the ticket's category first, then those for any category."""
    query = sa.select(ReplyTemplate).where(ReplyTemplate.active.is_(True))
    if category is not None:
        query = query.where(sa.or_(ReplyTemplate.category == category, ReplyTemplate.category.is_(None)))
    rows = db.session.execute(query.order_by(ReplyTemplate.title, ReplyTemplate.id)).scalars().all()
    return sorted(rows, key=lambda t: t.category is None)


def active_template(ref) -> ReplyTemplate:
    """The template a reply names, or InputError naming `template_id`."""
    if isinstance(ref, bool) or not isinstance(ref, int):
        raise InputError({"template_id": "the id of a reply template"})
    template = db.session.get(ReplyTemplate, ref)
    if template is None or not template.active:
        raise InputError({"template_id": f"no active reply template {ref}"})
    return template


def record_use(template_id: int, ticket, reply_event, at: datetime) -> None:
    db.session.add(TemplateUse(template_id=template_id, ticket_id=ticket.id, reply_event_id=reply_event.id, at=at))


def record_rejection(ticket, reject_event) -> None:
    """退回重办 of a reply built from a template: count it against that template."""
    use = db.session.execute(
        sa.select(TemplateUse).where(TemplateUse.ticket_id == ticket.id, TemplateUse.rejected_event_id.is_(None))
        .order_by(TemplateUse.id.desc()).limit(1)).scalar_one_or_none()
    if use is not None:
        use.rejected_event_id = reject_event.id


@dataclass
class Usage:
    template: ReplyTemplate
    used: int  # replies built from it
    rejected: int  # of those, sent back (退回重办)

    @property
    def rejected_rate(self) -> float | None:
        return self.rejected / self.used if self.used else None


def usage() -> list[Usage]:
    """Every template with its counts, in one grouped query."""
    counts = (sa.select(TemplateUse.template_id, sa.func.count().label("used"),
                        sa.func.count(TemplateUse.rejected_event_id).label("rejected"))
              .group_by(TemplateUse.template_id).subquery())
    rows = db.session.execute(
        sa.select(ReplyTemplate, sa.func.coalesce(counts.c.used, 0), sa.func.coalesce(counts.c.rejected, 0))
        .outerjoin(counts, counts.c.template_id == ReplyTemplate.id)
        .order_by(ReplyTemplate.active.desc(), ReplyTemplate.category, ReplyTemplate.title)).all()
    return [Usage(t, used, rejected) for t, used, rejected in rows]
