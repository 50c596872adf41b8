"""How many running cases wait at each step of a process (what the editor draws on each element while the owner
edits): one grouped count over the open-task and timer projections of the process's unsettled cases, by BPMN id —
never a deserialized workflow. What publishing would do to them is the slower plan (case_migration.plan_draft),
asked for on demand."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .access import check_process_owner
from .contracts import SETTLED
from .models import Case, CaseTimer, DiagramVersion, OpenTask, User
from .process_catalog import OWNERS_ONLY


def waiting_counts(session: Session, user: User, process_id: str) -> dict[str, int]:
    """{bpmn_id: number of running cases of `process_id` (any version) waiting there}, owners only."""
    check_process_owner(user, OWNERS_ONLY)
    running = (select(Case.id).join(DiagramVersion, DiagramVersion.id == Case.diagram_version_id)
               .where(DiagramVersion.process_id == process_id, Case.status.not_in([s.value for s in SETTLED])))
    counts: dict[str, int] = {}
    for model in (OpenTask, CaseTimer):
        rows = session.execute(select(model.bpmn_id, func.count(func.distinct(model.case_id)))
                               .where(model.case_id.in_(running)).group_by(model.bpmn_id))
        for bpmn_id, n in rows:
            counts[bpmn_id] = counts.get(bpmn_id, 0) + n
    return counts
