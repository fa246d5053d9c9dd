"""Small worlds with every corner of the figures, told through the API.

Calendar (chinese_calendar 2026): Oct 1–7 National Day holiday (Oct 1, 2, 5, 6, 7 off on
weekdays), Sat Oct 10 a make-up workday; otherwise Mon–Fri. Unit clock N=3, platform clock N=5
working days after the local date of assignment / receipt, ending 23:59:59.
"""
from __future__ import annotations

OCTOBER_AS_OF = "2026-11-02T12:00:00+08:00"  # Monday noon, when the October sheet is made


def october(s) -> None:
    """October 2026 for the city C0 (counted in test_closure.py as of OCTOBER_AS_OF)."""
    # T1 D1 on time. Mon Oct 12 09:00 → unit due Thu Oct 15 (13, 14, 15); platform due Mon Oct 19.
    s.receive("T1", "2026-10-12T09:00:00+08:00")
    s.reply("T1", "2026-10-14T10:00:00+08:00")
    s.approve("T1", "2026-10-15T09:00:00+08:00")
    # T2 D1 late reply. Tue Oct 13 → unit due Fri Oct 16; replied Mon Oct 19; platform due Oct 20.
    s.receive("T2", "2026-10-13T09:00:00+08:00")
    s.reply("T2", "2026-10-19T10:00:00+08:00")
    s.approve("T2", "2026-10-19T15:00:00+08:00")
    # T3 D1 rejected, then accepted — the second reply still by the deadline (Mon Oct 19).
    s.receive("T3", "2026-10-14T09:00:00+08:00")
    s.reply("T3", "2026-10-15T10:00:00+08:00")
    s.reject("T3", "2026-10-16T09:00:00+08:00")
    s.reply("T3", "2026-10-19T11:00:00+08:00")
    s.approve("T3", "2026-10-20T10:00:00+08:00")
    # T4 D1 first reply on time, rejected; the clock kept running: second reply after Tue Oct 20 → late.
    s.receive("T4", "2026-10-15T09:00:00+08:00")
    s.reply("T4", "2026-10-16T10:00:00+08:00")
    s.reject("T4", "2026-10-19T09:00:00+08:00")
    s.reply("T4", "2026-10-21T10:00:00+08:00")
    s.approve("T4", "2026-10-21T15:00:00+08:00")
    # T5 D1 approved extension: Fri Oct 16 → due Wed Oct 21, +2 → Fri Oct 23; replied Oct 23 → on time.
    # Platform due Fri Oct 23, closed Mon Oct 26 → the office is late.
    s.receive("T5", "2026-10-16T09:00:00+08:00")
    s.act("T5", "request-extension", "2026-10-19T09:00:00+08:00", days=2, reason="需协调技术公司")
    s.act("T5", "decide-extension", "2026-10-19T15:00:00+08:00", approve=True)
    s.reply("T5", "2026-10-23T10:00:00+08:00")
    s.approve("T5", "2026-10-26T09:00:00+08:00")
    # T6 misrouted to D1, returned, reassigned to D2 with a fresh clock: Wed Oct 21 → due Mon Oct 26.
    # Platform due (from Mon Oct 19) Mon Oct 26; closed Tue Oct 27 → office late.
    s.receive("T6", "2026-10-19T09:00:00+08:00")
    s.act("T6", "return", "2026-10-20T10:00:00+08:00", reason="非本单位网站")
    s.act("T6", "assign", "2026-10-21T09:00:00+08:00", unit="D2")
    s.reply("T6", "2026-10-26T16:00:00+08:00")
    s.approve("T6", "2026-10-27T09:00:00+08:00")
    # T7 invalid, T8 a duplicate of T1: neither counts anywhere.
    s.receive("T7", "2026-10-20T14:00:00+08:00")
    s.act("T7", "invalidate", "2026-10-20T15:00:00+08:00", reason="非政府网站问题")
    s.receive("T8", "2026-10-20T14:30:00+08:00")
    s.act("T8", "invalidate", "2026-10-20T15:00:00+08:00", reason="重复留言", duplicate_of="T1")
    # T9 D1 accepted, never replied: Wed Oct 21 → due Mon Oct 26, platform due Wed Oct 28 → overdue on both.
    s.receive("T9", "2026-10-21T09:00:00+08:00")
    s.act("T9", "accept", "2026-10-22T09:00:00+08:00")
    # T10 D1 open, not yet due: Fri Oct 30 → due Wed Nov 4.
    s.receive("T10", "2026-10-30T09:00:00+08:00")
    # T11 D1 replied on time (Thu Oct 29, due Thu Oct 29), not reviewed: pending though the deadline passed.
    s.receive("T11", "2026-10-26T09:00:00+08:00")
    s.reply("T11", "2026-10-29T10:00:00+08:00")
    # T12 D1 replied late (Fri Oct 30, due Thu Oct 29), not reviewed: overdue.
    s.receive("T12", "2026-10-26T09:30:00+08:00")
    s.reply("T12", "2026-10-30T10:00:00+08:00")
    # T13 D1 received Sep 30 and T13b received Nov 1: outside October.
    s.receive("T13", "2026-09-30T15:00:00+08:00")
    s.receive("T13b", "2026-11-01T09:00:00+08:00")
    # T14 unroutable, still in triage: no unit, in no row; counted as unassigned.
    s.receive("T14", "2026-10-22T09:00:00+08:00", unit=None)
    # T15 R1's own portal: Thu Oct 22 → due Tue Oct 27, replied Fri Oct 23 10:00, closed 15:00.
    s.receive("T15", "2026-10-22T09:00:00+08:00", unit="R1")
    s.reply("T15", "2026-10-23T10:00:00+08:00")
    s.approve("T15", "2026-10-23T15:00:00+08:00")
    # T16 D3 (via triage, assigned Oct 22 10:00) → due Tue Oct 27, platform due Thu Oct 29: overdue on both.
    s.receive("T16", "2026-10-22T09:00:00+08:00", unit="D3")
    # T17 D1 received during the holiday, Thu Oct 1 10:00 → due Sat Oct 10 (8, 9, 10 make-up day);
    # replied on the make-up Saturday; platform due Tue Oct 13, closed Mon Oct 12.
    s.receive("T17", "2026-10-01T10:00:00+08:00")
    s.reply("T17", "2026-10-10T10:00:00+08:00")
    s.approve("T17", "2026-10-12T09:00:00+08:00")


def as_of_corners(s) -> None:
    """D1 tickets whose history after a past T differs from their row (test_as_of.py)."""
    # A: Mon Oct 12 → due Thu Oct 15. Replied Oct 15 (on time), rejected Mon Oct 19 09:00,
    # replied again Tue Oct 20 10:00 (late), closed Oct 20 15:00.
    s.receive("A", "2026-10-12T09:00:00+08:00")
    s.reply("A", "2026-10-15T10:00:00+08:00")
    s.reject("A", "2026-10-19T09:00:00+08:00")
    s.reply("A", "2026-10-20T10:00:00+08:00")
    s.approve("A", "2026-10-20T15:00:00+08:00")
    # B: Mon Oct 12 → due Thu Oct 15; extension asked Oct 14, approved only Mon Oct 19 09:00 (+2 →
    # Mon Oct 19: 13, 14, 15, 16, 19); replied Oct 19 10:00, closed Oct 19 15:00 → on time.
    s.receive("B", "2026-10-12T09:30:00+08:00")
    s.act("B", "request-extension", "2026-10-14T09:00:00+08:00", days=2, reason="需协调")
    s.act("B", "decide-extension", "2026-10-19T09:00:00+08:00", approve=True)
    s.reply("B", "2026-10-19T10:00:00+08:00")
    s.approve("B", "2026-10-19T15:00:00+08:00")
    # E: Mon Oct 12 10:00 → due Thu Oct 15; replied Tue Oct 13, rejected Fri Oct 16 09:00, never again.
    s.receive("E", "2026-10-12T10:00:00+08:00")
    s.reply("E", "2026-10-13T10:00:00+08:00")
    s.reject("E", "2026-10-16T09:00:00+08:00")
    # D: Sat Oct 17 → due Wed Oct 21 (19, 20, 21), never replied.
    s.receive("D", "2026-10-17T09:00:00+08:00")
