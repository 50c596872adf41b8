"""A living demo: seeding twice inserts only what is absent (what users changed stays; --reset rewrites), current
rounds lie a few weeks ahead of the seeding day, and the sample cases stand at every stage — opened, registered,
returned to the staff with the reason, submitted in time, sent back by the province — on both databases."""
import datetime as dt

import pytest

from sqlalchemy import select, update

from processes import clock, demo_rounds
from processes.db import unit_of_work
from processes.models import Campaign, Case, OpenTask, Unit
from processes.seeding import seed_demo


@pytest.fixture
def client_for_env(db_url, tmp_path):
    """A test client of an app built for an environment (production needs a real key, given here)."""
    from webapp import create_app

    def make(env: str):
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "TDKT_ENV": env,
                           "SECRET_KEY": "k" * 48, "TDKT_UPLOAD_DIR": str(tmp_path / "uploads")}).test_client()
    return make


def test_seeding_again_keeps_what_users_changed_and_reset_rewrites(app, session):
    with unit_of_work(session):
        session.execute(update(Unit).where(Unit.code == "vks-qb-dong-hoi").values(name="VKSND TP Đồng Hới (đổi tên)"))
        session.execute(update(Campaign).where(Campaign.code == "qb-1532-2024").values(name="Tên đã sửa"))
    seed_demo(session)
    assert session.scalar(select(Unit.name).where(Unit.code == "vks-qb-dong-hoi")) == "VKSND TP Đồng Hới (đổi tên)"
    assert session.scalar(select(Campaign.name).where(Campaign.code == "qb-1532-2024")) == "Tên đã sửa"
    seed_demo(session, reset=True)
    assert session.scalar(select(Unit.name).where(Unit.code == "vks-qb-dong-hoi")) != "VKSND TP Đồng Hới (đổi tên)"
    assert session.scalar(select(Campaign.name).where(Campaign.code == "qb-1532-2024")) != "Tên đã sửa"


def test_current_rounds_and_sample_cases_at_every_stage(app, session):
    clock.set_clock(clock.Clock())  # seeded "today", as the demo is (the conftest fixture puts the test clock back)
    today = clock.to_local(clock.now()).date()
    rounds, added = demo_rounds.seed(session)
    assert (rounds, added) == (len(demo_rounds.CURRENT_OF), len(demo_rounds.SAMPLES))
    assert demo_rounds.seed(session) == (0, 0)  # idempotent
    current = session.scalar(select(Campaign).where(Campaign.code == demo_rounds.SAMPLE_ROUND))
    seed_round = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    assert current.deadline == today + dt.timedelta(weeks=demo_rounds.WEEKS_AHEAD)
    assert seed_round.deadline == dt.date(2024, 8, 23)  # the seed campaign stays exactly as its document says
    assert seed_round.status == "closed" and current.status == "open"  # its round is over: cases go to the current one
    assert "đợt hiện hành" in current.name

    def open_steps(unit_code):
        case = session.scalar(select(Case).join(Unit, Unit.id == Case.unit_id)
                              .where(Unit.code == unit_code, Case.campaign_id == current.id))
        assert case.status == "running" and case.late_at is None, unit_code  # nothing went late on the way
        return sorted(session.scalars(select(OpenTask.bpmn_id).where(OpenTask.case_id == case.id)))

    assert open_steps("vks-qb-dong-hoi") == ["register_nominees"]
    assert open_steps("vks-qb-le-thuy") == ["record_minutes"]
    assert open_steps("vks-qb-ba-don") == ["register_nominees"]  # returned to the staff by the head
    returned = session.scalar(select(OpenTask).join(Unit, Unit.id == OpenTask.unit_id)
                              .where(Unit.code == "vks-qb-ba-don", OpenTask.bpmn_id == "register_nominees"))
    assert "ngày sinh" in returned.returned["reason"]
    assert open_steps("vks-qb-bo-trach") == ["provincial_check"]
    assert open_steps("vks-qb-quang-trach") == ["submit_supplement"]

    # in the 2024 round itself: one dossier decided on the round's own dates, one opened today and so late
    def past(unit_code):
        return session.scalar(select(Case).join(Unit, Unit.id == Case.unit_id)
                              .where(Unit.code == unit_code, Case.campaign_id == seed_round.id, Case.kind == "unit"))
    decided = past(demo_rounds.DECIDED_UNIT)
    assert decided.status == "completed" and decided.data["decision_number"] == "1234/QĐ-VKSTC"
    assert decided.data["awards"][0]["awarded"] is True
    assert past(demo_rounds.LATE_UNIT).late_at is not None


def test_the_demo_sign_in_page_names_accounts_to_try_and_production_does_not(app, client_for_env):
    demo = client_for_env("development").get("/login").get_data(as_text=True)
    assert "Tài khoản dùng thử (mật khẩu <code>tdkt@2024</code>)" in demo
    assert 'data-username="vks-qb-ba-don.canbo"' in demo and "hồ sơ bị thủ trưởng trả lại" in demo
    production = client_for_env("production").get("/login").get_data(as_text=True)
    assert "Tài khoản dùng thử" not in production and "tdkt@2024" not in production
