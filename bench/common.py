"""Shared set-up for the benchmarks: throw-away databases on SQLite and PostgreSQL, seeded like the demo,
plus as many extra units (with one bench user holding every unit role in them) as a benchmark needs cases."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path


os.environ.setdefault("TDKT_PASSWORD_METHOD", "pbkdf2:sha256:1000")

from sqlalchemy import select, text  # noqa: E402

from processes.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: E402
from processes.models import Campaign, RoleAssignment, Unit, User  # noqa: E402
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
