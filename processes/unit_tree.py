"""Walks of the unit tree that decide what a user sees: one read of (id, parent_id), then sets in memory.

Two readings, named apart because they mean different things:
- `visible_unit_ids`: the units whose *cases* a user may see — those they hold a role in and every unit below;
- `hierarchy_unit_ids`: the units whose *award decisions* a user may read — every unit of each hierarchy (root and
  all below) they belong to, since decisions are public within a hierarchy; `unit_hierarchy_ids` the same for one
  unit (what a document of that unit may quote).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Unit, User


def _parents(session: Session) -> dict[int, int | None]:
    return dict(session.execute(select(Unit.id, Unit.parent_id)).all())


def units_below(session: Session, unit_ids) -> set[int]:
    """The given units and every unit below them."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in _parents(session).items():
        children.setdefault(parent_id, []).append(unit_id)
    seen, stack = set(), list(unit_ids)
    while stack:
        unit_id = stack.pop()
        if unit_id not in seen:
            seen.add(unit_id)
            stack.extend(children.get(unit_id, []))
    return seen


def visible_unit_ids(session: Session, user: User) -> set[int] | None:
    """The units whose cases a user may see: those they hold a role in and every unit below them (None = all)."""
    if user.is_admin:
        return None
    return units_below(session, [r.unit_id for r in user.roles])


def hierarchy_unit_ids(session: Session, user: User) -> set[int] | None:
    """Every unit under the root of each unit the user belongs to or holds a role in (None = all, for admins)."""
    if user.is_admin:
        return None
    return _under_roots_of(_parents(session), {user.unit_id, *(r.unit_id for r in user.roles)})


def unit_hierarchy_ids(session: Session, unit_id: int) -> set[int]:
    """Every unit of the hierarchy `unit_id` belongs to (its root and all below): the award decisions a document of
    that unit may quote, as `hierarchy_unit_ids` is what a member of that unit may read."""
    return _under_roots_of(_parents(session), {unit_id})


def _under_roots_of(parents: dict[int, int | None], unit_ids) -> set[int]:
    def root(unit_id):
        while parents.get(unit_id) is not None:
            unit_id = parents[unit_id]
        return unit_id

    roots = {root(u) for u in unit_ids if u is not None}
    return {u for u in parents if root(u) in roots}
