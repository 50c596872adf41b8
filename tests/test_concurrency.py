"""Two people completing the same task at the same moment: exactly one wins, the other gets 409, nothing is lost;
many claiming, releasing and completing the same tasks at once never get a 500 (PostgreSQL), and a verb that loses
a race to a deadlock or serialization failure runs again, then answers 409."""
import threading
import time

import pytest
from sqlalchemy import func, select

from processes.engine import runner
from processes.models import AuditEvent, Campaign, Case, OpenTask, Unit

from .test_api import NOMINEES


def _other(name):
    return {"nominees": [{**NOMINEES["nominees"][0], "name": name}]}


@pytest.mark.parametrize("racers", [2, 4])
def test_simultaneous_completions_have_one_winner(app, session, api, monkeypatch, backend, racers):
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    clients = [api("vks-qb-dong-hoi.canbo") for _ in range(racers)]
    case_id = clients[0].post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit.id}).get_json()["id"]
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))

    # Hold every winner inside its transaction for a moment, so the others are certainly waiting on the case lock
    # rather than arriving after the commit.
    real = runner.complete_user_task

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "complete_user_task", slow)
    barrier = threading.Barrier(racers)
    results = [None] * racers

    def race(i):
        barrier.wait()
        response = clients[i].post(f"/api/tasks/{task_id}/complete", json=_other(f"Người {i}"))
        results[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * (racers - 1), results
    winner = next(body for code, body in results if code == 200)
    case = session.get(Case, case_id, populate_existing=True)
    assert case.version == 2
    assert case.data["nominees"][0]["name"] == winner["data"]["nominees"][0]["name"]
    completions = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.case_id == case_id, AuditEvent.action == "task_completed"))
    assert completions == 1
    assert [t.bpmn_id for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case_id))] == ["record_minutes"]


def test_simultaneous_claims_have_one_winner(app, session, api, backend):
    from processes.db import unit_of_work
    from processes.models import RoleAssignment, User
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    head = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.thutruong"))
    with unit_of_work(session):
        session.add(RoleAssignment(user_id=head.id, unit_id=unit.id, role="unit_staff"))
    a, b = api("vks-qb-dong-hoi.canbo"), api("vks-qb-dong-hoi.thutruong")
    case_id = a.post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit.id}).get_json()["id"]
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))
    barrier = threading.Barrier(2)
    codes = []

    def claim(client):
        barrier.wait()
        codes.append(client.post(f"/api/tasks/{task_id}/claim").status_code)

    threads = [threading.Thread(target=claim, args=(c,)) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [200, 409]


# --- claim, release and complete at once, on PostgreSQL's row locks -------------------------------------------------

@pytest.fixture
def postgres(backend):
    """Row locks and deadlocks are PostgreSQL's (SQLite serialises every write at BEGIN IMMEDIATE)."""
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL only: row locks, deadlocks and serialization failures")


UNITS = ("vks-qb-dong-hoi", "vks-qb-ba-don")
RACERS = ("canbo", "thuky", "thutruong")  # given every unit role: each step of the unit's case is theirs to do
ONLOOKERS = ("vks-quang-binh.tdkt",  # reads both cases, may do none of their steps: 403
             "vks-da-nang.tdkt")  # another province's: 404, as a task that does not exist
ANSWERS = {200, 403, 404, 409}


def _step_data(step: int, name: str) -> dict:
    """What completes each step of a unit case: registration, minutes, the council's approval, the submission."""
    from .factories import MEETING, SUBMISSION, all_for, person, registered

    nominee = person(name)
    return [{"nominees": [registered(nominee)]}, {**MEETING, **all_for([nominee])},
            {"council_decision": "approve"}, SUBMISSION][step]


def every_unit_role(session, codes, suffixes) -> None:
    """Give `<unit code>.<suffix>` of each unit every unit role there: each step of its case is theirs to do."""
    from processes.db import unit_of_work
    from processes.models import RoleAssignment, User
    from processes.roles import UNIT_ROLES

    with unit_of_work(session):
        for code in codes:
            unit = session.scalar(select(Unit).where(Unit.code == code))
            for suffix in suffixes:
                member = session.scalar(select(User).where(User.username == f"{code}.{suffix}"))
                for role in UNIT_ROLES:
                    if not member.holds(role, unit.id):
                        session.add(RoleAssignment(user_id=member.id, unit_id=unit.id, role=role))


def _open_tasks(session, case_id):
    return list(session.scalars(select(OpenTask).where(OpenTask.case_id == case_id)
                                .execution_options(populate_existing=True).order_by(OpenTask.id)))


@pytest.mark.postgres_only
def test_claims_releases_and_completions_at_once_never_fail(postgres, app, session, api):
    """Every thread claims, releases and completes the same open tasks at the same moment, step after step of two
    cases: no 500, each answer a JSON refusal or success, one completion per task, and the rows the workflow's."""
    import random

    from processes import workflows
    from processes.models import PendingEffect

    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    every_unit_role(session, UNITS, RACERS)
    usernames = [f"{code}.{suffix}" for code in UNITS for suffix in (*RACERS, "hoidong")] + list(ONLOOKERS)
    clients = {name: api(name) for name in usernames}
    case_ids = []
    for code in UNITS:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == code))
        response = clients[f"{code}.canbo"].post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit_id})
        assert response.status_code in (200, 201), response.get_json()
        case_ids.append(response.get_json()["id"])

    answers: list[tuple[str, str, int, int, dict | None]] = []  # (user, verb, task, status, body)
    completed: list[int] = []
    started = time.monotonic()
    for step in range(4):
        tasks, unit_of = {}, {}
        for code, case_id in zip(UNITS, case_ids):
            rows = _open_tasks(session, case_id)
            assert len(rows) == 1 and rows[0].assignee_id is None, (step, [(r.bpmn_id, r.assignee_id) for r in rows])
            tasks[rows[0].id] = _step_data(step, f"Người đề nghị {case_id}")
            unit_of[rows[0].id] = code
        barrier = threading.Barrier(len(usernames))
        found: list = []

        def race(name, seed):
            rng = random.Random(seed)
            client = clients[name]
            order = list(tasks)
            rng.shuffle(order)
            barrier.wait()
            for task_id in order:  # claims and releases, then a completion, on each task; fewer on another unit's
                tries = rng.randint(3, 6) if name.split(".")[0] == unit_of[task_id] else 1
                for verb in [*(rng.choice(["claim", "release"]) for _ in range(tries)), "complete"]:
                    body = tasks[task_id] if verb == "complete" else None
                    response = client.post(f"/api/tasks/{task_id}/{verb}", json=body)
                    found.append((name, verb, task_id, response.status_code, response.get_json(silent=True)))

        threads = [threading.Thread(target=race, args=(name, step * 100 + i)) for i, name in enumerate(usernames)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
        answers += found
        for task_id in tasks:
            winners = [a for a in found if a[1] == "complete" and a[2] == task_id and a[3] == 200]
            assert len(winners) == 1, (step, task_id, [a for a in found if a[2] == task_id])
            completed.append(task_id)
    elapsed = time.monotonic() - started

    assert not [a for a in answers if a[3] == 500], [a for a in answers if a[3] == 500][:5]
    odd = [a for a in answers if a[3] not in ANSWERS or not (a[4] or {}).get("error" if a[3] != 200 else "id")]
    assert not odd, odd[:5]
    refusals = [a for a in answers if a[3] != 200]
    assert all(isinstance(a[4].get("message"), str) and a[4]["message"].strip() for a in refusals), refusals[:5]
    assert {a[3] for a in answers} == ANSWERS  # each kind of answer was exercised
    # The outsiders' refusals reveal nothing: another province's reader hears "not found", as for a missing task.
    assert {a[4]["message"] for a in answers if a[0] == "vks-da-nang.tdkt"} == {"Không tìm thấy nhiệm vụ."}
    assert {a[3] for a in answers if a[0] == "vks-quang-binh.tdkt"} <= {403, 409}

    # The database: one completion recorded per task, the open rows those of the restored workflow, no effect failed.
    for task_id in completed:
        events = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.task_id == task_id, AuditEvent.action == "task_completed"))
        assert events == 1, task_id
    for case_id in case_ids:
        case = session.get(Case, case_id, populate_existing=True)
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "task_completed")) == 4
        workflow = runner.restore(workflows.loaded(session, case.diagram_version_id), case.workflow_state)
        ready = {(t.uuid, t.bpmn_id) for t in runner.ready_user_tasks(workflow)}
        rows = _open_tasks(session, case_id)
        assert {(r.task_uuid, r.bpmn_id) for r in rows} == ready and len(rows) == len(ready) == 1
        assert case.version == 5  # started, then four steps
    assert session.scalar(select(func.count()).select_from(PendingEffect).where(PendingEffect.last_error != "")) == 0
    assert elapsed < 30, f"{len(answers)} requests took {elapsed:.1f} s"


# --- the executor runs a verb again after a lost race, then answers 409 ---------------------------------------------

def _lost_race(exc_type):
    """A deadlock or serialization failure as SQLAlchemy raises it: psycopg's error wrapped in OperationalError."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    return DBAPIError.instance("UPDATE open_tasks SET assignee_id=%(a)s", {"a": 1},
                               exc_type("deadlock detected"), psycopg.Error)


@pytest.mark.parametrize("failure", ["DeadlockDetected", "SerializationFailure"])
def test_the_executor_runs_a_verb_again_after_a_lost_race(session, monkeypatch, failure):
    import psycopg
    from sqlalchemy.exc import OperationalError

    from .factories import claim_failing_once

    lost = _lost_race(getattr(psycopg.errors, failure))
    assert isinstance(lost, OperationalError) and lost.orig.sqlstate in ("40P01", "40001")

    def race_lost(tx):
        raise lost

    claimed = claim_failing_once(session, monkeypatch, race_lost)
    assert claimed.assignee_id == claimed.staff_id
    assert claimed.runs == 2
    assert claimed.claims == 1


def test_three_lost_races_answer_409_with_a_message(app, session, api, monkeypatch):
    import psycopg

    from processes import cases
    from processes.errors import Conflict

    from .factories import start, user

    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    calls = []

    def always_loses(self, tx, locked):
        calls.append(1)
        raise _lost_race(psycopg.errors.DeadlockDetected)

    monkeypatch.setattr(cases.ClaimTask, "run", always_loses)
    with pytest.raises(Conflict) as refused:
        cases.claim_task(session, user(session, "vks-qb-dong-hoi.canbo"), task_id)
    assert refused.value.status == 409 and len(calls) == 3
    assert refused.value.message == "Hệ thống đang bận xử lý cùng hồ sơ này; vui lòng thử lại."

    response = api("vks-qb-dong-hoi.canbo").post(f"/api/tasks/{task_id}/claim")  # the same through HTTP
    assert response.status_code == 409 and len(calls) == 6
    assert response.get_json() == {"error": "conflict",
                                   "message": "Hệ thống đang bận xử lý cùng hồ sơ này; vui lòng thử lại."}
    task = session.get(OpenTask, task_id, populate_existing=True)
    assert task.assignee_id is None
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.task_id == task_id, AuditEvent.action == "task_claimed")) == 0


# --- a verb's answer after a colleague's completion slips in behind its commit --------------------------------------

@pytest.mark.parametrize("verb", ["claim", "release", "assign"])
def test_the_answer_after_a_verb_is_the_present_when_the_task_was_completed_meanwhile(session, monkeypatch, verb):
    """A claim, release or hand-over commits; before the task is read back for the answer, a colleague completes it
    (found by the race above: 'NoneType' object has no attribute 'id', a 500). The verb's effect stands in the trail;
    the answer says what is true now — completed, by whom — as a 409, never a 500."""
    from sqlalchemy.orm import Session

    from processes import assignment, cases
    from processes.errors import Conflict

    from .factories import complete, start, user

    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    staff = user(session, "vks-qb-dong-hoi.canbo")
    head = user(session, "vks-qb-dong-hoi.thutruong")
    if verb == "release":
        cases.claim_task(session, staff, task_id)
    module = assignment if verb == "assign" else cases
    real = module.execute

    def then_a_colleague_completes(s, actor, command):
        result = real(s, actor, command)
        monkeypatch.setattr(module, "execute", real)  # the colleague's completion is an ordinary one
        with Session(bind=s.get_bind()) as other:
            complete(other, other.get(Case, case.id), "vks-qb-dong-hoi.canbo", _step_data(0, "Nguyễn Văn An"))
        return result

    monkeypatch.setattr(module, "execute", then_a_colleague_completes)
    with pytest.raises(Conflict) as refused:
        if verb == "assign":
            assignment.assign_task(session, head, task_id, staff.id)
        else:
            getattr(cases, f"{verb}_task")(session, staff, task_id)
    assert "đã được" in refused.value.message and "hoàn thành" in refused.value.message
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task_id)
                                   .order_by(AuditEvent.id)))
    assert actions[-2:] == [{"claim": "task_claimed", "release": "task_released", "assign": "task_assigned"}[verb],
                            "task_completed"], actions


# --- a supervisor's interventions while the units work --------------------------------------------------------------

@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # row locks: SQLite serialises every writer
@pytest.mark.parametrize("seed", [1, 2])
def test_interventions_racing_the_units_work_leave_every_case_consistent(app, session, api, db_url, seed):
    """Three units' staff claim, release and complete their cases' steps while their province reminds, extends,
    suspends, resumes and reassigns the same cases at random — each verb locking the case it changes. No answer is
    a 5xx, each is one the verb documents, and afterwards every case's task and timer rows are what its workflow
    and status say (the administrators' check; it had reported every suspended case as missing its task)."""
    import random

    from processes import consistency
    from processes.db import make_engine, make_sessionmaker
    from processes.models import User

    from .factories import start

    people = UNITS + ("vks-qb-le-thuy",)
    every_unit_role(session, people, ["canbo"])
    case_ids = {code: start(session, code).id for code in people}
    clients = {code: api(f"{code}.canbo") for code in people}
    province = api("vks-quang-binh.tdkt")
    heads = list(session.scalars(select(User.id).where(User.username.in_([f"{c}.thutruong" for c in people]))))
    steps = {"register_nominees": 0, "record_minutes": 1, "council_review": 2, "submit_dossier": 3}
    answers = []
    reads = make_engine(db_url)  # the racers' own reads: the test's session is not for threads
    Reads = make_sessionmaker(reads)
    start_together = threading.Barrier(len(people) + 1)

    def unit(code, rng):
        start_together.wait()
        for _ in range(40):
            with Reads() as own:
                rows = _open_tasks(own, case_ids[code])
            if not rows:
                continue  # suspended just now: try again, the province may resume it
            task = rows[0]
            if task.bpmn_id not in steps:
                break  # submitted: the province's step now
            verb = rng.choice(["claim", "release", "claim", "release", "complete"])
            body = _step_data(steps[task.bpmn_id], f"Người {code}") if verb == "complete" else None
            response = clients[code].post(f"/api/tasks/{task.id}/{verb}", json=body)
            answers.append(("unit", verb, response.status_code))

    def supervisor(rng):
        start_together.wait()
        for _ in range(30):
            action = rng.choice(["remind", "extend", "suspend", "resume", "resume", "reassign"])
            body = {"action": action, "case_ids": rng.sample(sorted(case_ids.values()), 2),
                    "reason": "Kiểm tra tiến độ của đơn vị"}
            if action == "extend":
                body["new_deadline"] = f"{rng.randint(24, 30):02d}/09/2024"
            if action == "reassign":
                body["assignee_id"] = rng.choice(heads)
            response = province.post("/api/supervision/actions", json=body)
            answers.append(("province", action, response.status_code))
            answers.extend(("province", f"{action} of a case", r["status"]) for r in response.get_json()["results"])

    threads = [threading.Thread(target=unit, args=(code, random.Random(seed * 10 + i)))
               for i, code in enumerate(people)] + [threading.Thread(target=supervisor, args=(random.Random(seed),))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    # 400: a deadline not after the current one, a head of another unit; 404: a task its case's suspension took away
    assert {status for _, _, status in answers} <= {200, 400, 403, 404, 409}, sorted(set(answers))
    assert ("province", "suspend of a case", 200) in answers and ("unit", "complete", 200) in answers
    assert [m for m in consistency.check(session) if isinstance(m, consistency.Mismatch)] == []
    reads.dispose()
