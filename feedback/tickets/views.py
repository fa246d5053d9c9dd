"""Ticket pages: the inbox, one ticket with its history and actions, the supervisor's queues.

Every read goes through accounts/scope.py and every change through tickets.lifecycle.apply,
which records the event with the user. Views only parse forms and render.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from feedback.accounts.scope import get_ticket, ticket_in_scope, tickets_query
from feedback.calendar.service import current_calendar
from feedback.directory.rules import add_rule_in_scope
from feedback.directory.models import Unit
from feedback.directory.tree import scoped_units
from feedback.errors import Conflict, InputError
from feedback.extensions import db
from feedback.messages import localize
from feedback.tickets import clocks, lifecycle
from feedback.tickets.listing import TicketFilter, list_tickets, urgent_first
from feedback.tickets.models import CATEGORIES, STATES, Ticket
from feedback.tickets.serialize import reporter
from feedback.tickets.triage import (default_rule_prefix, extension_query, review_query, suggest,
                                     triage_query)
from feedback.tickets.urgency import urgency
from feedback.timeutil import now
from feedback.web.helpers import actor, fmt_dt, paginate, roles_required, safe_next

bp = Blueprint("tickets", __name__)

QUEUE_PAGE = 20  # queue items carry forms; fewer per page than the inbox

# What the person is told when lifecycle refuses a form field (its messages are for the API).
FIELD_MESSAGES = {
    "text": _l("请填写答复内容（不超过 20000 字）。"),
    "reason": _l("请填写理由（不超过 20000 字）。"),
    "days": _l("请填写 1 到 30 之间的工作日数。"),
    "unit": _l("请选择您管辖范围内的单位。"),
    "duplicate_of": _l("请选择或填写另一张工单（留言编号）作为主工单。"),
    "approve": _l("请选择同意或不同意。"),
    "pattern": _l("请填写网址前缀，例如 www.example.gov.cn/news。"),
}


# The inbox's filters, when a value in the address cannot be used.
FILTER_MESSAGES = {
    "state": _l("状态不正确，已显示全部未办结工单。"),
    "category": _l("问题类型不正确，已显示全部未办结工单。"),
    "received_from": _l("转办日期应为“年-月-日”，例如 2026-11-01。"),
    "received_to": _l("转办日期应为“年-月-日”，例如 2026-11-30。"),
    "unit": _l("没有这个单位，或者它不在您的管辖范围内。"),
    "overdue": _l("超期筛选不正确。"),
    "page": _l("页码应为正整数。"),
    "per_page": _l("每页条数应为 1 到 200。"),
}


def field_message(field: str, raw) -> str:
    """Lifecycle messages are the API's (English): the page says it in the person's words.
    Directory checks already speak the person's language (lazy strings)."""
    if not isinstance(raw, str):
        return str(raw)
    return str(FIELD_MESSAGES.get(field) or localize(raw))


# --- lists ------------------------------------------------------------------------------------

def _inbox_filter() -> TicketFilter:
    args = MultiDict(request.args)
    state = args.get("state", "")
    if state == "all":
        args.pop("state")
    flt = TicketFilter.from_args(args)
    flt.open_only = state == ""  # the default view: everything still open
    flt.per_page = min(flt.per_page, 100) if "per_page" in args else current_app.config["PER_PAGE"]
    return flt


@bp.get("/inbox")
@login_required
def inbox():
    at = now()
    try:
        page = list_tickets(actor(), _inbox_filter(), at, order=urgent_first())
        errors = {}
    except InputError as exc:  # a bad filter is named on the page; the open tickets show below it
        page = list_tickets(actor(), TicketFilter(open_only=True), at, order=urgent_first())
        errors = {field: FILTER_MESSAGES.get(field, msg) for field, msg in exc.errors.items()}
    units = _units() if actor().role != "unit_staff" else []
    return render_template(
        "tickets/inbox.html", page=page, rows=_rows(page.items, at), errors=errors,
        states=STATES, categories=CATEGORIES, units=units, args=request.args,
    )


def _rows(tickets, at):
    calendar = current_calendar()
    return [(t, urgency(t, at, calendar)) for t in tickets]


@bp.get("/triage")
@roles_required("supervisor")
def triage():
    page = paginate(triage_query(actor()).options(selectinload(Ticket.unit), selectinload(Ticket.events)),
                    (Ticket.platform_due_at, Ticket.id), per_page=QUEUE_PAGE)
    at = now()
    return render_template(
        "tickets/triage.html", page=page, rows=_rows(page.items, at),
        suggestions=suggest(page.items, actor()), units=_units(), returns=_last_returns(page.items),
    )


@bp.get("/review")
@roles_required("supervisor")
def review():
    page = paginate(review_query(actor()).options(selectinload(Ticket.unit)), (Ticket.replied_at, Ticket.id),
                    per_page=QUEUE_PAGE)
    return render_template("tickets/review.html", page=page, rows=_rows(page.items, now()),
                           reporters={t.id: reporter(t, actor()) for t in page.items})


@bp.get("/extensions")
@roles_required("supervisor")
def extensions():
    page = paginate(extension_query(actor()).options(selectinload(Ticket.unit)), (Ticket.unit_due_at, Ticket.id),
                    per_page=QUEUE_PAGE)
    at, calendar = now(), current_calendar()
    outcomes = {t.id: clocks.extension_outcome(t, t.extension_requested_days, at, calendar) for t in page.items}
    return render_template("tickets/extensions.html", page=page, rows=_rows(page.items, at), outcomes=outcomes)


def _units():
    return scoped_units(actor())


def _last_returns(tickets) -> dict[int, object]:
    """The latest 退回 event of each ticket, to show who returned it and why."""
    out = {}
    for t in tickets:
        for event in reversed(t.events):
            if event.action == "return":
                out[t.id] = event
                break
    return out


# --- one ticket -------------------------------------------------------------------------------

@bp.get("/tickets/<int:ticket_id>")
@login_required
def detail(ticket_id: int):
    ticket = get_ticket(actor(), ticket_id)
    return _render_detail(ticket)


def _render_detail(ticket: Ticket, *, status: int = 200, form=None, errors=None, preview=None):
    me = actor()
    allowed = lifecycle.allowed_actions(ticket, me)
    context = {
        "ticket": ticket,
        "urgency": urgency(ticket, now(), current_calendar()),
        "reporter": reporter(ticket, me),
        "allowed": allowed,
        "form": form or {},
        "errors": errors or {},
        "preview": preview,
        "event_units": _event_units(ticket),
    }
    if "assign" in allowed:
        context["units"] = _units()
        context["suggestion"] = suggest([ticket], me).get(ticket.id)
        context["rule_prefix"] = default_rule_prefix(ticket.url)
    if "invalidate" in allowed:
        context["duplicate_candidates"] = _duplicate_candidates(ticket)
    return render_template("tickets/detail.html", **context), status


def _event_units(ticket: Ticket) -> dict:
    """Unit codes and ids named in the history, resolved to names for the timeline."""
    codes = {e.data.get("unit") for e in ticket.events if isinstance(e.data, dict) and e.data.get("unit")}
    ids = {e.data.get("returned_by_unit_id") for e in ticket.events
           if isinstance(e.data, dict) and e.data.get("returned_by_unit_id")}
    if not codes and not ids:
        return {}
    rows = db.session.execute(sa.select(Unit).where(sa.or_(Unit.code.in_(codes), Unit.id.in_(ids)))).scalars()
    out = {}
    for unit in rows:
        out[unit.code] = unit.name
        out[unit.id] = unit.name
    return out


def _duplicate_candidates(ticket: Ticket) -> list[Ticket]:
    """Tickets the supervisor may mean as the primary one: same URL or same text, in scope."""
    same = [Ticket.description == ticket.description]
    if ticket.url:
        same.append(Ticket.url == ticket.url)
    return db.session.execute(
        tickets_query(actor()).where(Ticket.id != ticket.id, sa.or_(*same))
        .order_by(Ticket.received_at).limit(20)
    ).scalars().all()


# --- actions ----------------------------------------------------------------------------------

def _int_field(form, name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError({name: "a whole number"}) from None


def _primary_ticket(form) -> int | None:
    """The primary of a duplicate, looked up within the supervisor's scope only."""
    ref = (form.get("duplicate_of_text") or "").strip() or (form.get("duplicate_of") or "").strip()
    if not ref:
        return None
    by = Ticket.platform_id == ref
    if ref.isdigit() and not form.get("duplicate_of_text"):
        by = Ticket.id == int(ref)
    found = db.session.execute(tickets_query(actor()).where(by)).scalar_one_or_none()
    if found is None:
        raise InputError({"duplicate_of": "no such ticket in scope"})
    return found.id


def _action_data(action: str, form) -> dict:
    """The lifecycle's input for one action, read from the posted form."""
    if action == "assign":
        return {"unit": form.get("unit", "")}
    if action == "reply":
        return {"text": form.get("text", "")}
    if action in ("reject", "return"):
        return {"reason": form.get("reason", "")}
    if action == "request-extension":
        return {"days": _int_field(form, "days"), "reason": form.get("reason", "")}
    if action == "decide-extension":
        approve = form.get("approve")
        data = {"approve": {"1": True, "0": False}.get(approve)}
        if data["approve"]:
            data["days"] = _int_field(form, "days")
        else:
            data["reason"] = form.get("reason", "")
        return data
    if action == "invalidate":
        data = {"reason": form.get("reason", "")}
        primary = _primary_ticket(form)
        if primary is not None:
            data["duplicate_of"] = primary
        return data
    return {}


DONE_MESSAGES = {
    "assign": _l("已转办。"),
    "accept": _l("已签收。"),
    "reply": _l("答复已提交，等待主管单位审核。"),
    "approve": _l("已审核通过，工单办结。"),
    "reject": _l("已退回重办。"),
    "return": _l("已退回主管单位重新分派。"),
    "request-extension": _l("延期申请已提交。"),
    "decide-extension": _l("延期申请已处理。"),
    "invalidate": _l("已标记为无效。"),
}


def _next_url(ticket_id: int) -> str:
    """Back to the page the form came from, else the ticket, if the person may still see it:
    after 退回 the ticket has left the clerk's scope and its page would be a 404."""
    target = safe_next(request.form.get("next"))
    if target:
        return target
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is not None and ticket_in_scope(actor(), ticket):
        return url_for("tickets.detail", ticket_id=ticket_id)
    return url_for("tickets.inbox")


@bp.post("/tickets/<int:ticket_id>/<action>")
@login_required
def act(ticket_id: int, action: str):
    me = actor()
    ticket = get_ticket(me, ticket_id, for_update=True)  # 404 outside the user's scope
    form = request.form
    if action == "reply" and form.get("op") == "preview":
        text = form.get("text", "")
        errors = {} if text.strip() else {"text": FIELD_MESSAGES["text"]}
        db.session.rollback()
        return _render_detail(ticket, form=form, errors=errors, preview=text.strip() or None,
                              status=422 if errors else 200)
    try:
        data = _action_data(action, form)
        lifecycle.apply(ticket, action, me, now(), data, current_calendar())
        if action == "assign" and form.get("always_route"):
            _add_route_rule(form, ticket)
        db.session.commit()
    except InputError as exc:
        db.session.rollback()
        ticket = get_ticket(me, ticket_id)
        errors = {field: field_message(field, msg) for field, msg in exc.errors.items()}
        errors["_action"] = action
        return _render_detail(ticket, form=form, errors=errors, status=422)
    except Conflict:
        db.session.rollback()
        flash(_("工单状态已经变化，这个操作没有执行。请查看最新状态。"), "warning")
        return redirect(_next_url(ticket_id))
    flash(DONE_MESSAGES.get(action, _("已完成。")), "success")
    if action == "decide-extension" and data.get("approve"):
        _warn_about_extension(ticket)
    return redirect(_next_url(ticket_id))


def _warn_about_extension(ticket: Ticket) -> None:
    """An approved extension that does not help: say so (the approval stands)."""
    at = now()
    if ticket.unit_due_at < at:
        flash(_("注意：延期后的单位期限 %(due)s 仍早于现在，这张工单仍然超期。",
                due=fmt_dt(ticket.unit_due_at)), "warning")
    if ticket.platform_due_at is not None and ticket.unit_due_at > ticket.platform_due_at:
        flash(_("注意：延期后的单位期限 %(due)s 晚于平台期限 %(platform)s，平台期限不会随之顺延。",
                due=fmt_dt(ticket.unit_due_at), platform=fmt_dt(ticket.platform_due_at)), "warning")


def _add_route_rule(form, ticket: Ticket) -> None:
    """"Always route this URL prefix to this unit": a routing rule, in the same transaction."""
    pattern = (form.get("rule_prefix") or "").strip()
    if not pattern:
        raise InputError({"pattern": "required"})
    unit = ticket.unit  # the unit just assigned, already checked to be in scope
    rule = add_rule_in_scope(actor(), "url_prefix", pattern, unit)
    flash(_("已添加转办规则：%(p)s → %(u)s", p=rule.pattern, u=unit.name), "info")
