"""What a task says on top of its form, beyond the diagram's static documentation.

The late path's task (`late_decision`) is reached only when the deadline timer fires while the unit's dossier is
still unsent (a dossier submitted in time leaves the sub-process, which cancels the timer), so its words say exactly
that: which unit, the deadline it missed (the end of which day, Việt Nam time), when the case was marked late, and
the step the unit's dossier still stood at.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .contracts import LATE_DECISION_TASK, DataKey
from .models import OpenTask


def missed_deadline(case) -> dt.datetime | None:
    """The instant the case's deadline timer read (naive UTC): its start data, else the campaign's deadline."""
    raw = (case.data or {}).get(DataKey.DEADLINE_AT)
    try:
        moment = dt.datetime.fromisoformat(str(raw))
    except (TypeError, ValueError):
        return case.deadline_at or case.campaign.deadline_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def instructions(session: Session, task: OpenTask) -> str:
    if task.bpmn_id != LATE_DECISION_TASK:
        return task.instructions or ""
    case = task.case
    deadline = missed_deadline(case)
    waiting = list(session.scalars(select(OpenTask.name).where(OpenTask.case_id == case.id, OpenTask.id != task.id)
                                   .order_by(OpenTask.id)))
    parts = [f"{case.unit.display_name} chưa trình hồ sơ khi hết hạn nộp"
             + (f" ngày {clock.format_date(deadline)} (hết ngày, giờ Việt Nam)" if deadline else "")]
    if case.late_at:
        parts.append(f"hồ sơ bị đánh dấu quá hạn lúc {clock.format_datetime(case.late_at)}")
    if waiting:
        parts.append("hồ sơ của đơn vị đang ở bước " + ", ".join(f"«{name}»" for name in waiting))
    return ("; ".join(parts) + ". Chấp nhận để đơn vị tiếp tục nộp muộn (ghi rõ lý do), "
            "hoặc đóng hồ sơ là không nộp.")
