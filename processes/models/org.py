"""Units in their hierarchy, the people in them, the roles they hold and their API tokens."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..db import Base

LEVELS = ("supreme", "provincial", "district", "commune")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(120), default="")
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40), default="procuracy")
    place: Mapped[str] = mapped_column(String(80), default="")
    staff_count: Mapped[int] = mapped_column(default=0)
    collective_count: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    # The reporting path (`parent`: where the unit's dossiers go in a campaign) is not always the body the unit
    # answers to. In Thanh Hóa every participant sends its dossier to the Sở TT&TT, but UBND huyện Hoằng Hóa
    # answers to UBND tỉnh Thanh Hóa, whose Chủ tịch decides. `governing` is that body (None: the parent);
    # `header_parent` is what Nghị định 30/2020 prints above the unit's name in a document's header (None: the
    # governing body's name; "": nothing — Ủy ban nhân dân prints its own name alone).
    governing_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    header_parent: Mapped[Optional[str]] = mapped_column(String(255))
    # How the unit's head is called ("Viện trưởng", "Chủ tịch", "Giám đốc"…): who signs and decides its Giấy khen.
    head_title: Mapped[str] = mapped_column(String(80), default="", server_default="")

    parent: Mapped[Optional["Unit"]] = relationship(remote_side=[id], foreign_keys=[parent_id])
    governing: Mapped[Optional["Unit"]] = relationship(remote_side=[id], foreign_keys=[governing_id])

    def ancestors(self) -> list["Unit"]:
        """Self first, root last."""
        chain, unit = [], self
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    def root(self) -> "Unit":
        return self.ancestors()[-1]

    @property
    def governing_body(self) -> Optional["Unit"]:
        """The body the unit answers to (a governing body apart from the reporting path, else the parent)."""
        return self.governing if self.governing_id is not None else self.parent

    def governing_chain(self) -> list["Unit"]:
        """Self first, then each governing body up to the top (the one that decides the highest awards)."""
        chain, unit = [], self
        while unit is not None and unit not in chain:
            chain.append(unit)
            unit = unit.governing_body
        return chain

    @property
    def header_parent_name(self) -> str:
        """What a document's header prints above the unit's name."""
        if self.header_parent is not None:
            return self.header_parent
        body = self.governing_body
        return body.name if body is not None else ""

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Edits and publishes diagrams (administrators do too); a flag rather than a unit role, because owning a process
    # is not tied to a unit and lanes never name it (processes/access.py: may_own_processes).
    is_process_owner: Mapped[bool] = mapped_column(default=False, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session and remember-me cookie of the user at once (logout, password change).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    unit: Mapped[Unit] = relationship()
    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    # The user protocol Flask-Login expects, written out so the core needs no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id, the user's session version
        (bumped by logout, so every earlier cookie stops working) and a per-login nonce (so two logins never share
        a cookie). `webapp.auth.load_user` reads it back."""
        return f"{self.id}.{self.session_version}.{getattr(self, 'login_nonce', '')}"

    def holds(self, role: str, unit_id: int) -> bool:
        return any(r.role == role and r.unit_id == unit_id for r in self.roles)


class RoleAssignment(Base):
    """A user holds a role within a unit; the inbox joins open tasks on (unit_id, role)."""
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id", "role"),
        # who holds a role in a unit: notices, reminders and the dashboard's holders join on it
        Index("ix_role_assignments_unit_role", "unit_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship()


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_hash", "token_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    last_used_at: Mapped[Optional[dt.datetime]]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
