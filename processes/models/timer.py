"""Waiting timers of cases, kept in step with the workflows and swept by the timer worker."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..contracts import TimerStatus
from ..db import Base
from .case import Case


class CaseTimer(Base):
    """One row per timer event a case waits on. The worker finds due ones by (status, fire_at), never by loading
    workflows; a timer whose firing failed becomes an incident the administrator can retry."""
    __tablename__ = "case_timers"
    __table_args__ = (
        UniqueConstraint("case_id", "task_uuid"),
        Index("ix_case_timers_due", "status", "fire_at"),
        CheckConstraint(f"status IN {tuple(s.value for s in TimerStatus)}", name="status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300), default="")
    fire_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default="waiting")  # waiting | incident
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    case: Mapped[Case] = relationship()
