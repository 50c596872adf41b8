"""Writing the append-only audit trail."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .clock import now
from .models import AuditEvent, OpenTask

ACTION_LABELS = {
    "case_started": "Tạo hồ sơ",
    "task_claimed": "Nhận xử lý",
    "task_released": "Trả lại hàng chờ",
    "task_completed": "Hoàn thành",
    "task_cancelled": "Nhiệm vụ bị hủy",
    "case_completed": "Kết thúc hồ sơ",
    "diagram_published": "Xuất bản sơ đồ",
}


def record(session: Session, case_id: int, action: str, actor_id: int | None = None,
           task: OpenTask | None = None, **details) -> AuditEvent:
    event = AuditEvent(
        case_id=case_id, at=now(), actor_id=actor_id, action=action,
        task_id=task.id if task else None,
        task_bpmn_id=task.bpmn_id if task else "",
        task_name=task.name if task else "",
        details=details,
    )
    session.add(event)
    return event
