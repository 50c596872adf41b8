"""The case verbs: start a case, complete / claim / release one of its tasks, read it.

Each verb is one transaction whose permission check runs before anything changes (Camunda's command pattern).
Completing a task locks the case row, runs the workflow to its next wait state, rewrites the open-task rows and
appends to the audit trail, all in one commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import audit, diagram_versions
from .access import check_may_do_task, check_may_read_case, check_may_start_case
from .clock import now
from .db import unit_of_work
from .engine import runner
from .errors import Conflict, InvalidInput, NotFound
from .forms import forms
from .models import AuditEvent, Campaign, Case, OpenTask, Unit, User
from .models.case import NO_DUE
from .roles import role_for_lane, unit_for_scope

STATUS_LABELS = {"running": "Đang xử lý", "completed": "Đã có quyết định", "late": "Quá hạn",
                 "cancelled": "Đã hủy"}


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
            workflow = runner.start(diagram)
            case = Case(campaign=campaign, unit=unit, diagram_version_id=version.id, started_by_id=user.id,
                        workflow_state="", created_at=now())
            session.add(case)
            _store(case, workflow)
            session.flush()
            audit.record(session, case.id, "case_started", user.id, campaign=campaign.code, unit=unit.code,
                         diagram_version=version.version)
            _sync_open_tasks(session, case, workflow, actor_id=user.id)
    except IntegrityError as exc:  # the same unit started the same campaign twice at once
        raise Conflict("Đơn vị đã có hồ sơ cho phong trào này.") from exc
    return case


def complete_task(session: Session, user: User, task_id: int, data: dict,
                  expected_version: int | None = None) -> Case:
    task = _open_task(session, task_id)
    check_may_do_task(user, task)
    data = forms.validate(task.form, data)
    try:
        with unit_of_work(session):
            case = _lock_case(session, task.case_id)
            task = session.get(OpenTask, task_id, populate_existing=True)
            if task is None:
                raise _gone(session, task_id)
            check_may_do_task(user, task)
            if expected_version is not None and case.version != expected_version:
                raise Conflict("Hồ sơ đã được người khác cập nhật sau khi bạn mở trang. Vui lòng tải lại.")
            workflow = runner.restore(diagram_versions.loaded(session, case.diagram_version_id), case.workflow_state)
            runner.complete_user_task(workflow, task.task_uuid, data)
            _store(case, workflow)
            audit.record(session, case.id, "task_completed", user.id, task, data=data)
            _sync_open_tasks(session, case, workflow, actor_id=user.id, completed_id=task.id)
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


def read_case(session: Session, user: User, case_id: int) -> CaseView:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    check_may_read_case(user, case)
    tasks = list(session.scalars(select(OpenTask).where(OpenTask.case_id == case_id).order_by(OpenTask.id)))
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)))
    return CaseView(case, tasks, events)


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
    from .clock import format_datetime
    return Conflict(f"Nhiệm vụ «{event.task_name}» đã được {who} hoàn thành lúc {format_datetime(event.at)}.",
                    case_id=event.case_id)


def _lock_case(session: Session, case_id: int) -> Case:
    # FOR UPDATE queues a second completer on PostgreSQL until the first commits; on SQLite the write lock taken at
    # BEGIN IMMEDIATE does the same. populate_existing makes the waiter see the winner's state.
    case = session.scalar(
        select(Case).where(Case.id == case_id).with_for_update(of=Case).execution_options(populate_existing=True)
    )
    if case is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    return case


def _store(case: Case, workflow) -> None:
    case.workflow_state = runner.save(workflow)
    case.data = runner.current_data(workflow)
    case.updated_at = now()
    if runner.is_completed(workflow):
        case.status = "completed"
        case.completed_at = case.updated_at
        case.current_step = "Hoàn thành"
    else:
        case.current_step = ", ".join(t.name for t in runner.ready_user_tasks(workflow))[:400]


def _sync_open_tasks(session: Session, case: Case, workflow, *, actor_id: int | None,
                     completed_id: int | None = None) -> None:
    ready = {t.uuid: t for t in runner.ready_user_tasks(workflow)}
    existing = {t.task_uuid: t for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))}
    for uuid, row in existing.items():
        if uuid not in ready:
            if row.id != completed_id:
                audit.record(session, case.id, "task_cancelled", actor_id, row)
            session.delete(row)
    for uuid, task in ready.items():
        if uuid in existing:
            continue
        role = role_for_lane(task.lane)
        scope = role.scope if role else "unit"
        unit = unit_for_scope(scope, case.unit, case.campaign.receiving_unit)
        due = case.campaign.deadline_at if scope == "unit" else None
        session.add(OpenTask(
            case_id=case.id, task_uuid=uuid, bpmn_id=task.bpmn_id, name=task.name, lane=task.lane,
            role=role.code if role else "", unit_id=unit.id, form=task.form, ui_form=task.ui_form,
            instructions=task.instructions, created_at=now(), due_at=due, sort_due=due or NO_DUE,
        ))
    if case.status == "completed":
        audit.record(session, case.id, "case_completed", actor_id)
