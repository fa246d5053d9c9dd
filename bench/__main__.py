"""python -m bench --tickets N [--database-url URL] [--json PATH] (CONTRACT.md: Benchmarks)

Creates a fresh database (on the PostgreSQL server of the URL, or a new SQLite file), applies
the migrations, fills it with a province of N tickets, starts gunicorn on 127.0.0.1, runs the
workloads, prints one JSON object, and drops the database (unless --keep). Progress goes to
stderr; stdout carries only the JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

OUTPUT_ORDER = ("ingest_single", "ingest_batch", "dashboard", "metrics", "export_monthly", "reminder_sweep", "inbox")
RUN_ORDER = ("ingest_single", "ingest_batch", "dashboard", "metrics", "export_monthly", "inbox", "reminder_sweep")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to generate (default 1,000,000)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a fresh database is created on it) or a "
                        "sqlite:///PATH that does not exist yet; default DATABASE_URL, else a temporary SQLite file")
    parser.add_argument("--json", metavar="PATH", help="also write the JSON object to PATH")
    parser.add_argument("--keep", action="store_true", help="keep the database and work files afterwards")
    parser.add_argument("--seed", type=int, default=20261124, help="random seed of the generator")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1: sync "
                        "workers; more: gthread workers)")
    parser.add_argument("--only", help=f"comma-separated workloads to run (default all: {','.join(RUN_ORDER)})")
    args = parser.parse_args(argv)
    if args.tickets < 1000:
        parser.error("--tickets must be at least 1000")
    if args.only:
        unknown = set(args.only.split(",")) - set(RUN_ORDER)
        if unknown:
            parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    return args


class FreshDatabase:
    """A new PostgreSQL database on the given server, or a new SQLite file."""

    def __init__(self, base_url: str | None, workdir: Path):
        from feedback.config import normalise_database_url

        self.workdir = workdir
        self.base = sa.engine.make_url(normalise_database_url(base_url)) if base_url else None
        self.pg = self.base is not None and self.base.get_backend_name() == "postgresql"
        self.url: str | None = None

    def create(self) -> str:
        if self.pg:
            self.name = f"feedback_bench_{uuid.uuid4().hex[:10]}"
            with self._admin() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
            self.url = self.base.set(database=self.name).render_as_string(hide_password=False)
        else:
            path = Path(self.base.database) if self.base is not None and self.base.database else \
                self.workdir / "bench.sqlite3"
            if path.exists():
                raise SystemExit(f"bench: error: {path} exists; give a path for a new SQLite file")
            self.path = path
            self.url = f"sqlite:///{path}"
        return self.url

    def drop(self) -> None:
        if self.url is None:
            return
        if self.pg:
            with self._admin() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _admin(self):
        engine = sa.create_engine(self.base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        return _Closing(engine)


class _Closing:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[bench {time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="feedback-bench-"))
    os.environ["FEEDBACK_INSTANCE_PATH"] = str(workdir / "instance")  # keep the checkout clean
    database = FreshDatabase(args.database_url or os.environ.get("DATABASE_URL"), workdir)
    url = database.create()
    log(f"database {sa.engine.make_url(url).render_as_string()}")
    failed = True  # until the run returns figures
    try:
        output = run(args, url, workdir, log)
        failed = any("error" in output.get(name, {}) for name in OUTPUT_ORDER)
    finally:
        if args.keep or failed:
            log(f"kept {url} and {workdir}" if args.keep else f"work files (gunicorn log) kept in {workdir}")
        if not args.keep:
            database.drop()
            if not failed:
                shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(output, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 1 if failed else 0


def run(args, url: str, workdir: Path, log) -> dict:
    from flask_migrate import upgrade

    from bench.generate import generate
    from bench.server import Server
    from bench.workloads import WORKLOADS, Context, Skipped, previous_month
    from feedback import create_app
    from feedback.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        as_of = datetime.now(timezone.utc)
        log(f"generating {args.tickets} tickets up to {as_of.isoformat(timespec='seconds')}")
        dataset = generate(db.engine, args.tickets, as_of=as_of, seed=args.seed, log=log)
        log(f"loaded in {dataset.seconds:.1f} s: {dataset.counts}")
        token = _api_token()
        server = Server(url, workdir, threads=args.threads)
        results = {}
        try:
            server.wait_ready()
            ctx = Context(url, db.engine, dataset, server, workdir, token, previous_month(as_of), log)
            names = args.only.split(",") if args.only else RUN_ORDER
            for name in (n for n in RUN_ORDER if n in names):
                log(f"workload {name}")
                try:
                    results[name] = WORKLOADS[name](ctx)
                except Skipped as exc:
                    results[name] = {"skipped": str(exc)}
                except Exception as exc:  # one broken workload must not hide the others' figures
                    traceback.print_exc()
                    results[name] = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"{name}: {json.dumps(results[name], ensure_ascii=False)}")
        finally:
            server.stop()
            db.session.remove()
            db.engine.dispose()
    output = {name: results[name] for name in OUTPUT_ORDER if name in results}
    output["dataset"] = {
        "tickets": dataset.counts["tickets"], "events": dataset.counts["events"],
        "units": len(dataset.province.units), "properties": len(dataset.province.properties),
        "routing_rules": len(dataset.province.rules), "load_seconds": round(dataset.seconds, 1),
        "states": dataset.counts["states"], "overdue": dataset.counts["overdue"],
        "overdue_share": dataset.counts["overdue_share"],
    }
    output["setup"] = {
        "database": sa.engine.make_url(url).get_backend_name(),
        "server": "gunicorn, 2 " + ("sync workers" if args.threads == 1 else f"gthread workers × {args.threads} threads")
                  + ", 127.0.0.1",
        "cpus": os.cpu_count(), "python": platform.python_version(), "as_of": as_of.isoformat(timespec="seconds"),
        "ratio": "figure ÷ baseline, in the figure's unit",
    }
    return output


def _api_token() -> str:
    """A token for the platform's API account (a supervisor at the province office)."""
    from feedback.accounts.models import ApiToken, User
    from feedback.extensions import db

    user = db.session.execute(sa.select(User).where(User.username == "platform-api")).scalar_one()
    row, token = ApiToken.issue(user, "bench")
    db.session.add(row)
    db.session.commit()
    return token


if __name__ == "__main__":
    sys.exit(main())
