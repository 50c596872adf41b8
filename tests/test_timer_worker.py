"""The timer worker: every kind of timer on the injectable clock, incidents and retry, several worker processes
firing each timer exactly once, a killed worker losing nothing, a timer racing a person on the same case."""
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text, update

from processes import cases, clock, diagram_versions, timer_worker
from processes.db import unit_of_work
from processes.engine import runner
from processes.errors import Conflict, Forbidden
from processes.models import AuditEvent, Campaign, Case, CaseTimer, OpenTask, Unit, User

ROOT = Path(__file__).resolve().parent.parent
TIMER_KINDS = (Path(__file__).parent / "diagrams" / "timer_kinds.bpmn").read_text(encoding="utf-8")
T0 = dt.datetime(2024, 8, 1, 1, 0)  # 08:00 on 01/08/2024 in Việt Nam, naive UTC like the database


@pytest.fixture
def frozen():
    frozen = clock.FrozenClock(T0)
    previous = clock.set_clock(frozen)
    yield frozen
    clock.set_clock(previous)


@pytest.fixture
def use_diagram(session):
    """use_diagram(xml): publish `xml` and point the Quảng Bình campaign at its process — for this test only: the
    seeded campaign row is shared by the tests on the database, and the diagram is removed after the test."""
    original = session.scalar(select(Campaign.process_id).where(Campaign.code == "qb-1532-2024"))

    def use(xml):
        admin = session.scalar(select(User).where(User.is_admin.is_(True)))
        version = diagram_versions.publish(session, xml, user=admin)
        with unit_of_work(session):
            session.execute(update(Campaign).where(Campaign.code == "qb-1532-2024")
                            .values(process_id=version.process_id))
        return version

    yield use
    session.rollback()
    with unit_of_work(session):
        session.execute(update(Campaign).where(Campaign.code == "qb-1532-2024").values(process_id=original))


def start(session, unit_code="vks-qb-dong-hoi"):
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    user = session.scalar(select(User).where(User.username == f"{unit_code}.canbo"))
    return cases.start_case(session, user, campaign.id, unit.id)


def fired(session, case_id=None):
    query = select(AuditEvent.details).where(AuditEvent.action == "timer_fired")
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    names = [d["timer"] for d in session.scalars(query)]
    return {name: names.count(name) for name in set(names)}


def timer_rows(session, case_id):
    return {r.bpmn_id: r.fire_at for r in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id))}


def test_every_timer_kind_fires_on_the_clock(app, session, frozen, use_diagram):
    use_diagram(TIMER_KINDS)
    case = start(session)
    assert timer_rows(session, case.id) == {"wait_a_day": T0 + dt.timedelta(days=1)}

    assert timer_worker.fire_due(session).cases == []  # nothing due yet
    frozen.advance(days=1, seconds=1)
    assert timer_worker.fire_due(session).fired == 1
    rows = timer_rows(session, case.id)
    now = frozen.now()
    # date: the campaign's deadline, end of 23/08/2024 in Việt Nam; cycle: an hour on; duration: three days on
    assert rows["date_timer"] == dt.datetime(2024, 8, 23, 16, 59, 59)
    assert abs(rows["cycle_timer"] - (now + dt.timedelta(hours=1))) < dt.timedelta(seconds=2)
    assert abs(rows["give_up"] - (now + dt.timedelta(days=3))) < dt.timedelta(seconds=2)
    assert session.scalar(select(OpenTask.bpmn_id).where(OpenTask.case_id == case.id)) == "work"

    for _ in range(2):  # the cycle fires twice, an hour apart, then stops
        frozen.advance(hours=1, seconds=1)
        timer_worker.fire_due(session)
    assert "cycle_timer" not in timer_rows(session, case.id)
    frozen.advance(days=3)
    timer_worker.fire_due(session)  # the interrupting timer ends the work; the date timer never fires

    case = session.get(Case, case.id, populate_existing=True)
    assert case.status == "completed"
    assert fired(session, case.id) == {"wait_a_day": 1, "cycle_timer": 2, "give_up": 1}
    messages = [d["name"] for d in session.scalars(select(AuditEvent.details).where(AuditEvent.action == "message"))]
    assert messages == ["test.waited", "test.cycle", "test.cycle"]
    assert session.scalar(select(func.count()).select_from(CaseTimer).where(CaseTimer.case_id == case.id)) == 0


@pytest.mark.logs_errors("tdkt.timers")
def test_a_failing_case_becomes_an_incident_and_the_others_go_on(app, session, frozen, use_diagram):
    use_diagram(TIMER_KINDS)
    healthy = start(session, "vks-qb-ba-don")
    broken_xml = TIMER_KINDS.replace(
        '<bpmn:intermediateThrowEvent id="say_waited"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
        '<bpmn:messageEventDefinition messageRef="m_wait"/></bpmn:intermediateThrowEvent>',
        '<bpmn:scriptTask id="say_waited"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
        '<bpmn:script>boom = 1 / 0</bpmn:script></bpmn:scriptTask>')
    use_diagram(broken_xml)
    broken = start(session, "vks-qb-le-thuy")
    frozen.advance(days=2)

    result = timer_worker.fire_due(session)
    assert result.fired == 1 and result.incidents == 1
    incident = session.scalar(select(CaseTimer).where(CaseTimer.case_id == broken.id))
    assert incident.status == "incident" and "ZeroDivisionError" in incident.last_error and incident.attempts == 1
    assert session.get(Case, broken.id, populate_existing=True).version == 1  # its state is untouched
    assert fired(session, healthy.id) == {"wait_a_day": 1}
    assert timer_worker.fire_due(session).cases == []  # an incident is not picked up again by itself

    staff = session.scalar(select(User).where(User.username == "vks-qb-le-thuy.canbo"))
    with pytest.raises(Forbidden) as refused:
        timer_worker.retry(session, staff, broken.id)
    assert refused.value.message == "Chỉ quản trị viên được chạy lại bộ hẹn giờ bị lỗi."
    assert timer_worker.retry(session, None, broken.id) == 1
    assert timer_worker.fire_due(session).incidents == 1
    assert session.scalar(select(CaseTimer.attempts).where(CaseTimer.case_id == broken.id)) == 2


def test_a_timer_and_a_person_on_the_same_case_end_consistently(app, session, frozen, monkeypatch, use_diagram):
    use_diagram(TIMER_KINDS)
    case = start(session)
    frozen.advance(days=1, seconds=1)
    timer_worker.fire_due(session)  # now at "work", with the interrupting three-day timer waiting
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    frozen.advance(days=3, seconds=1)  # the interrupting timer is due while the person submits

    real = runner.restore

    def slow_restore(*args, **kwargs):
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "restore", slow_restore)
    outcome = {}
    person_user = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.canbo"))
    from processes.db import make_engine, make_sessionmaker
    engine = make_engine(str(session.get_bind().url.render_as_string(hide_password=False)))
    Session = make_sessionmaker(engine)

    def person():
        with Session() as s:
            user = s.get(User, person_user.id)
            user.roles.append  # loaded
            try:
                # the task's lane is empty in this test diagram; give the person the right to do it
                with unit_of_work(s):
                    s.execute(update(OpenTask).where(OpenTask.id == task_id).values(assignee_id=user.id))
                cases.complete_task(s, user, task_id, {"council_decision": "approve"})
                outcome["person"] = "done"
            except Conflict as exc:
                outcome["person"] = exc.message

    def worker():
        with Session() as s:
            outcome["worker"] = timer_worker.fire_due(s).fired

    threads = [threading.Thread(target=person), threading.Thread(target=worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    engine.dispose()

    case = session.get(Case, case.id, populate_existing=True)
    assert case.status == "completed"
    completed = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "task_completed"))
    gave_up = fired(session, case.id).get("give_up", 0)
    assert completed + gave_up == 1, outcome  # one result, never both, never neither
    if gave_up:
        assert "hủy" in outcome["person"] or "hoàn thành" in outcome["person"]
    else:
        assert outcome["person"] == "done"


# --- several processes against PostgreSQL ---------------------------------------------------------------------

def _clone_due_cases(session, count: int) -> list[int]:
    """`count` cases waiting on the one-day timer, made by copying one started case (bulk SQL, as the bench)."""
    template = start(session)
    source = session.scalar(select(Case).where(Case.id == template.id))
    state = session.scalar(select(Case.workflow_state).where(Case.id == template.id))
    timer = session.scalar(select(CaseTimer).where(CaseTimer.case_id == template.id))
    parent = session.scalar(select(Unit).where(Unit.code == "vks-quang-binh"))
    with unit_of_work(session):
        unit_ids = session.scalars(insert(Unit).returning(Unit.id), [
            dict(code=f"clone-{i}", name=f"Đơn vị {i}", short_name="", level="district", kind="procuracy",
                 place="", staff_count=0, collective_count=0, parent_id=parent.id) for i in range(count - 1)]).all()
        case_ids = session.scalars(insert(Case).returning(Case.id), [
            dict(campaign_id=source.campaign_id, unit_id=u, diagram_version_id=source.diagram_version_id,
                 status="running", current_step="", workflow_state=state, data={}, version=1,
                 created_at=T0, updated_at=T0) for u in unit_ids]).all()
        session.execute(insert(CaseTimer), [
            dict(case_id=c, task_uuid=timer.task_uuid, bpmn_id=timer.bpmn_id, name=timer.name,
                 fire_at=timer.fire_at, status="waiting", attempts=0, last_error="", created_at=T0)
            for c in case_ids])
    return [template.id, *case_ids]


def _worker(db_url, **env):
    return subprocess.Popen([sys.executable, "-m", "processes.timer_worker", "--database-url", db_url,
                             "--until-idle", "--poll", "0.1"], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# Enough for four processes to contend for the same due cases for a few seconds (bench/timers.py measures 100,000).
SHARED_CASES = 200


def test_four_worker_processes_fire_each_timer_exactly_once(app, session, db_url, backend, frozen, use_diagram):
    if backend.name != "postgresql":
        pytest.skip("several worker processes share the work through PostgreSQL's SKIP LOCKED")
    use_diagram(TIMER_KINDS)
    case_ids = _clone_due_cases(session, SHARED_CASES)
    clock.set_clock(clock.Clock())  # the worker processes run on the real clock: every 2024 timer is due

    workers = [_worker(db_url) for _ in range(4)]
    outputs = [w.communicate(timeout=600) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    per_process = [int(out.split("fired=")[1].split()[0]) for out, _err in outputs]
    assert sum(1 for n in per_process if n > 0) >= 2, per_process  # the work was shared

    counts = session.execute(text(
        "SELECT details->>'timer', count(*), count(DISTINCT case_id) FROM audit_events "
        "WHERE action = 'timer_fired' GROUP BY 1")).all()
    by_timer = {name: (n, distinct) for name, n, distinct in counts}
    assert by_timer["wait_a_day"] == (SHARED_CASES, SHARED_CASES)  # every case's one-day timer, each exactly once
    assert by_timer["date_timer"] == (SHARED_CASES, SHARED_CASES)  # and the 23/08/2024 deadline due behind it
    assert session.scalar(select(func.count()).select_from(CaseTimer).where(
        CaseTimer.fire_at <= dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        CaseTimer.status == "waiting")) == 0
    assert len(case_ids) == SHARED_CASES


def test_a_killed_worker_loses_nothing(app, session, db_url, backend, frozen, use_diagram):
    if backend.name != "postgresql":
        pytest.skip("killing a process mid-transaction is shown on the production database")
    use_diagram(TIMER_KINDS)
    _clone_due_cases(session, 10)
    clock.set_clock(clock.Clock())

    victim = _worker(db_url, TDKT_TIMER_PAUSE_BEFORE_COMMIT="60")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it holds a fired-but-uncommitted case
        busy = session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                                   "AND datname = current_database() AND pid <> pg_backend_pid()"))
        session.rollback()
        if busy:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the worker never reached its pause")
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)

    survivor = _worker(db_url)
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    counts = dict(session.execute(text(
        "SELECT details->>'timer', count(*) FROM audit_events WHERE action = 'timer_fired' GROUP BY 1")).all())
    assert counts == {"wait_a_day": 10, "date_timer": 10}
