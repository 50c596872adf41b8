"""The roles lanes name, as data an administrator manages (code, Vietnamese label, scope)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..db import Base

ROLE_SCOPES = ("unit", "provincial", "supreme")


class RoleDefinition(Base):
    __tablename__ = "roles"
    __table_args__ = (CheckConstraint(f"scope IN {ROLE_SCOPES}", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(20))
    builtin: Mapped[bool] = mapped_column(default=False)  # the code names it: its code and scope stay
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
