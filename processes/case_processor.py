"""The case processor: the one object that owns a locked case's workflow while a verb changes it.

    processor = CaseProcessor.restore(tx, case)        (or CaseProcessor.start(…) for a new case)
    processor.complete(task_row, data) | .fire_timers() | .deliver(message, payload) | .put_task_data(…)
    processor.save(events)

`save` writes the workflow back and keeps every projection in step inside the verb's transaction: the case row
(state, page data, status, current step), its open-task rows, its timer rows and the audit trail; then it emits one
`CaseMoved` event. Whatever else reacts — notifications, the roll-up to other cases, the award history — listens to
that event after the commit (processes/executor.py). Completion, timers, messages between cases, migration and
every intervention go through here, so "restore → act → step → write back" exists once.

The caller has locked the case (executor lock order) before it builds a processor.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import bindparam, delete, inspect, insert, select, update
from sqlalchemy.orm import Session, defer, joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, clock, workflows
from .contracts import (CASE_STATUS_LABELS, DEFAULT_REVIEW_WORKING_DAYS, RETURN, CaseKind, CaseStatus, DataKey,
                        Message)
from .engine import migration, runner, timers
from .engine.errors import TaskNotReady, WorkflowFailed
from .errors import Conflict, DomainError
from .executor import Tx
from .models import Campaign, Case, CaseTimer, DiagramVersion, OpenTask
from .models.case import NO_DUE
from .roles import role_for_lane_in, unit_for_scope
from .workdays import working_days_after


class WorkflowError(DomainError):
    """A script or condition in the diagram failed; the case stays where it was (the transaction rolls back)."""
    code = "workflow_error"
    status = 422


@dataclass
class CaseMoved:
    """A case's workflow moved (started, a task done, a timer fired, a message received). Listeners react to it,
    in the same transaction (who to tell, what to record) or after its commit (which other case to move)."""
    case_id: int
    kind: str
    actor_id: int | None
    status: str
    new_tasks: list[dict] = field(default_factory=list)  # {bpmn_id, name, unit_id, role, again}
    messages: list[str] = field(default_factory=list)  # messages the diagram threw for the application
    ended: bool = False  # reached its end in this change
    sent_back: bool = False  # the task just completed decided to return the case (a *_decision of "return")


class CaseProcessor:
    def __init__(self, tx: Tx, case: Case, workflow, open_rows: list[OpenTask] | None):
        self.tx = tx
        self.case = case
        self.workflow = workflow
        self._open_rows = open_rows
        self._status_before = case.status
        self._sent_back = False
        self._returned: dict | None = None  # why the tasks this change opens were reached by a return
        self._moved_to: DiagramVersion | None = None  # set by `migrate`: the version the case now runs on
        self._moved: set[str] = set()  # timers a supervisor moved (extend): a new time, not a firing
        self._clear_late = False
        # The case's open-task rows as the last save left them (None before a save, or when they must be read
        # again): a verb's answer lists them without another round trip after its commit.
        self.open_after: list[OpenTask] | None = None
        # What the timer rows say now (they mirror the last save): when the workflow still waits on exactly these
        # and none fired, the rows need not be read or written.
        self._timers_saved = None if case.id is None else _timer_marks(timers.waiting_timers(workflow))

    # --- getting one ------------------------------------------------------------------------------------------------

    @classmethod
    def restore(cls, tx: Tx, case: Case, open_rows: list[OpenTask] | None = None, *,
                held_ok: bool = False) -> "CaseProcessor":
        """The locked `case` with its workflow restored. `open_rows`: its open-task rows when the caller has them.
        A suspended or cancelled case does not move (`held_ok`: resuming it is the one verb that may restore it)."""
        if case.status in (CaseStatus.SUSPENDED, CaseStatus.CANCELLED) and not held_ok:
            raise Conflict(f"Hồ sơ #{case.id} đang ở trạng thái «{CASE_STATUS_LABELS[case.status]}»; "
                           "không thể xử lý cho đến khi cấp giám sát cho tiếp tục.")
        workflow = runner.restore(workflows.loaded(tx.session, case.diagram_version_id), case.workflow_state)
        return cls(tx, case, workflow, open_rows)

    @classmethod
    def start(cls, tx: Tx, campaign: Campaign, unit_id: int, version: DiagramVersion, data: dict, *,
              kind: str = CaseKind.UNIT) -> "CaseProcessor":
        """A new case of `campaign` for `unit_id` on a published diagram version, its workflow run to the first
        wait state with `data` (what timers and scripts read)."""
        workflow = _engine(lambda: runner.start(workflows.loaded(tx.session, version.id), data))
        case = Case(campaign=campaign, unit_id=unit_id, kind=kind, diagram_version_id=version.id,
                    started_by_id=tx.actor_id, workflow_state="", created_at=clock.now())
        tx.session.add(case)
        processor = cls(tx, case, workflow, [])
        processor._status_before = None
        return processor

    # --- acting -----------------------------------------------------------------------------------------------------

    def complete(self, task: OpenTask, data: dict) -> None:
        try:
            _engine(lambda: runner.complete_user_task(self.workflow, task.task_uuid, data))
        except TaskNotReady as exc:
            raise Conflict("Nhiệm vụ này không còn chờ xử lý.") from exc
        self._sent_back = any(key.endswith("_decision") and value == RETURN for key, value in data.items())
        self._returned = self._return_note(task, data) if self._sent_back else None

    def _return_note(self, task: OpenTask, data: dict) -> dict:
        """What the step sent back to will show on top: the reason typed with the return (`<x>_reason` beside the
        `<x>_decision`), who returned it, when, and from which step."""
        key = next(k for k, v in data.items() if k.endswith("_decision") and v == RETURN)
        actor = self.tx.actor
        return {"reason": str(data.get(key[:-len("decision")] + "reason") or ""),
                "by": getattr(actor, "full_name", None) or getattr(actor, "username", None) or "",
                "by_username": getattr(actor, "username", None), "at": clock.now().isoformat(),
                "from_step": task.name}

    def fire_timers(self) -> None:
        _engine(lambda: runner.fire_timers(self.workflow))

    def deliver(self, message: str, payload: dict) -> None:
        try:
            runner.deliver_message(self.workflow, message, payload)
        except WorkflowFailed as exc:
            raise WorkflowError(f"Hồ sơ không chờ thông điệp «{message}»: {exc}") from exc

    def migrate(self, version, data: dict, recompute: frozenset[str], assessment=None) -> None:
        """Move the workflow onto another published `version` (anything with its `id`) of its process
        (processes/case_migration.py decides whether it may): `data` are values written over the waiting tasks'
        data (the campaign's dates), timers reading one of `recompute` are evaluated again. `save` then re-points
        the case and rewrites its rows. `assessment`: engine.migration.assess's of this workflow, unchanged since
        (its diff is reused)."""
        new = workflows.loaded(self.tx.session, version.id)
        _engine(lambda: migration.migrate(self.workflow, new, data, recompute, assessment))
        _engine(lambda: runner.fire_timers(self.workflow))
        self._moved_to = version

    def due_timers_left(self) -> bool:
        """Whether a timer the workflow waits on is due by the clock (one due exactly now fires on the next pass:
        SpiffWorkflow fires strictly after the instant)."""
        moment = clock.now()
        return any(t.fire_at <= moment for t in timers.waiting_timers(self.workflow))

    def move_timers(self, moves: dict[str, dt.datetime]) -> None:
        """Fire these waiting timers (task uuid → naive UTC) at their new times: an extended deadline."""
        for uuid, fire_at in moves.items():
            timers.move(self.workflow, uuid, fire_at)
        self._moved.update(moves)

    def clear_late(self) -> None:
        """The case is no longer late (its deadline was extended past now): the next save writes late_at NULL."""
        self._clear_late = True

    def waiting_timers(self):
        return timers.waiting_timers(self.workflow)

    def task_property(self, task: OpenTask, name: str) -> str:
        return runner.task_property(self.workflow, task.task_uuid, name)

    def put_task_data(self, bpmn_id: str, **data) -> bool:
        """Put data on the ready user task `bpmn_id` (e.g. the candidates of the council's selection while it
        waits); False when no such task is ready."""
        return runner.update_ready_task(self.workflow, bpmn_id, data)

    # --- writing back -----------------------------------------------------------------------------------------------

    def save(self, events: list[dict] | None = None, *, completed_task_id: int | None = None) -> CaseMoved:
        """Write the workflow and its projections into the case (inside the verb's transaction); emit CaseMoved."""
        session, case, actor_id = self.tx.session, self.case, self.tx.actor_id
        events = list(events or [])
        messages = runner.thrown_messages(self.workflow)
        ready = self._store(messages)
        if case.id is None:  # a new case: its row (version 1) is written once, with its first state
            session.flush()
            for event in events:
                event["case_id"] = case.id
        events += [audit.event(case.id, "message", actor_id, name=name) for name in messages]
        ended = case.status != self._status_before and case.status in (CaseStatus.COMPLETED, CaseStatus.NOT_SUBMITTED)
        new_tasks, task_events = self._sync_open_tasks(ready, completed_task_id)
        events += task_events
        if ended:
            events.append(audit.event(case.id, "case_completed", actor_id, status=case.status,
                                      ends=runner.reached_ends(self.workflow)))
        events += self._sync_timers()
        audit.write(session, events)
        moved = CaseMoved(case.id, case.kind, actor_id, case.status, new_tasks, messages, ended=ended,
                          sent_back=self._sent_back)
        self.tx.emit(moved)
        self._status_before = case.status
        return moved

    def _store(self, messages: list[str]) -> list:
        """Write the state, the page data, status and current step into the case row; returns the ready tasks."""
        case, workflow = self.case, self.workflow
        ready = runner.ready_user_tasks(workflow)
        at = clock.now()
        values = dict(workflow_state=runner.save(workflow), data=runner.current_data(workflow), updated_at=at)
        if self._moved_to is not None:
            values["diagram_version_id"] = self._moved_to.id
        late_at = (None if self._clear_late else case.late_at) or (at if Message.LATE in messages else None)
        if late_at is not None and case.late_at is None:
            values["late_at"] = late_at
        elif late_at is None and case.late_at is not None:
            values["late_at"] = None
        if runner.is_completed(workflow):
            values["status"] = (CaseStatus.NOT_SUBMITTED if Message.NOT_SUBMITTED in messages
                                else CaseStatus.COMPLETED)
            values.update(completed_at=at, current_step=CASE_STATUS_LABELS[values["status"]])
        else:
            values["status"] = CaseStatus.LATE if late_at else CaseStatus.RUNNING
            values["current_step"] = ", ".join([t.name for t in ready] or runner.waiting_for(workflow))[:400]
        if case.id is None:  # a new case: the ORM inserts its row (version 1) with its first state
            for key, value in values.items():
                setattr(case, key, value)
            return ready
        # An existing case: one Core UPDATE guarded by the version the verb read under its lock (the ORM's
        # unit-of-work flush costs more than the statement itself on this hot path); the object is told the new
        # values as committed, so nothing is left dirty for a later flush.
        version = case.version
        written = self.tx.session.execute(
            update(Case.__table__).where(Case.__table__.c.id == case.id, Case.__table__.c.version == version)
            .values(version=version + 1, **values)).rowcount
        if written != 1:
            raise Conflict("Hồ sơ vừa được người khác cập nhật; thao tác của bạn chưa được lưu. Vui lòng tải lại.")
        for key, value in {**values, "version": version + 1}.items():
            set_committed_value(case, key, value)
        return ready

    def _existing_rows(self) -> list[OpenTask]:
        if self._open_rows is None:
            self._open_rows = open_rows(self.tx.session, self.case.id)
        return self._open_rows

    def _sync_open_tasks(self, ready_tasks: list, completed_id: int | None) -> tuple[list[dict], list[dict]]:
        """Rewrite the case's open-task rows to match the workflow's ready user tasks (Core statements: these rows
        are a projection for queries, never edited as objects here). Returns the new rows and the audit events."""
        session, case, actor_id = self.tx.session, self.case, self.tx.actor_id
        ready = {t.uuid: t for t in ready_tasks}
        existing = {row.task_uuid: row for row in self._existing_rows()}
        gone = [row for uuid, row in existing.items() if uuid not in ready]
        events = [audit.event(case.id, "task_cancelled", actor_id, row) for row in gone if row.id != completed_id]
        if gone:  # Core statements on the tables: no ORM bookkeeping for rows that are a projection
            session.execute(delete(OPEN_TASKS).where(OPEN_TASKS.c.id.in_([row.id for row in gone])))
        new_rows = [self._task_row(task) for uuid, task in ready.items() if uuid not in existing]
        ids = list(session.scalars(insert(OPEN_TASKS).returning(OPEN_TASKS.c.id, sort_by_parameter_order=True),
                                   new_rows)) if new_rows else []
        kept = [existing[uuid] for uuid in ready if uuid in existing]
        if self._moved_to is not None:  # the kept rows take what the new version says of their task
            self._respec_rows([(row, ready[row.task_uuid]) for row in kept])
            self.open_after = None  # the kept rows' objects are stale now: whoever answers reads them again
        else:
            self.open_after = sorted(kept + [_detached_row(case, row, id_) for row, id_ in zip(new_rows, ids)],
                                     key=lambda row: row.id)
        again = runner.completed_before(self.workflow, [row["bpmn_id"] for row in new_rows]) if new_rows else set()
        self._open_rows = None  # rewritten: read again if this processor saves once more
        return ([{**{k: row[k] for k in ("bpmn_id", "name", "unit_id", "role", "returned")},
                  "again": row["bpmn_id"] in again} for row in new_rows], events)

    def _respec_rows(self, kept: list) -> None:
        """After a migration: each kept open-task row gets its task's name, lane, role, unit, form and instructions
        from the new version; a claim stays only when the role and unit stay."""
        for row, task in kept:
            fresh = self._task_row(task)
            changes = {k: fresh[k] for k in ("name", "lane", "role", "unit_id", "form", "ui_form", "instructions",
                                             "due_at", "sort_due") if getattr(row, k) != fresh[k]}
            if "role" in changes or "unit_id" in changes:
                changes["assignee_id"] = None
            if changes:
                self.tx.session.execute(update(OPEN_TASKS).where(OPEN_TASKS.c.id == row.id).values(**changes))

    def _campaign(self) -> Campaign:
        """The case's campaign with its details (deadlines are read from them): loaded with the case by
        `lock_options`, else read once and kept on the case for the listeners."""
        state = inspect(self.case)
        if "campaign" not in state.unloaded:
            return self.case.campaign
        campaign = self.tx.session.get(Campaign, self.case.campaign_id, options=[undefer(Campaign.details)])
        set_committed_value(self.case, "campaign", campaign)
        return campaign

    def _task_row(self, task) -> dict:
        """An open-task row: the role its lane names, the unit whose holders of that role do it, its due date (the
        unit's tasks by the campaign's deadline, the consolidation case's by the receiving level's own)."""
        case, campaign = self.case, self._campaign()
        role = role_for_lane_in(self.tx.session, task.lane)
        scope = role.scope if role else "unit"
        if scope == "unit":
            unit_id = case.unit_id
            due = campaign.upper_deadline_at if case.kind == CaseKind.CONSOLIDATION else campaign.deadline_at
        else:  # a receiving level's step: due at the end of its review period, as its review timer reads it
            unit_id = unit_for_scope(scope, case.unit, campaign.receiving_unit).id
            days = (case.data or {}).get(DataKey.REVIEW_WORKING_DAYS) or DEFAULT_REVIEW_WORKING_DAYS
            due = dt.datetime.fromisoformat(working_days_after(int(days))).astimezone(dt.timezone.utc).replace(
                tzinfo=None)
        return dict(case_id=case.id, task_uuid=task.uuid, bpmn_id=task.bpmn_id, name=task.name, lane=task.lane,
                    role=role.code if role else "", unit_id=unit_id, assignee_id=None, form=task.form,
                    ui_form=task.ui_form, instructions=task.instructions, created_at=clock.now(), due_at=due,
                    sort_due=due or NO_DUE, returned=self._returned)

    def _sync_timers(self) -> list[dict]:
        """Rewrite the case's timer rows to match the timers its workflow waits on; audit the ones that fired."""
        session, case, actor_id, workflow = self.tx.session, self.case, self.tx.actor_id, self.workflow
        waiting = {t.task_uuid: t for t in timers.waiting_timers(workflow)}
        fired_now = runner.fired_timers(workflow)
        marks = _timer_marks(waiting.values())
        if not fired_now and marks == self._timers_saved:
            return []
        self._timers_saved = marks
        rows = ({r.task_uuid: r for r in session.execute(_TIMER_ROWS, {"case_id": case.id})}
                if self._status_before is not None else {})
        events, gone = [], [r for uuid, r in rows.items() if uuid not in waiting]
        for row in gone:
            # An overdue timer whose activity a person completed first did not fire: it was cancelled (by them). A
            # timer that fired is the system's doing, even inside a person's step (a case started after its deadline).
            fired = row.task_uuid in fired_now
            events.append(audit.event(case.id, "timer_fired" if fired else "timer_cancelled",
                                      None if fired else actor_id, timer=row.bpmn_id, name=row.name, task_uuid=row.task_uuid,
                                      due=row.fire_at.isoformat()))
        for uuid in sorted(fired_now - rows.keys()):  # entered and fired in the same step: a date already past
            timer = timers.describe(workflow.get_task_from_id(UUID(uuid)))
            events.append(audit.event(case.id, "timer_fired", None, timer=timer.bpmn_id, name=timer.name,
                                      task_uuid=uuid, due=timer.fire_at.isoformat() if timer.fire_at else None))
        fired_now.clear()  # recorded: a second save of this processor must not record them again
        if gone:
            session.execute(delete(CASE_TIMERS).where(CASE_TIMERS.c.id.in_([r.id for r in gone])))
        new = []
        for uuid, timer in waiting.items():
            row = rows.get(uuid)
            if row is None:
                new.append(dict(case_id=case.id, task_uuid=uuid, bpmn_id=timer.bpmn_id, name=timer.name[:300],
                                fire_at=timer.fire_at, status="waiting", attempts=0, last_error="",
                                created_at=clock.now()))
            elif row.fire_at != timer.fire_at:  # a cycle timer fired and moved on to its next occurrence
                if row.fire_at <= clock.now() and uuid not in self._moved:
                    events.append(audit.event(case.id, "timer_fired", actor_id, timer=row.bpmn_id, name=row.name,
                                              task_uuid=row.task_uuid, due=row.fire_at.isoformat()))
                session.execute(update(CASE_TIMERS).where(CASE_TIMERS.c.id == row.id)
                                .values(fire_at=timer.fire_at, status="waiting"))
        if new:
            session.execute(insert(CASE_TIMERS), new)
        return events


def lock_options(*, with_data: bool = False):
    """Loader options for locking a case the processor will run: its state, its campaign (with the details its
    deadlines are read from) and unit in the same statement — `FOR UPDATE OF cases` locks only the case row.
    `with_data`: the case's data too, for verbs that read it before the engine runs (a task's completion checks
    the campaign's rules and the form's server values against it) — in the same round trip, not a lazy load."""
    return (undefer(Case.workflow_state), undefer(Case.data) if with_data else defer(Case.data),
            joinedload(Case.campaign).options(undefer(Campaign.details), joinedload(Campaign.receiving_unit)),
            joinedload(Case.unit))


def lock_case(session: Session, case_id: int | None) -> Case | None:
    """The case, locked for this transaction (FOR UPDATE on PostgreSQL; SQLite's write lock is taken at BEGIN), read
    afresh with what the processor needs; None for a missing id. Every verb on a case locks it this way first."""
    if case_id is None:
        return None
    return session.scalar(select(Case).where(Case.id == case_id).options(*lock_options())
                          .with_for_update(of=Case).execution_options(populate_existing=True))


OPEN_TASKS, CASE_TIMERS = OpenTask.__table__, CaseTimer.__table__


def _detached_row(case: Case, row: dict, row_id: int) -> OpenTask:
    """An open-task row just inserted by a Core statement, as an object outside the session (nothing to flush):
    its case is the processor's, and a new row has no assignee."""
    task = OpenTask(id=row_id, **row)
    set_committed_value(task, "case", case)
    set_committed_value(task, "assignee", None)
    return task


_OPEN_ROWS = (select(OpenTask).where(OpenTask.case_id == bindparam("case_id"))
              .execution_options(populate_existing=True))
_TIMER_ROWS = select(CASE_TIMERS.c.id, CASE_TIMERS.c.task_uuid, CASE_TIMERS.c.bpmn_id, CASE_TIMERS.c.name,
                     CASE_TIMERS.c.fire_at).where(CASE_TIMERS.c.case_id == bindparam("case_id"))


def open_rows(session: Session, case_id: int) -> list[OpenTask]:
    """The case's open-task rows as they are now (after waiting for its lock)."""
    return list(session.scalars(_OPEN_ROWS, {"case_id": case_id}))


def _timer_marks(waiting) -> dict:
    return {t.task_uuid: t.fire_at for t in waiting}


def _engine(step):
    """Run an engine step; a failing script or condition becomes a 422 naming it, and the transaction rolls back."""
    try:
        return step()
    except WorkflowFailed as exc:
        raise WorkflowError(f"Quy trình gặp lỗi: {exc}") from exc

