"""The running app through its JSON API, one client: medians and p95 of the calls people make most.

For SQLite and PostgreSQL in turn: a fresh database seeded like the demo, gunicorn serving it, then
  - start a case and reach its first task (POST /api/cases, whose answer carries the first task);
  - one task completion (POST /api/tasks/{id}/complete);
  - the inbox (GET /api/tasks) of a provincial reviewer whose queue holds 100, 1,000 and 5,000 open tasks.

Usage: .venv/bin/python bench/http.py [requests per measurement, default 100]
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import _path  # noqa: F401,I001  (first: keeps bench/http.py from shadowing the standard library's http)
import requests
from bench.common import postgres_url, prepare, sqlite_url, summary
from sqlalchemy import insert, select, text

from processes import tokens
from processes.models import Campaign, Case, OpenTask, Unit, User
from tests.factories import reported

ROOT = Path(__file__).resolve().parent.parent
NOMINEES = {"nominees": [reported({"kind": "individual", "name": "Nguyễn Văn An", "award_form": "bang_khen_vkstc",
                                   "achievement_summary": "Triển khai phần mềm quản lý án từ 01/2024, giảm 30% thời gian."})]}
INBOX_SIZES = (100, 1000, 5000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--bind", f"127.0.0.1:{port}", "webapp:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/api/openapi.json", timeout=1)
            return proc, base
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def timed(call, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def fill_queue(Session, reviewer_unit_id: int, campaign_id: int, diagram_version_id: int, count: int) -> None:
    """Open tasks for the provincial reviewer's queue, each in a case of its own unit (bulk SQL, not measured)."""
    with Session() as session:
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
        session.commit()


def run(label: str, url: str, n: int) -> None:
    Session, pairs = prepare(url, extra_units=n)
    with Session() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == "qb-1532-2024"))
        staff = [(unit_id, {"Authorization": f"Bearer {tokens.create(session, session.get(User, user_id), 'bench')}"})
                 for unit_id, user_id in pairs]
        reviewer = session.scalar(select(User).where(User.username == "vks-quang-binh.tdkt"))
        reviewer_token = tokens.create(session, reviewer, "bench")
        reviewer_unit = reviewer.unit_id
    proc, base = serve(url)
    try:
        http = requests.Session()
        as_reviewer = {"Authorization": f"Bearer {reviewer_token}"}
        starters = iter(staff)
        first_tasks = []

        def start_case():
            unit_id, headers = next(starters)
            r = http.post(base + "/api/cases", json={"campaign_id": campaign_id, "unit_id": unit_id}, headers=headers)
            assert r.status_code == 201, r.text
            first_tasks.append((r.json()["tasks"][0]["id"], headers))

        floor = summary(timed(lambda: http.get(base + "/api/openapi.json"), n))
        start = summary(timed(start_case, n))
        pending = iter(first_tasks)

        def complete():
            task_id, headers = next(pending)
            r = http.post(f"{base}/api/tasks/{task_id}/complete", json=NOMINEES, headers=headers)
            assert r.status_code == 200, r.text

        completion = summary(timed(complete, n))
        print(f"{label}:")
        print(f"  (nền HTTP, không chạm CSDL: GET /api/openapi.json trung vị {floor[0]:.2f} ms)")
        print(f"  tạo hồ sơ và tới nhiệm vụ đầu tiên: trung vị {start[0]:.2f} ms, p95 {start[1]:.2f} ms")
        print(f"  hoàn thành 1 nhiệm vụ:              trung vị {completion[0]:.2f} ms, p95 {completion[1]:.2f} ms")

        with Session() as session:
            version_id = session.scalar(select(Case.diagram_version_id).limit(1))
        filled, inbox = 0, {}
        analyze = "ANALYZE open_tasks" if url.startswith("postgresql") else "ANALYZE"
        for size in INBOX_SIZES:
            fill_queue(Session, reviewer_unit, campaign_id, version_id, size - filled)
            filled = size
            with Session() as session:  # planner statistics, as autovacuum keeps them on a live database
                session.execute(text(analyze))
                session.commit()
            check = http.get(base + "/api/tasks", headers=as_reviewer).json()
            assert check["total"] == min(size, 1001), check["total"]  # counted exactly up to 1,000
            inbox[size] = summary(timed(lambda: http.get(base + "/api/tasks", headers=as_reviewer), n))
            print(f"  hộp việc với {size:>5} nhiệm vụ mở:     trung vị {inbox[size][0]:.2f} ms, p95 {inbox[size][1]:.2f} ms")
        print(f"  hộp việc 5.000 / 100 (trung vị): {inbox[5000][0] / inbox[100][0]:.2f}×")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"API JSON qua gunicorn (2 worker × 4 luồng), 1 client, {n} yêu cầu mỗi phép đo")
    for label, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url("tdkt_bench_http"))):
        if url is not None:
            run(label, url, n)


if __name__ == "__main__":
    main()
