"""Notifications: what a change to a case tells each user, in the app and (optionally) by e-mail."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..contracts import EmailStatus
from ..db import Base
from .org import User


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at", "id"),  # the bell's capped count
        Index("ix_notifications_user", "user_id", "id"),  # the newest-first list
        Index("ix_notifications_unsent", "email_status", "id"),
        CheckConstraint(f"email_status IN {tuple(s.value for s in EmailStatus)}", name="email_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    read_at: Mapped[Optional[dt.datetime]]
    # "" = no e-mail wanted; "pending" → "sent" | "failed" | "no_address" once the mailer has run
    email_status: Mapped[str] = mapped_column(String(20), default="")

    user: Mapped[User] = relationship()
