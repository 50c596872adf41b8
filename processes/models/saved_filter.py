"""Inbox filters people keep on the server: their own, or shared with everyone holding a role in a unit."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..db import Base
from .org import User


class SavedFilter(Base):
    __tablename__ = "saved_filters"
    __table_args__ = (
        Index("ix_saved_filters_owner", "owner_id"),
        Index("ix_saved_filters_shared", "shared_unit_id", "shared_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(String(600))  # the inbox's query string (InboxFilter.args, URL-encoded)
    shared_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    shared_role: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    owner: Mapped[User] = relationship()
