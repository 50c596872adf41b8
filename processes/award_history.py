"""The award history: one row per nominee a decision awarded, the search over it, and what a nominee already
received for the same achievement period.

`record_decision` listens to cases that end (a listener of CaseMoved inside the ending change's own transaction, so a
case that ends with a decision and its history rows are committed together; rerunning it replaces the rows). A unit
case that waited on the supreme decision completes with its own nominees' `awards` (rollup.deliver_decision), so
both the provincial and the supreme path write here; the consolidation case itself writes nothing (its awards are
its units' nominees, recorded on their own cases).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session, joinedload

from .award_forms import award_name
from .case_processor import CaseMoved
from .contracts import CaseKind, CaseStatus, DataKey
from .executor import Tx, listen
from .unit_tree import hierarchy_unit_ids, units_below
from .errors import InvalidInput, NotFound
from .models import AwardRecord, Campaign, Case, Unit, User
from .nominees import nominee_key, normalise
from .paging import Paged

PER_PAGE = 20
MAX_PER_PAGE = 200
KINDS = {"individual": "Cá nhân", "collective": "Tập thể"}


# --- writing ------------------------------------------------------------------------------------------------------

def record_decision(session: Session, case: Case) -> int:
    """Replace the case's history rows with one per nominee its decisions awarded; returns how many. A mixed
    dossier has two: its head's own (`unit_decision`, the unit's Giấy khen) and the level above's. A case whose
    data holds no decision, and a consolidation case, write nothing."""
    data = case.data or {}
    if case.kind == CaseKind.CONSOLIDATION:
        return 0
    decisions = [d for d in (data.get(DataKey.UNIT_DECISION), data) if isinstance(d, dict)
                 and d.get("decision_number") and d.get("awards")]
    if not decisions:
        return 0
    campaign = case.campaign
    period_start, period_end = campaign_period(campaign)
    unused = list(data.get("nominees") or [])
    rows = []
    for decision in decisions:
        decided = _date(decision.get("decision_date"))
        for award in decision["awards"]:
            if not award.get("awarded"):
                continue
            name = normalise(award.get("nominee"))
            nominee = next((n for n in unused if normalise(n.get("name")) == name), None)
            if nominee is not None:
                unused.remove(nominee)  # two people of one name in a dossier each take their own row
            else:  # a name the decision spells differently from the dossier: keep what the decision says
                nominee = {"kind": "individual", "name": award.get("nominee")}
            form = award.get("award_form") or nominee.get("award_form") or ""
            rows.append(dict(
                campaign_id=case.campaign_id, case_id=case.id, unit_id=case.unit_id,
                nominee_kind=nominee.get("kind") or "individual", nominee_key=nominee_key(nominee)[:300],
                nominee_name=(nominee.get("name") or "")[:200], position=(nominee.get("position") or "")[:200],
                achievement_title=(nominee.get("achievement_title") or "")[:300], award_form=form[:50],
                award_name=award_name(form)[:200], decision_number=str(decision["decision_number"])[:50],
                decision_date=decided, decision_authority=(decision.get("decision_authority") or "")[:200],
                period_start=period_start, period_end=period_end, summary=nominee.get("achievement_summary") or "",
            ))
    session.execute(delete(AwardRecord).where(AwardRecord.case_id == case.id)
                    .execution_options(synchronize_session=False))
    if rows:
        session.execute(insert(AwardRecord), rows)
    return len(rows)


def campaign_period(campaign: Campaign) -> tuple[dt.date | None, dt.date | None]:
    """The achievement period (kỳ thành tích) the campaign's file states."""
    details = campaign.details or {}
    return _date(details.get("period_start")), _date(details.get("period_end"))


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# --- reading ------------------------------------------------------------------------------------------------------

@dataclass
class AwardPage(Paged):
    items: list[AwardRecord]
    total: int
    page: int
    per_page: int


def subtree(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit below it."""
    return units_below(session, [unit_id])


def visible_units(session: Session, user: User) -> list[Unit]:
    """The units the unit filter offers, by name."""
    ids = hierarchy_unit_ids(session, user)
    query = select(Unit).order_by(Unit.name)
    if ids is not None:
        query = query.where(Unit.id.in_(ids))
    return list(session.scalars(query))


def search(session: Session, user: User, q: str = "", kind: str = "", unit_id: int | None = None, page: int = 1,
           per_page: int = PER_PAGE, key: str = "") -> AwardPage:
    """Awards newest decision first. `q` matches the start of a nominee's name (normalised, so case and spacing do
    not matter), `key` one nominee exactly (their history), `unit_id` the nominating unit and the units under it."""
    if kind and kind not in KINDS:
        raise InvalidInput("Đối tượng phải là «individual» (cá nhân) hoặc «collective» (tập thể).")
    page, per_page = max(1, page or 1), min(max(1, per_page or PER_PAGE), MAX_PER_PAGE)
    query = select(AwardRecord)
    visible = hierarchy_unit_ids(session, user)
    if unit_id:
        if visible is not None and unit_id not in visible:
            raise NotFound("Không tìm thấy đơn vị.")  # outside the reader's hierarchies: as if it did not exist
        query = query.where(AwardRecord.unit_id.in_(subtree(session, unit_id)))
    elif visible is not None:
        query = query.where(AwardRecord.unit_id.in_(visible))
    if key:
        query = query.where(AwardRecord.nominee_key == key)
    name = _like_escape(normalise(q))
    if name:  # prefix LIKE on the key column, whose index serves it
        kinds = [kind] if kind else list(KINDS)
        query = query.where(or_(*(AwardRecord.nominee_key.like(f"{k}:{name}%", escape="\\") for k in kinds)))
    elif kind:
        query = query.where(AwardRecord.nominee_key.like(f"{kind}:%"))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(
        query.options(joinedload(AwardRecord.unit), joinedload(AwardRecord.campaign))
        .order_by(AwardRecord.decision_date.desc().nulls_last(), AwardRecord.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).unique().all()
    return AwardPage(list(rows), total, page, per_page)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def earlier_awards(session: Session, campaign: Campaign, nominees, *,
                   units: set[int] | None) -> dict[str, list[AwardRecord]]:
    """For each nominee (by key), the awards of other campaigns whose achievement period overlaps this campaign's,
    newest first; one query. A period either side leaves unstated cannot be ruled out, so such awards are shown.
    Only awards of `units` (None: all, for an administrator): the reader's hierarchies (`hierarchy_unit_ids`), as
    the history search reads, so a matching name and birth date never reveal another hierarchy's decisions. The
    query finds the nominees' awards by key (ix_award_records_nominee; usually none) and `units` filters those few
    rows here: a hierarchy's unit ids (1,300 in bench/load.py) are never sent as parameters."""
    keys = {nominee_key(n) for n in nominees or [] if (n or {}).get("name")}
    if not keys:
        return {}
    start, end = campaign_period(campaign)
    query = select(AwardRecord).where(AwardRecord.nominee_key.in_(keys), AwardRecord.campaign_id != campaign.id)
    if end is not None:
        query = query.where(or_(AwardRecord.period_start.is_(None), AwardRecord.period_start <= end))
    if start is not None:
        query = query.where(or_(AwardRecord.period_end.is_(None), AwardRecord.period_end >= start))
    found: dict[str, list[AwardRecord]] = {k: [] for k in keys}
    for row in session.scalars(query.options(joinedload(AwardRecord.campaign))
                               .order_by(AwardRecord.decision_date.desc().nulls_last(), AwardRecord.id.desc())):
        if units is None or row.unit_id in units:
            found[row.nominee_key].append(row)
    return found


@dataclass
class EarlierAwards:
    nominee: dict
    key: str
    awards: list[AwardRecord]


def earlier_for_case(session: Session, case: Case, reader: User) -> list[EarlierAwards] | None:
    """Each of the case's nominees with the earlier awards for the same period `reader` may read (those of their own
    hierarchies, as the history search), for the case and task pages (None: no nominees yet)."""
    nominees = [n for n in (case.data or {}).get("nominees") or [] if isinstance(n, dict) and n.get("name")]
    if not nominees:
        return None
    found = earlier_awards(session, case.campaign, nominees, units=None)  # by key; usually nothing
    visible = hierarchy_unit_ids(session, reader) if any(found.values()) else None  # the unit table, only then
    if visible is not None:
        found = {key: [r for r in rows if r.unit_id in visible] for key, rows in found.items()}
    return [EarlierAwards(n, nominee_key(n), found.get(nominee_key(n), [])) for n in nominees]


def _record_ended(tx: Tx, event: CaseMoved) -> None:
    record_decision(tx.session, tx.session.get(Case, event.case_id))


listen(CaseMoved, "award_history.record_decision", _record_ended,
       wants=lambda e: e.ended and e.status == CaseStatus.COMPLETED and e.kind == CaseKind.UNIT, after_commit=False)
