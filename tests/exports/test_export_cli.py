"""`feedback export …`: usage errors exit 2 with one line and write nothing (CONTRACT.md)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(tmp_path, *args):
    env = dict(os.environ, FEEDBACK_INSTANCE_PATH=str(tmp_path))
    env.pop("DATABASE_URL", None)  # the argument checks come before any database work
    return subprocess.run([sys.executable, "-m", "feedback", "export", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, says", [
    (["closure", "--month", "2026-11", "-o", "x.xlsx"], "--format"),
    (["closure", "--month", "2026-11", "--format", "pdf", "-o", "x.xlsx"], "--format"),
    (["closure", "--month", "2026-13", "--format", "xlsx", "-o", "x.xlsx"], "--month"),
    (["closure", "--format", "xlsx", "-o", "x.xlsx"], "--month"),
    (["closure", "--from", "2026-11-01", "--format", "xlsx", "-o", "x.xlsx"], "--to"),
    (["closure", "--from", "2026-11-31", "--to", "2026-12-01", "--format", "csv", "-o", "x.csv"], "--from"),
    (["closure", "--from", "2026-11-10", "--to", "2026-11-01", "--format", "csv", "-o", "x.csv"], "--to"),
    (["closure", "--month", "2026-11", "--from", "2026-11-01", "--to", "2026-11-02", "--format", "csv",
      "-o", "x.csv"], "--month"),
    (["closure", "--month", "2026-11", "--as-of", "soon", "--format", "csv", "-o", "x.csv"], "--as-of"),
    (["closure", "--month", "2026-11", "--format", "csv", "-o", "no/such/dir/x.csv"], "-o"),
    (["assessment", "--quarter", "2026Q5", "--format", "docx", "-o", "x.docx"], "--quarter"),
    (["assessment", "--format", "docx", "-o", "x.docx"], "--quarter"),
    (["assessment", "--quarter", "2026Q4", "--from", "2026-11-01", "--to", "2026-11-02", "--format", "json",
      "-o", "x.json"], "--quarter"),
    (["assessment", "--from", "2026-11-01", "--format", "json", "-o", "x.json"], "--to"),
    (["assessment", "--from", "2026-11-10", "--to", "2026-11-01", "--format", "json", "-o", "x.json"], "--to"),
    (["assessment", "--quarter", "2026Q4", "--format", "csv", "-o", "x.csv"], "--format"),
    (["assessment", "--quarter", "2027Q1", "--as-of", "2026-11-24T10:00", "--format", "json", "-o", "x.json"],
     "--as-of"),
    (["closure", "--month", "2026-11", "--format", "csv", "-o", "x.csv", "--bogus"], "--bogus"),
])
def test_bad_arguments_exit_2_with_one_line_naming_the_flag(tmp_path, args, says):
    args = [str(tmp_path / a) if a.startswith(("x.", "no/")) else a for a in args]
    done = run(tmp_path, *args)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("feedback: error:") and says in lines[0], done.stderr
    assert not [p for p in os.listdir(tmp_path) if p.startswith("x.")]


def test_an_unknown_unit_is_named(app, world, tmp_path):
    out = tmp_path / "x.csv"
    result = app.test_cli_runner().invoke(args=["export", "closure", "--month", "2026-11", "--unit", "NOPE",
                                                "--format", "csv", "-o", str(out)])
    assert result.exit_code == 2 and "--unit" in result.output and "NOPE" in result.output
    assert not out.exists()
