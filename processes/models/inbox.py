"""What the inbox adds to tasks: delegations while someone is away, and comments on a case."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..db import Base
from .case import Case
from .org import Unit, User
from .types import JsonDoc


class Delegation(Base):
    """A user's tasks of one role in one unit, done by a colleague holding the same role there, for a date range
    (local days, Asia/Ho_Chi_Minh, both ends included). Ended early by setting `ended_at`."""
    __tablename__ = "delegations"
    __table_args__ = (
        Index("ix_delegations_delegate", "delegate_id", "ends_on"),  # the delegate's inbox: my current delegations
        Index("ix_delegations_delegator", "delegator_id", "ends_on"),
        CheckConstraint("ends_on >= starts_on", name="range"),
        CheckConstraint("delegate_id <> delegator_id", name="other"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    ended_at: Mapped[Optional[dt.datetime]]

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])
    unit: Mapped[Unit] = relationship()


class CaseComment(Base):
    """A comment on a case, with the colleagues it mentions (@username) — each told by a notification."""
    __tablename__ = "case_comments"
    __table_args__ = (Index("ix_case_comments_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list] = mapped_column(JsonDoc, default=list)  # user ids
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship()
