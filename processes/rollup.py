"""The level-by-level roll-up: units' dossiers gathered at the receiving level, one consolidated dossier upward,
and the decision flowing back down to each unit.

A unit's case (bpmn/nomination.bpmn) whose dossier the receiving level has accepted, and whose award forms are
decided above it, throws `tdkt.forwarded` and waits on `tdkt.decided`. After that change commits, the listener
`forward` links it to the campaign's consolidation case (bpmn/consolidation.bpmn, one per campaign, at the
receiving unit — started by the first forwarded dossier) and its nominees join the candidates the receiving level's
council selects from. When the consolidation case's decision is recorded it throws `tdkt.decided`; the listener
`deliver_decision` gives each waiting unit case the decision with its own nominees' results, and each ends with it.

Messages between cases go through the executor's outbox rather than SpiffWorkflow's collaboration support because
the cases are separate workflows in separate rows: each is locked (campaign → consolidation case → unit cases in
id order), restored, advanced and saved by the case processor like any other step.
"""
from __future__ import annotations

from sqlalchemy import select, update

from . import audit, workflows
from .case_data import start_data
from .case_processor import CaseMoved, CaseProcessor, lock_case
from .contracts import SETTLED, CaseKind, DataKey, Message, Process, TaskId
from .executor import Tx, listen
from .models import Campaign, Case
from .rollup_state import awards_for, candidates_for, consolidation_case, forwarded_children


# --- upward ---------------------------------------------------------------------------------------------------------

def forward(tx: Tx, event: CaseMoved) -> None:
    """A unit's dossier was forwarded: put it into its campaign's consolidation case (started on first use)."""
    campaign_id = tx.session.scalar(select(Case.campaign_id).where(Case.id == event.case_id))
    campaign = tx.session.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    parent = consolidation_case(tx.session, campaign.id) or _start_consolidation(tx, campaign)
    parent = lock_case(tx.session, parent.id)
    child = lock_case(tx.session, event.case_id)
    tx.session.execute(update(Case).where(Case.id == child.id).values(parent_id=parent.id)
                       .execution_options(synchronize_session="fetch"))
    audit.record(tx.session, child.id, "forwarded", event.actor_id, consolidation_case=parent.id)
    if parent.status in SETTLED:  # accepted after the decision was taken: it was not among the chosen
        _deliver(tx, parent, [child], event.actor_id)
    else:
        refresh_candidates(tx, parent, event.actor_id)


def _start_consolidation(tx: Tx, campaign: Campaign) -> Case:
    """The campaign's consolidation case at its receiving unit; the campaign row is locked, so one is started."""
    version = workflows.latest(tx.session, Process.CONSOLIDATION)
    processor = CaseProcessor.start(tx, campaign, campaign.receiving_unit_id, version,
                                    start_data(campaign, campaign.upper_deadline_at), kind=CaseKind.CONSOLIDATION)
    processor.save([audit.event(None, "case_started", tx.actor_id, campaign=campaign.code, kind="consolidation",
                                diagram_version=version.version)])
    return processor.case


def refresh_candidates(tx: Tx, parent: Case, actor_id: int | None) -> None:
    """Put the current candidates into the council's selection step while it waits (`parent` is locked). Once the
    council has chosen, a dossier accepted later waits for the decision without being among the chosen."""
    processor = CaseProcessor.restore(tx, parent)
    candidates = candidates_for(tx.session, parent)
    if processor.put_task_data(TaskId.SELECT_NOMINEES, **{DataKey.CANDIDATES: candidates}):
        processor.save([audit.event(parent.id, "candidates_updated", actor_id, count=len(candidates))])


# --- downward -------------------------------------------------------------------------------------------------------

def deliver_decision(tx: Tx, event: CaseMoved) -> None:
    """Each waiting unit case receives the decision with its own nominees' results and runs to its end."""
    parent = lock_case(tx.session, event.case_id)
    _deliver(tx, parent, forwarded_children(tx.session, parent, lock=True), event.actor_id)


def _deliver(tx: Tx, parent: Case, children: list[Case], actor_id: int | None) -> None:
    data = parent.data or {}
    decision = {k: data.get(k) for k in ("decision_number", "decision_date", "decision_authority",
                                         "decision_signer_name", "decision_signer_title")}
    for child in children:
        processor = CaseProcessor.restore(tx, child)
        payload = {**decision, "awards": awards_for(child, data.get("awards") or [])}
        processor.deliver(Message.DECIDED, payload)
        processor.save([audit.event(child.id, "decision_received", actor_id, consolidation_case=parent.id,
                                    decision_number=decision["decision_number"],
                                    awarded=sum(1 for a in payload["awards"] if a["awarded"]))])


listen(CaseMoved, "rollup.forward", forward,
       wants=lambda e: e.kind == CaseKind.UNIT and Message.FORWARDED in e.messages)
listen(CaseMoved, "rollup.deliver_decision", deliver_decision,
       wants=lambda e: e.kind == CaseKind.CONSOLIDATION and Message.DECIDED in e.messages)
