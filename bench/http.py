"""The running app through its JSON API, one client, against gunicorn as scripts/demo.sh runs it (2 workers × 4
threads): medians and p95 of the calls people make most.

For SQLite and PostgreSQL in turn: a fresh database seeded like the demo, on a clock inside the campaign's round
(deadlines ahead, as for the units that ran it; gunicorn gets the same clock through bench/clocked.py), then
  - start a case and reach its first task (POST /api/cases, whose answer carries the first task);
  - one task completion, the council's approval (POST /api/tasks/{id}/complete), interleaved with the engine work
    the same completion needs (bench/completion.py EngineWork) and printed as a ratio of it (target ≤ 4×);
  - the inbox (GET /api/tasks) of a provincial reviewer whose queue holds 100, 1,000 and 5,000 open tasks.
gunicorn is stopped with its whole process group however the bench ends.

Usage: .venv/bin/python bench/http.py [requests per measurement, default 100]
       .venv/bin/python bench/http.py --quick   (5 requests, queues of 10 and 50; fails only if the bench breaks)
"""
from __future__ import annotations

import datetime as dt
import time
import uuid

import _path  # noqa: F401,I001  (first: keeps bench/http.py from shadowing the standard library's http)
import requests
from bench.common import (CAMPAIGN_TIME, Gunicorn, postgres_url, prepare, quick_flag, sqlite_url, summary,
                          use_clock, verdict)
from bench.completion import APPROVE, CAMPAIGN, EngineWork, check_done, council_cases, only_task
from sqlalchemy import insert, select, text

from processes import tokens
from processes.db import unit_of_work
from processes.models import Campaign, Case, OpenTask, Unit, User

HTTP_TARGET = 4.0
INBOX_SIZES = (100, 1000, 5000)


def timed(call, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def fill_queue(Session, reviewer_unit_id: int, campaign_id: int, diagram_version_id: int, count: int) -> None:
    """Open tasks for the provincial reviewer's queue, each in a case of its own unit (bulk SQL, not measured)."""
    # One write transaction from its first statement (BEGIN IMMEDIATE on SQLite): the served app writes meanwhile (a
    # token's last use, after each answer), and SQLite refuses a transaction that read first the upgrade to writing.
    with Session() as session, unit_of_work(session):
        parent = session.get(Unit, reviewer_unit_id)
        start = dt.datetime(2024, 8, 1)
        units = [{"code": f"q-{uuid.uuid4().hex[:12]}", "name": "Đơn vị hàng chờ", "short_name": "", "level": "district",
                  "kind": "procuracy", "place": "", "staff_count": 0, "collective_count": 0, "parent_id": parent.id}
                 for _ in range(count)]
        unit_ids = session.scalars(insert(Unit).returning(Unit.id), units).all()
        case_rows = [{"campaign_id": campaign_id, "unit_id": uid, "diagram_version_id": diagram_version_id,
                      "status": "running", "current_step": "Cấp tỉnh kiểm tra hồ sơ", "workflow_state": "{}",
                      "data": {}, "version": 1, "created_at": start, "updated_at": start} for uid in unit_ids]
        case_ids = session.scalars(insert(Case).returning(Case.id), case_rows).all()
        session.execute(insert(OpenTask), [
            {"case_id": cid, "task_uuid": str(uuid.uuid4()), "bpmn_id": "provincial_check",
             "name": "Cấp tỉnh kiểm tra hồ sơ", "lane": "provincial_reviewer", "role": "provincial_reviewer",
             "unit_id": reviewer_unit_id, "form": "check-dossier-schema.json", "ui_form": "", "instructions": "",
             "created_at": start, "due_at": start + dt.timedelta(hours=i % 500),
             "sort_due": start + dt.timedelta(hours=i % 500)} for i, cid in enumerate(case_ids)])


def run(label: str, url: str, n: int, warm: int, inbox_sizes: tuple[int, ...], clock_env: dict) -> None:
    Session, pairs = prepare(url, extra_units=2 * (n + warm))
    starters, council = pairs[:n + warm], pairs[n + warm:]
    waiting = council_cases(Session, council)
    engine_work = EngineWork(Session, waiting[0].version_id)
    with Session() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == CAMPAIGN))

        def bearer(user_id: int) -> dict:
            return {"Authorization": f"Bearer {tokens.create(session, session.get(User, user_id), 'bench')}"}

        staff = [(unit_id, bearer(user_id)) for unit_id, user_id in starters]
        council_headers = {w.user_id: bearer(w.user_id) for w in waiting}
        reviewer = session.scalar(select(User).where(User.username == "vks-quang-binh.tdkt"))
        as_reviewer = bearer(reviewer.id)
        reviewer_unit = reviewer.unit_id
    http = requests.Session()
    with Gunicorn(url, clock_env) as base:
        started_cases = []

        def start_case(unit_id, headers):
            r = http.post(base + "/api/cases", json={"campaign_id": campaign_id, "unit_id": unit_id}, headers=headers)
            assert r.status_code == 201, (r.status_code, r.text[:500])
            body = r.json()
            assert [t["bpmn_id"] for t in body["tasks"]] == ["register_nominees"], body["tasks"]
            started_cases.append(body["id"])

        def complete(w):
            r = http.post(f"{base}/api/tasks/{w.task_id}/complete", json=APPROVE, headers=council_headers[w.user_id])
            assert r.status_code == 200, (r.status_code, r.text[:500])

        floor = timed(lambda: http.get(base + "/api/openapi.json"), n + warm)[warm:]
        starts = [timed(lambda: start_case(*s), 1)[0] for s in staff][warm:]
        engine, completion = [], []
        for i, w in enumerate(waiting):  # interleaved: the engine work on the same state, then the request
            t0 = time.perf_counter()
            engine_work.once(w)
            t1 = time.perf_counter()
            complete(w)
            t2 = time.perf_counter()
            if i >= warm:
                engine.append(t1 - t0)
                completion.append(t2 - t1)
        check_done(Session, waiting)
        with Session() as session:
            for case_id in started_cases:
                only_task(session, case_id, "register_nominees")
        floor, start, completion, engine = map(summary, (floor, starts, completion, engine))
        print(f"{label}:")
        print(f"  (HTTP floor, no database: GET /api/openapi.json median {floor[0]:.2f} ms)")
        print(f"  start a case and reach its first task: median {start[0]:.2f} ms, p95 {start[1]:.2f} ms")
        print(f"  complete one task (council approval):  median {completion[0]:.2f} ms, p95 {completion[1]:.2f} ms"
              f"  (engine work in the same run: median {engine[0]:.2f} ms)")
        verdict(f"{label} HTTP completion / engine work", completion[0] / engine[0], HTTP_TARGET)

        with Session() as session:
            version_id = session.scalar(select(Case.diagram_version_id).limit(1))
        already = http.get(base + "/api/tasks", headers=as_reviewer).json()["total"]
        filled, inbox = 0, {}
        analyze = "ANALYZE open_tasks" if url.startswith("postgresql") else "ANALYZE"
        for size in inbox_sizes:
            fill_queue(Session, reviewer_unit, campaign_id, version_id, size - filled)
            filled = size
            with Session() as session:  # planner statistics, as autovacuum keeps them on a live database
                session.execute(text(analyze))
                session.commit()
            check = http.get(base + "/api/tasks", headers=as_reviewer).json()
            assert check["total"] == min(already + size, 1001), (check["total"], already, size)  # exact up to 1,000
            inbox[size] = summary(timed(lambda: http.get(base + "/api/tasks", headers=as_reviewer), n))
            print(f"  inbox with {size:>5} open tasks:          median {inbox[size][0]:.2f} ms, p95 {inbox[size][1]:.2f} ms")
        small, large = inbox_sizes[0], inbox_sizes[-1]
        print(f"  inbox {large:,} / {small:,} (medians): {inbox[large][0] / inbox[small][0]:.2f}×")


def main() -> None:
    quick, args = quick_flag()
    n = 5 if quick else int(args[0]) if args else 100
    warm = 2 if quick else 10
    sizes = (10, 50) if quick else INBOX_SIZES
    clock_env = use_clock(CAMPAIGN_TIME)  # inside the round: deadlines ahead, no late-decision tasks
    print(f"JSON API through gunicorn (2 workers × 4 threads), 1 client, {n} requests per measurement"
          + (" — quick mode, figures not meaningful" if quick else ""))
    for label, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url("tdkt_bench_http"))):
        if url is not None:
            run(label, url, n, warm, sizes, clock_env)


if __name__ == "__main__":
    main()
