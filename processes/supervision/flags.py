"""The dashboard's flags: what state a participating unit is in, as a supervisor reads it."""
from __future__ import annotations

from enum import StrEnum


class Flag(StrEnum):
    NOT_STARTED = "not_started"  # no case yet, deadline still ahead
    ON_TIME = "on_time"
    AT_RISK = "at_risk"  # deadline near (the campaign's reminder window), or the projected finish is after it
    OVERDUE = "overdue"  # deadline passed with the dossier still in the unit's hands (or never started)
    STALLED = "stalled"  # in one step for at least the campaign's stall threshold in working days
    SUBMITTED = "submitted"  # the unit's part is done; the receiving levels hold it
    DECIDED = "decided"
    CLOSED = "closed"  # closed unsent by the receiving level after the deadline
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


FLAG_LABELS = {
    Flag.NOT_STARTED: "Chưa tạo hồ sơ",
    Flag.ON_TIME: "Đúng tiến độ",
    Flag.AT_RISK: "Sắp trễ",
    Flag.OVERDUE: "Quá hạn",
    Flag.STALLED: "Đứng bước",
    Flag.SUBMITTED: "Đã nộp",
    Flag.DECIDED: "Đã có quyết định",
    Flag.CLOSED: "Đóng: không nộp",
    Flag.SUSPENDED: "Tạm dừng",
    Flag.CANCELLED: "Đã hủy",
}
#: The order chips and the "most urgent first" sort use.
SEVERITY = [Flag.OVERDUE, Flag.STALLED, Flag.AT_RISK, Flag.NOT_STARTED, Flag.ON_TIME, Flag.SUSPENDED,
            Flag.SUBMITTED, Flag.DECIDED, Flag.CLOSED, Flag.CANCELLED]
#: What the daily digest reports when a unit has newly come to it.
WORRYING = (Flag.AT_RISK, Flag.OVERDUE, Flag.STALLED)
