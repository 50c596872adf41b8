"""One place that turns core errors into responses: JSON under /api, a page or a flash elsewhere."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException

from processes.errors import DomainError, ValidationFailed

from .extensions import db

HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.", 401: "Cần đăng nhập.", 403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy trang hoặc dữ liệu.", 405: "Phương thức không được hỗ trợ.",
    409: "Dữ liệu đã thay đổi.", 413: "Tệp hoặc dữ liệu gửi lên quá lớn.", 500: "Lỗi hệ thống.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: str, message: str, status: int, **extra):
    return jsonify({"error": code, "message": message, **extra}), status


# Input no validator stopped that still cannot be stored or read: a number beyond the database's integers, text
# with a lone surrogate, a document nested past Python's recursion limit. A clear 400, never a 500.
BAD_INPUT = (OverflowError, UnicodeEncodeError, RecursionError, DataError)
BAD_INPUT_MESSAGE = "Dữ liệu gửi lên không hợp lệ (số quá lớn, ký tự không hợp lệ hoặc lồng nhau quá sâu)."


LOST_CONNECTION = "tdkt.lost_connection"  # set in the WSGI environ by the handler, read by RetryLostConnection
LOST_CONNECTION_MESSAGE = "Mất kết nối tới cơ sở dữ liệu trong lúc xử lý; vui lòng thử lại."


class RetryLostConnection:
    """A GET or HEAD whose database connection the server dropped mid-request (a restart, a failover,
    `pg_terminate_backend`) is answered again once, from the start (before-request checks included): nothing of it
    was committed, and the pool hands out a fresh connection (pre-ping). Other methods are not repeated here — a
    verb that lost its connection is run again by the executor, which re-checks under its locks; what failed
    outside a verb answers 503 with a message, never a 500."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        held = []
        body = self.wsgi_app(environ, lambda *args: held.append(args))
        if environ.pop(LOST_CONNECTION, False):
            if hasattr(body, "close"):
                body.close()
            return self.wsgi_app(environ, start_response)
        start_response(*held[0])
        return body


def register(app) -> None:
    app.wsgi_app = RetryLostConnection(app.wsgi_app)

    @app.teardown_appcontext  # registered after Flask-SQLAlchemy's, so it runs first
    def close_session(_exc) -> None:
        """A connection dropped after the answer was made fails the session's closing ROLLBACK; the answer stands
        (what the request did was committed, or rolled back by the server with the connection), so the session is
        closed by invalidating its connection instead of turning a finished request into a 500."""
        try:
            db.session.close()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            db.session().invalidate()  # the scoped session does not proxy invalidate

    @app.errorhandler(DBAPIError)
    def lost_connection(exc: DBAPIError):
        if not exc.connection_invalidated:
            raise exc  # any other database error stays a 500, as before
        db.session.rollback()
        request.environ[LOST_CONNECTION] = True
        if wants_json():
            return json_error("unavailable", LOST_CONNECTION_MESSAGE, 503)
        return render_template("error.html", status=503, message=LOST_CONNECTION_MESSAGE), 503

    def bad_input(exc):
        db.session.rollback()
        if wants_json():
            return json_error("invalid", BAD_INPUT_MESSAGE, 400)
        return render_template("error.html", status=400, message=BAD_INPUT_MESSAGE), 400

    for kind in BAD_INPUT:
        app.register_error_handler(kind, bad_input)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if wants_json():
            extra = {"fields": exc.field_errors} if isinstance(exc, ValidationFailed) else {}
            extra.update({k: v for k, v in exc.details.items() if k in ("case_id", "problems")})
            return json_error(exc.code, exc.message, exc.status, **extra)
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = HTTP_MESSAGES.get(exc.code, exc.description)
        if wants_json():
            return json_error(exc.name.lower().replace(" ", "_"), message, exc.code)
        return render_template("error.html", status=exc.code, message=message), exc.code
