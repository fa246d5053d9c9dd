"""python -m bench.duplicate_precision [--seed N]: how often the likely-duplicate flag is right.

Seeds the demo (`feedback seed-demo`) into a temporary SQLite database and compares the flags
with the demo's truth: the reports it sends twice, which its supervisors mark duplicate
(invalidate with duplicate_of). Two measures, printed as one JSON object:

- `at_ingest`: the flags ingest stored. The demo receives every report before any later step,
  so each report is compared with every earlier one, as if nothing had been closed yet.
- `replay`: each report compared, with the same rule (tickets/duplicates.py `best`), with the
  tickets that were really open when it arrived (received, not yet closed or marked invalid).

A flag is right when the flagged ticket was marked a duplicate of the ticket it was flagged
against, or both were marked duplicates of the same original.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def _counts(flags: dict[int, int], duplicate_of: dict[int, int | None]) -> dict:
    def right(ticket_id, candidate_id):
        primary = duplicate_of.get(ticket_id)
        return primary is not None and primary in (candidate_id, duplicate_of.get(candidate_id))

    true = sum(1 for t, c in flags.items() if right(t, c))
    duplicates = sum(1 for v in duplicate_of.values() if v is not None)
    found = sum(1 for t in flags if duplicate_of.get(t) is not None)
    return {"flags": len(flags), "right": true, "precision": round(true / len(flags), 4) if flags else None,
            "demo_duplicates": duplicates, "duplicates_flagged": found,
            "recall": round(found / duplicates, 4) if duplicates else None}


def measure() -> dict:
    from feedback.extensions import db
    from feedback.tickets import duplicates
    from feedback.tickets.models import DuplicateFlag, Ticket, TicketEvent

    tickets = db.session.execute(sa.select(Ticket).order_by(Ticket.received_at, Ticket.id)).scalars().all()
    duplicate_of = {t.id: t.duplicate_of_id for t in tickets}
    stored = dict(db.session.execute(sa.select(DuplicateFlag.ticket_id, DuplicateFlag.candidate_id)).all())
    invalid_at = dict(db.session.execute(sa.select(TicketEvent.ticket_id, sa.func.min(TicketEvent.at))
                                         .where(TicketEvent.action == "invalidate")
                                         .group_by(TicketEvent.ticket_id)).all())

    def open_at(t, at):
        ended = [x for x in (t.closed_at, invalid_at.get(t.id)) if x is not None]
        return t.received_at <= at and not any(x <= at for x in ended)

    replay, by_site = {}, {}
    for t in tickets:
        t.site_key = t.site_key or duplicates.site_key(t.site_code, t.url, t.site_name)
        earlier = [c for c in by_site.get(t.site_key, ()) if open_at(c, t.received_at)]
        found = duplicates.best(t, earlier) if t.site_key else None
        if found:
            replay[t.id] = found[0].id
        if t.site_key:
            by_site.setdefault(t.site_key, []).append(t)
    return {"tickets": len(tickets), "at_ingest": _counts(stored, duplicate_of),
            "replay": _counts(replay, duplicate_of)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.duplicate_precision", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026, help="the demo's random seed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite3", FEEDBACK_INSTANCE_PATH=tmp)
        env.pop("REDIS_URL", None)
        for command in (["db", "upgrade"], ["seed-demo", "--seed", str(args.seed)]):
            subprocess.run([sys.executable, "-m", "feedback", *command], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        from feedback import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
        with app.app_context():
            result = measure()
    print(json.dumps(dict(result, seed=args.seed), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
