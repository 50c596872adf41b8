"""The executor's after-commit work is durable: a listener runs once after its verb commits; one that fails leaves
its outbox row (the verb's own change stands) and runs again later; one that never ran — the process died between
the commit and the listener — is run by the timer worker's next pass; two processes never run the same row twice.
On both databases, through the core."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from processes import clock, executor, timer_worker
from processes.executor import Command, RunEffect, execute, listen, pending_effect_ids, run_effects
from processes.models import AuditEvent, Case, PendingEffect, User


@dataclass
class Pinged:
    """A test event: the case whose audit trail the listener writes to."""
    case_id: int


CALLS: list[int] = []
FAILURES: list[str] = []  # a listener failure to raise next, if any


def _on_ping(tx, event: Pinged) -> None:
    if FAILURES:
        raise RuntimeError(FAILURES.pop())
    CALLS.append(event.case_id)
    tx.session.add(AuditEvent(case_id=event.case_id, action="message", details={"name": "pinged"}))


listen(Pinged, "tests.ping", _on_ping)


class Ping(Command):
    name = "ping"

    def __init__(self, case_id: int):
        self.case_id = case_id

    def authorize(self, tx, target):
        executor.system_only(tx)

    def run(self, tx, target):
        tx.emit(Pinged(self.case_id))
        return "done"


@pytest.fixture
def case_id(session):
    """Any case to hang the listener's audit rows on: Đồng Hới's, started through the core."""
    from processes import cases
    from processes.models import Campaign

    staff = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.canbo"))
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    CALLS.clear()
    FAILURES.clear()
    return cases.start_case(session, staff, campaign.id, staff.unit_id).id


def pings(session, case_id) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.action == "message",
        AuditEvent.details["name"].as_string() == "pinged"))


def outbox(session) -> list[PendingEffect]:
    return list(session.scalars(select(PendingEffect).where(PendingEffect.listener == "tests.ping")))


def test_a_listener_runs_once_after_the_commit_and_leaves_nothing(session, case_id):
    assert execute(session, None, Ping(case_id)) == "done"
    assert CALLS == [case_id] and pings(session, case_id) == 1
    assert outbox(session) == []


@pytest.mark.logs_errors("tdkt.executor")
def test_a_failing_listener_leaves_its_row_and_runs_again_later(session, case_id):
    FAILURES.append("the mail server is down")
    assert execute(session, None, Ping(case_id)) == "done"  # the verb's own change stands
    [row] = outbox(session)
    assert row.attempts == 1 and "the mail server is down" in row.last_error
    assert CALLS == [] and pings(session, case_id) == 0
    assert row.id not in pending_effect_ids(session)  # pushed back: not again at once
    previous = clock.set_clock(clock.FrozenClock(clock.now() + dt.timedelta(minutes=1)))
    try:
        assert row.id in pending_effect_ids(session)
        assert run_effects(session, [row.id]) == 1
    finally:
        clock.set_clock(previous)
    assert CALLS == [case_id] and pings(session, case_id) == 1 and outbox(session) == []


def test_work_left_by_a_process_that_died_after_its_commit_is_run_by_the_worker(session, case_id, monkeypatch):
    monkeypatch.setattr(executor, "run_effects", lambda session, ids: 0)  # dies right after the commit
    execute(session, None, Ping(case_id))
    monkeypatch.undo()
    [row] = outbox(session)
    assert CALLS == []
    timer_worker.fire_due(session)  # within the grace period the writer may still run it: left alone
    assert CALLS == [] and len(outbox(session)) == 1
    previous = clock.set_clock(clock.FrozenClock(clock.now() + executor.EFFECT_GRACE + dt.timedelta(seconds=1)))
    try:
        timer_worker.fire_due(session)
    finally:
        clock.set_clock(previous)
    assert CALLS == [case_id] and pings(session, case_id) == 1 and outbox(session) == []


def test_a_row_is_run_by_one_process_only(session, case_id, monkeypatch):
    monkeypatch.setattr(executor, "run_effects", lambda session, ids: 0)
    execute(session, None, Ping(case_id))
    monkeypatch.undo()
    [row] = outbox(session)
    assert execute(session, None, RunEffect(row.id)) is True
    assert execute(session, None, RunEffect(row.id)) is False  # the second finds it done
    assert CALLS == [case_id] and pings(session, case_id) == 1


def test_only_the_system_runs_after_commit_work(session, case_id):
    staff = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.canbo"))
    with pytest.raises(executor.Forbidden, match="Chỉ hệ thống mới thực hiện thao tác này."):
        execute(session, staff, RunEffect(1))
    assert session.get(Case, case_id) is not None
