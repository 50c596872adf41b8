"""Shared set-up for the benchmarks: throw-away databases on SQLite and PostgreSQL, seeded like the demo,
plus as many extra units (with one bench user holding every unit role in them) as a benchmark needs cases."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TDKT_PASSWORD_METHOD", "pbkdf2:sha256:1000")

from sqlalchemy import select, text  # noqa: E402

from processes.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: E402
from processes.models import RoleAssignment, Unit, User  # noqa: E402
from processes.roles import UNIT_ROLES  # noqa: E402
from processes.security import hash_password  # noqa: E402
from processes.seeding import DEMO_PASSWORD, seed_demo  # noqa: E402

PG_ADMIN = os.environ.get("TDKT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def sqlite_url() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='tdkt-bench-')}/bench.sqlite"


def postgres_url(name: str = "tdkt_bench") -> str | None:
    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - report and carry on with SQLite
        print(f"  PostgreSQL không dùng được ({exc.__class__.__name__}); bỏ qua.")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def prepare(url: str, extra_units: int = 0, parent_code: str = "vks-quang-binh"):
    """Migrate, seed, add `extra_units` units under `parent_code` and a user `bench` with every unit role in them.
    Returns (sessionmaker, bench user id, [unit ids])."""
    upgrade_schema(url)
    engine = make_engine(url)
    Session = make_sessionmaker(engine)
    with Session() as session:
        seed_demo(session)
        parent = session.scalar(select(Unit).where(Unit.code == parent_code))
        bench = User(username="bench", full_name="Người đo", password_hash=hash_password(DEMO_PASSWORD),
                     unit_id=parent.id)
        session.add(bench)
        units = []
        for i in range(extra_units):
            unit = Unit(code=f"bench-{i:05d}", name=f"Đơn vị đo {i}", level="district", parent_id=parent.id)
            session.add(unit)
            units.append(unit)
        session.flush()
        for unit in units:
            for role in UNIT_ROLES:
                session.add(RoleAssignment(user_id=bench.id, unit_id=unit.id, role=role))
        session.commit()
        return Session, bench.id, [u.id for u in units]


def summary(samples: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000
