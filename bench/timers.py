"""Timer worker figures on PostgreSQL: finding due timers among many waiting cases, and timers fired per second by
1 and by 4 worker processes.

Set-up (bulk SQL, not measured): one Quảng Bình case started with the shipped diagram on 16/08/2024 gives the
workflow state every due case gets a copy of (its reminder and deadline timers, both long past on the real clock);
the waiting cases that are not due carry timers in 2099 and a placeholder state (the worker never loads a case that
is not due, which is the point). Then:

  1. find due: the worker's claim query (due cases by ix_case_timers_due, one locked with SKIP LOCKED) and the
     query listing every due timer, with 1,000 waiting cases (all due) and with 100,000 waiting cases of which 1,000
     are due; medians and the ratio between the two sizes (a full scan would grow a hundredfold);
  2. fire rate: 1 worker process, then 4 at once, each `python -m processes.timer_worker --until-idle`, on the
     1,000 due among 100,000 waiting; a worker's start-up and idle exit is measured on its own and taken out;
  3. latency: an idle worker (default poll) and 20 timers coming due a quarter-second apart among the waiting cases:
     how long after its due time each fired (target: within 2 s; SpiffArena's polling is 20–30 s late).

Usage: .venv/bin/python bench/timers.py [waiting cases, default 100000] [due, default 1000]
"""
from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _path  # noqa: F401,I001
from bench.common import postgres_url, prepare
from sqlalchemy import select, text

from processes import cases, clock, timer_worker
from processes.models import Campaign, Case, CaseTimer, Unit, User

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 50
STARTED = dt.datetime(2024, 8, 16, 1, 0)  # 08:00 on 16/08/2024 in Việt Nam


def template_case(Session) -> dict:
    """Start one real case in the campaign's time and keep what every due copy needs."""
    previous = clock.set_clock(clock.FrozenClock(STARTED))
    try:
        with Session() as session:
            campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
            unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
            user = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.canbo"))
            case = cases.start_case(session, user, campaign.id, unit.id)
            timers = [(t.task_uuid, t.bpmn_id, t.name, t.fire_at)
                      for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case.id))]
            return dict(campaign_id=campaign.id, parent_id=unit.parent_id, version_id=case.diagram_version_id,
                        state=case.workflow_state, data=case.data, timers=timers)
    finally:
        clock.set_clock(previous)


def fill(Session, template: dict, waiting: int, due: int) -> None:
    """`waiting` cases in their own units, the first `due` of them due now (bulk INSERT … SELECT)."""
    with Session() as session:
        session.execute(text("TRUNCATE notifications, case_timers, audit_events, open_tasks, cases RESTART IDENTITY CASCADE"))
        session.execute(text("DELETE FROM units WHERE code LIKE 'tb-%'"))
        session.execute(text(
            "INSERT INTO units (code, name, short_name, level, kind, place, staff_count, collective_count, parent_id) "
            "SELECT 'tb-' || n, 'Đơn vị chờ ' || n, '', 'district', 'procuracy', '', 0, 0, :parent "
            "FROM generate_series(1, :waiting) AS n"), {"parent": template["parent_id"], "waiting": waiting})
        session.execute(text(
            "INSERT INTO cases (campaign_id, unit_id, diagram_version_id, status, current_step, workflow_state, data, "
            "version, created_at, updated_at) "
            "SELECT :campaign, u.id, :version, 'running', 'Đăng ký danh sách đề nghị khen thưởng', "
            "CASE WHEN row_number() OVER (ORDER BY u.id) <= :due THEN :state ELSE '{}' END, CAST(:data AS json), "
            "1, :at, :at FROM units u WHERE u.code LIKE 'tb-%'"),
            {"campaign": template["campaign_id"], "version": template["version_id"], "due": due,
             "state": template["state"], "data": _json(template["data"]), "at": STARTED})
        for uuid, bpmn_id, name, fire_at in template["timers"]:
            session.execute(text(
                "INSERT INTO case_timers (case_id, task_uuid, bpmn_id, name, fire_at, status, attempts, last_error, "
                "created_at) SELECT c.id, :uuid, :bpmn_id, :name, "
                "CASE WHEN c.id <= :due THEN CAST(:fire_at AS timestamp) ELSE CAST(:later AS timestamp) "
                "+ (c.id % 1000) * interval '1 minute' END, 'waiting', 0, '', :at FROM cases c"),
                {"uuid": uuid, "bpmn_id": bpmn_id, "name": name, "fire_at": fire_at, "due": due,
                 "later": dt.datetime(2099, 1, 1), "at": STARTED})
        session.execute(text("ANALYZE units, cases, case_timers"))  # as autovacuum keeps them on a live database
        session.commit()


def _json(value) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)


def find_due_ms(Session) -> tuple[float, float, int]:
    """Median ms of (the worker's claim of one due case, listing every due timer); and how many are due."""
    claim, listing = [], []
    with Session() as session:
        for _ in range(REPEAT):
            started = time.perf_counter()
            session.scalar(select(Case.id).where(Case.id.in_(timer_worker.due_case_ids(session).scalar_subquery()))
                           .limit(1).with_for_update(of=Case, skip_locked=True))
            claim.append(time.perf_counter() - started)
            session.rollback()
            started = time.perf_counter()
            rows = session.execute(select(CaseTimer.id, CaseTimer.case_id).where(
                CaseTimer.status == "waiting", CaseTimer.fire_at <= clock.now())).all()
            listing.append(time.perf_counter() - started)
            session.rollback()
    return statistics.median(claim) * 1000, statistics.median(listing) * 1000, len(rows)


def explain(Session) -> str:
    with Session() as session:
        query = select(CaseTimer.case_id).where(CaseTimer.status == "waiting", CaseTimer.fire_at <= clock.now())
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    return plan[0].strip()


def workers(url: str, count: int) -> float:
    """Wall seconds until `count` worker processes, started together, have all gone idle and exited."""
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "processes.timer_worker", "--database-url", url, "--until-idle",
                               "--poll", "0.05"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) for _ in range(count)]
    outputs = [p.communicate(timeout=1800)[0] for p in procs]
    wall = time.perf_counter() - started
    fired = sum(int(out.split("fired=")[1].split()[0]) for out in outputs)
    return wall, fired


def main() -> None:
    waiting = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    due = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    url = postgres_url("tdkt_bench_timers")
    if url is None:
        sys.exit("bench/timers.py đo trên PostgreSQL (127.0.0.1:5432); không kết nối được.")
    Session, _ = prepare(url)
    template = template_case(Session)
    print(f"PostgreSQL; trạng thái quy trình của một hồ sơ mẫu: {len(template['state']) / 1024:.1f} KiB, "
          f"{len(template['timers'])} bộ hẹn giờ")

    print("1. Tìm bộ hẹn giờ đến hạn (trung vị của", REPEAT, "lần):")
    found = {}
    for size in (due, waiting):
        fill(Session, template, size, due)
        claim, listing, n = find_due_ms(Session)
        assert n == due * len(template["timers"]), n
        found[size] = (claim, listing)
        print(f"   {size:>7,} hồ sơ chờ, {due:,} đến hạn: nhận 1 hồ sơ đến hạn {claim:.2f} ms; "
              f"liệt kê {n:,} bộ hẹn giờ đến hạn {listing:.2f} ms")
    print(f"   kế hoạch truy vấn ({waiting:,} hồ sơ chờ): {explain(Session)}")
    print(f"   tỉ lệ {waiting:,} / {due:,} hồ sơ chờ: nhận {found[waiting][0] / found[due][0]:.2f}×, "
          f"liệt kê {found[waiting][1] / found[due][1]:.2f}× (mục tiêu: dưới 20 ms và không tăng theo số hồ sơ chờ)")

    print(f"2. Tốc độ bắn ({due:,} đến hạn trong {waiting:,} hồ sơ chờ; mỗi lần bắn: nhắc hạn và quá hạn, "
          f"mở nhiệm vụ, gửi thông báo):")
    fill(Session, template, waiting, 0)
    idle, _ = workers(url, 1)
    print(f"   khởi động và thoát của một tiến trình khi không có gì đến hạn: {idle:.2f} s (trừ ra)")
    rates = {}
    for count in (1, 4):
        fill(Session, template, waiting, due)
        wall, fired = workers(url, count)
        assert fired == due, (fired, due)
        with Session() as session:
            left = session.scalar(text("SELECT count(*) FROM case_timers WHERE fire_at <= now() AT TIME ZONE 'UTC'"))
            twice = session.scalar(text(
                "SELECT count(*) FROM (SELECT case_id, details->>'timer' FROM audit_events WHERE action = 'timer_fired' "
                "GROUP BY 1, 2 HAVING count(*) > 1) AS d"))
        assert left == 0 and twice == 0, (left, twice)
        rates[count] = due / max(wall - idle, 1e-6)
        print(f"   {count} tiến trình: {wall:.2f} s, {rates[count]:.0f} hồ sơ/giây "
              f"({rates[count] * len(template['timers']):.0f} bộ hẹn giờ/giây); không sót, không bắn trùng")
    print(f"   4 / 1 tiến trình: {rates[4] / rates[1]:.2f}× (máy này có 2 lõi)")

    late = latency(Session, url, template, waiting)
    print(f"3. Độ trễ khi bộ xử lý đang rảnh ({len(late)} bộ hẹn giờ, cách nhau 0,25 s, giữa {waiting:,} hồ sơ chờ): "
          f"trung vị {statistics.median(late):.2f} s, lâu nhất {max(late):.2f} s sau giờ đến hạn (mục tiêu ≤ 2 s)")


def latency(Session, url: str, template: dict, waiting: int, count: int = 20) -> list[float]:
    fill(Session, template, waiting, 0)
    worker = subprocess.Popen([sys.executable, "-m", "processes.timer_worker", "--database-url", url], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)  # the worker is up and idle
        with Session() as session:
            first = clock.now() + dt.timedelta(seconds=1)
            session.execute(text("UPDATE cases SET workflow_state = :state WHERE id <= :n"),
                            {"state": template["state"], "n": count})
            for i in range(count):
                session.execute(text("UPDATE case_timers SET fire_at = :at WHERE case_id = :case"),
                                {"at": first + dt.timedelta(seconds=0.25 * i), "case": i + 1})
            session.commit()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Session() as session:
                rows = session.execute(text(
                    "SELECT case_id, min(at), min(details->>'due') FROM audit_events WHERE action = 'timer_fired' "
                    "GROUP BY case_id")).all()
            if len(rows) == count:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(10)
    assert len(rows) == count, f"{len(rows)} of {count} fired"
    return [(at - dt.datetime.fromisoformat(due)).total_seconds() for _case, at, due in rows]


if __name__ == "__main__":
    main()
