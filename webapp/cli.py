"""Command-line verbs: `flask --app webapp init-db | seed-demo | check | users list | users token USERNAME`."""
from __future__ import annotations

import functools

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect, select

from processes import consistency, demo_rounds, timer_worker, tokens
from processes.db import upgrade_schema
from processes.models import User
from processes.roles import role_label
from processes.seeding import seed_demo
from processes.supervision import flag_snapshots

from .extensions import db

users_cli = AppGroup("users", help="Quản lý người dùng.")
timers_cli = AppGroup("timers", help="Bộ hẹn giờ của hồ sơ: chạy worker, xem và chạy lại sự cố.")


def register(app) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(check_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(timers_cli)


def needs_schema(command):
    """A command run on a database nobody initialised says what to do first, instead of a traceback of missing
    tables (the schema is Alembic's: its version table is there once `init-db` has run)."""
    @functools.wraps(command)
    def checked(*args, **kwargs):
        if not inspect(db.engine).has_table("alembic_version"):
            raise click.ClickException("Cơ sở dữ liệu chưa được khởi tạo: chạy «flask --app webapp init-db» trước.")
        return command(*args, **kwargs)
    return checked


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the schema, or upgrade it to the newest migration."""
    upgrade_schema(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("Cơ sở dữ liệu đã ở phiên bản mới nhất.")


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Ghi lại đơn vị và phong trào theo tệp mẫu (mặc định chỉ thêm cái còn thiếu).")
@click.option("--samples/--no-samples", default=True,
              help="Thêm đợt hiện hành (hạn nộp sau hôm nay vài tuần) và hồ sơ mẫu ở mọi giai đoạn.")
@with_appcontext
@needs_schema
def seed_demo_command(reset: bool, samples: bool):
    """Load the demo units, users and campaigns and publish the shipped diagrams: only what is absent, so a restart
    keeps what users changed (--reset rewrites the units and campaigns); then the current rounds and sample cases."""
    report = seed_demo(db.session, reset=reset)
    click.echo(f"Đơn vị: {report.units}; người dùng mới: {report.users}; phong trào: {report.campaigns}; "
               f"sơ đồ mới xuất bản: {report.diagrams}.")
    if samples:
        rounds, added = demo_rounds.seed(db.session)
        click.echo(f"Đợt hiện hành mới: {rounds}; hồ sơ mẫu mới: {added}.")


@click.command("check")
@with_appcontext
@needs_schema
def check_command():
    """Check that every case's open-task and timer rows match its workflow; exit code 1 on any mismatch."""
    problems, checked = 0, 0
    for item in consistency.check(db.session):
        if isinstance(item, int):
            checked = item
            continue
        problems += 1
        click.echo(f"LỆCH {item}")
    click.echo(f"Đã kiểm tra {checked} hồ sơ: {problems} chỗ lệch.")
    if problems:
        raise SystemExit(1)


@users_cli.command("list")
@needs_schema
def users_list():
    """Every user with unit and roles."""
    rows = db.session.scalars(select(User).order_by(User.unit_id, User.username)).all()
    for user in rows:
        roles = ", ".join(f"{role_label(r.role)} @ {r.unit.code}" for r in user.roles) or "-"
        admin = " [quản trị]" if user.is_admin else ""
        click.echo(f"{user.username:<40} {user.full_name:<24} {user.unit.code:<28} {roles}{admin}")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="CLI", help="Tên gợi nhớ của token.")
@needs_schema
def users_token(username: str, name: str):
    """Create a personal API token for USERNAME and print it once."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Không có người dùng «{username}».")
    click.echo(tokens.create(db.session, user, name))


@timers_cli.command("run")
@click.option("--poll", default=0.5, show_default=True, help="Giây chờ giữa hai lượt khi không có gì đến hạn.")
@click.option("--until-idle", is_flag=True, help="Dừng khi không còn bộ hẹn giờ đến hạn.")
@needs_schema
def timers_run(poll: float, until_idle: bool):
    """Run the timer worker (several may run at once against PostgreSQL)."""
    result = timer_worker.run(current_app.config["SQLALCHEMY_DATABASE_URI"], poll=poll, until_idle=until_idle,
                              digest_every=None if until_idle else timer_worker.DIGEST_EVERY,
                              flags_every=None if until_idle else flag_snapshots.REFRESH_EVERY)
    click.echo(f"Đã chạy {result.fired} hồ sơ; sự cố: {result.incidents}.")


@timers_cli.command("incidents")
@needs_schema
def timers_incidents():
    """Timers whose firing failed, with the error."""
    rows = timer_worker.incidents(db.session)
    if not rows:
        click.echo("Không có sự cố.")
    for row in rows:
        click.echo(f"hồ sơ #{row.case_id}  {row.bpmn_id}  hạn {row.fire_at:%d/%m/%Y %H:%M} UTC  "
                   f"lần thử {row.attempts}: {row.last_error}")


@timers_cli.command("retry")
@click.argument("case_id", type=int)
@needs_schema
def timers_retry(case_id: int):
    """Put CASE_ID's failed timers back in the queue."""
    click.echo(f"Đã đưa {timer_worker.retry(db.session, None, case_id)} bộ hẹn giờ về hàng chờ.")
