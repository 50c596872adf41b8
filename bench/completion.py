"""One task completion, the figure the engine, core and HTTP benchmarks share: the council's approval
(council_review → submit_dossier) of a unit's nomination case, on the shipped diagram.

`council_cases` brings cases there through the core (not measured); `EngineWork` is the baseline every completion
figure is a ratio of: restore the case's saved state with our state-only serializer and the cached spec
(processes.engine.runner.restore), complete the same task with the same data and run the engine steps
(runner.complete_user_task), save (runner.save) — timed in its three parts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from processes import cases, workflows
from processes.engine import runner
from processes.models import Campaign, Case, OpenTask, User
from tests.factories import reported

CAMPAIGN = "qb-1532-2024"
NOMINEES = {"nominees": [
    reported({"kind": "individual", "name": f"Cán bộ {i}", "award_form": "bang_khen_vkstc",
              "achievement_summary": "Triển khai phần mềm quản lý án, áp dụng từ 01/2024, giảm 30% thời gian xử lý."})
    for i in range(4)]}
MINUTES = {"meeting_date": "2024-08-19", "meeting_place": "Phòng họp", "chair": "Lê Văn Hùng",
           "secretary_name": "Phạm Thị Lan", "members_total": 9, "members_present": 8,
           "votes": [{"nominee": f"Cán bộ {i}", "votes_for": 8, "votes_against": 0} for i in range(4)]}
APPROVE = {"council_decision": "approve"}
STEPS = (("register_nominees", NOMINEES), ("record_minutes", MINUTES))
WAITS_AT, NEXT = "council_review", "submit_dossier"


@dataclass
class Waiting:
    """A case waiting for the council: its open task, the user who may complete it, and its saved state."""
    case_id: int
    task_id: int
    task_uuid: str
    user_id: int
    version_id: int
    state: str


def only_task(session, case_id: int, bpmn_id: str) -> OpenTask:
    """The case's one open task, which must be `bpmn_id` (a late-decision task here means the clock is wrong)."""
    tasks = list(session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)))
    found = [t.bpmn_id for t in tasks]
    if found != [bpmn_id]:
        raise AssertionError(f"case {case_id}: open tasks {found}, expected [{bpmn_id!r}]")
    return tasks[0]


def council_cases(Session, pairs) -> list[Waiting]:
    """One case per (unit, user) started and brought to the council's review through the core."""
    waiting = []
    with Session() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == CAMPAIGN))
        for unit_id, user_id in pairs:
            user = session.get(User, user_id)
            case = cases.start_case(session, user, campaign_id, unit_id)
            for bpmn_id, data in STEPS:
                cases.complete_task(session, user, only_task(session, case.id, bpmn_id).id, data)
            task = only_task(session, case.id, WAITS_AT)
            case = session.get(Case, case.id)
            waiting.append(Waiting(case.id, task.id, task.task_uuid, user_id, case.diagram_version_id,
                                   case.workflow_state))
    return waiting


def check_done(Session, done: list[Waiting]) -> None:
    """Every completed case has moved on to the head's submission, and nothing else is open."""
    with Session() as session:
        for w in done:
            only_task(session, w.case_id, NEXT)


class EngineWork:
    """The baseline: the engine work one completion needs, on the same saved state, task and data as the core."""

    def __init__(self, Session, version_id: int):
        with Session() as session:
            self.diagram = workflows.loaded(session, version_id)  # the cached spec, as the core has it

    def once(self, w: Waiting) -> tuple[float, float, float]:
        """Seconds for (restore, complete + engine steps, save)."""
        t0 = time.perf_counter()
        workflow = runner.restore(self.diagram, w.state)
        t1 = time.perf_counter()
        runner.complete_user_task(workflow, w.task_uuid, APPROVE)
        t2 = time.perf_counter()
        saved = runner.save(workflow)
        t3 = time.perf_counter()
        if not saved or any(t.bpmn_id != NEXT for t in runner.ready_user_tasks(workflow)):
            raise AssertionError("the baseline did not reach " + NEXT)
        return t1 - t0, t2 - t1, t3 - t2
