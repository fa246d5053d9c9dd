from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime


class SettingChange(db.Model):
    """One saved value of one setting: append-only, never updated or deleted.

    The value in force at a time t is the latest change of that key saved at or before t, so a
    past window is computed with the rules it had; without any change the registry's default
    (from the environment or the app's config) holds. The row is its own audit entry: who, when,
    the value before and the value after."""

    __tablename__ = "setting_changes"
    __table_args__ = (sa.Index("ix_setting_changes_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    value: Mapped[str] = mapped_column(sa.Text)  # canonical text (registry.Setting.text)
    previous: Mapped[str] = mapped_column(sa.Text)  # the value in force just before, as text
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(sa.String(200))  # who, as shown in the audit list
