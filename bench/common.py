"""Shared set-up for the benchmarks: throw-away databases on SQLite and PostgreSQL, seeded like the demo,
plus as many extra units (with one bench user holding every unit role in them) as a benchmark needs cases."""
from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path


os.environ.setdefault("TDKT_PASSWORD_METHOD", "pbkdf2:sha256:1000")

from sqlalchemy import select, text  # noqa: E402

from bench.clocked import OFFSET_ENV, OffsetClock  # noqa: E402
from processes import clock  # noqa: E402
from processes.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: E402
from processes.models import Campaign, DiagramVersion, RoleAssignment, Unit, User  # noqa: E402
from processes.roles import UNIT_ROLES  # noqa: E402
from processes.security import hash_password  # noqa: E402
from processes.seeding import DEMO_PASSWORD, seed_demo  # noqa: E402

PG_ADMIN = os.environ.get("TDKT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def sqlite_url() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='tdkt-bench-')}/bench.sqlite"


def postgres_url(name: str = "tdkt_bench") -> str | None:
    """A fresh PostgreSQL database for this run (its name carries the process id, so benches run at the same time,
    from this checkout or another, never drop each other's), dropped again when the bench exits."""
    name = f"{name}_{os.getpid()}"
    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - report and carry on with SQLite
        print(f"  PostgreSQL not available ({exc.__class__.__name__}); skipped.")
        return None
    atexit.register(_drop_database, name)
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(name: str) -> None:
    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - at exit: say so, leave it
        print(f"  could not drop {name}: {exc.__class__.__name__}", file=sys.stderr)


def prepare(url: str, extra_units: int = 0, parent_code: str = "vks-quang-binh"):
    """Migrate, seed, add `extra_units` units under `parent_code`, each with a user `bench-NNNNN` holding the unit
    roles there (as a real account holds the roles of its own unit). Returns (sessionmaker, [(unit id, user id)])."""
    upgrade_schema(url)
    engine = make_engine(url)
    Session = make_sessionmaker(engine)
    with Session() as session:
        seed_demo(session)
        parent = session.scalar(select(Unit).where(Unit.code == parent_code))
        password = hash_password(DEMO_PASSWORD)
        units = [Unit(code=f"bench-{i:05d}", name=f"Đơn vị đo {i}", level="district", parent_id=parent.id)
                 for i in range(extra_units)]
        session.add_all(units)
        session.flush()
        users = [User(username=u.code, full_name=f"Người đo {i}", password_hash=password, unit_id=u.id)
                 for i, u in enumerate(units)]
        session.add_all(users)
        session.flush()
        for campaign in session.scalars(select(Campaign)):  # the bench units take part in every campaign
            details = dict(campaign.details)
            details["participants"] = [*details.get("participants", []), *(u.code for u in units)]
            campaign.details = details
        session.add_all(RoleAssignment(user_id=user.id, unit_id=unit.id, role=role)
                        for unit, user in zip(units, users) for role in UNIT_ROLES)
        session.commit()
        return Session, [(u.id, user.id) for u, user in zip(units, users)]


def summary(samples: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


# --- the campaign's clock -----------------------------------------------------------------------------------------

# Inside the Quảng Bình round (15/8 → 23/8/2024), as tests/conftest.py CAMPAIGN_TIME: deadlines are ahead, so a case
# started now walks the normal path instead of going straight to the late one.
CAMPAIGN_TIME = dt.datetime(2024, 8, 16, 1, 0)  # 08:00 on 16/08/2024 in Việt Nam, naive UTC
def use_clock(at: dt.datetime) -> dict:
    """Put this process on a clock that reads `at` now and then runs on; returns the environment that puts a child
    process (gunicorn, a timer worker started through bench/clocked.py) on the same clock."""
    offset = (at - clock.Clock().now()).total_seconds()
    clock.set_clock(OffsetClock(offset))
    return {OFFSET_ENV: repr(offset)}


# --- reporting ----------------------------------------------------------------------------------------------------

def verdict(label: str, value: float, target: float, *, sign: str = "≤", unit: str = "×") -> bool:
    """One target line: `TARGET <label>: <value><unit> (target <sign> <target><unit>) PASS|MISS`.
    tests/test_benches.py looks for these lines; a MISS never fails a bench (timings on a shared machine are noisy)."""
    ok = {"≤": value <= target, "<": value < target, "≥": value >= target, ">": value > target}[sign]
    print(f"  TARGET {label}: {value:.2f}{unit} (target {sign} {target:.3g}{unit}) {'PASS' if ok else 'MISS'}")
    return ok


def quick_flag() -> tuple[bool, list[str]]:
    """(--quick given, the other arguments)."""
    args = [a for a in sys.argv[1:] if a != "--quick"]
    return len(args) != len(sys.argv) - 1, args


# --- gunicorn as the demo runs it ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]  # as scripts/demo.sh
if "--quick" in sys.argv:  # the quick run checks that the bench works, not how fast: one worker boots in half the time
    GUNICORN_ARGS = ["--workers", "1", "--worker-class", "gthread", "--threads", "4"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving `url` on the bench's clock, in a process group of its own; stopped (the whole group) on
    leaving the `with`, at exit, and on SIGTERM / SIGINT of the bench. Ready once a request through the socket is
    answered; a gunicorn that dies while starting fails at once with its log."""

    def __init__(self, url: str, clock_env: dict, ready_timeout: float = 120):
        self.url, self.clock_env, self.ready_timeout = url, clock_env, ready_timeout
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> str:
        _install_handlers()
        port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="tdkt-bench-gunicorn-", suffix=".log", delete=False)
        env = {**os.environ, **self.clock_env, "DATABASE_URL": self.url, "SECRET_KEY": "bench"}
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--config", "python:webapp.gunicorn_conf", *GUNICORN_ARGS,
             "--bind", f"127.0.0.1:{port}", "bench.clocked:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        _running.add(self)
        base = f"http://127.0.0.1:{port}"
        try:
            self._wait_ready(base)
        except BaseException:
            self.stop()
            raise
        return base

    def _wait_ready(self, base: str) -> None:
        import requests
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode} while starting:\n{self.log_tail()}")
            try:
                if requests.get(base + "/api/openapi.json", timeout=self.ready_timeout).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not ready after {self.ready_timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGQUIT to the group (gunicorn's quick shutdown: a graceful SIGTERM would wait out the client's keep-alive
        connection), SIGKILL after 15 s; raises if any process of the group is still there."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        _running.discard(self)
        try:
            os.killpg(proc.pid, signal.SIGQUIT)
        except ProcessLookupError:
            pass
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        for _ in range(50):  # the workers leave with their master; give them a moment
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        raise RuntimeError("gunicorn's process group was still running after SIGTERM; killed")


_running: set[Gunicorn] = set()


def _stop_all() -> None:
    for server in list(_running):
        try:
            server.stop()
        except Exception as exc:  # noqa: BLE001 - at exit, say it and go on with the others
            print(f"  {exc}", file=sys.stderr)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through every `with Gunicorn(…)` and finally


def _install_handlers() -> None:
    if not _handlers:
        _handlers.append(True)
        atexit.register(_stop_all)
        signal.signal(signal.SIGTERM, _on_signal)


_handlers: list[bool] = []


# --- background cases, built fast (bulk SQL, not the app's verbs) -------------------------------------------------
# One province with many units below it, a supervisor, open campaigns whose cases are spread over the steps and
# closed past rounds — what accumulates over the years. bench/dashboard.py measures the dashboard against it,
# bench/load.py runs its people on top of it. Each case is a clone of a template: the saved workflow state, data,
# open-task and timer rows of one real case at that step (`Template.of`, so the consistency check holds for every
# clone), or, for a bench that never restores them, rows shaped like one (`synthetic_templates`).

DAY = dt.timedelta(days=1)
STEPS = [("register_nominees", "Đăng ký danh sách đề nghị khen thưởng", "unit_staff"),
         ("record_minutes", "Lập biên bản họp bình xét", "unit_secretary"),
         ("council_review", "Hội đồng TĐKT xem xét", "unit_council"),
         ("submit_dossier", "Trình hồ sơ đề nghị khen thưởng (tờ trình)", "unit_head"),
         ("provincial_check", "Cấp tỉnh kiểm tra hồ sơ", "provincial_reviewer")]


@dataclass
class Template:
    """What a cloned case copies. Task rows: (task_uuid, bpmn_id, name, lane, role, at the receiving unit?, due_at,
    sort_due, form, ui_form, instructions); timer rows: (task_uuid, bpmn_id, name, fire_at, status)."""
    status: str
    current_step: str
    state: str
    data: str
    version_id: int
    tasks: list[tuple] = field(default_factory=list)
    timers: list[tuple] = field(default_factory=list)

    @classmethod
    def of(cls, session, case_id: int) -> "Template":
        """A real case as it is saved: its clones restore to the same ready tasks and timers."""
        from processes.models import Case, CaseTimer, OpenTask
        case = session.get(Case, case_id)
        tasks = [(t.task_uuid, t.bpmn_id, t.name, t.lane, t.role, t.unit_id != case.unit_id, t.due_at, t.sort_due,
                  t.form, t.ui_form, t.instructions)
                 for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case_id).order_by(OpenTask.id))]
        timers = [(t.task_uuid, t.bpmn_id, t.name, t.fire_at, t.status)
                  for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id).order_by(CaseTimer.id))]
        return cls(case.status, case.current_step, case.workflow_state,
                   json.dumps(case.data, ensure_ascii=False, default=str), case.diagram_version_id, tasks, timers)


@dataclass
class Templates:
    running: list[Template]  # a live round's cases take them in turn
    completed: Template  # every case of a past round


def synthetic_templates(version_id: int, deadline: dt.datetime) -> Templates:
    """Rows shaped like a case at each step, with a placeholder state (no workflow restores it)."""
    state = json.dumps({"bench": True})
    data = json.dumps({"campaign_code": "bench", "nominees": [{"name": "Nguyễn Văn An"}]}, ensure_ascii=False)
    running = []
    for bpmn_id, name, role in STEPS:
        timers = [] if role == "provincial_reviewer" else [
            (str(uuid.uuid4()), "deadline_timer", "deadline_timer", deadline, "waiting"),
            (str(uuid.uuid4()), "reminder_timer", "reminder_timer", deadline - 3 * DAY, "waiting")]
        running.append(Template("running", name, state, data, version_id,
                                [(str(uuid.uuid4()), bpmn_id, name, role, role, role == "provincial_reviewer",
                                  deadline, deadline, "", "", "")], timers))
    return Templates(running, Template("completed", "Đã có quyết định", state, data, version_id))


class Db:
    """A migrated database and the bulk writes: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, url: str):
        self.url, self.pg = url, url.startswith("postgresql")
        upgrade_schema(url)
        self.engine = make_engine(url)
        self.Session = make_sessionmaker(self.engine)

    def bulk(self, session, table: str, columns: list[str], rows: list[tuple]) -> None:
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


def organisation(db: Db, units: int, campaigns: int) -> dict:
    """The province (below the supreme level), its units (a fifth of them districts, the rest communes under them),
    a user per unit holding the unit roles, the supervisor `bench-sup` (the province's TĐKT section), and
    `campaigns` open campaigns like the Quảng Bình round that take every unit as participant. The demo seed must be
    there already."""
    from processes import tokens
    with db.Session() as session:
        top = session.scalar(select(Unit).where(Unit.parent_id.is_(None), Unit.code == "vkstc"))
        qb = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
        province = Unit(code="bench-province", name="Tỉnh đo", level="provincial", parent_id=top.id)
        session.add(province)
        session.flush()
        first = db.next_id(session, "units")
        districts = max(1, units // 5)
        rows, codes = [], []
        for i in range(units):
            parent = province.id if i < districts else first + (i % districts)
            code = f"bench-u{i:04d}"
            codes.append(code)
            rows.append((first + i, code, f"Đơn vị đo {i:04d}", "", "district" if i < districts else "commune",
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
                 for i in range(units) for j, role in enumerate(UNIT_ROLES)])
        db.fix_sequences(session)
        supervisor = User(username="bench-sup", full_name="Giám sát đo", password_hash=password, unit_id=province.id)
        supervisor.roles.append(RoleAssignment(unit_id=province.id, role="provincial_reviewer"))
        session.add(supervisor)
        details = {**qb.details, "participants": codes}
        opened = [Campaign(code=f"bench-open-{i}", name=f"Phong trào đo {i}", issuer_id=province.id,
                           receiving_unit_id=province.id, deadline=qb.deadline, process_id=qb.process_id,
                           status="open", details=details) for i in range(campaigns)]
        session.add_all(opened)
        session.commit()
        version = session.scalar(select(DiagramVersion.id).where(DiagramVersion.process_id == qb.process_id))
        token = tokens.create(session, supervisor, "bench")
        return dict(units=list(range(first, first + units)), users=list(range(first_user, first_user + units)),
                    campaigns=[c.id for c in opened], version=version, details=details, token=token,
                    province=province.id, process_id=qb.process_id, deadline=opened[0].deadline_at)


def fill_cases(db: Db, org: dict, campaign_ids: list[int], live: bool, templates: Templates) -> list[int]:
    """One case per unit per campaign, each a clone of a template: `live` campaigns spread over the steps (85 %
    started), others completed past rounds with their audit trail. Returns the ids of the cases it wrote."""
    now = clock.now()
    with db.Session() as session:
        first_case = case_id = db.next_id(session, "cases")
        task_id, timer_id = db.next_id(session, "open_tasks"), db.next_id(session, "case_timers")
        event_id = db.next_id(session, "audit_events")
        cases, tasks, timers, events = [], [], [], []
        for campaign_id in campaign_ids:
            for i, unit_id in enumerate(org["units"]):
                if live and i % 20 in (0, 7, 13):
                    continue  # not started
                started = now - dt.timedelta(days=1 + i % 6, hours=i % 11)
                if not live:
                    t = templates.completed
                    cases.append((case_id, campaign_id, unit_id, "unit", t.version_id, t.status, t.current_step,
                                  t.state, t.data, 3, started, started + 5 * DAY, started + 5 * DAY))
                    for k, (bpmn_id, name, _role) in enumerate(STEPS[:4]):
                        events.append((event_id, case_id, started + (k + 1) * DAY, "task_completed", bpmn_id, name,
                                       "{}"))
                        event_id += 1
                    case_id += 1
                    continue
                t = templates.running[i % len(templates.running)]
                cases.append((case_id, campaign_id, unit_id, "unit", t.version_id, t.status, t.current_step, t.state,
                              t.data, 2, started, started, None))
                for (task_uuid, bpmn_id, name, lane, role, at_receiving, due_at, sort_due, form, ui_form,
                     instructions) in t.tasks:
                    tasks.append((task_id, case_id, task_uuid, bpmn_id, name, lane, role,
                                  org["province"] if at_receiving else unit_id, started, due_at, sort_due, form,
                                  ui_form, instructions))
                    task_id += 1
                for task_uuid, bpmn_id, name, fire_at, status in t.timers:
                    timers.append((timer_id, case_id, task_uuid, bpmn_id, name, fire_at, status, 0, "", started))
                    timer_id += 1
                events.append((event_id, case_id, started, "case_started", "", "", "{}"))
                event_id += 1
                case_id += 1
        db.bulk(session, "cases", ["id", "campaign_id", "unit_id", "kind", "diagram_version_id", "status",
                                   "current_step", "workflow_state", "data", "version", "created_at", "updated_at",
                                   "completed_at"], cases)
        db.bulk(session, "open_tasks", ["id", "case_id", "task_uuid", "bpmn_id", "name", "lane", "role", "unit_id",
                                        "created_at", "due_at", "sort_due", "form", "ui_form", "instructions"], tasks)
        db.bulk(session, "case_timers", ["id", "case_id", "task_uuid", "bpmn_id", "name", "fire_at", "status",
                                         "attempts", "last_error", "created_at"], timers)
        db.bulk(session, "audit_events", ["id", "case_id", "at", "action", "task_bpmn_id", "task_name", "details"],
                events)
        db.fix_sequences(session)
        session.execute(text("ANALYZE" if not db.pg else "ANALYZE cases, open_tasks, case_timers, audit_events"))
        session.commit()
        return list(range(first_case, case_id))


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


def grow_to(db: Db, org: dict, target: int, templates: Templates) -> list[int]:
    """Past rounds of every unit until the database holds about `target` cases; the ids written."""
    missing = target - total_cases(db)
    rounds = max(0, -(-missing // len(org["units"])))
    return fill_cases(db, org, past_campaigns(db, org, rounds), False, templates) if rounds else []
