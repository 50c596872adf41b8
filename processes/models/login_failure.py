"""Failed sign-ins, per account and per address, for the throttle (processes/sign_in.py). Kept in the database so
every web worker on every machine counts the same attempts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..db import Base


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # "user:<username>" or "addr:<IP address>"
    at: Mapped[dt.datetime] = mapped_column(default=now)
