"""The case verbs — start a case, claim / release / complete one of its tasks — and the reads behind its pages.

Each verb is a Command run by the executor (processes/executor.py): one transaction, the case locked first, the
permission checked before anything else is said about the object, the body through the case processor, and the
listeners of what it changed — notices and award records in the same transaction, the roll-up after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from . import audit, delegation, form_registry, rules, wiring, workflows  # noqa: F401  (wiring: the verbs' listeners)
from .access import TASK_NOT_FOUND, check_may_do_task, check_may_read_case, check_may_start_case, may_read_case
from .case_data import start_data
from .case_processor import CaseProcessor, lock_options, open_rows
from .clock import format_datetime
from .contracts import RULES_PROPERTY, CaseKind, TimerStatus
from .errors import Conflict, InvalidInput, NotFound
from .executor import Command, Tx, execute
from .forms import has_server_values, initial_data, keep_server_values
from .models import AuditEvent, Campaign, Case, CaseTimer, OpenTask, Unit, User


# --- start ----------------------------------------------------------------------------------------------------------

class StartCase(Command):
    name = "start_case"

    def __init__(self, campaign_id: int, unit_id: int):
        self.campaign_id, self.unit_id = campaign_id, unit_id

    def target(self, tx):
        campaign = tx.session.get(Campaign, self.campaign_id)
        unit = tx.session.get(Unit, self.unit_id)
        return campaign, unit

    def authorize(self, tx, target):
        campaign, unit = target
        # The role first: to anyone but its staff, a unit that exists and one that does not answer alike.
        check_may_start_case(tx.actor, self.unit_id)
        if campaign is None:
            raise NotFound("Không tìm thấy phong trào thi đua.")
        if unit is None:
            raise NotFound("Không tìm thấy đơn vị.")

    def run(self, tx, target):
        campaign, unit = target
        if campaign.status != "open":
            raise Conflict("Phong trào đã kết thúc, không thể tạo hồ sơ mới.")
        participants = (campaign.details or {}).get("participants")
        if participants and unit.code not in participants:
            raise InvalidInput(f"{unit.display_name} không thuộc danh sách đơn vị tham gia phong trào này.")
        existing = tx.session.scalar(select(Case.id).where(Case.campaign_id == campaign.id, Case.unit_id == unit.id,
                                                           Case.kind == CaseKind.UNIT))
        if existing is not None:
            raise Conflict(f"{unit.display_name} đã có hồ sơ #{existing} cho phong trào này.", case_id=existing)
        version = workflows.latest(tx.session, campaign.process_id)
        processor = CaseProcessor.start(tx, campaign, unit.id, version, start_data(campaign, unit=unit))
        processor.case.unit = unit
        processor.save([audit.event(None, "case_started", tx.actor_id, campaign=campaign.code, unit=unit.code,
                                    diagram_version=version.version)])
        return processor.case


def start_case(session: Session, user: User, campaign_id: int, unit_id: int) -> Case:
    try:
        return execute(session, user, StartCase(campaign_id, unit_id))
    except IntegrityError as exc:  # the same unit started the same campaign twice at once
        raise Conflict("Đơn vị đã có hồ sơ cho phong trào này.") from exc


# --- the task verbs -------------------------------------------------------------------------------------------------

@dataclass
class LockedTask:
    """A task id's case, locked, with its open-task rows; `task` is None when the id is no longer open."""
    case: Case | None
    rows: list[OpenTask]
    task: OpenTask | None


def lock_task(tx: Tx, task_id: int) -> LockedTask:
    """Lock the case of an open task (lock order: the case before its rows). A second actor queues here (FOR UPDATE
    on PostgreSQL, the write lock taken at BEGIN IMMEDIATE on SQLite) and, once the first commits, finds the task
    row gone. populate_existing makes a transaction that waited see the winner's state."""
    case = tx.session.scalar(_LOCK_BY_TASK, {"task_id": task_id})
    rows = open_rows(tx.session, case.id) if case is not None else []
    return LockedTask(case, rows, next((row for row in rows if row.id == task_id), None))


# Built once: the hot path runs it with a parameter instead of composing the statement on every request. The open
# rows are read by a second statement on purpose: on PostgreSQL a statement that waited for the lock sees the other
# tables as they were when it started, and a claim changes an open row without touching the case row.
_LOCK_BY_TASK = (select(Case).join(OpenTask, OpenTask.case_id == Case.id).where(OpenTask.id == bindparam("task_id"))
                 .options(*lock_options(with_data=True)).limit(1).with_for_update(of=Case)
                 .execution_options(populate_existing=True))


class TaskCommand(Command):
    """A verb on one open task: the case is locked, and the actor must be allowed to act on the task."""

    def __init__(self, task_id: int):
        self.task_id = task_id

    def target(self, tx):
        return lock_task(tx, self.task_id)

    def authorize(self, tx, locked):
        if locked.task is None:
            raise task_gone(tx.session, tx.actor, self.task_id)
        if delegation.acting_for(tx.session, tx.actor, locked.task) is None:  # a colleague's, delegated to me
            check_may_do_task(tx.actor, locked.task)


class CompleteTask(TaskCommand):
    name = "complete_task"

    def __init__(self, task_id: int, data: dict, expected_version: int | None = None):
        super().__init__(task_id)
        self.data, self.expected_version = data, expected_version

    def run(self, tx, locked):
        case, task = locked.case, locked.task
        data = self.data
        # the form as the case's own diagram version pinned it (processes/form_registry.py)
        schema = form_registry.schema(tx.session, case.diagram_version_id, task.form)
        if task.form and has_server_values(schema):  # read-only values and fixed rows are the server's
            data = keep_server_values(schema, data, initial_data(schema, case.data or {}))
        data = form_registry.validate(tx.session, case.diagram_version_id, task.form, data)
        if self.expected_version is not None and case.version != self.expected_version:
            raise Conflict("Hồ sơ đã được người khác cập nhật sau khi bạn mở trang. Vui lòng tải lại.")
        processor = CaseProcessor.restore(tx, case, locked.rows)
        checks = processor.task_property(task, RULES_PROPERTY)
        if checks:  # the campaign's rules this step enforces (quotas, voting), before anything moves
            rules.enforce(tx.session, case, checks, data)
        processor.complete(task, data)
        processor.save([audit.event(case.id, "task_completed", tx.actor_id, task, data=data)],
                       completed_task_id=task.id)
        return Completion(case, processor.open_after)


@dataclass(frozen=True)
class Completion:
    """What a completion left: the case, and its open tasks (None: read them with `open_tasks_of`)."""
    case: Case
    open_tasks: list[OpenTask] | None


def complete_task(session: Session, user: User, task_id: int, data: dict,
                  expected_version: int | None = None) -> Case:
    return complete_task_listing(session, user, task_id, data, expected_version).case


def complete_task_listing(session: Session, user: User, task_id: int, data: dict,
                          expected_version: int | None = None) -> Completion:
    """`complete_task`, answering with the case's open tasks as the completion wrote them: an answer that lists
    them needs no second transaction after the commit."""
    # A change that slipped past the lock is refused by the processor's version-guarded UPDATE (409).
    return execute(session, user, CompleteTask(task_id, data, expected_version))


class ClaimTask(TaskCommand):
    name = "claim_task"

    def run(self, tx, locked):
        task = locked.task
        if task.assignee_id != tx.actor.id:
            tx.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=tx.actor.id)
                               .execution_options(synchronize_session=False))
            audit.record(tx.session, task.case_id, "task_claimed", tx.actor.id, task)
        return task.id


class ReleaseTask(TaskCommand):
    name = "release_task"

    def authorize(self, tx, locked):
        if locked.task is None:
            raise task_gone(tx.session, tx.actor, self.task_id)
        task = locked.task
        # A supervisor — an administrator, or the head of the task's unit — may put a colleague's claim back in the
        # queue (someone away), so that only the claimer, or whoever takes it next, completes it.
        supervisor = tx.actor.is_admin or (task.assignee_id is not None and tx.actor.holds("unit_head", task.unit_id))
        if task.assignee_id != tx.actor.id and not supervisor \
                and delegation.acting_for(tx.session, tx.actor, task) is None:
            check_may_do_task(tx.actor, task)  # 404 / 403 for those who may not touch it at all
            raise Conflict("Bạn chưa nhận nhiệm vụ này nên không thể trả lại.")

    def run(self, tx, locked):
        task = locked.task
        tx.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=None)
                           .execution_options(synchronize_session=False))
        audit.record(tx.session, task.case_id, "task_released", tx.actor.id, task)
        return task.id


def claim_task(session: Session, user: User, task_id: int) -> OpenTask:
    return task_after(session, user, execute(session, user, ClaimTask(task_id)))


def release_task(session: Session, user: User, task_id: int) -> OpenTask:
    return task_after(session, user, execute(session, user, ReleaseTask(task_id)))


def task_after(session: Session, user: User, task_id: int) -> OpenTask:
    """The task as it is now that a verb on it committed, for the answer. A colleague may complete it between that
    commit and this read (the claim, release or hand-over stands in the trail): then the answer is what is true now,
    as `task_gone` tells it — never a missing row."""
    task = session.get(OpenTask, task_id, populate_existing=True)
    if task is None:
        raise task_gone(session, user, task_id)
    return task


def task_gone(session: Session, user: User, task_id: int) -> Exception:
    """A task id that is not open. To whoever may read its case: completed or cancelled (409, saying by whom and
    when). To anyone else, and for an id never issued: not found (404), in the same words."""
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.task_id == task_id,
                                 AuditEvent.action.in_(("task_completed", "task_cancelled")))
        .order_by(AuditEvent.id.desc()).limit(1)
    )
    if event is None or not may_read_case(user, session.get(Case, event.case_id)):
        return NotFound(TASK_NOT_FOUND)
    if event.action == "task_cancelled":
        return Conflict("Nhiệm vụ này đã bị hủy do quy trình chuyển bước.")
    who = event.actor.full_name if event.actor else "hệ thống"
    return Conflict(f"Nhiệm vụ «{event.task_name}» đã được {who} hoàn thành lúc {format_datetime(event.at)}.",
                    case_id=event.case_id)


# --- reads ----------------------------------------------------------------------------------------------------------

@dataclass
class CaseView:
    case: Case
    open_tasks: list[OpenTask]
    events: list[AuditEvent]
    timers: list[CaseTimer]  # waiting, and failed ones (incidents) first

    @property
    def incidents(self) -> list[CaseTimer]:
        return [t for t in self.timers if t.status == TimerStatus.INCIDENT]


def read_case(session: Session, user: User, case_id: int) -> CaseView:
    case = session.get(Case, case_id)
    check_may_read_case(user, case)
    tasks = open_tasks_of(session, case)
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                  .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id)))
    timer_rows = list(session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id)
                                      .order_by(CaseTimer.status, CaseTimer.fire_at)))  # "incident" sorts first
    return CaseView(case, tasks, events, timer_rows)


def open_tasks_of(session: Session, case: Case) -> list[OpenTask]:
    """A case's open tasks, for the answer to a verb on it (the caller has just acted on the case, or read it)."""
    return list(session.scalars(select(OpenTask).where(OpenTask.case_id == case.id)
                                .options(joinedload(OpenTask.assignee)).order_by(OpenTask.id)))


def get_task(session: Session, user: User, task_id: int) -> OpenTask:
    """The task for its page: readable by whoever may read its case; acting on it is checked on each verb."""
    task = session.get(OpenTask, task_id)
    if task is None:
        raise task_gone(session, user, task_id)
    check_may_read_case(user, task.case, TASK_NOT_FOUND)
    return task
