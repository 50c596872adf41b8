"""Two people completing the same task at the same moment: exactly one wins, the other gets 409, nothing is lost."""
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
