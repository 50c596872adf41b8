"""Every benchmark in bench/ runs in its quick mode, so a bench that breaks fails the suite.

The five run at the same time, each in a subprocess (a bench that breaks exits non-zero; a missed timing target
does not, timings on a shared machine being noisy); each test then checks its bench's exit status and that it printed
its target lines for the databases it should have measured — PostgreSQL when it is reachable, always with CI=true.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import _pg_available

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("engine", "http", "timers", "documents", "migration", "dashboard", "load")
TIMEOUT = 180
TARGET = re.compile(r"^  TARGET (?P<label>.+): [\d.]+.* \(target [≤<≥>] [\d.]+.*\) (PASS|MISS)$", re.M)


@pytest.fixture(scope="module")
def runs():
    """Start the quick benches together; each test waits for its own."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = {name: subprocess.Popen([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--quick"], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
             for name in BENCHES}
    started = time.monotonic()
    results = {}

    def result(name: str) -> tuple[int, str]:
        if name not in results:
            proc = procs[name]
            try:
                out, _ = proc.communicate(timeout=max(1, TIMEOUT - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                out, _ = proc.communicate()
                pytest.fail(f"bench/{name}.py --quick still running after {TIMEOUT} s:\n{out[-4000:]}")
            results[name] = proc.returncode, out
        return results[name]

    yield result
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()


@pytest.fixture(scope="module")
def databases() -> list[str]:
    if _pg_available():
        return ["SQLite", "PostgreSQL"]
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL không truy cập được tại 127.0.0.1:5432 — bắt buộc khi CI=true.")
    return ["SQLite"]


def targets(name, runs) -> list[str]:
    code, out = runs(name)
    assert code == 0, f"bench/{name}.py --quick exited with {code}:\n{out[-4000:]}"
    assert "Traceback" not in out, out[-4000:]
    return [m["label"] for m in TARGET.finditer(out)]


def test_engine_bench(runs, databases):
    labels = targets("engine", runs)
    assert labels == [f"{db} {what} / engine work" for db in databases for what in ("core", "HTTP")], labels


def test_http_bench(runs, databases):
    labels = targets("http", runs)
    assert labels == [f"{db} HTTP completion / engine work" for db in databases], labels


def test_timers_bench(runs, databases):
    labels = targets("timers", runs)
    expected = []
    for db in databases:
        expected.append(f"{db} 1 worker")
        if db == "PostgreSQL":
            expected.append(f"{db} 2 workers / 1 worker (2 cores)")
        expected.append(f"{db} worst timer latency")
    assert labels == expected, labels


def test_documents_bench(runs):
    assert targets("documents", runs) == ["tờ trình, 10 nominees / 1 nominee"]


def test_migration_bench(runs, databases):
    labels = targets("migration", runs)
    assert labels == [f"{db} {what}" for db in databases
                      for what in ("migrate 20 cases", "migration / restore+save")], labels


def test_dashboard_bench(runs, databases):
    labels = targets("dashboard", runs)
    db = "PostgreSQL" if "PostgreSQL" in databases else "SQLite"  # the dashboard is measured on PostgreSQL
    assert labels == [f"{db} dashboard at 3,000 cases", f"{db} 3,000 / 1,000 cases", f"{db} remind 50 units"], labels


def test_load_bench(runs, databases):
    """bench/load.py: PostgreSQL only; exits non-zero when a 2xx completion is not stored, the consistency check
    fails after the faults, or the app does not recover."""
    labels = targets("load", runs)
    expected = ["PostgreSQL 1 worker complete p95", "PostgreSQL 1 worker inbox p95",
                "PostgreSQL 1 worker errors besides the killed worker's",
                "PostgreSQL 1 worker every 2xx completion stored, check passes, recovered"]
    assert labels == (expected if "PostgreSQL" in databases else []), labels


def test_no_gunicorn_left(runs):
    """bench/http.py, bench/engine.py and bench/load.py stop the gunicorn they started, whatever happens."""
    for name in ("engine", "http", "load"):
        runs(name)
    assert not bench_gunicorns(), f"gunicorn processes left running: {bench_gunicorns()}"


def bench_gunicorns() -> list[int]:
    """Processes serving bench.clocked from this checkout."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and b"bench.clocked:create_app" in (proc / "cmdline").read_bytes()
                    and Path(os.readlink(proc / "cwd")) == ROOT):
                found.append(int(proc.name))
        except OSError:
            continue
    return found
