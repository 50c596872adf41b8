"""Supervision dashboard figures: the server time of one campaign's dashboard with 10,000 and with 100,000 cases in
the database, their ratio, and the time to remind 500 units.

Set-up (bulk SQL — COPY on PostgreSQL — not the app's verbs; not measured): the demo seed, then one province with
`UNITS` units below it (districts and communes), one supervisor (`bench-sup`, the province's TĐKT section) and one
staff member per unit holding the unit roles. Ten open campaigns take every unit as participant; the one measured
has 85 % of its units started, spread over the unit's steps and the receiving level's check, the rest not started.
A unit has one case per campaign round, so the other cases of the database (up to 10,000, then up to 100,000) are
closed past rounds of the same units (completed, each with its audit trail) — what accumulates over the years and
what the dashboard must not grow with. The dashboard's queries read only the measured campaign's cases.

Measured in-process with the Flask test client (the server's work, no network): `GET /api/supervision/campaigns/
{id}/units` and the page `/supervision/campaigns/{id}`, median of REPEAT after one warm-up (which also fills the
usual-durations cache, kept ten minutes; its cold cost is printed too). Targets: under 200 ms; 100k / 10k ≤ 1.5.
Then `remind` on 500 started units (one transaction per case, through the executor): target ≤ 5 s.

Usage: .venv/bin/python bench/dashboard.py           (PostgreSQL; 700 units, 10 campaigns, 10,000 → 100,000 cases)
       .venv/bin/python bench/dashboard.py --quick   (60 units, 1,000 → 3,000 cases, remind 50; checks it works)
"""
from __future__ import annotations

import datetime as dt
import io
import json
import statistics
import sys
import time
import uuid

import _path  # noqa: F401,I001
from bench.common import CAMPAIGN_TIME, postgres_url, quick_flag, sqlite_url, use_clock, verdict
from sqlalchemy import insert, select, text

from processes import clock, interventions, tokens
from processes.db import make_engine, make_sessionmaker, upgrade_schema
from processes.models import Campaign, Case, DiagramVersion, RoleAssignment, Unit, User
from processes.roles import UNIT_ROLES
from processes.security import hash_password
from processes.seeding import DEMO_PASSWORD, seed_demo
from processes.supervision import history

QUICK, ARGS = quick_flag()
UNITS = 60 if QUICK else 700
CAMPAIGNS = 10
SIZES = (1_000, 3_000) if QUICK else (10_000, 100_000)
REMIND = 50 if QUICK else 500
REPEAT = 5 if QUICK else 15
STEPS = [("register_nominees", "Đăng ký danh sách đề nghị khen thưởng", "unit_staff"),
         ("record_minutes", "Lập biên bản họp bình xét", "unit_secretary"),
         ("council_review", "Hội đồng TĐKT xem xét", "unit_council"),
         ("submit_dossier", "Trình hồ sơ đề nghị khen thưởng (tờ trình)", "unit_head"),
         ("provincial_check", "Cấp tỉnh kiểm tra hồ sơ", "provincial_reviewer")]
DAY = dt.timedelta(days=1)


class Db:
    def __init__(self, url: str):
        self.url, self.pg = url, url.startswith("postgresql")
        upgrade_schema(url)
        self.engine = make_engine(url)
        self.Session = make_sessionmaker(self.engine)

    def bulk(self, session, table: str, columns: list[str], rows: list[tuple]) -> None:
        """COPY on PostgreSQL; executemany on SQLite."""
        if not rows:
            return
        if self.pg:
            raw = session.connection().connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(f":{c}" for c in columns)
            session.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"),
                            [dict(zip(columns, row)) for row in rows])

    def next_id(self, session, table: str) -> int:
        return (session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1

    def fix_sequences(self, session) -> None:
        if self.pg:
            for table in ("units", "users", "role_assignments", "campaigns", "cases", "open_tasks", "case_timers",
                          "audit_events"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def organisation(db: Db) -> dict:
    """The province, its units (a fifth of them districts, the rest communes under them), a user per unit, the
    supervisor, the ten open campaigns."""
    with db.Session() as session:
        seed_demo(session)
        top = session.scalar(select(Unit).where(Unit.parent_id.is_(None), Unit.code == "vkstc"))
        qb = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
        province = Unit(code="bench-province", name="Tỉnh đo", level="provincial", parent_id=top.id)
        session.add(province)
        session.flush()
        first = db.next_id(session, "units")
        districts = max(1, UNITS // 5)
        rows, codes = [], []
        for i in range(UNITS):
            unit_id = first + i
            parent = province.id if i < districts else first + (i % districts)
            code = f"bench-u{i:04d}"
            codes.append(code)
            rows.append((unit_id, code, f"Đơn vị đo {i:04d}", "", "district" if i < districts else "commune",
                         "procuracy", "", 10, 2, parent))
        db.bulk(session, "units", ["id", "code", "name", "short_name", "level", "kind", "place", "staff_count",
                                   "collective_count", "parent_id"], rows)
        password = hash_password(DEMO_PASSWORD)
        first_user = db.next_id(session, "users")
        db.bulk(session, "users", ["id", "username", "full_name", "email", "password_hash", "unit_id", "is_admin",
                                   "active", "session_version", "created_at"],
                [(first_user + i, code, f"Cán bộ {i:04d}", "", password, first + i, False, True, 0, CAMPAIGN_TIME)
                 for i, code in enumerate(codes)])
        first_role = db.next_id(session, "role_assignments")
        db.bulk(session, "role_assignments", ["id", "user_id", "unit_id", "role"],
                [(first_role + i * len(UNIT_ROLES) + j, first_user + i, first + i, role)
                 for i in range(UNITS) for j, role in enumerate(UNIT_ROLES)])
        db.fix_sequences(session)
        supervisor = User(username="bench-sup", full_name="Giám sát đo", password_hash=password, unit_id=province.id)
        supervisor.roles.append(RoleAssignment(unit_id=province.id, role="provincial_reviewer"))
        session.add(supervisor)
        details = {**qb.details, "participants": codes}
        campaigns = [Campaign(code=f"bench-open-{i}", name=f"Phong trào đo {i}", issuer_id=province.id,
                              receiving_unit_id=province.id, deadline=qb.deadline, process_id=qb.process_id,
                              status="open", details=details) for i in range(CAMPAIGNS)]
        session.add_all(campaigns)
        session.commit()
        version = session.scalar(select(DiagramVersion.id).where(DiagramVersion.process_id == qb.process_id))
        token = tokens.create(session, supervisor, "bench")
        return dict(units=list(range(first, first + UNITS)), users=list(range(first_user, first_user + UNITS)),
                    campaigns=[c.id for c in campaigns], version=version, details=details, token=token,
                    province=province.id, process_id=qb.process_id, deadline=campaigns[0].deadline_at)


def fill_cases(db: Db, org: dict, campaign_ids: list[int], live: bool) -> int:
    """One case per unit per campaign: `live` campaigns spread over the steps (85 % started), others completed
    past rounds with their audit trail. Returns how many cases it wrote."""
    now = clock.now()
    with db.Session() as session:
        case_id, task_id = db.next_id(session, "cases"), db.next_id(session, "open_tasks")
        timer_id, event_id = db.next_id(session, "case_timers"), db.next_id(session, "audit_events")
        cases, tasks, timers, events = [], [], [], []
        state = json.dumps({"bench": True})
        data = json.dumps({"campaign_code": "bench", "nominees": [{"name": "Nguyễn Văn An"}]}, ensure_ascii=False)
        for campaign_id in campaign_ids:
            for i, unit_id in enumerate(org["units"]):
                if live and i % 20 in (0, 7, 13):
                    continue  # not started
                started = now - dt.timedelta(days=1 + i % 6, hours=i % 11)
                if not live:
                    cases.append((case_id, campaign_id, unit_id, "unit", org["version"], "completed",
                                  "Đã có quyết định", state, data, 3, started, started + 5 * DAY, started + 5 * DAY))
                    for k, (bpmn_id, name, _role) in enumerate(STEPS[:4]):
                        events.append((event_id, case_id, started + (k + 1) * DAY, "task_completed", bpmn_id, name,
                                       "{}"))
                        event_id += 1
                    case_id += 1
                    continue
                step = STEPS[i % len(STEPS)]
                cases.append((case_id, campaign_id, unit_id, "unit", org["version"], "running", step[1], state, data,
                              2, started, started, None))
                unit_for_task = unit_id if step[2] != "provincial_reviewer" else org["province"]
                tasks.append((task_id, case_id, str(uuid.uuid4()), step[0], step[1], step[2], step[2], unit_for_task,
                              started, org["deadline"], org["deadline"]))
                task_id += 1
                if step[2] != "provincial_reviewer":
                    for bpmn_id, at in (("deadline_timer", org["deadline"]), ("reminder_timer", org["deadline"] - 3 * DAY)):
                        timers.append((timer_id, case_id, str(uuid.uuid4()), bpmn_id, bpmn_id, at, "waiting", 0, "",
                                       started))
                        timer_id += 1
                events.append((event_id, case_id, started, "case_started", "", "", "{}"))
                event_id += 1
                case_id += 1
        db.bulk(session, "cases", ["id", "campaign_id", "unit_id", "kind", "diagram_version_id", "status",
                                   "current_step", "workflow_state", "data", "version", "created_at", "updated_at",
                                   "completed_at"], cases)
        db.bulk(session, "open_tasks", ["id", "case_id", "task_uuid", "bpmn_id", "name", "lane", "role", "unit_id",
                                        "created_at", "due_at", "sort_due", "form", "ui_form", "instructions"],
                [(*t, "", "", "") for t in tasks])
        db.bulk(session, "case_timers", ["id", "case_id", "task_uuid", "bpmn_id", "name", "fire_at", "status",
                                         "attempts", "last_error", "created_at"], timers)
        db.bulk(session, "audit_events", ["id", "case_id", "at", "action", "task_bpmn_id", "task_name", "details"],
                events)
        db.fix_sequences(session)
        session.execute(text("ANALYZE" if not db.pg else "ANALYZE cases, open_tasks, case_timers, audit_events"))
        session.commit()
        return len(cases)


def past_campaigns(db: Db, org: dict, count: int) -> list[int]:
    with db.Session() as session:
        rows = [Campaign(code=f"bench-past-{uuid.uuid4().hex[:10]}", name="Đợt đã qua", issuer_id=org["province"],
                         receiving_unit_id=org["province"], deadline=dt.date(2023, 8, 23), process_id=org["process_id"],
                         status="closed", details=org["details"]) for _ in range(count)]
        session.add_all(rows)
        session.commit()
        return [c.id for c in rows]


def total_cases(db: Db) -> int:
    with db.Session() as session:
        return session.scalar(text("SELECT count(*) FROM cases"))


def grow_to(db: Db, org: dict, target: int) -> None:
    missing = target - total_cases(db)
    rounds = max(0, -(-missing // len(org["units"])))
    if rounds:
        fill_cases(db, org, past_campaigns(db, org, rounds), live=False)


def measure(app, org: dict, campaign_id: int) -> dict:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {org['token']}"}
    history.forget()
    started = time.perf_counter()
    first = client.get(f"/api/supervision/campaigns/{campaign_id}/units", headers=headers)
    cold = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, first.get_data(as_text=True)[:500]
    body = first.get_json()
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(f"/api/supervision/campaigns/{campaign_id}/units?sort=urgency", headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    steps = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        assert client.get(f"/api/supervision/campaigns/{campaign_id}/steps", headers=headers).status_code == 200
        steps.append((time.perf_counter() - started) * 1000)
    listing = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        assert client.get("/api/cases", headers=headers).status_code == 200
        listing.append((time.perf_counter() - started) * 1000)
    return dict(cold=cold, median=statistics.median(samples), steps=statistics.median(steps), units=body["units"],
                counts=body["counts"], cases=statistics.median(listing))


def remind(db: Db, org: dict, campaign_id: int) -> tuple[float, int]:
    with db.Session() as session:
        units = list(session.scalars(select(Case.unit_id).where(Case.campaign_id == campaign_id)
                                     .order_by(Case.unit_id).limit(REMIND)))
        actor = session.scalar(select(User).where(User.username == "bench-sup"))
        started = time.perf_counter()
        outcomes = interventions.apply(session, actor, interventions.Request(
            action="remind", case_ids=[], unit_ids=units, campaign_id=campaign_id, reason="Đo thời gian"))
        elapsed = time.perf_counter() - started
    failed = [o for o in outcomes if not o.ok]
    assert len(outcomes) == REMIND and not failed, failed[:3]
    return elapsed, len(outcomes)


def run(label: str, url: str) -> None:
    from webapp import create_app

    use_clock(CAMPAIGN_TIME)
    db = Db(url)
    org = organisation(db)
    fill_cases(db, org, org["campaigns"], live=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8, "TESTING": True})
    campaign_id = org["campaigns"][0]
    print(f"{label}: {UNITS} units, {CAMPAIGNS} open campaigns; dashboard of one campaign (median of {REPEAT})")
    results = {}
    for size in SIZES:
        grow_to(db, org, size)
        with app.app_context():
            results[size] = measure(app, org, campaign_id)
        r = results[size]
        print(f"  {total_cases(db):>7,} cases: units API {r['median']:.1f} ms (cold, history read: {r['cold']:.1f} ms);"
              f" steps API {r['steps']:.1f} ms; the supervisor's case list (GET /api/cases) {r['cases']:.1f} ms;"
              f" {r['units']} units: {r['counts']}")
    small, large = SIZES
    verdict(f"{label} dashboard at {large:,} cases", results[large]["median"], 200, sign="<", unit=" ms")
    verdict(f"{label} {large:,} / {small:,} cases", results[large]["median"] / results[small]["median"], 1.5)
    with app.app_context():
        elapsed, count = remind(db, org, campaign_id)
    print(f"  remind {count} units: {elapsed:.2f} s ({elapsed / count * 1000:.1f} ms per case)")
    verdict(f"{label} remind {count} units", elapsed, 5, unit=" s")
    db.engine.dispose()


def main() -> None:
    url = postgres_url("tdkt_bench_dashboard")
    if url:
        run("PostgreSQL", url)
    elif QUICK:
        run("SQLite", sqlite_url())
    else:
        sys.exit("bench/dashboard.py measures PostgreSQL (TDKT_BENCH_PG); none was reachable.")


if __name__ == "__main__":
    main()
