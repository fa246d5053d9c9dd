"""The FINDING shape of CONTRACT.md."""
from __future__ import annotations

from datetime import datetime

from feedback.findings.rules import is_overdue
from feedback.timeutil import iso


def finding_json(f, at: datetime, *, events: bool = False, attachments: list | None = None) -> dict:
    out = {
        "id": f.id,
        "state": f.state,
        "unit": {"code": f.unit.code, "name": f.unit.name},
        "site_code": f.site_code,
        "account": f.account,
        "category": f.category,
        "category_label": f.category_label,
        "description": f.description,
        "url": f.url,
        "fix_by": f.fix_by.isoformat(),
        "source": f.source,
        "overdue": is_overdue(f.state, f.fix_by, at),
        "ticket_id": f.ticket_id,
        "report": f.report_text,
        "reported_at": iso(f.reported_at),
        "accepted_at": iso(f.accepted_at),
    }
    if attachments is not None:
        out["attachments"] = attachments
    if events:
        out["events"] = [{"at": iso(e.at), "actor": e.actor, "action": e.action, "from_state": e.from_state,
                          "to_state": e.to_state, "data": e.data or {}} for e in f.events]
    return out
