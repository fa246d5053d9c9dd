"""`feedback import FILE` (CONTRACT.md: Command line): JSON summary, results beside the file,
exit status 0 with failed rows and 2 for an unreadable file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from feedback.extensions import db
from feedback.imports.models import ImportJob
from feedback.tickets.models import Ticket
from tests.imports.files import row, write_csv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def feedback_import(app, path):
    return app.test_cli_runner().invoke(args=["import", str(path)])


def test_prints_a_summary_and_writes_injection_safe_results_beside_the_file(app, world, tmp_path):
    path = write_csv(tmp_path / "台账.csv", [
        row("N1"),                                          # row 2: created, routed to D1
        row("-5"),                                          # row 3: created; a cell Excel would compute
        row("N1"),                                          # row 4: a repeat of row 2
        row("=HYPERLINK(1)"),                               # row 5: not a valid id
        row("N5", received="+8 days"),                      # row 6: not a time
    ])
    done = feedback_import(app, path)
    assert done.exit_code == 0, done.output
    results = tmp_path / "台账.csv.results.csv"
    assert json.loads(done.stdout) == {"created": 2, "duplicate": 1, "error": 2, "results": str(results)}

    first, second = (t.id for t in db.session.query(Ticket).order_by(Ticket.id))
    raw = results.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Chinese right
    assert raw.decode("utf-8-sig").splitlines() == [
        "row,留言编号,status,ticket id,reason",
        f"2,N1,created,{first},",
        f"3,'-5,created,{second},",
        f"4,N1,duplicate,{first},留言编号已存在，未重复创建",
        "5,'=HYPERLINK(1),error,,留言编号: 最多 64 个字母、数字或 - _ . : /",
        "6,N5,error,,转办时间: “+8 days”不是日期时间；请写成 2026-09-30 15:00 这样的格式",
    ]


def test_progress_goes_to_stderr_and_a_second_run_creates_nothing(app, world, tmp_path):
    app.config["IMPORT_CHUNK_ROWS"] = 2
    path = write_csv(tmp_path / "export.csv", [row(f"P{i}") for i in range(5)])
    done = feedback_import(app, path)
    # 5 rows in chunks of 2: progress after rows 2–3, 4–5, 6
    assert done.stderr.splitlines() == ["feedback: import: 2/5 rows", "feedback: import: 4/5 rows",
                                        "feedback: import: 5/5 rows"]
    again = feedback_import(app, path)
    assert json.loads(again.stdout)["created"] == 0 and json.loads(again.stdout)["duplicate"] == 5
    assert db.session.query(Ticket).count() == 5
    assert [j.origin for j in db.session.query(ImportJob)] == ["cli", "cli"]


def run_cli(database_url, tmp_path, *args):
    env = dict(os.environ, DATABASE_URL=database_url, FEEDBACK_INSTANCE_PATH=str(tmp_path / "instance"))
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "feedback", "import", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_installed_command_exits_2_with_one_line_for_an_unreadable_file(app, database_url, tmp_path):
    png = tmp_path / "photo.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    no_id = write_csv(tmp_path / "no-id.csv", [["2026-09-30 15:00", "x"]], header=["转办时间", "问题描述"])
    bad_rows = write_csv(tmp_path / "bad-rows.csv", [row("")])
    cases = [
        (tmp_path / "missing.xlsx", 2, "missing.xlsx: no such file"),
        (png, 2, "不是电子表格"),
        (no_id, 2, "缺少必填列：留言编号（platform_id）"),
    ]
    for path, code, message in cases:
        done = run_cli(database_url, tmp_path, str(path))
        assert done.returncode == code, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("feedback: error: ") and message in lines[0], done.stderr
        assert done.stdout == ""
        assert not path.with_name(path.name + ".results.csv").exists()

    done = run_cli(database_url, tmp_path, str(bad_rows))  # every row failing is still a finished import
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["error"] == 1
