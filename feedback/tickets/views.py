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
from feedback.attachments import service as attachments
from feedback.attachments import store as attachment_store
from feedback.calendar.service import current_calendar
from feedback.directory.rules import add_rule_in_scope
from feedback.directory.models import Unit
from feedback.directory.tree import scoped_units
from feedback.errors import Conflict, InputError
from feedback.extensions import db
from feedback.figures import rules
from feedback.knowledge import service as knowledge
from feedback.messages import localize
from feedback.tickets import clocks, duplicates, handoffs, lifecycle
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
    "internal": _l("请选择备注是否仅内部可见。"),
    "attachments": _l("附件无效或已用于其他答复或备注，请重新上传。"),
    "file": _l("只能上传 PNG、JPEG 图片或 PDF、DOCX、XLSX 文件（按文件内容识别）。"),
    "template_id": _l("该答复模板已停用，请重新选择。"),
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
        **_inbox_findings(at),
    )


def _inbox_findings(at) -> dict:
    """A clerk's unit's findings not yet accepted, beside its tickets, most urgent first."""
    if actor().role != "unit_staff":
        return {}
    from feedback.findings.listing import FindingFilter, list_findings
    from feedback.findings.rules import is_overdue

    page = list_findings(actor(), FindingFilter(open_only=True, per_page=10), at)
    return {"findings": page, "findings_at": at, "finding_overdue": is_overdue}


def _rows(tickets, at):
    calendar = current_calendar()
    return [(t, urgency(t, at, calendar)) for t in tickets]


@bp.get("/triage")
@roles_required("supervisor")
def triage():
    page = paginate(triage_query(actor()).options(selectinload(Ticket.unit), selectinload(Ticket.events)),
                    (Ticket.platform_due_at, Ticket.id), per_page=QUEUE_PAGE)
    at = now()
    flagged = db.session.execute(duplicates.flagged_query(actor()).options(selectinload(Ticket.unit))
                                 .order_by(Ticket.received_at.desc(), Ticket.id.desc())
                                 .limit(QUEUE_PAGE + 1)).scalars().all()
    flags = duplicates.shown_flags(actor(), [t.id for t in page.items] + [t.id for t in flagged])
    return render_template(
        "tickets/triage.html", page=page, rows=_rows(page.items, at),
        suggestions=suggest(page.items, actor()), units=_units(), returns=_last_returns(page.items),
        flags=flags, flagged=[t for t in flagged[:QUEUE_PAGE] if t.id in flags],
        more_flagged=len(flagged) > QUEUE_PAGE,
    )


@bp.get("/review")
@roles_required("supervisor")
def review():
    page = paginate(review_query(actor()).options(selectinload(Ticket.unit)), (Ticket.replied_at, Ticket.id),
                    per_page=QUEUE_PAGE)
    replies = _last_replies([t.id for t in page.items])
    files = attachments.of_events([e.id for e in replies.values()])
    return render_template("tickets/review.html", page=page, rows=_rows(page.items, now()),
                           reporters={t.id: reporter(t, actor()) for t in page.items},
                           replies=replies, files={tid: files.get(e.id, []) for tid, e in replies.items()})


def _last_replies(ticket_ids) -> dict:
    """The reply event each ticket awaits review for (its latest), in one query."""
    if not ticket_ids:
        return {}
    from feedback.tickets.models import TicketEvent

    latest = (sa.select(sa.func.max(TicketEvent.id)).where(TicketEvent.ticket_id.in_(ticket_ids),
                                                          TicketEvent.action == "reply")
              .group_by(TicketEvent.ticket_id))
    rows = db.session.execute(sa.select(TicketEvent).where(TicketEvent.id.in_(latest))).scalars()
    return {e.ticket_id: e for e in rows}


@bp.get("/extensions")
@roles_required("supervisor")
def extensions():
    page = paginate(extension_query(actor()).options(selectinload(Ticket.unit)), (Ticket.unit_due_at, Ticket.id),
                    per_page=QUEUE_PAGE)
    at, calendar = now(), current_calendar()
    outcomes = {t.id: clocks.extension_outcome(t, t.extension_requested_days, at, calendar) for t in page.items}
    return render_template("tickets/extensions.html", page=page, rows=_rows(page.items, at), outcomes=outcomes,
                           deciders=lifecycle.extensions_decided_above(page.items, actor()))


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


def _render_detail(ticket: Ticket, *, status: int = 200, form=None, errors=None, preview=None,
                   pending=None, held=None, filled=None):
    """`pending`: uploads the form carries (not yet on a reply or note); `held`: the personal
    data the guard found in the text; `filled`: the text and id of the template just picked."""
    me = actor()
    allowed = lifecycle.allowed_actions(ticket, me)
    files = attachments.of_events([e.id for e in ticket.events])
    context = {
        "files": files,
        "reply_files": _reply_files(ticket, files),
        "pending": pending or [],
        "held": held,
        "filled": filled,
        "flag": duplicates.shown_flags(me, [ticket.id]).get(ticket.id),
        "ticket": ticket,
        "urgency": urgency(ticket, now(), current_calendar()),
        "reporter": reporter(ticket, me),
        "allowed": allowed,
        "form": form or {},
        "errors": errors or {},
        "preview": preview,
        "event_units": _event_units(ticket),
        "handoffs": handoffs.history(ticket),
    }
    if "assign" in allowed or "reassign" in allowed:
        context["units"] = _units()
        context["suggestion"] = suggest([ticket], me).get(ticket.id)
        context["rule_prefix"] = default_rule_prefix(ticket.url)
    if "invalidate" in allowed:
        context["duplicate_candidates"] = _duplicate_candidates(ticket)
    if "reply" in allowed:
        context["templates"] = knowledge.templates_for(ticket.category)
    if "decide-extension" in allowed:
        context["extension_decider"] = lifecycle.extensions_decided_above([ticket], me)[ticket.id]
    return render_template("tickets/detail.html", **context), status


def _reply_files(ticket: Ticket, files: dict) -> list:
    """The files of the reply shown on the ticket (its latest)."""
    replies = [e for e in ticket.events if e.action == "reply"]
    return files.get(replies[-1].id, []) if replies and ticket.reply_text else []


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
    if action in ("assign", "reassign"):
        return {"unit": form.get("unit", "")}
    if action in ("reply", "note"):
        data = {"text": form.get("text", ""), "confirm": form.get("confirm") == "1"}
        if action == "note":
            data["internal"] = form.get("internal") == "1"
        elif form.get("template_id"):
            data["template_id"] = _int_field(form, "template_id")
        return data
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
    "reassign": _l("已改派。"),
    "request-extension": _l("延期申请已提交。"),
    "decide-extension": _l("延期申请已处理。"),
    "invalidate": _l("已标记为无效。"),
    "note": _l("备注已保存。"),
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
    if action in ("reply", "note"):
        return _reply_or_note(ticket, action)
    form = request.form
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


def _carried_uploads(ticket: Ticket) -> list:
    """The uploads this form carries: files sent just now (kept at once, so a preview or a
    warning never asks for them again) and those kept by an earlier round (hidden ids)."""
    carried = []
    for raw in request.form.getlist("attachment"):
        if raw.isdigit():
            carried.append(int(raw))
    try:
        kept = attachments.unattached(ticket, carried)
    except InputError:
        kept = []  # stale ids (used meanwhile): dropped, the person sees the list without them
    for upload in request.files.getlist("files"):
        if upload and upload.filename:
            kept.append(attachments.upload(actor(), ticket.id, upload.stream, upload.filename, now()))
    return kept


def _reply_or_note(ticket: Ticket, action: str):
    """The reply and note forms: upload, pick a template, preview, warn, submit (one view,
    because every round keeps the text and the files the person has given so far)."""
    me = actor()
    request.max_content_length = attachment_store.body_limit()  # files ride with the form
    form = request.form
    try:
        pending = _carried_uploads(ticket)
    except InputError as exc:
        db.session.rollback()
        ticket = get_ticket(me, ticket.id)
        errors = {"file": field_message("file", exc.errors.get("file")), "_action": action}
        return _render_detail(ticket, form=form, errors=errors, status=422)
    db.session.commit()  # the uploads are kept whatever happens to the text
    ticket = get_ticket(me, ticket.id, for_update=True)
    op = form.get("op", "submit")
    if action == "reply" and op == "template":
        return _fill_template(ticket, form, pending)
    if action == "reply" and op == "preview":
        text = form.get("text", "").strip()
        errors = {} if text else {"text": FIELD_MESSAGES["text"], "_action": action}
        found = _personal_data(ticket, text)
        return _render_detail(ticket, form=form, errors=errors, preview=text or None, pending=pending,
                              held=found or None, status=422 if errors else 200)
    data = _action_data(action, form)
    data["attachments"] = [a.id for a in pending]
    try:
        lifecycle.apply(ticket, action, me, now(), data, current_calendar())
        db.session.commit()
    except lifecycle.PersonalDataHeld as exc:
        db.session.rollback()
        ticket = get_ticket(me, ticket.id)
        errors = {"text": _("内容中有个人信息（%(kinds)s）。请删除后再提交；确需保留的，请勾选确认。",
                            kinds=_privacy_names(exc.kinds)), "_action": action}
        return _render_detail(ticket, form=form, errors=errors, pending=pending, held=exc.kinds,
                              preview=form.get("text", "").strip() if action == "reply" else None, status=422)
    except InputError as exc:
        db.session.rollback()
        ticket = get_ticket(me, ticket.id)
        errors = {field: field_message(field, msg) for field, msg in exc.errors.items()}
        errors["_action"] = action
        return _render_detail(ticket, form=form, errors=errors, pending=pending, status=422)
    except Conflict:
        db.session.rollback()
        flash(_("工单状态已经变化，这个操作没有执行。请查看最新状态。"), "warning")
        return redirect(url_for("tickets.detail", ticket_id=ticket.id))
    flash(DONE_MESSAGES[action], "success")
    return redirect(_next_url(ticket.id))


def _personal_data(ticket: Ticket, text: str) -> list[str]:
    from feedback import privacy

    return privacy.kinds(privacy.find_personal_data(text, ticket))


def _privacy_names(kinds) -> str:
    from feedback.web.helpers import PRIVACY_LABELS

    return "、".join(str(PRIVACY_LABELS.get(k, k)) for k in kinds)


def _fill_template(ticket: Ticket, form, pending):
    """The picked template, filled for this ticket, in the reply box for the clerk to edit."""
    try:
        template = knowledge.active_template(_int_field(form, "template_pick"))
    except InputError:
        errors = {"template_id": FIELD_MESSAGES["template_id"], "_action": "reply"}
        return _render_detail(ticket, form=form, errors=errors, pending=pending, status=422)
    text = knowledge.render(template, ticket, now())
    filled = MultiDict(form)
    filled.setlist("text", [text])
    filled.setlist("template_id", [str(template.id)])
    return _render_detail(ticket, form=filled, pending=pending, filled=template)


def _warn_about_extension(ticket: Ticket) -> None:
    """An approved extension that does not help: say so (the approval stands)."""
    if rules.past_due(ticket.unit_due_at, now()):
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
