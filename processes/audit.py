"""Writing the append-only audit trail."""
from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .clock import now
from .models import AuditEvent

ACTION_LABELS = {
    "case_started": "Tạo hồ sơ",
    "task_claimed": "Nhận xử lý",
    "task_released": "Trả lại hàng chờ",
    "task_completed": "Hoàn thành",
    "task_cancelled": "Nhiệm vụ bị hủy",
    "case_completed": "Kết thúc hồ sơ",
    "diagram_published": "Xuất bản sơ đồ",
    "case_migrated": "Chuyển sang phiên bản sơ đồ khác",
    "timer_fired": "Đến hạn hẹn giờ",
    "timer_cancelled": "Hủy hẹn giờ",
    "timer_incident": "Sự cố hẹn giờ",
    "timer_retry": "Chạy lại hẹn giờ",
    "message": "Sự kiện quy trình",
    "forwarded": "Chuyển vào hồ sơ tổng hợp của cấp nhận hồ sơ",
    "candidates_updated": "Cập nhật danh sách trường hợp từ các đơn vị",
    "decision_received": "Nhận quyết định từ hồ sơ tổng hợp",
    "attachment_uploaded": "Tải lên bản quét",
    "attachment_withdrawn": "Rút bản quét",
    # supervisors' interventions (processes/interventions.py)
    "supervisor_reminded": "Cấp giám sát nhắc nhở",
    "task_reassigned": "Cấp giám sát giao lại nhiệm vụ",
    # the inbox (processes/assignment.py, processes/comments.py)
    "task_assigned": "Giao nhiệm vụ cho đồng nghiệp",
    "comment_added": "Bình luận",
    "deadline_extended": "Gia hạn nộp hồ sơ",
    "case_suspended": "Tạm dừng hồ sơ",
    "case_resumed": "Tiếp tục hồ sơ",
    "case_cancelled": "Hủy hồ sơ",
}
MESSAGE_LABELS = {
    "tdkt.reminder": "Nhắc hạn nộp hồ sơ",
    "tdkt.late": "Quá hạn nộp hồ sơ: đã báo cấp nhận hồ sơ",
    "tdkt.not_submitted": "Đóng hồ sơ: đơn vị không nộp",
    "tdkt.review_overdue": "Quá thời hạn xem xét hồ sơ",
    "tdkt.forwarded": "Hồ sơ được chuyển lên để tổng hợp",
    "tdkt.decided": "Quyết định được chuyển về các đơn vị",
}


def event(case_id: int, action: str, actor_id: int | None = None, task=None, **details) -> dict:
    """One audit row as values; `task` is anything with id, bpmn_id and name (an OpenTask or a row of one)."""
    return dict(case_id=case_id, at=now(), actor_id=actor_id, action=action,
                task_id=task.id if task else None, task_bpmn_id=task.bpmn_id if task else "",
                task_name=task.name if task else "", details=details)


def write(session: Session, events: list[dict]) -> None:
    """Append events in one Core INSERT: audit rows are never read back in the same transaction, so they need none
    of the ORM's unit-of-work bookkeeping."""
    if events:  # on the table, not the mapped class: a Core INSERT without the ORM's bulk-persistence layer
        session.execute(insert(AuditEvent.__table__), events)


def record(session: Session, case_id: int, action: str, actor_id: int | None = None, task=None, **details) -> None:
    write(session, [event(case_id, action, actor_id, task, **details)])
