"""One measured job in a fresh interpreter, so its peak RSS is its own:

    python -m bench.child COMMAND '{"database_url": ..., ...}'

prints one JSON line: {"seconds", "peak_rss_mb", ...} or {"skipped": reason}. The app is
created and the libraries imported before the clock starts, for the product and its baseline
alike; `seconds` times the job itself.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime


def peak_rss_mb() -> float:
    """VmHWM: the most resident memory this process ever had."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kB on Linux


def export(app, params: dict) -> dict:
    runner = app.test_cli_runner()
    args = ["export", "closure", "--month", params["month"], "--format", "xlsx", "-o", params["path"]]
    started = time.perf_counter()
    result = runner.invoke(args=args)
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()  # before reading the file back
    if result.exit_code != 0:
        text = result.output + (repr(result.exception) if result.exception else "")
        if "No such command" in text or "not implemented" in text:
            return {"skipped": "`feedback export closure` is not in this tree yet (monthly export issue)"}
        raise RuntimeError(f"feedback {' '.join(args)} exited {result.exit_code}: {text[-1000:]}")
    import openpyxl

    book = openpyxl.load_workbook(params["path"], read_only=True)
    return {"seconds": round(seconds, 3), "peak_rss_mb": peak, "sheets": book.sheetnames}


def export_baseline(app, params: dict) -> dict:
    from bench.sql import export_baseline as run
    from feedback.extensions import db

    month = tuple(date.fromisoformat(d) for d in params["month"])
    started = time.perf_counter()
    found = run(db.engine, month, datetime.now().astimezone(), params["path"])
    return {"seconds": round(time.perf_counter() - started, 3), **found}


def sweep(app, params: dict) -> dict:
    try:
        from feedback.jobs.sweep import run_sweep
    except ImportError:
        return {"skipped": "feedback.jobs.sweep.run_sweep is not in this tree yet (reminders issue)"}
    from feedback.extensions import db

    at = datetime.fromisoformat(params["at"])
    started = time.perf_counter()
    result = run_sweep(at)
    db.session.commit()
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "result": json.loads(json.dumps(result, default=str))}


def sweep_baseline(app, params: dict) -> dict:
    from bench.sql import sweep_baseline as run
    from feedback.extensions import db

    at = datetime.fromisoformat(params["at"])
    started = time.perf_counter()
    found = run(db.engine, at)
    return {"seconds": round(time.perf_counter() - started, 3), **found}


COMMANDS = {"export": export, "export-baseline": export_baseline, "sweep": sweep, "sweep-baseline": sweep_baseline}


def main(argv: list[str]) -> None:
    command, params = argv[0], json.loads(argv[1])
    import openpyxl  # noqa: F401  (both the export and its baseline need it: loaded before timing)

    from feedback import create_app
    from feedback.config import normalise_database_url

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(params["database_url"])})
    with app.app_context():
        report = COMMANDS[command](app, params)
    if "skipped" not in report:
        report.setdefault("peak_rss_mb", peak_rss_mb())
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
