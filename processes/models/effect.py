"""The executor's outbox: after-commit work that must not be lost when a process dies between two transactions."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..db import Base
from .types import JsonDoc


class PendingEffect(Base):
    """One listener still to run for one committed event. Written in the event's own transaction, run and deleted
    right after its commit; a row left behind (a worker killed in between) is picked up by the timer worker."""
    __tablename__ = "pending_effects"
    __table_args__ = (Index("ix_pending_effects_due", "run_after", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listener: Mapped[str] = mapped_column(String(80))
    event: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    run_after: Mapped[dt.datetime] = mapped_column(default=now)  # pushed back after a failure
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
