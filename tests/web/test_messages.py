"""The catalog check, extended to the messages of validation and imports: every message the
checks of ingest, of the directory files and of the lifecycle produce is said in Chinese on the
pages and in the import results (feedback/messages.py), and every Chinese wording there is used.

Each check is made to fail on purpose below. A new check gets a line here and a wording in
feedback/messages.py; its English stays what the API and the command line print.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.directory.loaders import LoadErrors, load_properties, load_units
from feedback.errors import InputError
from feedback.messages import PATTERNS, localize, match_pattern
from feedback.tabular import UnreadableFile, read_table
from feedback.tickets import lifecycle
from feedback.tickets.ingest import parse_all
from tests.directory.test_loaders import write_csv

GOOD = {"platform_id": "P1", "received_at": "2026-11-02T09:00:00+08:00", "description": "错别字"}

BAD_REPORTS = [
    {},
    "not an object",
    {**GOOD, "received_at": "不是日期"},
    {**GOOD, "received_at": 20261102},
    {**GOOD, "received_at": "1999-01-01T00:00:00+08:00"},
    {**GOOD, "received_at": "2026-11-02T09:00:00"},
    {**GOOD, "description": ["a"]},
    {**GOOD, "description": "a\x00b"},
    {**GOOD, "description": "x" * 30000},
    {**GOOD, "platform_id": "有 空格"},
    {**GOOD, "reporter": 7},
    {**GOOD, "state": "已读"},
    {**GOOD, "state": "办结"},
    {**GOOD, "replied_at": "2026-11-03T09:00:00+08:00"},
    {**GOOD, "closed_at": "2026-11-03T09:00:00+08:00", "unit_code": "D1", "replied_at": "2026-11-03T09:00:00+08:00"},
    {**GOOD, "assigned_at": "2026-11-01T09:00:00+08:00"},
]

UNIT_FILES = [
    [["code", "name", "parent_code", "kind", "colour"]],
    [["code", "name", "code"]],
    [["code", "name", "parent_code", "kind"]],
    [["code", "name", "parent_code", "kind"], ["A", "", "", "office"], ["A", "甲", "", "office"],
     ["B", "乙" * 201, "", "x"], ["C", "丙", "C", "region"], ["D", "丁", "ZZ", "region"],
     ["E", "戊", "F", "region"], ["F", "己", "E", "region"]],
]
PROPERTY_FILES = [
    [["unit_code", "kind", "name", "site_code", "url_prefixes", "account"],
     ["NOPE", "website", "甲", "", "a.gov.cn", ""],
     ["D1", "website", "乙", "", "", ""],
     ["D1", "new_media", "丙", "1101000001", "", ""],
     ["D1", "website", "丁", "12", "", "号"],
     ["D1", "website", "戊", "", "http://", ""],
     ["D1", "website", "己", "1101000009", "b.gov.cn", ""],
     ["D1", "website", "己", "1101000009", "", ""],
     ["D2", "website", "庚", "", "b.gov.cn", ""],
     ["D1", "new_media", "辛", "", "", "x" * 201]],
]


def ingest_messages() -> list[str]:
    _, bad = parse_all(BAD_REPORTS, naive_is_local=False)
    return [m for result in bad for m in result.errors.values()]


def loader_messages(tmp_path) -> list[str]:
    out = []
    for number, (loader, files) in enumerate([(load_units, UNIT_FILES), (load_properties, PROPERTY_FILES)]):
        for index, rows in enumerate(files):
            try:
                loader(write_csv(tmp_path / f"f{number}{index}.csv", rows))
            except LoadErrors as exc:
                out += [p.message for p in exc.problems]
    for name, data in [("old.xls", b"\xd0\xcf\x11\xe0x"), ("bin.csv", b"\xff\xfe\x00\x00"),
                       ("bad.xlsx", b"PK\x03\x04broken"), ("empty.csv", b"\n\n")]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UnreadableFile) as caught:
            read_table(tmp_path / name)
        out.append(str(caught.value).removeprefix(f"{tmp_path / name}: "))
    return out


def lifecycle_messages(world, make_ticket, clock) -> list[str]:
    ticket = make_ticket("2026112400001")
    boss, clerk = Actor.of(world.users["boss"]), Actor.of(world.users["edu_clerk"])
    out = []
    for who, action, data in [(clerk, "reply", {}), (clerk, "request-extension", {"reason": "x"}),
                              (clerk, "request-extension", {"days": 99, "reason": "x"}),
                              (boss, "invalidate", {"reason": "x", "duplicate_of": 999}),
                              (clerk, "reply", {"text": 5})]:
        with pytest.raises(InputError) as caught:
            lifecycle.apply(ticket, action, who, clock(), data, current_calendar())
        out += list(caught.value.errors.values())
    lifecycle.apply(ticket, "request-extension", clerk, clock(), {"days": 2, "reason": "x"}, current_calendar())
    with pytest.raises(InputError) as caught:
        lifecycle.apply(ticket, "decide-extension", boss, clock(), {}, current_calendar())
    out += list(caught.value.errors.values())
    lifecycle.apply(ticket, "return", clerk, clock(), {"reason": "x"}, current_calendar())
    for unit in ("", "D404"):
        with pytest.raises(InputError) as caught:
            lifecycle.apply(ticket, "assign", boss, clock(), {"unit": unit}, current_calendar())
        out += list(caught.value.errors.values())
    # a history ingest folds that RULES forbid (closed without a reply): a row error on imports
    row = SimpleNamespace(received_at=clock(), category="other", assigned_at=None, unit_id=None)
    with pytest.raises(lifecycle.StepRefused) as caught:
        lifecycle.fold(row, [lifecycle.Step("receive", clock()), lifecycle.Step("approve", clock())],
                       current_calendar())
    out.append(caught.value.message)
    return out


# the page's own checks of a form, before the lifecycle (tickets/views.py)
VIEW_MESSAGES = ["a whole number", "no such ticket in scope",
                 "no unit with code 'X9' in your scope", "'a.' is not a URL prefix (host and optional path)",
                 "no unit with code 'X9'; load units first"]


@pytest.fixture
def every_message(app, world, make_ticket, clock, tmp_path):
    return ingest_messages() + loader_messages(tmp_path) + lifecycle_messages(world, make_ticket, clock) \
        + VIEW_MESSAGES


def test_every_check_message_has_a_chinese_wording(every_message):
    unmatched = sorted({m for m in every_message if match_pattern(m) is None})
    assert unmatched == []


def test_every_chinese_wording_is_used_by_some_check(every_message):
    used = {id(match_pattern(m)[1]) for m in every_message}
    unused = [str(wording) for _, wording in PATTERNS if id(wording) not in used]
    assert unused == []


def test_the_chinese_wording_keeps_the_value_and_is_english_again_in_english(app):
    message = "'不是日期' is not a time; use ISO 8601, e.g. 2026-09-30T15:00:00+08:00"
    with force_locale("zh_CN"):
        assert localize(message) == "“不是日期”不是日期时间；请写成 2026-09-30 15:00 这样的格式"
        assert localize("is earlier than received_at") == "早于收到时间"
    with force_locale("en"):
        assert localize(message) == "'不是日期' is not a time; write it like 2026-09-30 15:00"


def test_no_chinese_page_shows_a_check_message_in_english(app, every_message):
    allowed = {"XLSX", "xlsx", "Excel", "example", "office", "region", "department", "website", "new_media"}
    with force_locale("zh_CN"):
        english = [m for m in every_message
                   if set(re.findall(r"[A-Za-z_]{4,}", re.sub(r"“[^”]*”", "", localize(m)))) - allowed]
    assert english == [], [localize(m) for m in english]
