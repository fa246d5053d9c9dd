"""The workloads of `python -m bench`, each with the baseline measured on the same machine and
database in the same run. ratio = figure ÷ baseline, in the figure's own unit (for a rate,
the share of the raw speed the product reaches; for a time or a size, how many times the
bare version it costs).

Every loop is bounded: a fixed number of requests and a time cap. Only loopback is used.
A workload whose code is not in this tree yet answers {"skipped": reason}.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from bench import sql as bare
from bench.daytable import end_of_local_day, local_day
from bench.generate import Dataset, add_open_tickets
from bench.province import PASSWORD, Prop
from bench.server import ROOT, LoadResult, Server, cpu_seconds, login, percentile, prepare, request, run_load
from bench.tickets import PLATFORM_DAYS, TICKET_COLUMNS, UNIT_DAYS

SINGLE = {"requests": 2000, "concurrency": 4, "cap_seconds": 30}
BATCH = {"size": 500, "batches": 20, "concurrency": 2, "cap_seconds": 90}
LATENCY = {"requests": 100, "warmup": 5, "cap_seconds": 60}
CHILD_TIMEOUT = 900


class Skipped(Exception):
    """The workload's code is not in this tree yet (another issue builds it)."""


@dataclass
class Context:
    url: str  # SQLAlchemy URL of the bench database
    engine: sa.Engine
    dataset: Dataset
    server: Server
    workdir: Path
    token: str  # a supervisor's API token at the province office
    month: tuple[date, date]  # the month the dashboard, metrics and export look at
    log: Callable[[str], None]

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class CpuMeter:
    """CPU time the gunicorn workers and the database's server processes spend during a block:
    per request, a figure that holds on a busy shared machine where wall-clock times do not."""

    def __init__(self, ctx: "Context"):
        self.ctx = ctx

    def _read(self) -> tuple[dict, dict]:
        server = {pid: cpu_seconds([pid]) for pid in self.ctx.server.worker_pids()}
        database = {pid: cpu_seconds([pid]) for pid in _backend_pids(self.ctx)}
        return server, database

    def __enter__(self):
        self.start = self._read()
        return self

    def __exit__(self, *exc):
        end = self._read()
        self.server, self.database = (sum(v - before.get(pid, 0.0) for pid, v in after.items())
                                      for before, after in zip(self.start, end))

    def per(self, n: int) -> dict:
        pg = self.ctx.engine.dialect.name == "postgresql"  # SQLite works inside the server process
        return {"server_cpu_ms_each": round(self.server * 1000 / n, 2) if n else None,
                "db_cpu_ms_each": round(self.database * 1000 / n, 2) if n and pg else None}


def _backend_pids(ctx: "Context") -> list[int]:
    """The PostgreSQL server processes serving the bench database (when on this machine)."""
    if ctx.engine.dialect.name != "postgresql":
        return []
    with ctx.engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalars())


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _ratio(figure, baseline) -> float | None:
    return round(figure / baseline, 3) if figure is not None and baseline else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- ingest -----------------------------------------------------------------------------------

def ingest_single(ctx: Context) -> dict:
    """reports/s through POST /api/v1/reports, one report per request, against raw INSERTs of the
    same rows (ticket + its receive/assign events, one transaction per report)."""
    reports = _reports(ctx, SINGLE["requests"], "BENCH-S")
    bodies = [_post_reports(ctx, report) for report, _, _ in reports]
    return _ingest(ctx, "BENCH-S", reports, bodies, batch=1, settings=SINGLE, status=201)


def ingest_batch(ctx: Context) -> dict:
    """reports/s through POST /api/v1/reports in batches of 500, against raw INSERTs of the same rows
    (one transaction per batch)."""
    size = BATCH["size"]
    reports = _reports(ctx, size * BATCH["batches"], "BENCH-B")
    bodies = [_post_reports(ctx, {"reports": [report for report, _, _ in reports[i:i + size]]})
              for i in range(0, len(reports), size)]
    return {"batch_size": size, **_ingest(ctx, "BENCH-B", reports, bodies, batch=size, settings=BATCH, status=200)}


def _post_reports(ctx: Context, body: dict) -> bytes:
    return prepare(ctx.port, "POST", "/api/v1/reports", headers={**ctx.auth, "Content-Type": "application/json"},
                   body=json.dumps(body, ensure_ascii=False).encode())


def _ingest(ctx: Context, prefix: str, reports, bodies, *, batch: int, settings: dict, status: int) -> dict:
    ctx.log(f"POST /api/v1/reports: {len(bodies)} requests of {batch}, {settings['concurrency']} clients")
    with CpuMeter(ctx) as cpu:
        load = run_load(ctx.port, bodies, concurrency=settings["concurrency"], cap_seconds=settings["cap_seconds"])
    _require_ok(load, (status,), "POST /api/v1/reports")
    created = _count_tickets(ctx, f"{prefix}%")
    rate = created / load.elapsed
    baseline = _raw_insert_rate(ctx, reports[:load.count * batch], batch=batch, prefix=prefix.replace("BENCH", "BASE"),
                                connections=2)
    return {"reports_per_s": round(rate, 1), "baseline_rows_per_s": round(baseline, 1), "ratio": _ratio(rate, baseline),
            "requests": load.count, "created": created, "clients": settings["concurrency"],
            "seconds": round(load.elapsed, 2), "p50_ms": ms(percentile(load.latencies, 0.5)),
            "p95_ms": ms(percentile(load.latencies, 0.95)), "capped": load.capped, **cpu.per(created)}


def _reports(ctx: Context, n: int, prefix: str) -> list[tuple[dict, Prop | None, int]]:
    """n reports as the platform pushes them, about the province's sites (8% about sites no rule
    knows), received in the last two hours: (report, its property, received epoch)."""
    maker = ctx.dataset.maker
    rng = random.Random(prefix)
    now = int(time.time())
    out = []
    for i, prop in enumerate(maker.properties(n)):
        with_code = prop is not None and prop.site_code is not None and rng.random() < 0.7
        _, label, description, url, site_code, site_name = maker.report_fields(prop, with_code)
        received = now - rng.randint(60, 7200)
        report = {"platform_id": f"{prefix}-{i:07d}", "received_at": maker.text.iso(received),
                  "submitted_at": maker.text.iso(received - rng.randint(3600, 86_400)), "category": label,
                  "description": description, "site_name": site_name,
                  "reporter": {"name": "张三", "phone": f"13{rng.randrange(10**9):09d}"}}
        if url:
            report["url"] = url
        if site_code:
            report["site_code"] = site_code
        out.append((report, prop, received))
    return out


def _require_ok(load: LoadResult, codes: tuple[int, ...], what: str) -> None:
    if load.ok(*codes) != load.count:
        sample = b" | ".join(load.bodies[-3:]).decode(errors="replace")[:600]
        raise RuntimeError(f"{what}: {load.count - load.ok(*codes)} of {load.count} answers were not "
                           f"{codes}: {load.statuses}; {sample}")


def _count_tickets(ctx: Context, pattern: str) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM tickets WHERE platform_id LIKE :p"), {"p": pattern}).scalar()


def _raw_rows(ctx: Context, report: dict, prop: Prop | None, received: int, at: int, pid: str):
    """The ticket row and events ingest() stores for this report, ready for a plain INSERT: the
    baseline mirrors what lifecycle.fold makes of a report (receive → new; routing's assign →
    assigned), so the baseline inserts the same rows the product does."""
    maker = ctx.dataset.maker
    table, db, iso = maker.table, maker.text.db, maker.text.iso
    pdue_day, provisional = table.nth_after(local_day(received), PLATFORM_DAYS)
    unit_id = assigned = unit_due = days = None
    state = "new"
    events = [(db(at), maker.p.api_user, "国家平台接口", "receive", None, "new", None,
               json.dumps({"source": "api", "received_at": iso(received)}))]
    if prop is not None:
        state, unit_id, assigned, days = "assigned", prop.unit_id, at, UNIT_DAYS
        udue_day, unit_provisional = table.nth_after(local_day(at), UNIT_DAYS)
        unit_due, provisional = end_of_local_day(udue_day), provisional or unit_provisional
        events.append((db(at), maker.p.api_user, "routing", "assign", "new", "assigned", unit_id,
                       json.dumps({"rule_id": 1, "rule": "site_code:" + (prop.site_code or "")})))
    values = {
        "platform_id": pid, "state": state, "category": "other", "category_label": report["category"],
        "description": report["description"], "url": report.get("url"), "site_code": report.get("site_code"),
        "site_name": report.get("site_name"), "property_id": prop.id if prop else None,
        "reporter_name": report["reporter"]["name"], "reporter_phone": report["reporter"]["phone"],
        "reporter_email": None, "submitted_at": db(received - 3600), "received_at": db(received),
        "platform_due_at": db(end_of_local_day(pdue_day)), "platform_clock_days": PLATFORM_DAYS,
        "unit_id": unit_id, "assigned_at": db(assigned), "unit_due_at": db(unit_due), "unit_clock_days": days,
        "deadline_provisional": provisional, "extensions": 0, "created_at": db(at), "updated_at": db(at),
    }
    return tuple(values.get(c) for c in TICKET_COLUMNS[1:]), events


def _raw_insert_rate(ctx: Context, reports, *, batch: int, prefix: str, connections: int) -> float:
    """Rows per second of plain INSERTs of the same tickets and events, one transaction per batch,
    from as many connections as the server has workers."""
    at = int(time.time())
    batches = []
    for start in range(0, len(reports), batch):
        rows = [_raw_rows(ctx, r, prop, received, at, f"{prefix}-{start + i:07d}")
                for i, (r, prop, received) in enumerate(reports[start:start + batch])]
        batches.append(rows)
    shares = [batches[i::connections] for i in range(connections)]
    ctx.log(f"  baseline: raw INSERTs of {len(reports)} tickets with their events, {connections} connections")
    insert = bare.raw_inserter(ctx.engine)
    threads = [threading.Thread(target=insert, args=(share,)) for share in shares]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    stored = _count_tickets(ctx, f"{prefix}%")
    if stored != len(reports):
        raise RuntimeError(f"baseline stored {stored} of {len(reports)} rows")
    return stored / elapsed


# --- figures: the dashboard page and the metrics API ------------------------------------------

def dashboard(ctx: Context) -> dict:
    """p50/p95 of the supervisor's dashboard page for one month, whole province."""
    cookie = login(ctx.port, "reviewer1", PASSWORD)
    if cookie is None:
        raise Skipped("no working /login page in this tree yet (web issue)")
    query = {"from": ctx.month[0].isoformat(), "to": ctx.month[1].isoformat()}
    probe = request(ctx.port, "GET", "/dashboard", headers={"Cookie": cookie}, query=query)
    if probe.status == 404:
        raise Skipped("GET /dashboard answers 404: the figures issue's page is not in this tree yet")
    if probe.status != 200:
        raise RuntimeError(f"GET /dashboard answered {probe.status}: {probe.body[:300]!r}")
    raw = prepare(ctx.port, "GET", "/dashboard", headers={"Cookie": cookie}, query=query)
    return _latency_vs_aggregate(ctx, raw, "/dashboard")


def metrics(ctx: Context) -> dict:
    """p50/p95 of GET /api/v1/metrics/closure for one month, whole province, and whether its totals
    agree with the bare aggregate's."""
    query = {"from": ctx.month[0].isoformat(), "to": ctx.month[1].isoformat()}
    probe = request(ctx.port, "GET", "/api/v1/metrics/closure", headers=ctx.auth, query=query)
    if probe.status in (404, 405, 501):
        raise Skipped(f"GET /api/v1/metrics/closure answers {probe.status}: the figures issue's endpoint "
                      "is not in this tree yet")
    if probe.status != 200:
        raise RuntimeError(f"GET /api/v1/metrics/closure answered {probe.status}: {probe.body[:300]!r}")
    raw = prepare(ctx.port, "GET", "/api/v1/metrics/closure", headers=ctx.auth, query=query)
    out = _latency_vs_aggregate(ctx, raw, "/api/v1/metrics/closure")
    out["agrees_with_baseline"] = _totals_agree(ctx, probe.json().get("total", {}))
    return out


def _latency_vs_aggregate(ctx: Context, raw: bytes, path: str) -> dict:
    """p50/p95 of `path`, every request cold: each follows a committed write (one ticket row
    rewritten as it was), as on a working province's server, where the data moves between any
    two views. The baseline is the bare month aggregate in the same run."""
    ctx.log(f"{path}: {LATENCY['requests']} requests, one client, each after a committed write")
    _after_writes(ctx, raw, LATENCY["warmup"])
    with CpuMeter(ctx) as cpu:
        load = _after_writes(ctx, raw, LATENCY["requests"])
    _require_ok(load, (200,), f"GET {path}")
    timings = bare.time_aggregate(ctx.engine, ctx.month, _now(), LATENCY["warmup"], LATENCY["requests"])
    p95, base95 = percentile(load.latencies, 0.95), percentile(timings, 0.95)
    return {"p50_ms": ms(percentile(load.latencies, 0.5)), "p95_ms": ms(p95),
            "baseline_p50_ms": ms(percentile(timings, 0.5)), "baseline_p95_ms": ms(base95),
            "ratio": _ratio(p95, base95), "requests": load.count, "cold": True,
            "write_before_each_request": True, "month": ctx.month[0].strftime("%Y-%m"),
            "capped": load.capped, **cpu.per(load.count)}


def _after_writes(ctx: Context, raw: bytes, count: int) -> LoadResult:
    """`count` requests, each sent after a write to tickets has committed."""
    out = LoadResult()
    deadline = time.perf_counter() + LATENCY["cap_seconds"]
    for _ in range(count):
        if time.perf_counter() > deadline:
            out.capped = True
            break
        with ctx.engine.begin() as conn:
            conn.execute(sa.text("UPDATE tickets SET updated_at = updated_at WHERE id = (SELECT min(id) FROM tickets)"))
        load = run_load(ctx.port, [raw], concurrency=1, cap_seconds=LATENCY["cap_seconds"])
        out.latencies += load.latencies
        for status, n in load.statuses.items():
            out.statuses[status] = out.statuses.get(status, 0) + n
        out.bodies += load.bodies[:max(0, 6 - len(out.bodies))]
    return out


def _totals_agree(ctx: Context, total: dict) -> bool | None:
    ours = bare.aggregate_totals(ctx.engine, ctx.month, _now())
    keys = ("received", "closed", "on_time", "overdue_open")
    if not all(k in total for k in keys):
        return None
    agree = all(total[k] == ours[k] for k in keys)
    if not agree:
        ctx.log(f"  metrics totals {({k: total[k] for k in keys})} differ from the bare aggregate's {ours}")
    return agree


# --- export and sweep: a child process each, for its peak RSS ----------------------------------

def export_monthly(ctx: Context) -> dict:
    """Seconds and peak RSS of `feedback export closure --month M --format xlsx` (whole province),
    against the bare aggregate and overdue list written to XLSX by openpyxl's write-only mode."""
    month = ctx.month[0].strftime("%Y-%m")
    product = _child(ctx, "export", {"month": month, "path": str(ctx.workdir / "export.xlsx")})
    baseline = _child(ctx, "export-baseline", {"month": [d.isoformat() for d in ctx.month],
                                                "path": str(ctx.workdir / "export-baseline.xlsx")})
    return _seconds_and_rss(product, baseline, month=month)


def reminder_sweep(ctx: Context) -> dict:
    """Seconds and peak RSS of run_sweep(now) over 100,000 open tickets (N/10 at smaller sizes),
    against the bare SQL that finds and records the same reminders and escalations."""
    target = min(100_000, max(1000, ctx.dataset.tickets // 10))
    added = add_open_tickets(ctx.engine, ctx.dataset, target - _open_count(ctx))
    open_now = _open_count(ctx)
    ctx.log(f"reminder_sweep: {open_now} open tickets ({added} added)")
    at = _now().isoformat()
    product = _child(ctx, "sweep", {"at": at})
    baseline = _child(ctx, "sweep-baseline", {"at": at})
    return _seconds_and_rss(product, baseline, open_tickets=open_now, added_open_tickets=added,
                            found=product.get("result"))


def _open_count(ctx: Context, unit_id: int | None = None) -> int:
    sql = "SELECT count(*) FROM tickets WHERE state IN ('new', 'assigned', 'in_progress', 'replied')"
    with ctx.engine.connect() as conn:
        if unit_id is None:
            return conn.execute(sa.text(sql)).scalar()
        return conn.execute(sa.text(sql + " AND unit_id = :u"), {"u": unit_id}).scalar()


def _child(ctx: Context, command: str, params: dict) -> dict:
    """Run bench.child in a fresh interpreter; its own report of seconds and peak RSS (VmHWM)."""
    ctx.log(f"  child process: {command}")
    env_params = {"database_url": ctx.url, **params}
    done = subprocess.run([sys.executable, "-m", "bench.child", command, json.dumps(env_params)], cwd=ROOT,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=_child_env(ctx))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench.child {command} failed ({done.returncode}): {done.stderr[-1500:]}")
    report = json.loads(lines[-1])
    if "skipped" in report:
        raise Skipped(report["skipped"])
    return report


def _child_env(ctx: Context) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(PYTHONPATH=str(ROOT), FEEDBACK_INSTANCE_PATH=str(ctx.workdir / "instance"))
    return env


def _seconds_and_rss(product: dict, baseline: dict, **extra) -> dict:
    return {"seconds": product["seconds"], "peak_rss_mb": product["peak_rss_mb"],
            "baseline_seconds": baseline["seconds"], "baseline_peak_rss_mb": baseline["peak_rss_mb"],
            "ratio": _ratio(product["seconds"], baseline["seconds"]),
            "rss_ratio": _ratio(product["peak_rss_mb"], baseline["peak_rss_mb"]), **extra}


# --- a clerk's inbox ---------------------------------------------------------------------------

def inbox(ctx: Context) -> dict:
    """p50/p95 of a clerk's inbox page with 1,000 open tickets in the unit (N/100 at smaller sizes),
    against the bare count + first page query it needs."""
    unit = _busiest_department(ctx)
    cookie = login(ctx.port, f"clerk-{unit.code}", PASSWORD)
    if cookie is None:
        raise Skipped("no working /login page in this tree yet (web issue)")
    target = min(1000, max(50, ctx.dataset.tickets // 100))
    added = add_open_tickets(ctx.engine, ctx.dataset, target - _open_count(ctx, unit.id), unit_id=unit.id)
    probe = request(ctx.port, "GET", "/inbox", headers={"Cookie": cookie})
    if probe.status == 404:
        raise Skipped("GET /inbox answers 404: the web issue's page is not in this tree yet")
    if probe.status != 200:
        raise RuntimeError(f"GET /inbox answered {probe.status}: {probe.body[:300]!r}")
    raw = prepare(ctx.port, "GET", "/inbox", headers={"Cookie": cookie})
    ctx.log(f"inbox of {unit.code}: {_open_count(ctx, unit.id)} open tickets; {LATENCY['requests']} requests")
    run_load(ctx.port, [raw] * LATENCY["warmup"], concurrency=1, cap_seconds=LATENCY["cap_seconds"])
    with CpuMeter(ctx) as cpu:
        load = run_load(ctx.port, [raw] * LATENCY["requests"], concurrency=1, cap_seconds=LATENCY["cap_seconds"])
    _require_ok(load, (200,), "GET /inbox")
    timings = bare.time_inbox(ctx.engine, unit.id, LATENCY["warmup"], LATENCY["requests"])
    p95, base95 = percentile(load.latencies, 0.95), percentile(timings, 0.95)
    return {"p50_ms": ms(percentile(load.latencies, 0.5)), "p95_ms": ms(p95),
            "baseline_p50_ms": ms(percentile(timings, 0.5)), "baseline_p95_ms": ms(base95),
            "ratio": _ratio(p95, base95), "requests": load.count, "unit": unit.code,
            "open_tickets": _open_count(ctx, unit.id), "added_open_tickets": added, "capped": load.capped,
            **cpu.per(load.count)}


def _busiest_department(ctx: Context):
    p = ctx.dataset.province
    weight: dict[int, float] = {}
    for prop in p.properties:
        weight[prop.unit_id] = weight.get(prop.unit_id, 0.0) + prop.weight
    departments = [u for u in p.units if u.kind == "department"]
    return max(departments, key=lambda u: weight.get(u.id, 0.0))


WORKLOADS = {
    "ingest_single": ingest_single,
    "ingest_batch": ingest_batch,
    "dashboard": dashboard,
    "metrics": metrics,
    "export_monthly": export_monthly,
    "inbox": inbox,
    "reminder_sweep": reminder_sweep,
}


def previous_month(at: datetime) -> tuple[date, date]:
    """The last complete month before `at` (local dates): what the monthly export covers."""
    from feedback.timeutil import local_date

    first_this = local_date(at).replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last
