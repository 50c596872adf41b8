"""TĐKT Flow web application: `create_app()` builds it (Flask's tutorial factory pattern)."""
from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

from flask import Flask

from processes import wiring  # noqa: F401  (the core's after-commit listeners)
from processes.db import configure_engine, engine_options, normalise_url

from . import converters
from .extensions import csrf, db, login_manager

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ENVIRONMENTS = ("production", "development")
SECRET_KEY_FILE = "secret_key"  # in the instance folder, for development and the demo only
MIN_SECRET_KEY_LENGTH = 32
# Keys that were ever shipped or suggested as examples: known to everyone, so never a production key.
KNOWN_KEYS = {"dev-only-change-me", "dev", "test", "secret", "change-me", "changeme"}


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    default_db = "sqlite:///" + os.path.join(app.instance_path, "tdkt.sqlite")
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY") or None,
        TDKT_ENV=os.environ.get("TDKT_ENV") or "development",
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL") or default_db,  # set but empty: the default too
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # a form left open over lunch still submits; the token is per session
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    settle_secret_key(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.json.ensure_ascii = False

    converters.register(app)  # before the blueprints: their <int:…> ids are bounded
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import (admin, auth, cases, cli, errors, filters, inbox, notifications, roles_admin, security_headers,
                   supervision, tasks)
    from .api import bp as api_bp
    from .award_history import bp as award_history_bp

    app.register_blueprint(auth.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(award_history_bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(roles_admin.bp)
    app.register_blueprint(supervision.bp)
    from .supervision_charts import bp as supervision_charts_bp  # the dashboard's heat map and charts data
    app.register_blueprint(supervision_charts_bp)
    from .documents import bp as documents_bp
    app.register_blueprint(documents_bp)
    from .process_pages import bp as process_pages_bp
    app.register_blueprint(process_pages_bp)
    from .delegations import bp as delegations_bp  # delegating one's tasks while away
    app.register_blueprint(delegations_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API takes bearer tokens only, never the session cookie, so there is no CSRF to forge
    errors.register(app)
    security_headers.register(app)
    filters.register(app)
    cli.register(app)
    return app


def settle_secret_key(app: Flask) -> None:
    """The key that signs the session and remember-me cookies. Production (TDKT_ENV=production) must be given a
    real one (SECRET_KEY in the environment or instance/config.py) and refuses to start without it; development and
    the demo generate one into the instance folder on first run and keep it across restarts."""
    env = str(app.config.get("TDKT_ENV") or "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"TDKT_ENV={env!r} không hợp lệ: chỉ nhận {' hoặc '.join(ENVIRONMENTS)}.")
    app.config["TDKT_ENV"] = env
    key = app.config.get("SECRET_KEY")
    if env == "production":
        if not key or str(key) in KNOWN_KEYS or len(str(key)) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                "TĐKT Flow không khởi động: TDKT_ENV=production cần SECRET_KEY thật (biến môi trường SECRET_KEY hoặc "
                f"instance/config.py), ngẫu nhiên, ít nhất {MIN_SECRET_KEY_LENGTH} ký tự, giống nhau ở mọi tiến trình "
                "web — ví dụ tạo bằng: python -c 'import secrets; print(secrets.token_hex(32))'. "
                "Thiếu khóa này, ai cũng giả mạo được phiên đăng nhập.")
        return
    if not key:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path) / SECRET_KEY_FILE)


def instance_secret_key(path: Path) -> str:
    """Read the generated key, creating it first if there is none. Creation is atomic: the key is written whole to
    a private temporary file (0600) and hard-linked into place, so of several workers starting at once exactly one
    link wins and every worker reads that same, complete key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600 whatever the umask
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another worker's key won; read it below
            except OSError:  # a file system without hard links: exclusive create, readers wait for the content
                _create_exclusive(path, Path(tmp).read_text())
        finally:
            Path(tmp).unlink(missing_ok=True)
    for _attempt in range(50):
        key = path.read_text().strip()
        if key:
            break
        time.sleep(0.05)  # only on the exclusive-create path, while its writer is between create and write
    else:
        raise RuntimeError(f"Tệp khóa {path} rỗng: xóa tệp này để tạo khóa mới (mọi phiên đăng nhập sẽ hết hạn).")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return key


def _create_exclusive(path: Path, content: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as out:
        out.write(content)
