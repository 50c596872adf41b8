"""What was nominated in a campaign round (for the duplicate rules across units) and what was awarded (history)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..db import Base
from .campaign import Campaign
from .case import Case
from .org import Unit


class Nomination(Base):
    """One row per nominee in a dossier a unit head has submitted; rewritten when the dossier is submitted again
    and removed when the case closes unsent. The duplicate rules look here, across every unit of the round."""
    __tablename__ = "nominations"
    __table_args__ = (
        Index("ix_nominations_round_nominee", "campaign_id", "nominee_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    nominee_key: Mapped[str] = mapped_column(String(300))
    nominee_name: Mapped[str] = mapped_column(String(200))
    achievement_key: Mapped[str] = mapped_column(String(300), default="")
    award_form: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    case: Mapped[Case] = relationship()
    unit: Mapped[Unit] = relationship()


class AwardRecord(Base):
    """One row per nominee a decision awarded: the award history of people and units."""
    __tablename__ = "award_records"
    __table_args__ = (
        Index("ix_award_records_nominee", "nominee_key", "decision_date"),
        Index("ix_award_records_unit", "unit_id", "decision_date"),
        Index("ix_award_records_campaign", "campaign_id"),
        # Name search is a prefix LIKE on the key; PostgreSQL's default collation cannot use a plain btree for that.
        Index("ix_award_records_key_prefix", "nominee_key", postgresql_ops={"nominee_key": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the unit that nominated
    nominee_kind: Mapped[str] = mapped_column(String(20))  # collective | individual
    nominee_key: Mapped[str] = mapped_column(String(300))
    nominee_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    achievement_title: Mapped[str] = mapped_column(String(300), default="")
    award_form: Mapped[str] = mapped_column(String(50))
    award_name: Mapped[str] = mapped_column(String(200), default="")
    decision_number: Mapped[str] = mapped_column(String(50), default="")
    decision_date: Mapped[Optional[dt.date]]
    decision_authority: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[Optional[dt.date]]
    period_end: Mapped[Optional[dt.date]]
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
