"""Who may do what. Every command's `authorize` step calls these before anything else is looked at.

The rule of refusals: what a user may not see answers NotFound (404) with the same words as an object that does
not exist, so a refusal reveals nothing; what they may see but not do answers Forbidden (403).
"""
from __future__ import annotations

from .errors import Conflict, Forbidden, NotFound
from .models import Case, OpenTask, User
from .roles import role_label

CASE_NOT_FOUND = "Không tìm thấy hồ sơ."
TASK_NOT_FOUND = "Không tìm thấy nhiệm vụ."


def may_do_task(user: User, task: OpenTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return user.holds(task.role, task.unit_id)


def may_read_case(user: User, case: Case) -> bool:
    """Members of the case's unit and of every unit above it (the levels that receive its dossier)."""
    if user.is_admin:
        return True
    case_line = {u.id for u in case.unit.ancestors()}
    return any(r.unit_id in case_line for r in user.roles)


def check_may_read_case(user: User, case: Case | None, not_found: str = CASE_NOT_FOUND) -> None:
    """NotFound for a missing case and for one the user may not see alike."""
    if case is None or not may_read_case(user, case):
        raise NotFound(not_found)


def check_may_do_task(user: User, task: OpenTask) -> None:
    """NotFound when the user may not see the task's case; Forbidden when they see it but the task is not theirs;
    Conflict when a colleague of the same role has claimed it."""
    if task.assignee_id == user.id or (task.assignee_id is None and user.holds(task.role, task.unit_id)):
        return  # the task is theirs to do, so theirs to see: no walk up the unit tree on the hot path
    check_may_read_case(user, task.case, TASK_NOT_FOUND)
    if task.assignee_id is not None and task.assignee_id != user.id:
        if user.holds(task.role, task.unit_id):
            who = task.assignee.full_name if task.assignee else "người khác"
            raise Conflict(f"Nhiệm vụ đã được {who} nhận xử lý.")
        raise Forbidden("Bạn không có quyền xử lý nhiệm vụ này.")
    if task.assignee_id is None and not user.holds(task.role, task.unit_id):
        raise Forbidden(
            f"Nhiệm vụ này dành cho vai trò «{role_label(task.role)}» của {task.unit.display_name}; "
            "bạn không giữ vai trò đó."
        )


def check_may_start_case(user: User, unit_id: int) -> None:
    if user.is_admin:
        return
    if not any(r.unit_id == unit_id and r.role in ("unit_staff", "unit_head") for r in user.roles):
        raise Forbidden("Chỉ cán bộ hoặc thủ trưởng của đơn vị mới được tạo hồ sơ cho đơn vị đó.")


def may_own_processes(user: User) -> bool:
    """Process owners edit and publish diagrams; administrators are process owners too."""
    return bool(user.is_admin or user.is_process_owner)


def check_process_owner(user: User | None, message: str) -> None:
    """Process owners and administrators only (None = the system itself, e.g. seeding)."""
    if user is not None and not may_own_processes(user):
        raise Forbidden(message)


def check_admin(user: User | None, message: str) -> None:
    """Administrators only (None = the system itself, e.g. seeding or the CLI)."""
    if user is not None and not user.is_admin:
        raise Forbidden(message)
