"""Handing a task to a named colleague, and the inbox's bulk claim / release / assign.

Assign (`AssignTask`, a task verb: the case locked first, like claim and complete) gives an open task to an active
colleague holding the task's role in the task's unit. Who may: whoever may do the task now (a holder of its role
while it is unclaimed, its claimer, the claimer's delegate), or a supervisor of it (an administrator, the head of
the task's unit). The colleague is told by a notification; the case's trail records it. Never outside the unit: the
assignee must hold the role *in the task's unit*.

Bulk actions run each task as its own command — its own transaction, its own permission check — and report per
task what happened, so one refusal never hides the others' success nor undoes it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, delegation
from .access import check_may_do_task
from .cases import ClaimTask, ReleaseTask, TaskCommand, task_after, task_gone
from .errors import DomainError, InvalidInput, NotFound
from .executor import execute
from .models import Notification, OpenTask, RoleAssignment, User
from .notifications import email_status
from .roles import role_label

BULK_ACTIONS = {"claim": "Nhận xử lý", "release": "Trả về hàng chờ", "assign": "Giao cho đồng nghiệp"}
MAX_BULK = 100


def is_supervisor(user: User, task: OpenTask) -> bool:
    return bool(user.is_admin or user.holds("unit_head", task.unit_id))


def assignees_for(session: Session, task: OpenTask) -> list[User]:
    """The colleagues a task can be given to: active holders of its role in its unit."""
    return list(session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.unit_id == task.unit_id, RoleAssignment.role == task.role, User.active.is_(True))
        .order_by(User.full_name, User.id)))


class AssignTask(TaskCommand):
    name = "assign_task"

    def __init__(self, task_id: int, assignee_id: int):
        super().__init__(task_id)
        self.assignee_id = assignee_id

    def authorize(self, tx, locked):
        if locked.task is None:
            raise task_gone(tx.session, tx.actor, self.task_id)
        task = locked.task
        if is_supervisor(tx.actor, task):
            return
        if delegation.acting_for(tx.session, tx.actor, task) is None:
            check_may_do_task(tx.actor, task)  # 404 unseen, 403 not their role, 409 a colleague's claim

    def run(self, tx, locked):
        task = locked.task
        assignee = tx.session.get(User, self.assignee_id)
        if assignee is None or not assignee.active or not assignee.holds(task.role, task.unit_id):
            raise InvalidInput(f"Chỉ giao được cho đồng nghiệp đang giữ vai trò «{role_label(task.role)}» "
                               f"của {task.unit.display_name}.")
        if task.assignee_id == assignee.id:
            return task.id
        tx.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=assignee.id)
                           .execution_options(synchronize_session=False))
        audit.record(tx.session, task.case_id, "task_assigned", tx.actor.id, task, to=assignee.username,
                     to_name=assignee.full_name,
                     **({"from": task.assignee.username} if task.assignee is not None else {}))
        if assignee.id != tx.actor.id:
            tx.session.add(Notification(
                email_status=email_status(),
                user_id=assignee.id, case_id=task.case_id, kind="task_handed", link=f"/tasks/{task.id}",
                message=(f"{tx.actor.full_name} giao cho bạn nhiệm vụ «{task.name}» của hồ sơ #{task.case_id} "
                         f"({task.case.unit.display_name}).")[:500]))
        return task.id


def assign_task(session: Session, user: User, task_id: int, assignee_id: int) -> OpenTask:
    return task_after(session, user, execute(session, user, AssignTask(task_id, assignee_id)))


def find_user(session: Session, key) -> User | None:
    """An assignee named by id or username (the API accepts either)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return session.get(User, key) if 0 < key < 2 ** 31 else None
    if isinstance(key, str) and key.strip():
        text = key.strip()
        if text.isdigit() and len(text) < 10:
            return session.get(User, int(text))
        return session.scalar(select(User).where(User.username == text[:80]))
    return None


@dataclass
class BulkResult:
    task_id: int
    ok: bool
    message: str
    task_name: str = ""


def bulk(session: Session, user: User, action: str, task_ids: list[int], assignee_id: int | None = None
         ) -> list[BulkResult]:
    """Run `action` on each task, one transaction each; a refusal is reported beside the task, in the words the
    single action would have said, and the others go on."""
    if action not in BULK_ACTIONS:
        raise InvalidInput("Thao tác hàng loạt phải là nhận xử lý, trả về hàng chờ hoặc giao cho đồng nghiệp.")
    ids = list(dict.fromkeys(i for i in task_ids if isinstance(i, int) and 0 < i < 2 ** 31))
    if not ids:
        raise InvalidInput("Hãy chọn ít nhất một nhiệm vụ.")
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"Mỗi lần xử lý tối đa {MAX_BULK} nhiệm vụ.")
    if action == "assign" and assignee_id is None:
        raise InvalidInput("Hãy chọn đồng nghiệp nhận nhiệm vụ.")
    results = []
    for task_id in ids:
        command = {"claim": lambda: ClaimTask(task_id), "release": lambda: ReleaseTask(task_id),
                   "assign": lambda: AssignTask(task_id, assignee_id)}[action]()
        try:
            execute(session, user, command)
        except DomainError as exc:
            results.append(BulkResult(task_id, False, exc.message, _name(session, user, task_id, exc)))
        else:
            task = session.get(OpenTask, task_id, populate_existing=True)
            results.append(BulkResult(task_id, True, _done(action, task), task.name if task else ""))
    return results


def _name(session: Session, user: User, task_id: int, exc: DomainError) -> str:
    if isinstance(exc, NotFound):
        return ""  # says nothing about a task the user may not see
    task = session.get(OpenTask, task_id)
    return task.name if task is not None else ""


def _done(action: str, task: OpenTask | None) -> str:
    if action == "claim":
        return "Đã nhận xử lý."
    if action == "release":
        return "Đã trả về hàng chờ."
    who = task.assignee.full_name if task is not None and task.assignee else "đồng nghiệp"
    return f"Đã giao cho {who}."
