"""Shared set-up for the benchmarks: throw-away databases on SQLite and PostgreSQL, seeded like the demo,
plus as many extra units (with one bench user holding every unit role in them) as a benchmark needs cases."""
from __future__ import annotations

import atexit
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


os.environ.setdefault("TDKT_PASSWORD_METHOD", "pbkdf2:sha256:1000")

from sqlalchemy import select, text  # noqa: E402

from bench.clocked import OFFSET_ENV, OffsetClock  # noqa: E402
from processes import clock  # noqa: E402
from processes.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: E402
from processes.models import Campaign, RoleAssignment, Unit, User  # noqa: E402
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
            [str(ROOT / ".venv/bin/gunicorn"), *GUNICORN_ARGS, "--bind", f"127.0.0.1:{port}",
             "bench.clocked:create_app()"],
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
