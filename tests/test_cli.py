"""The administrators' command line: init-db, seed-demo, users list, users token."""
from sqlalchemy import func, select

from processes.models import ApiToken, Unit


def test_init_db_and_seed_are_idempotent(app, session):
    runner = app.test_cli_runner()
    units = session.scalar(select(func.count()).select_from(Unit))
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "sơ đồ mới xuất bản: 0" in result.output
    assert session.scalar(select(func.count()).select_from(Unit)) == units == 67  # 41 + Đà Nẵng's 2 missing district procuracies + Thanh Hóa's other 24 districts


def test_users_list_and_token(app, session):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["users", "list"]).output
    assert "vks-qb-dong-hoi.canbo" in listing and "Cán bộ đơn vị @ vks-qb-dong-hoi" in listing
    assert "admin" in listing and "[quản trị]" in listing
    result = runner.invoke(args=["users", "token", "vks-qb-dong-hoi.canbo"])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("tdkt_")
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["users", "token", "nobody"]).exit_code != 0


def test_an_empty_database_url_means_the_default(monkeypatch, tmp_path):
    """`DATABASE_URL=` (set, but empty — a blank line in a unit file) is the instance folder's SQLite file, as when
    it is not set, not an unparseable URL that stops every command."""
    from webapp import create_app

    monkeypatch.setenv("DATABASE_URL", "")
    app = create_app({"SECRET_KEY": "k" * 40}, instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") \
        and app.config["SQLALCHEMY_DATABASE_URI"].endswith(str(tmp_path / "tdkt.sqlite"))


def test_commands_on_a_database_nobody_initialised_say_what_to_do(tmp_path):
    from webapp import create_app

    app = create_app({"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}"},
                     instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    for args in (["check"], ["users", "list"], ["timers", "incidents"], ["seed-demo"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "chạy «flask --app webapp init-db» trước" in result.output, (args, result.output)
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0 and "Đã kiểm tra 0 hồ sơ: 0 chỗ lệch." in result.output
