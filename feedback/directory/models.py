"""Units, their websites and new-media accounts, and routing rules (DESIGN.md: Domain model)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now

UNIT_KINDS = ("office", "region", "department")
PROPERTY_KINDS = ("website", "new_media")
RULE_KINDS = ("site_code", "url_prefix", "account")


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    # Materialised path of ids, "/1/4/17/": a subtree is one indexed LIKE 'prefix%'.
    path: Mapped[str] = mapped_column(sa.String(400), index=True, default="/")
    depth: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent")

    __table_args__ = (sa.CheckConstraint(sa.text("kind in ('office','region','department')"), name="kind"),)

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class Property(db.Model):
    """A website (网站, with 网站标识码) or a government new-media account (政务新媒体)."""

    __tablename__ = "properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    site_code: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    url_prefixes: Mapped[str] = mapped_column(sa.Text, default="")
    account: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    unit: Mapped[Unit] = relationship()

    __table_args__ = (sa.CheckConstraint(sa.text("kind in ('website','new_media')"), name="kind"),)

    @property
    def prefixes(self) -> list[str]:
        return [p for p in (self.url_prefixes or "").split(";") if p]


class RoutingRule(db.Model):
    """site_code / normalised URL prefix (host + path) / account name → unit."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    pattern: Mapped[str] = mapped_column(sa.String(500))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(sa.ForeignKey("properties.id"), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    unit: Mapped[Unit] = relationship()
    site_property: Mapped[Property | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("kind", "pattern", name="uq_routing_rules_kind_pattern"),
        sa.CheckConstraint(sa.text("kind in ('site_code','url_prefix','account')"), name="kind"),
    )


class UnitsVersion(db.Model):
    """One row: a token that triggers on `units` replace at every write (migration 0012), so a
    process may reuse a unit tree it resolved while the token stands (figures/closure.py)."""

    __tablename__ = "units_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger)
