"""The ticket (one forwarded 留言) and its append-only history."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.directory.models import Property, Unit
from feedback.db_setup import only_on
from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now

STATES = ("new", "assigned", "in_progress", "replied", "closed", "invalid")
OPEN_STATES = ("new", "assigned", "in_progress", "replied")
OPEN_PREDICATE = "state IN ('new', 'assigned', 'in_progress', 'replied')"
CATEGORIES = ("content_error", "outdated", "broken_link", "no_response", "service", "security", "other")


class Ticket(db.Model):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[str] = mapped_column(sa.String(64), unique=True)  # 留言编号
    state: Mapped[str] = mapped_column(sa.String(20), default="new")
    category: Mapped[str] = mapped_column(sa.String(32), default="other")
    category_label: Mapped[str | None] = mapped_column(sa.String(100))  # the raw label as sent
    description: Mapped[str] = mapped_column(sa.Text)
    url: Mapped[str | None] = mapped_column(sa.Text)
    site_code: Mapped[str | None] = mapped_column(sa.String(32))
    site_name: Mapped[str | None] = mapped_column(sa.String(200))
    property_id: Mapped[int | None] = mapped_column(sa.ForeignKey("properties.id"), index=True)
    # Personal information (留言人): masked for roles that do not need it.
    reporter_name: Mapped[str | None] = mapped_column(sa.String(100))
    reporter_phone: Mapped[str | None] = mapped_column(sa.String(50))
    reporter_email: Mapped[str | None] = mapped_column(sa.String(200))

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 留言时间
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # 转办时间: the platform forwarded it to us
    platform_due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the office's clock, from received_at
    platform_clock_days: Mapped[int]  # N of the platform clock

    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # last assignee
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the unit's clock
    # N of the unit clock at assignment plus approved extension days: unit_due_at is always
    # due_after(assigned_at, unit_clock_days), so it can be recomputed after a calendar load.
    unit_clock_days: Mapped[int | None]
    deadline_provisional: Mapped[bool] = mapped_column(default=False)
    extensions: Mapped[int] = mapped_column(default=0)  # approved extensions (count)
    # The topmost level (Unit.depth) the unit clock is also the clock of: its hand-off's top_depth
    # (tickets/handoffs.py). 0 unless a level above forwarded the ticket (逐级转办); a figure on a
    # level above it reads that level's own hand-off, any other level reads these columns. A
    # server default only: inserts built from this table against an older schema leave it out.
    clock_top_depth: Mapped[int] = mapped_column(server_default="0")
    extension_requested_days: Mapped[int | None]  # a pending 延期 request
    extension_request_reason: Mapped[str | None] = mapped_column(sa.Text)

    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest reply submitted
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 办结: the office approved
    # Working days from assignment to the accepted reply, fixed at closing (DESIGN.md: Figures).
    handling_workdays: Mapped[int | None]

    invalid_reason: Mapped[str | None] = mapped_column(sa.Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    # Which site the report is about, for finding likely duplicates (tickets/duplicates.py).
    site_key: Mapped[str | None] = mapped_column(sa.String(210))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    site_property: Mapped[Property | None] = relationship()
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="save-update, merge"
    )

    __table_args__ = (
        sa.Index("ix_tickets_unit_state", "unit_id", "state"),
        # a period's tickets (the figures' cohort), with every column the cohort reads on
        # PostgreSQL (0029): a month is an index-only scan, not a table row per ticket
        sa.Index("ix_tickets_received_at_unit", "received_at", "unit_id",
                 postgresql_include=["id", "state", "assigned_at", "replied_at", "closed_at", "unit_due_at",
                                     "platform_due_at", "handling_workdays", "extensions", "clock_top_depth"]),
        sa.Index("ix_tickets_state_unit_due_at", "state", "unit_due_at"),
        sa.Index("ix_tickets_site_key_received_at", "site_key", "received_at"),
        # Open tickets only (a few percent of a province's million), covering what the dashboard's
        # at-a-glance counts, the menu's queue counts and the reminder sweep read: an index-only
        # scan instead of visiting a heap page per open ticket (measured with bench/, 0008, 0011).
        sa.Index("ix_tickets_open_due", "unit_due_at",
                 postgresql_include=["id", "unit_id", "state", "replied_at", "extension_requested_days"],
                 postgresql_where=sa.text(OPEN_PREDICATE), sqlite_where=sa.text(OPEN_PREDICATE)),
        # SQLite has no INCLUDE: the same open tickets with those columns as keys (0028), so that
        # the counts at a glance read the index alone, not a table row per open ticket
        sa.Index("ix_tickets_open_covering", "unit_due_at", "state", "unit_id", "replied_at",
                 "extension_requested_days", sqlite_where=sa.text(OPEN_PREDICATE),
                 info=only_on("sqlite")).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            sa.text("state in ('new','assigned','in_progress','replied','closed','invalid')"), name="state"
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class TicketEvent(db.Model):
    """Append-only: who did what, when. Never updated or deleted (DESIGN.md: Domain model)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(sa.String(200))  # a readable label: user name, "system", "import"
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)  # the ticket's unit then
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    __table_args__ = (
        sa.Index("ix_ticket_events_action_at", "action", "at"),
        # a ticket's replies, rejections, extension decisions up to a time (figures as of T)
        sa.Index("ix_ticket_events_ticket_action_at", "ticket_id", "action", "at"),
    )


class DuplicateFlag(db.Model):
    """A likely duplicate found at ingest: `ticket` looks like `candidate`, an earlier open
    ticket (tickets/duplicates.py). Shown while both are open; acting on it is `invalidate`."""

    __tablename__ = "duplicate_flags"

    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), primary_key=True, autoincrement=False)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(10))  # url | text
    score: Mapped[int]  # percent similar; 100 for the same page
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)


def is_open(ticket=None):
    """WHERE the ticket is open, with the states written into the SQL as literals: SQLite uses
    the open-tickets partial index (OPEN_PREDICATE) only for the same literal list, and with
    bound parameters it scans the whole table."""
    column = (ticket if ticket is not None else Ticket).state
    return column.in_(sa.bindparam("open_states", list(OPEN_STATES), expanding=True, literal_execute=True, unique=True))
