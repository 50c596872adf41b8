"""`flask --app webapp check`: every case's open-task and timer rows against its workflow; a broken row is reported
and the exit code says so."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from processes import clock
from processes.db import unit_of_work
from processes.models import CaseTimer, OpenTask
from tests.factories import start


def run_check(app):
    return app.test_cli_runner().invoke(args=["check"])


def test_a_consistent_database_passes(app, session):
    start(session, "vks-qb-dong-hoi")
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert "0 chỗ lệch" in result.output and "LỆCH" not in result.output


def test_broken_rows_are_reported_with_a_failing_exit_code(app, session):
    broken, healthy = start(session, "vks-qb-dong-hoi"), start(session, "vks-qb-ba-don")
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == broken.id))
    timer = session.scalar(select(CaseTimer).where(CaseTimer.case_id == healthy.id).order_by(CaseTimer.id).limit(1))
    assert task is not None and timer is not None
    task_uuid, timer_uuid, fire_at = task.task_uuid, timer.task_uuid, timer.fire_at
    with unit_of_work(session):
        session.execute(delete(OpenTask).where(OpenTask.id == task.id))  # the inbox would lose this task
        session.execute(update(CaseTimer).where(CaseTimer.id == timer.id)
                        .values(fire_at=fire_at + dt.timedelta(days=30)))  # a reminder a month late
        session.execute(insert(CaseTimer).values(case_id=healthy.id, task_uuid="khong-ton-tai", bpmn_id="x",
                                                 name="x", fire_at=clock.now(), status="waiting", attempts=0,
                                                 last_error="", created_at=clock.now()))
    result = run_check(app)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("LỆCH")]
    assert f"LỆCH hồ sơ #{broken.id}: thiếu dòng nhiệm vụ đang mở cho task {task_uuid}" in lines
    assert f"LỆCH hồ sơ #{healthy.id}: dòng hẹn giờ khong-ton-tai không còn chờ trong quy trình" in lines
    assert any(line.startswith(f"LỆCH hồ sơ #{healthy.id}: hẹn giờ {timer_uuid} ghi ") for line in lines)
    assert len(lines) == 3
    assert "3 chỗ lệch" in result.output


def test_the_check_can_be_limited_to_some_cases(session):
    """bench/load.py checks the cases its people touched and a sample of the 100,000 others: only those are read."""
    from processes import consistency

    broken, healthy = start(session, "vks-qb-dong-hoi"), start(session, "vks-qb-ba-don")
    with unit_of_work(session):
        session.execute(delete(OpenTask).where(OpenTask.case_id == broken.id))
    assert [str(m) for m in consistency.check(session, case_ids=[healthy.id]) if not isinstance(m, int)] == []
    found = list(consistency.check(session, batch=1, case_ids=[healthy.id, broken.id, broken.id]))
    assert [m.case_id for m in found if not isinstance(m, int)] == [broken.id]
    assert [m for m in found if isinstance(m, int)] == [1, 2]


def test_suspended_and_cancelled_cases_are_not_false_alarms(app, session):
    """A supervisor's suspension takes the case's tasks off the inboxes and holds its timers; a cancellation drops
    both — while the saved workflow still waits at the step. Neither is a mismatch; a task row that reappears on a
    suspended case, or a timer left on a cancelled one, is."""
    from processes import interventions
    from processes.models import User

    suspended, cancelled = start(session, "vks-qb-dong-hoi"), start(session, "vks-qb-ba-don")
    supervisor = session.scalar(select(User).where(User.username == "vks-quang-binh.tdkt"))
    for action, case in (("suspend", suspended), ("cancel", cancelled)):
        outcomes = interventions.apply(session, supervisor, interventions.Request(
            action=action, case_ids=[case.id], unit_ids=[], reason="Đơn vị đề nghị dừng để bổ sung"))
        assert [o.ok for o in outcomes] == [True], outcomes
    held = session.scalar(select(CaseTimer).where(CaseTimer.case_id == suspended.id).limit(1))
    assert held is not None and held.status == "held"
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert "0 chỗ lệch" in result.output

    with unit_of_work(session):
        session.execute(insert(OpenTask).values(
            case_id=suspended.id, task_uuid="hien-lai", bpmn_id="register_nominees", name="x", role="unit_staff",
            unit_id=suspended.unit_id, created_at=clock.now()))
        session.execute(insert(CaseTimer).values(case_id=cancelled.id, task_uuid="con-sot", bpmn_id="x", name="x",
                                                 fire_at=clock.now(), status="waiting", attempts=0, last_error="",
                                                 created_at=clock.now()))
    result = run_check(app)
    lines = [line for line in result.output.splitlines() if line.startswith("LỆCH")]
    assert result.exit_code == 1 and lines == [
        f"LỆCH hồ sơ #{suspended.id}: dòng nhiệm vụ hien-lai không còn chờ trong quy trình",
        f"LỆCH hồ sơ #{cancelled.id}: dòng hẹn giờ con-sot không còn chờ trong quy trình"], result.output
