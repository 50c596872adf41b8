"""Time for the whole application.

Everything stored is naive UTC (SQLite keeps no zone); everything shown or typed by people is Asia/Ho_Chi_Minh.
The clock is injectable so tests and the timer worker can move time without sleeping.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_UTC = dt.timezone.utc


class Clock:
    """The real clock. Subclass or replace with `FrozenClock` in tests."""

    def now(self) -> dt.datetime:
        """Naive UTC, the form every timestamp column holds."""
        return dt.datetime.now(_UTC).replace(tzinfo=None)


class FrozenClock(Clock):
    def __init__(self, at: dt.datetime):
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at = self.at + dt.timedelta(**delta)


class ShiftedClock(Clock):
    """The real clock moved to another moment: time still passes, from `at` on (demo and tests set in a campaign)."""

    def __init__(self, at: dt.datetime):
        self.offset = at - Clock.now(self)

    def now(self) -> dt.datetime:
        return Clock.now(self) + self.offset


_clock: Clock = Clock()


def now() -> dt.datetime:
    return _clock.now()


def set_clock(clock: Clock) -> Clock:
    """Install a clock; returns the previous one so a test can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    """Stored naive-UTC → aware Asia/Ho_Chi_Minh."""
    if value is None:
        return None
    return value.replace(tzinfo=_UTC).astimezone(VN_TZ)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """A date-only deadline means the end of that day in Việt Nam; returned as naive UTC."""
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=VN_TZ)
    return local.astimezone(_UTC).replace(tzinfo=None)


def format_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy, the way Vietnamese documents write dates."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M %d/%m/%Y")


def parse_any_date(value) -> dt.date | None:
    """A date kept in case or campaign data: a date, an ISO string (a datetime's day), or dd/mm/yyyy; None when the
    value is none of these."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_vn_date(str(value)[:10])
    except ValueError:
        return None


def format_any_date(value) -> str:
    """dd/mm/yyyy of a date kept in data, or the text as given when it is not one."""
    day = parse_any_date(value)
    return format_date(day) if day else (str(value) if value else "")


def parse_vn_date(text: str) -> dt.date:
    """Accept dd/mm/yyyy (what people type) and yyyy-mm-dd (what APIs send)."""
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)
