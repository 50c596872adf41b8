"""The level-by-level roll-up: units' dossiers gathered at the receiving level, one consolidated dossier upward,
and the decision flowing back down to each unit.

A unit's case (bpmn/nomination.bpmn) whose dossier the receiving level has accepted, and whose award forms are
decided above it, throws `tdkt.forwarded` and waits on `tdkt.decided`. Here, in the same transaction, it is linked
to the campaign's consolidation case (bpmn/consolidation.bpmn, one per campaign, at the receiving unit — started by
the first forwarded dossier) and its nominees join the candidates the receiving level's council selects from. When
the consolidation case's decision is recorded it throws `tdkt.decided`; each waiting unit case then receives the
decision with the result of its own nominees and ends with it.

Messages between cases go through this module rather than SpiffWorkflow's collaboration support because the cases
are separate workflows in separate rows: each is locked, restored, advanced and saved like any other step.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer

from . import audit, clock, diagram_versions
from .engine import runner
from .models import Campaign, Case, OpenTask, Unit
from .nominees import normalise

CONSOLIDATION_PROCESS = "tdkt_consolidation"
FORWARDED, DECIDED = "tdkt.forwarded", "tdkt.decided"
SELECT_TASK = "select_nominees"
SETTLED = ("completed", "not_submitted", "cancelled")


def after_messages(session: Session, case: Case, messages: list[str], actor_id: int | None) -> None:
    """What the roll-up does with the messages a case just threw (called by cases.persist)."""
    if FORWARDED in messages and case.kind == "unit":
        forward(session, case, actor_id)
    if DECIDED in messages and case.kind == "consolidation":
        deliver_decision(session, case, actor_id)


# --- upward ---------------------------------------------------------------------------------------------------------

def forward(session: Session, child: Case, actor_id: int | None) -> Case:
    parent = consolidation_for(session, child.campaign, actor_id)
    child.parent_id = parent.id
    session.flush()
    audit.write(session, [audit.event(child.id, "forwarded", actor_id, consolidation_case=parent.id)])
    parent = session.scalar(select(Case).where(Case.id == parent.id).options(undefer(Case.workflow_state))
                            .with_for_update().execution_options(populate_existing=True))
    if parent.status in SETTLED:  # accepted after the decision was taken: it was not among the chosen
        _deliver(session, parent, [child], actor_id)
    else:
        refresh_candidates(session, parent, actor_id)
    return parent


def consolidation_for(session: Session, campaign: Campaign, actor_id: int | None) -> Case:
    """The campaign's consolidation case, started on first use. The campaign row is locked first so two reviewers
    accepting two units' dossiers at once start one consolidation case, not two."""
    session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    parent = _consolidation(session, campaign.id)
    if parent is not None:
        return parent
    from . import cases  # cases calls into this module; the import is resolved at call time

    version = diagram_versions.latest(session, CONSOLIDATION_PROCESS)
    workflow = runner.start(diagram_versions.loaded(session, version.id),
                            cases.start_data(campaign, campaign.upper_deadline_at))
    parent = Case(campaign=campaign, unit_id=campaign.receiving_unit_id, kind="consolidation",
                  diagram_version_id=version.id, started_by_id=actor_id, workflow_state="", created_at=clock.now())
    session.add(parent)
    events = [audit.event(None, "case_started", actor_id, campaign=campaign.code, kind="consolidation",
                          diagram_version=version.version)]
    cases.persist(session, parent, workflow, events, [], actor_id=actor_id)
    return parent


def _consolidation(session: Session, campaign_id: int) -> Case | None:
    return session.scalar(select(Case).where(Case.campaign_id == campaign_id, Case.kind == "consolidation"))


def forwarded_children(session: Session, parent: Case, *, lock: bool = False) -> list[Case]:
    """Unit cases waiting on the consolidation case's decision."""
    query = (select(Case).where(Case.parent_id == parent.id, Case.status.not_in(SETTLED))
             .options(joinedload(Case.unit)).order_by(Case.id))
    if lock:
        query = query.options(undefer(Case.workflow_state)).with_for_update(of=Case)
    return list(session.scalars(query).unique())


def candidates_for(session: Session, parent: Case) -> list[dict]:
    """Every nominee of every forwarded unit dossier, as rows the council votes on and ticks."""
    rows = []
    for child in forwarded_children(session, parent):
        for nominee in (child.data or {}).get("nominees") or []:
            rows.append({"case_id": child.id, "unit": child.unit.name, "kind": nominee.get("kind"),
                         "name": nominee.get("name"), "position": nominee.get("position", ""),
                         "award_form": nominee.get("award_form"),
                         "achievement_summary": nominee.get("achievement_summary", ""), "selected": False})
    return rows


def refresh_candidates(session: Session, locked: Case, actor_id: int | None) -> None:
    """Put the current candidates into the council's selection step while it waits (`locked`: the consolidation
    case, row-locked). Once the council has chosen, a dossier accepted later waits for the decision without being
    among the chosen (its nominees end unawarded)."""
    from . import cases

    workflow = runner.restore(diagram_versions.loaded(session, locked.diagram_version_id), locked.workflow_state)
    task = next((t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.bpmn_id == SELECT_TASK), None)
    if task is None:
        return
    task.data["candidates"] = candidates_for(session, locked)
    rows = list(session.scalars(select(OpenTask).where(OpenTask.case_id == locked.id)))
    cases.persist(session, locked, workflow, [audit.event(locked.id, "candidates_updated", actor_id,
                                                          count=len(task.data["candidates"]))], rows,
                  actor_id=actor_id)


# --- downward -------------------------------------------------------------------------------------------------------

def deliver_decision(session: Session, parent: Case, actor_id: int | None) -> None:
    """Each waiting unit case receives the decision with its own nominees' results and runs to its end."""
    _deliver(session, parent, forwarded_children(session, parent, lock=True), actor_id)


def _deliver(session: Session, parent: Case, children: list[Case], actor_id: int | None) -> None:
    from . import cases

    data = parent.data or {}
    decision = {k: data.get(k) for k in ("decision_number", "decision_date", "decision_authority")}
    for child in children:
        workflow = runner.restore(diagram_versions.loaded(session, child.diagram_version_id), child.workflow_state)
        payload = {**decision, "awards": awards_for(child, data.get("awards") or [])}
        runner.deliver_message(workflow, DECIDED, payload)
        rows = list(session.scalars(select(OpenTask).where(OpenTask.case_id == child.id)))
        events = [audit.event(child.id, "decision_received", actor_id, consolidation_case=parent.id,
                              decision_number=decision["decision_number"],
                              awarded=sum(1 for a in payload["awards"] if a["awarded"]))]
        cases.persist(session, child, workflow, events, rows, actor_id=actor_id)


def awards_for(child: Case, awards: list[dict]) -> list[dict]:
    """The child's nominees with what the decision gave them: an award of the decision names the nominee and, when
    it came from the consolidated list, the unit case it belongs to (two units may nominate people of one name)."""
    granted = {}
    for award in awards:
        if award.get("awarded") and award.get("case_id") in (None, child.id):
            granted.setdefault(normalise(award.get("nominee")), award)
    result = []
    for nominee in (child.data or {}).get("nominees") or []:
        award = granted.get(normalise(nominee.get("name")))
        result.append({"nominee": nominee.get("name"),
                       "award_form": (award or nominee).get("award_form"), "awarded": award is not None})
    return result


# --- what the receiving level sees and what its submission must respect ------------------------------------------

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
        select(Case).where(Case.campaign_id == campaign.id, Case.kind == "unit").options(joinedload(Case.unit)))}
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
        .where(Case.campaign_id == campaign.id, Case.kind == "unit",
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
