"""What process owners work on besides the published versions: the one draft of each process, and the process's own
audit trail (a publish, an upload), which has no case to hang on."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..db import Base
from .org import User
from .types import JsonDoc

PROCESS_ACTIONS = ("draft_created", "draft_uploaded", "published")


class ProcessDraft(Base):
    """The draft of a process, shared by its owners: one per process, not one per owner, because a process is one
    document that one publish turns into the next version; drafts per owner would diverge silently and leave the
    publisher to pick a winner. `revision` is the optimistic lock: a save names the revision it was based on, and
    a save based on an older one is refused (409) with who saved since, never applied."""
    __tablename__ = "process_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    base_version: Mapped[int] = mapped_column(default=0)  # the published version the draft started from (0: none)
    problem_count: Mapped[int] = mapped_column(default=0)  # from the validator at the last save, for the lists
    pending: Mapped[bool] = mapped_column(default=True)  # holds changes not yet published
    saved_at: Mapped[dt.datetime] = mapped_column(default=now)
    saved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    saved_by: Mapped[Optional[User]] = relationship()


class ProcessEvent(Base):
    """Append-only record of what process owners did to a process (uploads, publishes)."""
    __tablename__ = "process_events"
    __table_args__ = (
        Index("ix_process_events_process", "process_id", "id"),
        CheckConstraint(f"action IN {PROCESS_ACTIONS}", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(default=now)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    version: Mapped[Optional[int]]
    details: Mapped[dict] = mapped_column(JsonDoc, default=dict)

    actor: Mapped[Optional[User]] = relationship()
