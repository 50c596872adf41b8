"""The consistency check administrators run (`flask --app webapp check`): every case's open-task and timer rows
must be what its saved workflow says — the ready user tasks, the timers it waits on with their fire times.

These rows are projections the inbox and the timer worker read instead of the workflows; the case processor
rewrites them in the same transaction as the state, so a mismatch means a bug or a hand edit, and the check is how
one finds out (after a crash, a restore, a load test with faults). Cases are read in batches of ids; a case that
looks wrong is read again under its lock before it is reported, so a case moving during the check is not a false
alarm.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import workflows
from .case_processor import lock_case
from .contracts import CaseStatus
from .engine import runner, timers
from .models import Case, CaseTimer, OpenTask

BATCH = 200


@dataclass(frozen=True)
class Mismatch:
    case_id: int
    problem: str  # Vietnamese, for the administrator

    def __str__(self) -> str:
        return f"hồ sơ #{self.case_id}: {self.problem}"


def _expected(session: Session, diagram_version_id: int, state: str,
              status: str) -> tuple[set[str], dict[str, object]]:
    """The open-task rows (task uuids) and timer rows (uuid → fire time) the case should have. A supervisor's
    interventions stop a case without moving its workflow, which still waits at its step: a suspended case keeps
    its timers (held, as rows) but no task in any inbox; a cancelled one keeps neither."""
    if status == CaseStatus.CANCELLED:
        return set(), {}
    workflow = runner.restore(workflows.loaded(session, diagram_version_id), state)
    ready = set() if status == CaseStatus.SUSPENDED else {t.uuid for t in runner.ready_user_tasks(workflow)}
    return ready, {t.task_uuid: t.fire_at for t in timers.waiting_timers(workflow)}


def _compare(case_id: int, expected, task_rows: set[str], timer_rows: dict[str, object]) -> list[Mismatch]:
    ready, waiting = expected
    found = [Mismatch(case_id, f"thiếu dòng nhiệm vụ đang mở cho task {uuid}") for uuid in sorted(ready - task_rows)]
    found += [Mismatch(case_id, f"dòng nhiệm vụ {uuid} không còn chờ trong quy trình")
              for uuid in sorted(task_rows - ready)]
    found += [Mismatch(case_id, f"thiếu dòng hẹn giờ cho {uuid}") for uuid in sorted(waiting.keys() - timer_rows.keys())]
    found += [Mismatch(case_id, f"dòng hẹn giờ {uuid} không còn chờ trong quy trình")
              for uuid in sorted(timer_rows.keys() - waiting.keys())]
    found += [Mismatch(case_id, f"hẹn giờ {uuid} ghi {timer_rows[uuid]}, quy trình chờ đến {waiting[uuid]}")
              for uuid in sorted(waiting.keys() & timer_rows.keys()) if timer_rows[uuid] != waiting[uuid]]
    return found


def _rows_of(session: Session, case_ids: list[int]) -> tuple[dict, dict]:
    tasks: dict[int, set[str]] = defaultdict(set)
    for case_id, uuid in session.execute(select(OpenTask.case_id, OpenTask.task_uuid)
                                         .where(OpenTask.case_id.in_(case_ids))):
        tasks[case_id].add(uuid)
    waits: dict[int, dict[str, object]] = defaultdict(dict)
    for case_id, uuid, fire_at in session.execute(select(CaseTimer.case_id, CaseTimer.task_uuid, CaseTimer.fire_at)
                                                  .where(CaseTimer.case_id.in_(case_ids))):
        waits[case_id][uuid] = fire_at
    return tasks, waits


def _confirmed(session: Session, case_id: int) -> list[Mismatch]:
    """The case read again, locked, with its rows: what is still wrong once nobody is changing it."""
    try:
        case = lock_case(session, case_id)
        if case is None:
            return []
        tasks, waits = _rows_of(session, [case_id])
        return _compare(case_id, _expected(session, case.diagram_version_id, case.workflow_state, case.status),
                        tasks[case_id], waits[case_id])
    finally:
        session.rollback()


def _batches(session: Session, batch: int, case_ids: list[int] | None) -> Iterator[list]:
    """(id, diagram version, state, status) of the cases, `batch` at a time in id order; every case, or only
    `case_ids`."""
    columns = select(Case.id, Case.diagram_version_id, Case.workflow_state, Case.status).order_by(Case.id)
    if case_ids is not None:
        chosen = sorted(set(case_ids))
        for start in range(0, len(chosen), batch):
            yield session.execute(columns.where(Case.id.in_(chosen[start:start + batch]))).all()
        return
    last = 0
    while rows := session.execute(columns.where(Case.id > last).limit(batch)).all():
        yield rows
        last = rows[-1].id


def check(session: Session, batch: int = BATCH, case_ids: list[int] | None = None) -> Iterator[Mismatch | int]:
    """Yields each mismatch found, and after each batch the number of cases checked so far. Every case, or only
    `case_ids` (bench/load.py checks the cases it touched and a sample of the 100,000 others)."""
    checked = 0
    for rows in _batches(session, batch, case_ids):
        ids = [row.id for row in rows]
        tasks, waits = _rows_of(session, ids)
        suspects = [row.id for row in rows
                    if _compare(row.id, _expected(session, row.diagram_version_id, row.workflow_state, row.status),
                                tasks[row.id], waits[row.id])]
        session.rollback()  # no snapshot held across batches
        for case_id in suspects:
            yield from _confirmed(session, case_id)
        checked += len(rows)
        yield checked
