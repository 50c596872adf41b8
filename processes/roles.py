"""Roles, the lanes that name them, and which unit's members a task in that lane belongs to.

A lane in a diagram names a role (its code, or its Vietnamese label), the way SpiffArena's lanes name groups.
The role's scope says where the task lands: in the case's own unit, at the receiving provincial level, or at the
top of the unit's hierarchy.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass


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


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


_BY_KEY = {**{_key(r.code): r for r in ROLES}, **{_key(r.label): r for r in ROLES}}


def role_for_lane(lane: str | None) -> Role | None:
    if not lane:
        return None
    return _BY_KEY.get(_key(lane))


def role_label(code: str) -> str:
    role = ROLE_BY_CODE.get(code)
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
