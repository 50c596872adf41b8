"""One place that turns core errors into responses: JSON under /api, a page or a flash elsewhere."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from processes.errors import DomainError, ValidationFailed

HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.", 401: "Cần đăng nhập.", 403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy trang hoặc dữ liệu.", 405: "Phương thức không được hỗ trợ.",
    409: "Dữ liệu đã thay đổi.", 413: "Tệp hoặc dữ liệu gửi lên quá lớn.", 500: "Lỗi hệ thống.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: str, message: str, status: int, **extra):
    return jsonify({"error": code, "message": message, **extra}), status


def register(app) -> None:
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
