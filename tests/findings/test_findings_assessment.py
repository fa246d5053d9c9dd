"""整改 in the assessment: counts per unit as of the cut-off, and the deductions the settings give."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.findings import lifecycle
from feedback.findings.importing import import_findings
from feedback.settings import service as settings


@pytest.fixture
def findings(world, clock, notice_xlsx):
    """A (D1, fix-by 11-30) stays open; B (D1, 11-25) is reported late on Fri 11-27; C (D3, 12-10)."""
    a, b, c = import_findings(notice_xlsx, Actor.system("import"), clock())
    db.session.commit()
    clock.set("2026-11-27T09:00:00+08:00")
    lifecycle.apply(b, "report", Actor.of(world.users["edu_clerk"]), clock(), {"text": "已更新栏目"})
    db.session.commit()
    return a, b, c


def rows(client, world, as_of: str) -> dict:
    body = client.get(f"/api/v1/assessment/2026Q4?as_of={as_of}", headers=world.headers("boss")).json
    return {r["unit"]["code"]: r for r in body["rows"]}, body


def counts(row) -> tuple:
    return row["findings_open"], row["findings_overdue"], row["findings_reported"], row["findings_accepted"]


def test_counts_as_of_the_cut_off(client, world, clock, findings):
    # Dec 1: the window runs Oct 1 – Dec 1; A (11-30) open and overdue, B (11-25) reported; C due later
    by_code, body = rows(client, world, "2026-12-01T09:00")
    assert counts(by_code["D1"]) == (1, 1, 1, 0)
    assert counts(by_code["D3"]) == (0, 0, 0, 0)
    assert by_code["D1"]["findings_deductions"] == 1.0 and by_code["D1"]["deductions"] == 1.0
    assert (body["total"]["findings_open"], body["total"]["findings_overdue"]) == (1, 1)
    assert body["findings_rules"] == {"findings.points_per_overdue": 1.0, "findings.points_per_unfinished": 0.0}
    # Nov 26 noon, before B was reported: the window ends Nov 26, B alone is due in it, open and overdue
    by_code, _ = rows(client, world, "2026-11-26T12:00")
    assert counts(by_code["D1"]) == (1, 1, 0, 0)


def test_the_deductions_come_from_the_settings(client, world, clock, findings):
    settings.set_value("findings.points_per_unfinished", "0.5", Actor.of(world.users["boss"]), clock())
    settings.set_value("findings.points_per_overdue", "2", Actor.of(world.users["boss"]), clock())
    db.session.commit()
    by_code, _ = rows(client, world, "2026-12-01T09:00")
    # A overdue: 2; A and B unfinished: 2 × 0.5
    assert by_code["D1"]["findings_deductions"] == 3.0
    lifecycle.apply(db.session.get(type(findings[1]), findings[1].id), "accept", Actor.of(world.users["boss"]),
                    clock.set("2026-12-01T10:00:00+08:00"), {})
    db.session.commit()
    by_code, _ = rows(client, world, "2026-12-01T11:00")
    assert counts(by_code["D1"]) == (1, 1, 0, 1) and by_code["D1"]["findings_deductions"] == 2.5
