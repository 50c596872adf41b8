"""Vietnamese working days: weekends and public holidays (Tết and the others, with the substituted days off and
working Saturdays the government sets) come from the maintained `holidays` library, not a hand list."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from .clock import VN_TZ, now, to_local


MAX_WORKING_DAYS = 3660  # ten years of working days and then some


@lru_cache(maxsize=64)
def _calendar(year: int):
    return holidays.country_holidays("VN", years=[year], language="vi")


def is_working_day(day: dt.date) -> bool:
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_after(count: int, start: str | dt.datetime | None = None) -> str:
    """End of the `count`-th working day after `start` (default: now), Asia/Ho_Chi_Minh, as an ISO string — the
    form a BPMN timeDate expression returns."""
    if start is None:
        local = to_local(now())
    elif isinstance(start, str):
        local = dt.datetime.fromisoformat(start).astimezone(VN_TZ)
    else:
        local = start.astimezone(VN_TZ)
    count = int(count)
    if count > MAX_WORKING_DAYS:  # a diagram's argument must not make this loop for millions of days
        raise ValueError(f"Số ngày làm việc quá lớn (tối đa {MAX_WORKING_DAYS}).")
    day = add_working_days(local.date(), count)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=VN_TZ).isoformat()


def days_before(moment: str, days: int) -> str:
    """An ISO instant `days` calendar days before another (for reminders before a deadline)."""
    return (dt.datetime.fromisoformat(moment) - dt.timedelta(days=int(days))).isoformat()
