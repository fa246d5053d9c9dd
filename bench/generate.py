"""Fill an empty, migrated database with a province: 5,000 units, 20,000 sites and accounts,
their routing rules, one clerk per unit, and N tickets over three years with their events.

PostgreSQL loads with COPY (psycopg 3 `cursor.copy`), with the two big tables' foreign keys
and secondary indexes dropped during the load and rebuilt after it in the same transaction
(one validation pass and one sorted index build instead of a check and an index insert per
row; the schema is unchanged when it commits). SQLite loads with executemany batches. On both,
the tickets' triggers are off during the load and settled_month_counts, which they keep, is
filled by one INSERT … SELECT after it, as is each assigned ticket's first hand-off.

    from bench.generate import generate
    dataset = generate(engine, tickets=100_000, as_of=datetime.now(timezone.utc))
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from psycopg.copy import QueuedLibpqWriter

from bench.daytable import DayTable, TimeText, epoch, local_day
from bench.province import Province, build_province
from bench.tickets import EVENT_COLUMNS, TICKET_COLUMNS, TicketMaker
from feedback.calendar.workdays import WorkCalendar

CHUNK = 20_000
YEARS = 3
BIG_TABLES = ("tickets", "ticket_events")


@dataclass
class Dataset:
    """What was generated: the workloads pick units, sites and times from it."""

    province: Province
    maker: TicketMaker
    as_of: int
    tickets: int = 0
    events: int = 0
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)


def generate(engine: sa.Engine, tickets: int = 1_000_000, *, as_of: datetime, seed: int = 20261124,
             log: Callable[[str], None] = lambda message: None) -> Dataset:
    started = time.perf_counter()
    rng = random.Random(seed)
    with Loader(engine) as loader:
        loader.require_empty()
        province = build_province(rng)
        maker = _maker(province, loader.calendar(), epoch(as_of), rng)
        dataset = Dataset(province, maker, maker.as_of)
        _load_directory(loader, province, maker)
        log(f"directory: {len(province.units)} units, {len(province.properties)} properties, "
            f"{len(province.rules)} rules, {len(province.users)} users")
        with loader.bulk(BIG_TABLES):
            first_day = local_day(maker.as_of) - 365 * YEARS + 1
            times = maker.received_times(tickets, first_day)
            props = maker.properties(tickets)
            dataset.tickets, dataset.events = _load_tickets(loader, maker, times, props, 1, 1, log)
            log("rebuilding indexes and foreign keys")
        loader.finish()
    for table in ("settled_month_counts", "ticket_handoffs"):  # filled by INSERT … SELECT, not frozen like the COPYs
        settle(engine, table)
    dataset.seconds = time.perf_counter() - started
    dataset.counts = ticket_counts(engine, as_of)
    return dataset


def add_open_tickets(engine: sa.Engine, dataset: Dataset, count: int, *, unit_id: int | None = None,
                     workdays: int = 6) -> int:
    """Add `count` open tickets received over the last `workdays` working days (so some are
    overdue, some due within a day, some later), all in one unit when unit_id is given.
    For the workloads that need many open tickets: the inbox and the reminder sweep."""
    if count <= 0:
        return 0
    maker = dataset.maker
    props = [p for p in dataset.province.properties if unit_id is None or p.unit_id == unit_id]
    chosen = maker.rng.choices(props, weights=[p.weight for p in props], k=count)
    first = maker.table.workdays_before(local_day(dataset.as_of), workdays)
    times = sorted(maker.received_times(count, first))
    with Loader(engine) as loader:
        tid, eid = loader.next_ids()
        _load_tickets(loader, maker, times, chosen, tid, eid, lambda m: None, force_open=True)
        loader.finish()
    for table in ("tickets", "ticket_handoffs"):
        settle(engine, table)
    return count


def settle(engine: sa.Engine, table: str) -> None:
    """VACUUM ANALYZE, as autovacuum does after a bulk insert (if it is on): index-only scans need
    the visibility map it sets, so the workloads see the table as it is in steady use."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')


def _maker(province: Province, calendar: WorkCalendar, as_of: int, rng: random.Random) -> TicketMaker:
    today = date.fromordinal(local_day(as_of) + date(1970, 1, 1).toordinal())
    first, last = today - timedelta(days=365 * YEARS + 30), today + timedelta(days=400)
    table = DayTable(calendar, first, last)
    text = TimeText(table.first, table.last)
    return TicketMaker(province, table, text, as_of, rng)


def _load_directory(loader: "Loader", p: Province, maker: TicketMaker) -> None:
    created = maker.text.db(maker.as_of - 365 * YEARS * 86_400)
    loader.rows("units", ("id", "parent_id", "code", "name", "kind", "path", "depth", "created_at"),
                [(u.id, u.parent_id, u.code, u.name, u.kind, u.path, u.path.count("/") - 2, created)
                 for u in p.units])
    loader.rows("properties", ("id", "unit_id", "kind", "name", "site_code", "url_prefixes", "account", "created_at"),
                [(x.id, x.unit_id, x.kind, x.name, x.site_code, x.url_prefix or "", x.account, created)
                 for x in p.properties])
    loader.rows("routing_rules", ("id", "kind", "pattern", "unit_id", "property_id", "priority", "created_at"),
                [(r.id, r.kind, r.pattern, r.unit_id, r.property_id, 0, created) for r in p.rules])
    loader.rows("users", ("id", "username", "display_name", "email", "password_hash", "role", "unit_id", "locale",
                          "active", "failed_logins", "created_at"),
                [(uid, name, label, None, p.password_hash, role, unit, "zh_CN", True, 0, created)
                 for uid, name, label, role, unit in p.users])


def _load_tickets(loader, maker, times, props, tid, eid, log, *, force_open=False) -> tuple[int, int]:
    make = maker.make
    total = len(times)
    events = 0
    for start in range(0, total, CHUNK):
        ticket_rows, event_rows = [], []
        for received, prop in zip(times[start:start + CHUNK], props[start:start + CHUNK]):
            row, evs = make(tid, received, prop, eid, force_open=force_open)
            ticket_rows.append(row)
            event_rows.extend(evs)
            tid += 1
            eid += len(evs)
        loader.rows("tickets", TICKET_COLUMNS, ticket_rows)
        loader.rows("ticket_events", EVENT_COLUMNS, event_rows)
        events += len(event_rows)
        log(f"tickets: {min(start + CHUNK, total)}/{total}, events: {events}")
    return total, events


def ticket_counts(engine: sa.Engine, as_of: datetime) -> dict:
    """Tickets per state and how many are overdue (listing.overdue_clause), as loaded."""
    from feedback.tickets.listing import overdue_clause
    from feedback.tickets.models import Ticket

    with engine.connect() as conn:
        states = dict(conn.execute(sa.select(Ticket.state, sa.func.count()).group_by(Ticket.state)).all())
        overdue = conn.execute(sa.select(sa.func.count()).where(overdue_clause(as_of))).scalar_one()
        events = conn.execute(sa.text("SELECT count(*) FROM ticket_events")).scalar_one()
    total = sum(states.values())
    return {"tickets": total, "events": events, "states": states, "overdue": overdue,
            "overdue_share": round(overdue / total, 4) if total else None}


class Loader:
    """Bulk rows into the tables: COPY on PostgreSQL, executemany on SQLite; one transaction."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.cur = self.conn.cursor()
        self.extras = {}
        self.frozen: set[str] = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.conn.rollback()
        self.cur.close()
        self.raw.close()

    def require_empty(self) -> None:
        self.cur.execute("SELECT count(*) FROM units")
        if self.cur.fetchone()[0]:
            raise RuntimeError("the database already has units: the generator fills an empty, migrated database")

    def calendar(self) -> WorkCalendar:
        """The working-day calendar the server will use: the package plus loaded overrides."""
        self.cur.execute("SELECT date, is_workday FROM calendar_days")
        rows = self.cur.fetchall()
        return WorkCalendar({d if isinstance(d, date) else date.fromisoformat(d): bool(w) for d, w in rows})

    def next_ids(self) -> tuple[int, int]:
        self.cur.execute("SELECT (SELECT coalesce(max(id), 0) FROM tickets), (SELECT coalesce(max(id), 0) "
                         "FROM ticket_events)")
        tickets, events = self.cur.fetchone()
        return tickets + 1, events + 1

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        extra_names, extra = self._extra_columns(table, columns)
        if extra:
            rows = (row + extra for row in rows)
        names = ", ".join(f'"{c}"' for c in (*columns, *extra_names))
        if self.pg:
            freeze = " WITH (FREEZE)" if table in self.frozen else ""
            # A writer thread sends while this one formats the next rows: generation and the
            # server's parsing overlap on two cores.
            writer = QueuedLibpqWriter(self.cur)
            with self.cur.copy(f'COPY "{table}" ({names}) FROM STDIN{freeze}', writer=writer) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * (len(columns) + len(extra_names)))
            self.cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def _extra_columns(self, table: str, columns: Sequence[str]) -> tuple[tuple, tuple]:
        """Values for NOT NULL columns the generator does not know (added by later migrations)
        from their model defaults, so a schema change does not break the generator."""
        if table not in self.extras:
            from feedback.extensions import db
            from feedback import models  # noqa: F401  (every table registered)

            names, values = [], []
            for column in db.metadata.tables[table].columns:
                if column.name in columns or column.nullable or column.server_default is not None:
                    continue
                default = column.default
                if default is None or not default.is_scalar:
                    raise RuntimeError(f"bench does not know how to fill {table}.{column.name}; add it to bench")
                names.append(column.name)
                values.append(default.arg)
            self.extras[table] = (tuple(names), tuple(values))
        return self.extras[table]

    @contextmanager
    def bulk(self, tables: Sequence[str]):
        """On PostgreSQL: drop the (empty) tables' foreign keys and secondary indexes, load, put
        them back. The tables are truncated in this transaction first so COPY can FREEZE the rows:
        they are visible to all and frozen from the start, as after a VACUUM (autovacuum may be
        off, and index-only scans need the visibility map).

        On both databases the tables' own triggers are off during the load (one upsert per closed
        ticket into settled_month_counts otherwise) and the tables they keep are refilled from the
        loaded rows by one INSERT … SELECT afterwards, in the same transaction."""
        triggers = self._triggers_off(tables)
        if self.pg:
            self.cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            self.cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
            self.frozen.update(tables)
            saved = []
            for table in tables:
                self.cur.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f'", (table,))
                for name, definition in self.cur.fetchall():
                    saved.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                    self.cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                self.cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", (table, table))
                for name, definition in self.cur.fetchall():
                    saved.insert(0, definition)  # indexes first: the foreign-key checks use them
                    self.cur.execute(f'DROP INDEX "{name}"')
        yield
        if self.pg:
            self.frozen.difference_update(tables)
            for statement in saved:
                self.cur.execute(statement)
        self._triggers_on(triggers)
        if "tickets" in tables:
            self._refill_settled()

    def _triggers_off(self, tables: Sequence[str]) -> list[str]:
        """PostgreSQL: disable the tables' user triggers; SQLite (no such switch): drop them and
        return their CREATE statements."""
        if self.pg:
            for table in tables:
                self.cur.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            return [f'ALTER TABLE "{table}" ENABLE TRIGGER USER' for table in tables]
        marks = ", ".join("?" * len(tables))
        self.cur.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
                         tuple(tables))
        found = self.cur.fetchall()
        for name, _sql in found:
            self.cur.execute(f'DROP TRIGGER "{name}"')
        return [sql for _name, sql in found]

    def _triggers_on(self, statements: list[str]) -> None:
        for statement in statements:
            self.cur.execute(statement)

    def _refill_settled(self) -> None:
        """settled_month_counts and settled_day_counts from the loaded tickets (what the
        triggers would have written)."""
        from feedback.figures.models import refill_statements

        for statement in refill_statements():
            self.cur.execute(str(statement.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})))

    def _fill_handoffs(self) -> None:
        """The first hand-off of every assigned ticket that has none yet: from the top office's
        triage, the ticket's own clock, as ingest writes it (tickets/handoffs.record_initial) and
        migration 0018 wrote it. Without them the figures' join to each level's clock reads an
        empty table, which no working province has."""
        from feedback.tickets.handoffs import HandOff, initial_handoffs
        from feedback.tickets.models import Ticket

        h = HandOff.__table__.c
        fill = initial_handoffs(~sa.exists().where(h.ticket_id == Ticket.__table__.c.id), None, "bench")
        self.cur.execute(str(fill.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})))

    def finish(self) -> None:
        """Write the new tickets' hand-offs, move the id sequences past the loaded ids, commit,
        refresh the planner's statistics."""
        self._fill_handoffs()
        if self.pg:
            for table in ("units", "properties", "routing_rules", "users", "tickets", "ticket_events"):
                self.cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM \"{table}\")) WHERE EXISTS (SELECT 1 FROM \"{table}\")")
        self.conn.commit()
        self.cur.execute("ANALYZE")
        self.conn.commit()
