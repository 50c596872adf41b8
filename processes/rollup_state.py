"""Where a campaign's roll-up stands, read-only: the dossiers forwarded to the receiving level's consolidation
case, the candidates its council selects from, every participating unit's state, and what still blocks the
consolidated submission. Read by the pages, the rules (rules/consolidation.py) and the roll-up's listeners
(rollup.py); it changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer

from . import clock
from .contracts import SETTLED, CaseKind
from .award_forms import upward_nominees
from .models import Campaign, Case, OpenTask, Unit
from .nominees import normalise


def consolidation_case(session: Session, campaign_id: int) -> Case | None:
    return session.scalar(select(Case).where(Case.campaign_id == campaign_id, Case.kind == CaseKind.CONSOLIDATION))


def forwarded_children(session: Session, parent: Case, *, lock: bool = False) -> list[Case]:
    """Unit cases waiting on the consolidation case's decision (locked in ascending id when `lock`)."""
    query = (select(Case).where(Case.parent_id == parent.id, Case.status.not_in(SETTLED))
             .options(joinedload(Case.unit)).order_by(Case.id))
    if lock:
        query = query.options(undefer(Case.workflow_state)).with_for_update(of=Case)
    return list(session.scalars(query).unique())


def candidates_for(session: Session, parent: Case) -> list[dict]:
    """Every nominee of every forwarded unit dossier, as rows the council votes on and ticks: those sent up only (a
    Giấy khen the unit's own head decided stays with the unit, `award_forms.upward_nominees`)."""
    rows = []
    for child in forwarded_children(session, parent):
        for nominee in upward_nominees(child.data):
            rows.append({"case_id": child.id, "unit": child.unit.name, "kind": nominee.get("kind"),
                         "name": nominee.get("name"), "position": nominee.get("position", ""),
                         "award_form": nominee.get("award_form"),
                         "achievement_summary": nominee.get("achievement_summary", ""), "selected": False})
    return rows


def awards_for(child: Case, awards: list[dict]) -> list[dict]:
    """The child's nominees with what the decision gave them: an award of the decision names the nominee and, when
    it came from the consolidated list, the unit case it belongs to (two units may nominate people of one name).
    Only the nominees the unit sent up: its own head decided the others."""
    granted = {}
    for award in awards:
        if award.get("awarded") and award.get("case_id") in (None, child.id):
            granted.setdefault(normalise(award.get("nominee")), award)
    result = []
    for nominee in upward_nominees(child.data):
        award = granted.get(normalise(nominee.get("name")))
        result.append({"nominee": nominee.get("name"),
                       "award_form": (award or nominee).get("award_form"), "awarded": award is not None})
    return result


@dataclass
class UnitDossier:
    unit: Unit
    case: Case | None
    step: str  # what the page says of it

    @property
    def settled(self) -> bool:
        """Nothing more is coming from this unit for the consolidated dossier."""
        return self.case is not None and (self.case.parent_id is not None or self.case.status in SETTLED)


def unit_dossiers(session: Session, campaign: Campaign) -> list[UnitDossier]:
    """Every participating unit with its case and where it stands, for the receiving level's overview."""
    codes = (campaign.details or {}).get("participants") or []
    by_unit = {c.unit_id: c for c in session.scalars(
        select(Case).where(Case.campaign_id == campaign.id, Case.kind == CaseKind.UNIT)
        .options(joinedload(Case.unit)))}
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))} if codes else {}
    listed = [units[c] for c in codes if c in units] + [c.unit for c in by_unit.values() if c.unit.code not in codes]
    out = []
    for unit in listed:
        case = by_unit.get(unit.id)
        if case is None:
            step = "Chưa tạo hồ sơ"
        elif case.parent_id is not None and case.status not in SETTLED:
            step = "Đã tiếp nhận, chờ quyết định của trung ương"
        else:
            step = case.current_step or case.status
        out.append(UnitDossier(unit, case, step))
    return out


def submission_blockers(session: Session, parent: Case) -> list[str]:
    """Why the receiving level may not send its consolidated dossier upward yet: a unit's dossier still awaits its
    check (or a late decision), or — before the units' deadline has passed — a unit may still submit."""
    campaign = parent.campaign
    waiting_check = session.execute(
        select(Unit.name, OpenTask.name).join(Case, Case.id == OpenTask.case_id).join(Unit, Unit.id == Case.unit_id)
        .where(Case.campaign_id == campaign.id, Case.kind == CaseKind.UNIT,
               OpenTask.unit_id == campaign.receiving_unit_id, OpenTask.role == "provincial_reviewer")
        .order_by(Unit.name)).all()
    found = [f"Hồ sơ của {unit} đang chờ cấp nhận hồ sơ xử lý («{task}»)." for unit, task in waiting_check]
    deadline = campaign.deadline_at
    if deadline is not None and clock.now() <= deadline:
        open_units = [d.unit.name for d in unit_dossiers(session, campaign) if not d.settled]
        if open_units:
            found.append(f"Chưa hết hạn nộp hồ sơ của các đơn vị ({clock.format_date(deadline)}) và còn "
                          f"{len(open_units)} đơn vị chưa hoàn tất: {', '.join(open_units[:8])}"
                          + ("…" if len(open_units) > 8 else "") + ".")
    return found


def check_candidates(session: Session, parent: Case, candidates: list[dict]) -> list[str]:
    """The council's rows must be the forwarded nominees as they are: a changed name, form or unit is refused."""
    known = {(c["case_id"], normalise(c["name"])): c for c in candidates_for(session, parent)}
    found = []
    for row in candidates:
        original = known.get((row.get("case_id"), normalise(row.get("name"))))
        if original is None:
            found.append(f"«{row.get('name')}» không có trong các hồ sơ đơn vị đã được tiếp nhận.")
        elif (row.get("award_form"), row.get("kind")) != (original["award_form"], original["kind"]):
            found.append(f"«{row.get('name')}»: hình thức hoặc đối tượng khen thưởng khác với hồ sơ của đơn vị.")
    return found
