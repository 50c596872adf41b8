"""Who supervises what.

A **supervisor** is a user who holds a supervising role — the TĐKT section of a level (`provincial_reviewer`,
`supreme_reviewer`) or the head of a unit (`unit_head`) — in a unit that has units *below* it taking part in a
campaign; administrators supervise everything. A supervisor sees, for a campaign, the participating units strictly
below the units they hold such a role in, and may act only on those (a province's supervisor on its own districts,
never on another province's). A district's staff supervise nothing: the dashboard answers them 404.

The units below a supervisor's units come from one recursive query (never the whole units table per request).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Text, cast, inspect, literal_column, select
from sqlalchemy.orm import Session, undefer

from ..errors import Forbidden, NotFound
from ..models import Campaign, Unit, User

SUPERVISOR_ROLES = ("provincial_reviewer", "supreme_reviewer", "unit_head")
CAMPAIGN_NOT_FOUND = "Không tìm thấy phong trào thi đua."
NOT_A_SUPERVISOR = ("Trang giám sát dành cho cán bộ theo dõi, lãnh đạo của cấp có đơn vị trực thuộc tham gia phong "
                    "trào; tài khoản của bạn không giữ vai trò đó.")


@dataclass(frozen=True)
class ScopedUnit:
    id: int
    code: str
    name: str
    short_name: str
    parent_id: int | None

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


def supervisor_unit_ids(user: User) -> set[int]:
    """The units in which the user holds a supervising role (the levels they watch from)."""
    return {r.unit_id for r in user.roles if r.role in SUPERVISOR_ROLES}


def is_supervisor(user: User) -> bool:
    return bool(user.is_admin or supervisor_unit_ids(user))


def check_supervisor(user: User) -> None:
    if not is_supervisor(user):
        raise Forbidden(NOT_A_SUPERVISOR)


def _below(session: Session, roots: set[int]):
    """A recursive CTE of every unit strictly below `roots`."""
    below = select(Unit.id).where(Unit.parent_id.in_(roots)).cte("below", recursive=True)
    return below.union_all(select(Unit.id).join(below, Unit.parent_id == below.c.id))


def participant_codes(campaign: Campaign) -> list[str] | None:
    """The codes of the units the campaign names as participants (None: every unit below its receiving unit), from
    the summary when the (possibly large) definition is not loaded."""
    known = campaign.summary if "details" in inspect(campaign).unloaded else campaign.details
    return (known or {}).get("participants") or None


_UNIT_COLUMNS = (Unit.id, Unit.code, Unit.name, Unit.short_name, Unit.parent_id)


def _tree(session: Session, roots: set[int], include_roots: bool, trees: dict | None) -> list[ScopedUnit]:
    """The units below `roots` (and the roots): one recursive query, or the rows `trees` kept from an earlier one in
    this request (the overview asks the same tree for every campaign)."""
    key = (frozenset(roots), include_roots)
    if trees is not None and key in trees:
        return trees[key]
    tree = select(*_UNIT_COLUMNS).where(Unit.parent_id.in_(roots)).cte("tree", recursive=True)
    tree = tree.union_all(select(*_UNIT_COLUMNS).join(tree, Unit.parent_id == tree.c.id))
    query = select(tree)
    if include_roots:
        query = query.union_all(select(*_UNIT_COLUMNS).where(Unit.id.in_(roots)))
    # kept as units in the order pages list them, so each campaign of the overview only picks its participants
    rows = sorted((ScopedUnit(*row) for row in session.execute(query)), key=lambda u: (u.name, u.id))
    if trees is not None:
        trees[key] = rows
    return rows


def participating_units(session: Session, campaign: Campaign, trees: dict | None = None) -> list[ScopedUnit]:
    """Every participating unit of the campaign (they sit under its receiving unit, which may take part itself)."""
    return _supervised_among(session, None, campaign.receiving_unit_id, _code_set(campaign), trees)


def supervised_units(session: Session, user: User, campaign: Campaign,
                     trees: dict | None = None) -> list[ScopedUnit]:
    """The campaign's participating units the user supervises, by name."""
    return _supervised_among(session, None if user.is_admin else supervisor_unit_ids(user),
                             campaign.receiving_unit_id, _code_set(campaign), trees)


def _code_set(campaign: Campaign) -> set[str] | None:
    codes = participant_codes(campaign)
    return set(codes) if codes is not None else None


def _supervised_among(session: Session, roots: set[int] | None, receiving_unit_id: int, codes: set[str] | None,
                      trees: dict | None) -> list[ScopedUnit]:
    """The participants (`codes`; None: every unit below the receiving unit, which may take part itself) below the
    supervising units `roots` (None: an administrator, who supervises every participant), by name. The participant
    codes are matched here against the unit trees (one recursive query each, kept in `trees` for the request), not
    sent as a list of hundreds of parameters."""
    if roots is not None and not roots:
        return []

    def participating() -> list[ScopedUnit]:
        return [u for u in _tree(session, {receiving_unit_id}, True, trees) if codes is None or u.code in codes]

    if roots is None:
        return participating()
    mine = [u for u in _tree(session, roots, False, trees) if codes is None or u.code in codes]
    if codes is None:  # no list: the units below the receiving unit take part
        below_receiver = {u.id for u in participating()}
        mine = [u for u in mine if u.id in below_receiver]
    return mine


def units_below(session: Session, unit_id: int) -> set[int]:
    return set(session.scalars(select(_below(session, {unit_id}))))


def campaign_for(session: Session, user: User, campaign_id: int) -> tuple[Campaign, list[ScopedUnit]]:
    """The campaign and the units of it the user supervises: 403 for someone who supervises nothing, 404 for a
    campaign that does not exist or has none of their units (the same words either way)."""
    check_supervisor(user)
    campaign = session.get(Campaign, campaign_id, options=[undefer(Campaign.details)])
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    units = supervised_units(session, user, campaign)
    if not units:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    return campaign, units


def supervised_campaign_ids(session: Session, user: User, trees: dict | None = None) -> list[int]:
    """Every campaign with units the user supervises, newest deadline first. The campaigns are listed without their
    definitions or summaries — each summary is decoded once per process and change (`_participants`): a province
    holds a round of its 1,000 units every year, and the overview decoded every round's participant list (1.7 MB of
    JSON for a hundred rounds) on every visit — and each unit tree is read once, however many campaigns share it."""
    check_supervisor(user)
    trees = {} if trees is None else trees
    roots = None if user.is_admin else supervisor_unit_ids(user)
    listed = session.execute(select(Campaign.id, Campaign.receiving_unit_id, _summary_digest(session))
                             .order_by(Campaign.deadline.desc().nulls_last(), Campaign.id)).all()
    participants = _participants(session, listed)
    out = []
    for campaign_id, receiving_unit_id, _digest in listed:
        codes = participants[campaign_id]
        if roots is not None and codes is not None:  # the usual case: a list of participants, matched by code
            if not _codes(session, roots, trees).isdisjoint(codes):
                out.append(campaign_id)
        elif _supervised_among(session, roots, receiving_unit_id, codes, trees):
            out.append(campaign_id)
    return out


def _summary_digest(session: Session):
    """What tells a campaign's summary may have changed without reading it: on PostgreSQL the row's `xmin` (the
    transaction that last wrote the row — any update changes it; hashing the summaries themselves cost 12 ms of
    server time per visit); on SQLite (one machine, no network) the summary's text itself."""
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("campaigns.xmin::text")
    return cast(Campaign.summary, Text)


# (database, campaign id, summary digest) → the participant codes (None: every unit below the receiving unit)
_participant_lists: dict[tuple[str, int, str], frozenset[str] | None] = {}
_participants_lock = threading.Lock()
_KEPT_LISTS = 4096


def _participants(session: Session, listed) -> dict[int, frozenset[str] | None]:
    bind = str(session.get_bind().url)
    keys = {campaign_id: (bind, campaign_id, digest or "") for campaign_id, _unit, digest in listed}
    with _participants_lock:
        found = {campaign_id: _participant_lists[key] for campaign_id, key in keys.items()
                 if key in _participant_lists}
    missing = [campaign_id for campaign_id in keys if campaign_id not in found]
    for start in range(0, len(missing), 500):
        for campaign_id, summary in session.execute(select(Campaign.id, Campaign.summary)
                                                    .where(Campaign.id.in_(missing[start:start + 500]))):
            codes = (summary or {}).get("participants") or None
            found[campaign_id] = frozenset(codes) if codes is not None else None
            with _participants_lock:
                if len(_participant_lists) >= _KEPT_LISTS:
                    _participant_lists.clear()
                _participant_lists[keys[campaign_id]] = found[campaign_id]
    return found


def _codes(session: Session, roots: set[int], trees: dict) -> frozenset[str]:
    key = ("codes", frozenset(roots))
    if key not in trees:
        trees[key] = frozenset(u.code for u in _tree(session, roots, False, trees))
    return trees[key]


def acting_scope(session: Session, user: User) -> set[int] | None:
    """Every unit the user may act on as a supervisor (strictly below their supervising units), read once for a
    batch of actions; None for administrators (everywhere)."""
    if user.is_admin:
        return None
    roots = supervisor_unit_ids(user)
    if not roots:
        return set()
    return set(session.scalars(select(_below(session, roots))))
