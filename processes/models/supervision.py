"""What the daily digest compares against: each participating unit's dashboard flag as the last digest saw it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..db import Base


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
