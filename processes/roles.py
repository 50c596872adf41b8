"""Roles, the lanes that name them, and which unit's members a task in that lane belongs to.

A lane in a diagram names a role (its code, or its Vietnamese label), the way SpiffArena's lanes name groups.
The role's scope says where the task lands: in the case's own unit, at the receiving provincial level, or at the
top of the unit's hierarchy.

Roles are data (table `roles`, managed by administrators: processes/role_admin.py); the six the shipped diagrams
name are built in (`ROLES`, seeded by migration 0009). Lanes are matched against a snapshot of the table held per
process (`Catalog`), read again when it is older than REFRESH_SECONDS, when this process changed a role, and — so
that a task is never routed by a stale list — whenever a lane names no known role.
"""
from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import RoleDefinition


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    scope: str  # "unit" | "provincial" | "supreme"


ROLES: tuple[Role, ...] = (
    Role("unit_staff", "Cán bộ đơn vị", "unit"),
    Role("unit_secretary", "Thư ký đơn vị", "unit"),
    Role("unit_council", "Hội đồng TĐKT đơn vị", "unit"),
    Role("unit_head", "Thủ trưởng đơn vị", "unit"),
    Role("provincial_reviewer", "Bộ phận TĐKT cấp tỉnh", "provincial"),
    Role("supreme_reviewer", "Bộ phận TĐKT cấp trung ương", "supreme"),
)
ROLE_BY_CODE = {r.code: r for r in ROLES}
UNIT_ROLES = tuple(r.code for r in ROLES if r.scope == "unit")
REFRESH_SECONDS = 30.0


def lane_key(text: str) -> str:
    """How a lane's name is compared with a role's code and label: Unicode-normalised, trimmed, case-folded."""
    return unicodedata.normalize("NFC", text).strip().casefold()


@dataclass(frozen=True)
class Catalog:
    """The roles as one process last read them."""
    roles: tuple[Role, ...]
    read_at: float = 0.0
    by_key: dict = field(default_factory=dict, compare=False)
    by_code: dict = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, roles, read_at: float = 0.0) -> "Catalog":
        roles = tuple(roles)
        return cls(roles, read_at, {**{lane_key(r.code): r for r in roles}, **{lane_key(r.label): r for r in roles}},
                   {r.code: r for r in roles})


_catalog = Catalog.of(ROLES)  # until this process first reads the table


def load(session: Session) -> Catalog:
    """Read the roles table and make it this process's catalog."""
    global _catalog
    rows = session.execute(select(RoleDefinition.code, RoleDefinition.label, RoleDefinition.scope)
                           .order_by(RoleDefinition.id)).all()
    _catalog = Catalog.of((Role(r.code, r.label, r.scope) for r in rows) if rows else ROLES, time.monotonic())
    return _catalog


def forget() -> None:
    """Drop the snapshot: the next request reads the table again (a test database put back to its seeded roles)."""
    global _catalog
    _catalog = Catalog.of(ROLES)


def refresh_if_stale(session: Session) -> Catalog:
    if time.monotonic() - _catalog.read_at > REFRESH_SECONDS:
        return load(session)
    return _catalog


def current() -> Catalog:
    return _catalog


def role_for_lane_in(session: Session, lane: str | None) -> Role | None:
    """The role a lane names, reading the table again before saying "none" (a role added in another process)."""
    role = role_for_lane(lane)
    if role is None and lane:
        role = load(session).by_key.get(lane_key(lane))
    return role


def role_for_lane(lane: str | None) -> Role | None:
    if not lane:
        return None
    return _catalog.by_key.get(lane_key(lane))


def role_label(code: str) -> str:
    role = _catalog.by_code.get(code)
    return role.label if role else code


def unit_for_scope(scope: str, case_unit, receiving_unit):
    """The unit whose members may do a task of this scope in a case of `case_unit` under a campaign."""
    if scope == "unit":
        return case_unit
    if scope == "provincial":
        if receiving_unit is not None:
            return receiving_unit
        for unit in case_unit.ancestors():
            if unit.level == "provincial":
                return unit
        return case_unit.root()
    return case_unit.root()
