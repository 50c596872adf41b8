"""One place that turns core errors into responses: JSON under /api, a page or a flash elsewhere."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
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


def register(app) -> None:
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
