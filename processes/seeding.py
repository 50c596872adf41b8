"""Demo data: the units, one user per role per unit, and the four seed campaigns, read from processes/seed_data/.

Idempotent: running it again updates what exists by code / username and adds what is missing.
"""
from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import campaign_definition, diagram_versions, form_registry
from .db import unit_of_work
from .models import Campaign, RoleAssignment, Unit, User
from .roles import UNIT_ROLES
from .security import hash_password

SEED_DIR = Path(__file__).resolve().parent / "seed_data"
DEMO_PASSWORD = "tdkt@2024"
#: What the demo's sign-in page suggests (username, who that is and what they will find).
DEMO_ACCOUNTS = (
    ("vks-qb-dong-hoi.canbo", "Cán bộ VKSND TP Đồng Hới: lập danh sách đề nghị"),
    ("vks-qb-ba-don.canbo", "Cán bộ VKSND TX Ba Đồn: hồ sơ bị thủ trưởng trả lại"),
    ("vks-qb-le-thuy.thuky", "Thư ký VKSND huyện Lệ Thủy: lập biên bản họp"),
    ("vks-qb-quang-trach.thutruong", "Thủ trưởng VKSND huyện Quảng Trạch: bổ sung theo yêu cầu của tỉnh"),
    ("vks-quang-binh.tdkt", "Bộ phận TĐKT VKSND tỉnh Quảng Bình: kiểm tra hồ sơ, giám sát"),
    ("vkstc.tdkt", "Bộ phận TĐKT VKSND tối cao"),
    ("quytrinh", "Chủ quy trình: sửa và xuất bản sơ đồ"),
    ("admin", "Quản trị hệ thống"),
)
ADMIN_USERNAME = "admin"
PROCESS_OWNER_USERNAME = "quytrinh"
# Username suffix per role: <unit code>.<suffix>
ROLE_SUFFIX = {
    "unit_staff": "canbo", "unit_secretary": "thuky", "unit_council": "hoidong", "unit_head": "thutruong",
    "provincial_reviewer": "tdkt", "supreme_reviewer": "tdkt",
}
_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
_MIDDLE = ["Văn", "Thị", "Minh", "Hữu", "Thu", "Đức", "Ngọc", "Quang"]
_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Quyết",
          "Sơn", "Thảo", "Thủy", "Trang", "Tuấn", "Việt", "Yến"]


@dataclass
class SeedReport:
    units: int
    users: int
    campaigns: int
    diagrams: int


def load_units() -> list[dict]:
    return tomllib.loads((SEED_DIR / "units.toml").read_text(encoding="utf-8"))["unit"]


def load_campaigns() -> list[dict]:
    return [tomllib.loads(p.read_text(encoding="utf-8")) for p in sorted((SEED_DIR / "campaigns").glob("*.toml"))]


def seed_demo(session: Session, password: str = DEMO_PASSWORD, reset: bool = False) -> SeedReport:
    """Insert what is absent; what exists stays as users left it (a renamed unit, an edited campaign) unless
    `reset`, which rewrites the units and campaigns from the seed files."""
    form_registry.seed_shipped(session)  # before the diagrams, whose versions pin these revisions
    diagrams = diagram_versions.publish_shipped(session)
    with unit_of_work(session):
        units = _seed_units(session, load_units(), reset)
        campaigns = [_seed_campaign(session, c, units, reset) for c in load_campaigns()]
        receivers = {c.receiving_unit.code for c in campaigns}
        users = _seed_users(session, units, receivers, hash_password(password))  # the number added
    return SeedReport(len(units), users, len(campaigns), len(diagrams))


def _seed_units(session: Session, rows: list[dict], reset: bool = False) -> dict[str, Unit]:
    units = {u.code: u for u in session.scalars(select(Unit))}
    for row in rows:
        if row["code"] in units and not reset:
            continue
        unit = units.get(row["code"]) or Unit(code=row["code"])
        unit.name = row["name"]
        unit.short_name = row.get("short_name", "")
        unit.level = row["level"]
        unit.kind = row.get("kind", "procuracy")
        unit.place = row.get("place", "")
        unit.staff_count = row.get("staff_count", 0)
        unit.collective_count = row.get("collective_count", 0)
        unit.parent = units[row["parent"]] if row.get("parent") else None
        # The governing body when it differs from the reporting parent; the header line when NĐ 30 prints
        # something else than the governing body's name (None: that name).
        unit.governing = units[row["governing"]] if row.get("governing") else None
        unit.header_parent = row.get("header_parent")
        unit.head_title = row.get("head_title", "")
        session.add(unit)
        units[unit.code] = unit
    session.flush()
    return units


def _seed_campaign(session: Session, row: dict, units: dict[str, Unit], reset: bool = False) -> Campaign:
    existing = session.scalar(select(Campaign).where(Campaign.code == row["code"]))
    if existing is not None and not reset:
        return existing
    campaign = existing or Campaign(code=row["code"])
    campaign_definition.apply(campaign, row, units)  # the same mapping the administration verbs use
    session.add(campaign)
    return campaign


def _seed_users(session: Session, units: dict[str, Unit], receivers: set[str], password_hash: str) -> int:
    existing = {u.username: u for u in session.scalars(select(User))}
    before = len(existing)
    names = _names()
    has_children = {u.parent.code for u in units.values() if u.parent is not None}
    for unit in units.values():
        roles = list(UNIT_ROLES)
        if unit.parent is None:
            roles.append("supreme_reviewer")
        # A campaign's receiving unit reviews at the "provincial" step even when it is the top of its tree (VKSTC).
        if unit.code in receivers or (unit.level == "provincial" and unit.code in has_children):
            roles.append("provincial_reviewer")
        for role in roles:
            username = f"{unit.code}.{ROLE_SUFFIX[role]}"
            user = existing.get(username)
            if user is None:
                user = User(username=username, full_name=next(names), password_hash=password_hash, unit=unit)
                session.add(user)
                existing[username] = user
            if not user.holds(role, unit.id):
                user.roles.append(RoleAssignment(unit=unit, unit_id=unit.id, role=role))
    if ADMIN_USERNAME not in existing:
        root = next(u for u in units.values() if u.parent is None)
        existing[ADMIN_USERNAME] = User(username=ADMIN_USERNAME, full_name="Quản trị hệ thống",
                                        password_hash=password_hash, unit=root, is_admin=True)
        session.add(existing[ADMIN_USERNAME])
    if PROCESS_OWNER_USERNAME not in existing:  # edits and publishes the diagrams, nothing else (README)
        root = next(u for u in units.values() if u.parent is None)
        existing[PROCESS_OWNER_USERNAME] = User(username=PROCESS_OWNER_USERNAME, full_name="Chủ quy trình TĐKT",
                                                password_hash=password_hash, unit=root, is_process_owner=True)
        session.add(existing[PROCESS_OWNER_USERNAME])
    return len(existing) - before


def _names():
    # Strides coprime with the list lengths spread the combinations, so neighbouring users differ in every part.
    for i in itertools.count():
        yield f"{_SURNAMES[i % len(_SURNAMES)]} {_MIDDLE[(i * 3) % len(_MIDDLE)]} {_GIVEN[(i * 7) % len(_GIVEN)]}"

