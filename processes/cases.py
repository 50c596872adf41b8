"""The case verbs: start a case, complete / claim / release one of its tasks, read it.

Each verb is one transaction whose permission check runs before anything changes (Camunda's command pattern).
Completing a task locks the case row, runs the workflow to its next wait state, rewrites the open-task rows and
appends to the audit trail, all in one commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, joinedload, undefer
from sqlalchemy.orm.exc import StaleDataError

from . import audit, award_history, clock, diagram_versions, rollup, rules
from .awards import campaign_levels
from . import case_notifications as tell
from .access import check_may_do_task, check_may_read_case, check_may_start_case
from .clock import format_datetime, now
from .db import unit_of_work
from .engine import runner, timers
from .errors import Conflict, InvalidInput, NotFound
from .forms import forms
from .models import AuditEvent, Campaign, Case, CaseTimer, OpenTask, Unit, User
from .models.case import NO_DUE
from .roles import role_for_lane, unit_for_scope

STATUS_LABELS = {"running": "Đang xử lý", "late": "Quá hạn nộp", "completed": "Đã có quyết định",
                 "not_submitted": "Không nộp hồ sơ", "cancelled": "Đã hủy"}
DEFAULT_REMINDER_DAYS = 3
DEFAULT_REVIEW_WORKING_DAYS = 10  # the receiving level reviews within ten working days unless the campaign says
NO_DEADLINE = dt.datetime(9000, 1, 1, tzinfo=clock.VN_TZ)


def start_case(session: Session, user: User, campaign_id: int, unit_id: int) -> Case:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Không tìm thấy phong trào thi đua.")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị.")
    check_may_start_case(user, unit_id)
    if campaign.status != "open":
        raise Conflict("Phong trào đã kết thúc, không thể tạo hồ sơ mới.")
    participants = (campaign.details or {}).get("participants")
    if participants and unit.code not in participants:
        raise InvalidInput(f"{unit.display_name} không thuộc danh sách đơn vị tham gia phong trào này.")

    version = diagram_versions.latest(session, campaign.process_id)
    diagram = diagram_versions.loaded(session, version.id)
    try:
        with unit_of_work(session):
            existing = session.scalar(select(Case.id).where(Case.campaign_id == campaign_id, Case.unit_id == unit_id))
            if existing is not None:
                raise Conflict(f"{unit.display_name} đã có hồ sơ #{existing} cho phong trào này.", case_id=existing)
            workflow = runner.start(diagram, start_data(campaign, unit=unit))
            case = Case(campaign=campaign, unit=unit, diagram_version_id=version.id, started_by_id=user.id,
                        workflow_state="", created_at=now())
            session.add(case)
            events = [audit.event(None, "case_started", user.id, campaign=campaign.code, unit=unit.code,
                                  diagram_version=version.version)]
            persist(session, case, workflow, events, [], actor_id=user.id)
    except IntegrityError as exc:  # the same unit started the same campaign twice at once
        raise Conflict("Đơn vị đã có hồ sơ cho phong trào này.") from exc
    return case


def complete_task(session: Session, user: User, task_id: int, data: dict,
                  expected_version: int | None = None) -> Case:
    try:
        with unit_of_work(session):
            # Lock the task's case first: a second completer queues here (FOR UPDATE on PostgreSQL, the write lock
            # taken at BEGIN IMMEDIATE on SQLite) and, once the winner commits, finds the task row gone.
            case = _lock_case(session, OpenTask.id == task_id)
            siblings = _open_rows(session, case.id) if case is not None else []
            task = next((t for t in siblings if t.id == task_id), None)
            if task is None:
                raise _gone(session, task_id)
            check_may_do_task(user, task)
            data = forms.validate(task.form, data)
            if expected_version is not None and case.version != expected_version:
                raise Conflict("Hồ sơ đã được người khác cập nhật sau khi bạn mở trang. Vui lòng tải lại.")
            workflow = runner.restore(diagram_versions.loaded(session, case.diagram_version_id), case.workflow_state)
            checks = runner.task_property(workflow, task.task_uuid, rules.RULES_PROPERTY)
            if checks:  # the campaign's rules this step enforces (quotas, voting), before anything moves
                rules.enforce(session, case, checks, data)
            runner.complete_user_task(workflow, task.task_uuid, data)
            events = [audit.event(case.id, "task_completed", user.id, task, data=data)]
            persist(session, case, workflow, events, siblings, actor_id=user.id, completed_id=task.id)
    except StaleDataError as exc:
        raise Conflict("Hồ sơ vừa được người khác cập nhật; thao tác của bạn chưa được lưu. Vui lòng tải lại.") from exc
    return case


def claim_task(session: Session, user: User, task_id: int) -> OpenTask:
    task = _open_task(session, task_id)
    check_may_do_task(user, task)
    if task.assignee_id == user.id:
        return task
    with unit_of_work(session):
        claimed = session.execute(
            update(OpenTask).where(OpenTask.id == task_id, OpenTask.assignee_id.is_(None))
            .values(assignee_id=user.id).execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise Conflict("Nhiệm vụ vừa được người khác nhận hoặc đã hoàn thành.")
        audit.record(session, task.case_id, "task_claimed", user.id, task)
    return session.get(OpenTask, task_id, populate_existing=True)


def release_task(session: Session, user: User, task_id: int) -> OpenTask:
    task = _open_task(session, task_id)
    if task.assignee_id != user.id and not user.is_admin:
        check_may_do_task(user, task)
        raise Conflict("Bạn chưa nhận nhiệm vụ này nên không thể trả lại.")
    with unit_of_work(session):
        released = session.execute(
            update(OpenTask).where(OpenTask.id == task_id, OpenTask.assignee_id == task.assignee_id)
            .values(assignee_id=None).execution_options(synchronize_session=False)
        ).rowcount
        if released != 1:
            raise Conflict("Nhiệm vụ đã thay đổi; vui lòng tải lại.")
        audit.record(session, task.case_id, "task_released", user.id, task)
    return session.get(OpenTask, task_id, populate_existing=True)


@dataclass
class CaseView:
    case: Case
    open_tasks: list[OpenTask]
    events: list[AuditEvent]
    timers: list[CaseTimer]  # waiting, and failed ones (incidents) first

    @property
    def incidents(self) -> list[CaseTimer]:
        return [t for t in self.timers if t.status == "incident"]


def read_case(session: Session, user: User, case_id: int) -> CaseView:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    check_may_read_case(user, case)
    tasks = list(session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)
                                 .options(joinedload(OpenTask.assignee)).order_by(OpenTask.id)))
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                  .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id)))
    timer_rows = list(session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id)
                                      .order_by(CaseTimer.status, CaseTimer.fire_at)))  # "incident" sorts first
    return CaseView(case, tasks, events, timer_rows)


def get_task(session: Session, user: User, task_id: int) -> OpenTask:
    """The task for its page: readable by whoever may read its case; acting on it is checked on each verb."""
    task = _open_task(session, task_id)
    check_may_read_case(user, task.case)
    return task


# --- inside the transaction ---------------------------------------------------------------------------------

def _open_task(session: Session, task_id: int) -> OpenTask:
    task = session.get(OpenTask, task_id)
    if task is None:
        raise _gone(session, task_id)
    return task


def _gone(session: Session, task_id: int) -> Exception:
    """A task id that is no longer open was completed or cancelled (409); one never issued is unknown (404)."""
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.task_id == task_id,
                                 AuditEvent.action.in_(("task_completed", "task_cancelled")))
        .order_by(AuditEvent.id.desc()).limit(1)
    )
    if event is None:
        return NotFound("Không tìm thấy nhiệm vụ.")
    if event.action == "task_cancelled":
        return Conflict("Nhiệm vụ này đã bị hủy do quy trình chuyển bước.")
    who = event.actor.full_name if event.actor else "hệ thống"
    return Conflict(f"Nhiệm vụ «{event.task_name}» đã được {who} hoàn thành lúc {format_datetime(event.at)}.",
                    case_id=event.case_id)


def _lock_case(session: Session, *where) -> Case | None:
    """The case matching `where` (a condition on the case or on one of its open tasks), locked for this
    transaction. populate_existing makes a transaction that waited for the lock see the winner's state; on
    PostgreSQL the join is re-checked after the wait, so a task completed meanwhile finds no case."""
    return session.scalar(
        select(Case).outerjoin(OpenTask, OpenTask.case_id == Case.id).where(*where)
        .options(undefer(Case.workflow_state), defer(Case.data)).limit(1)
        .with_for_update(of=Case).execution_options(populate_existing=True)
    )


def start_data(campaign: Campaign, deadline_at: dt.datetime | None = ..., unit: Unit | None = None) -> dict:
    """What a new case's workflow starts with: the campaign and its deadlines as ISO instants, for timer
    expressions (`deadline_at`, `reminder_at`) and scripts. No deadline: timers that far in the future.
    `deadline_at` replaces the units' deadline (a consolidation case runs to the receiving level's own)."""
    details = campaign.details or {}
    if deadline_at is ...:
        deadline_at = campaign.deadline_at
    deadline = clock.to_local(deadline_at) if deadline_at else NO_DEADLINE
    days = int(details.get("reminder_days_before", DEFAULT_REMINDER_DAYS))
    return {
        "campaign_code": campaign.code,
        "deadline_at": deadline.isoformat(),
        "reminder_at": (deadline - dt.timedelta(days=days)).isoformat(),
        "review_working_days": int(details.get("review_working_days", DEFAULT_REVIEW_WORKING_DAYS)),
        "award_levels": campaign_levels(details),
        # the campaign's criteria for the unit's kind and level, which its registration form prefills
        "criteria_template": rules.criteria.template_for(details, unit),
    }


def persist(session: Session, case: Case, workflow, events: list[dict], existing_rows: list[OpenTask], *,
            actor_id: int | None, completed_id: int | None = None) -> None:
    """Write a workflow that just moved back into its case: state and page data, open-task and timer rows, what
    its thrown messages mean (late, not submitted), audit events and notifications — inside the caller's
    transaction."""
    messages = runner.thrown_messages(workflow)
    ready = _store(case, workflow, messages)
    if case.id is None:  # a new case: its row (version 1) is written once, with its first state
        session.flush()
        for event in events:
            event["case_id"] = case.id
    events += [audit.event(case.id, "message", actor_id, name=name) for name in messages]
    new_tasks, task_events = _sync_open_tasks(session, case, ready, existing_rows, actor_id=actor_id,
                                              completed_id=completed_id)
    events += task_events
    events += _sync_timers(session, case, workflow, actor_id)
    audit.write(session, events)
    tell.after_change(session, case, new_tasks, messages, actor_id)
    rollup.after_messages(session, case, messages, actor_id)  # a dossier forwarded up, a decision flowing down
    if case.status == "completed":  # the decision's awards into the award history (none without a decision)
        award_history.record_decision(session, case)


def _store(case: Case, workflow, messages: list[str]) -> list:
    """Save the workflow into the case row with what pages show of it; returns the ready user tasks."""
    ready = runner.ready_user_tasks(workflow)
    case.workflow_state = runner.save(workflow)
    case.data = runner.current_data(workflow)
    case.updated_at = now()
    if "tdkt.late" in messages and case.late_at is None:
        case.late_at = case.updated_at
    if runner.is_completed(workflow):
        case.status = "not_submitted" if "tdkt.not_submitted" in messages else "completed"
        case.completed_at = case.updated_at
        case.current_step = STATUS_LABELS[case.status]
    else:
        case.status = "late" if case.late_at else "running"
        case.current_step = ", ".join([t.name for t in ready] or runner.waiting_for(workflow))[:400]
    return ready


def _open_rows(session: Session, case_id: int) -> list[OpenTask]:
    return list(session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)
                                .execution_options(populate_existing=True)))


def _sync_open_tasks(session: Session, case: Case, ready_tasks: list, existing_rows: list[OpenTask], *,
                     actor_id: int | None, completed_id: int | None = None) -> tuple[list[dict], list[dict]]:
    """Rewrite the case's open-task rows to match the workflow's ready user tasks (Core statements: these rows are
    a projection for queries, never edited as objects here). Returns the new rows and the audit events."""
    ready = {t.uuid: t for t in ready_tasks}
    existing = {row.task_uuid: row for row in existing_rows}
    gone = [row for uuid, row in existing.items() if uuid not in ready]
    events = [audit.event(case.id, "task_cancelled", actor_id, row) for row in gone if row.id != completed_id]
    if gone:
        session.execute(delete(OpenTask).where(OpenTask.id.in_([row.id for row in gone]))
                        .execution_options(synchronize_session=False))
    new_rows, deadline = [], ...
    for uuid, task in ready.items():
        if uuid in existing:
            continue
        role = role_for_lane(task.lane)
        scope = role.scope if role else "unit"
        if scope == "unit":
            unit_id = case.unit_id
            if deadline is ...:  # the unit's tasks are due by the campaign's deadline; the receiving level's by its own
                deadline = (case.campaign.upper_deadline_at if case.kind == "consolidation"
                            else case.campaign.deadline_at)
            due = deadline
        else:
            unit_id = unit_for_scope(scope, case.unit, case.campaign.receiving_unit).id
            due = None
        new_rows.append(dict(
            case_id=case.id, task_uuid=uuid, bpmn_id=task.bpmn_id, name=task.name, lane=task.lane,
            role=role.code if role else "", unit_id=unit_id, assignee_id=None, form=task.form,
            ui_form=task.ui_form, instructions=task.instructions, created_at=now(), due_at=due,
            sort_due=due or NO_DUE,
        ))
    if new_rows:
        session.execute(insert(OpenTask), new_rows)
    if case.status in ("completed", "not_submitted"):
        events.append(audit.event(case.id, "case_completed", actor_id, status=case.status))
    return new_rows, events


def _sync_timers(session: Session, case: Case, workflow, actor_id: int | None) -> list[dict]:
    """Rewrite the case's timer rows to match the timers its workflow waits on; audit the ones that fired."""
    waiting = {t.task_uuid: t for t in timers.waiting_timers(workflow)}
    fired_now = runner.fired_timers(workflow)
    rows = {r.task_uuid: r for r in session.execute(
        select(CaseTimer.id, CaseTimer.task_uuid, CaseTimer.bpmn_id, CaseTimer.name, CaseTimer.fire_at)
        .where(CaseTimer.case_id == case.id)).all()}
    events, gone = [], [r for uuid, r in rows.items() if uuid not in waiting]
    for row in gone:
        # An overdue timer whose activity a person completed first did not fire: it was cancelled.
        events.append(audit.event(case.id, "timer_fired" if row.task_uuid in fired_now else "timer_cancelled",
                                  actor_id, timer=row.bpmn_id, name=row.name, task_uuid=row.task_uuid,
                                  due=row.fire_at.isoformat()))
    for uuid in sorted(fired_now - rows.keys()):  # entered and fired in the same step: a date already past
        timer = timers.describe(workflow.get_task_from_id(UUID(uuid)))
        events.append(audit.event(case.id, "timer_fired", actor_id, timer=timer.bpmn_id, name=timer.name,
                                  task_uuid=uuid, due=timer.fire_at.isoformat() if timer.fire_at else None))
    if gone:
        session.execute(delete(CaseTimer).where(CaseTimer.id.in_([r.id for r in gone]))
                        .execution_options(synchronize_session=False))
    for uuid, timer in waiting.items():
        row = rows.get(uuid)
        if row is None:
            session.execute(insert(CaseTimer).values(
                case_id=case.id, task_uuid=uuid, bpmn_id=timer.bpmn_id, name=timer.name[:300],
                fire_at=timer.fire_at, status="waiting", attempts=0, last_error="", created_at=clock.now()))
        elif row.fire_at != timer.fire_at:  # a cycle timer fired and moved on to its next occurrence
            if row.fire_at <= clock.now():
                events.append(audit.event(case.id, "timer_fired", actor_id, timer=row.bpmn_id, name=row.name,
                                          task_uuid=row.task_uuid, due=row.fire_at.isoformat()))
            session.execute(update(CaseTimer).where(CaseTimer.id == row.id)
                            .values(fire_at=timer.fire_at, status="waiting")
                            .execution_options(synchronize_session=False))
    return events
