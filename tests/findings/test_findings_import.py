"""`feedback findings import FILE`: a notice's 附件 table, all rows or none (CONTRACT.md)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from feedback.extensions import db
from feedback.findings.models import Finding, FindingEvent
from tests.findings.conftest import HEADER_ZH, NOTICE, ROWS, write_xlsx


def findings() -> list[Finding]:
    db.session.expire_all()
    return db.session.execute(sa.select(Finding).order_by(Finding.id)).scalars().all()


def test_a_notice_table_becomes_open_findings_with_their_events(app, world, notice_xlsx):
    done = app.test_cli_runner().invoke(args=["findings", "import", str(notice_xlsx)])
    assert done.exit_code == 0, done.output
    assert "created 3" in done.output
    got = findings()
    assert [(f.unit.code, f.state, f.category, f.fix_by, f.source) for f in got] == [
        ("D1", "open", "content_error", date(2026, 11, 30), NOTICE),
        ("D1", "open", "outdated", date(2026, 11, 25), NOTICE),
        ("D3", "open", "no_response", date(2026, 12, 10), NOTICE),
    ]
    assert got[0].site_code == "1101000001" and got[2].account == "西城人社"
    assert got[0].category_label == "错别字"
    events = db.session.execute(sa.select(FindingEvent.action, FindingEvent.to_state)).all()
    assert events == [("create", "open")] * 3


def test_english_headers_csv_and_a_source_option(app, world, tmp_path):
    path = tmp_path / "notice.csv"
    path.write_text("unit_code,category,description,fix_by\nD2,outdated,栏目不更新,2026/12/1\n", encoding="utf-8-sig")
    done = app.test_cli_runner().invoke(args=["findings", "import", str(path), "--source", "市通报"])
    assert done.exit_code == 0, done.output
    [f] = findings()
    assert (f.unit.code, f.fix_by, f.source) == ("D2", date(2026, 12, 1), "市通报")


def test_bad_rows_name_their_excel_rows_and_nothing_is_stored(app, world, tmp_path):
    rows = [HEADER_ZH, ROWS[0],
            ["NOPE", "", "", "错别字", "某问题", "", "2026-11-30", NOTICE],  # row 3: no such unit
            ["D1", "", "", "错别字", "", "", "2026-13-01", NOTICE],  # row 4: no description, bad date
            ROWS[2]]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    done = app.test_cli_runner().invoke(args=["findings", "import", str(path)])
    assert done.exit_code == 2
    lines = [line.strip() for line in done.output.splitlines()]
    assert lines[0].endswith("3 problem(s) in 2 row(s); nothing was imported")
    assert lines[1].startswith("row 3, unit_code: no unit with code 'NOPE'")
    assert lines[2].startswith("row 4, description: required")
    assert lines[3].startswith("row 4, fix_by: '2026-13-01' is not a date")
    assert findings() == []


def test_a_missing_column_is_named_in_the_header(app, world, tmp_path):
    path = write_xlsx(tmp_path / "nofix.xlsx", [["单位编码", "问题描述"], ["D1", "错字"]])
    done = app.test_cli_runner().invoke(args=["findings", "import", str(path)])
    assert done.exit_code == 2
    assert "missing column(s) fix_by" in done.output
    assert findings() == []
