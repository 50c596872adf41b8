"""Who may do what. Every command calls one of these before it changes anything."""
from __future__ import annotations

from .errors import Conflict, Forbidden
from .models import Case, OpenTask, User
from .roles import role_label


def may_do_task(user: User, task: OpenTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return user.holds(task.role, task.unit_id)


def check_may_do_task(user: User, task: OpenTask) -> None:
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


def may_read_case(user: User, case: Case) -> bool:
    """Members of the case's unit and of every unit above it (the levels that receive its dossier)."""
    if user.is_admin:
        return True
    case_line = {u.id for u in case.unit.ancestors()}
    return any(r.unit_id in case_line for r in user.roles)


def check_may_read_case(user: User, case: Case) -> None:
    if not may_read_case(user, case):
        raise Forbidden("Bạn không có quyền xem hồ sơ của đơn vị này.")


def check_may_start_case(user: User, unit_id: int) -> None:
    if user.is_admin:
        return
    if not any(r.unit_id == unit_id and r.role in ("unit_staff", "unit_head") for r in user.roles):
        raise Forbidden("Chỉ cán bộ hoặc thủ trưởng của đơn vị mới được tạo hồ sơ cho đơn vị đó.")
