"""Dashboard flags kept in the database: each participating unit's flag as the last digest saw it (what the next
digest compares against), and each campaign's flags as last computed (what the overview counts)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..db import Base
from .types import JsonDoc


class UnitFlag(Base):
    """One row per (campaign, participating unit): the flag the last digest computed. The next digest tells the
    supervisors of the units whose flag has since become at risk, overdue or stalled, then rewrites the rows."""
    __tablename__ = "supervision_flags"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    flag: Mapped[str] = mapped_column(String(20))
    seen_at: Mapped[dt.datetime] = mapped_column(default=now)


class FlagSnapshot(Base):
    """One row per campaign: every participating unit's dashboard flag as last computed, with a fingerprint of what
    the flags were computed from (`supervision.flag_snapshots`). The overview counts from it while the fingerprint
    holds, so one computation — usually the timer worker's refresh — serves every web worker and machine."""
    __tablename__ = "flag_snapshots"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime]  # the clock's reading the time-driven flags were computed for
    settled: Mapped[bool]  # every flag is one the clock alone does not change (decided, submitted, overdue …)
    flags: Mapped[dict] = mapped_column(JsonDoc)  # {unit id (as text): flag}
    rows: Mapped[Optional[dict]] = mapped_column(JsonDoc)  # the dashboard's rows, with who holds each step
