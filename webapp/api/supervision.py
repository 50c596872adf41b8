"""Supervision API: the dashboard's rows and step counts, the interventions, the exports (thin over the core)."""
from __future__ import annotations

from flask import Response, g, jsonify, request

from processes import interventions
from processes.clock import parse_vn_date
from processes.errors import InvalidInput
from processes.supervision import board, exports, overview, scope
from processes.supervision.flags import FLAG_LABELS

from ..extensions import db
from . import bp
from .serializers import iso


def _campaign_doc(campaign) -> dict:
    return {"id": campaign.id, "code": campaign.code, "name": campaign.name,
            "deadline_at": iso(campaign.deadline_at), "stall_working_days": board.stall_threshold(campaign)}


def unit_row_doc(row: board.UnitRow) -> dict:
    return {"unit_id": row.unit_id, "unit_code": row.unit_code, "unit_name": row.unit_name, "case_id": row.case_id,
            "status": row.status, "step": row.step, "step_name": row.step_name, "role": row.role,
            "role_label": row.role_label or None, "assignee": row.holder or None, "assignee_id": row.assignee_id,
            "task_id": row.task_id, "in_step_since": iso(row.in_step_since),
            "working_days_in_step": row.working_days_in_step, "deadline": iso(row.deadline),
            "projected_finish": iso(row.projected_finish), "flag": row.flag, "flag_label": row.flag_label}


def filters() -> dict:
    return dict(flag=request.args.get("flag", ""), step=request.args.get("step", ""),
                q=request.args.get("q", "")[:200])


@bp.get("/supervision/campaigns")
def supervision_campaigns():
    page = overview.overview(db.session, g.api_user, page=request.args.get("page", 1, type=int),
                          per_page=request.args.get("per_page", overview.OVERVIEW_PER_PAGE, type=int))
    return jsonify({"items": [{**_campaign_doc(s.campaign), "units": s.units, "counts": s.counts} for s in page.rows],
                    "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages})


@bp.get("/supervision/campaigns/<int:campaign_id>/units")
def supervision_units(campaign_id: int):
    result = board.board(db.session, g.api_user, campaign_id, sort=request.args.get("sort", "urgency"),
                         page=request.args.get("page", 1, type=int),
                         per_page=request.args.get("per_page", board.PER_PAGE, type=int), **filters())
    return jsonify({"campaign": _campaign_doc(result.campaign), "items": [unit_row_doc(r) for r in result.rows],
                    "total": result.total, "units": result.units, "page": result.page, "per_page": result.per_page,
                    "pages": result.pages, "counts": result.counts,
                    "flags": {flag.value: label for flag, label in FLAG_LABELS.items()}})


@bp.get("/supervision/campaigns/<int:campaign_id>/steps")
def supervision_steps(campaign_id: int):
    campaign, steps = board.steps(db.session, g.api_user, campaign_id)
    return jsonify({"campaign": _campaign_doc(campaign), "items": [
        {"step": s.step, "name": s.name, "units": s.units, "avg_working_days": s.avg_working_days,
         "max_working_days": s.max_working_days, "flags": s.flags} for s in steps]})


@bp.get("/supervision/campaigns/<int:campaign_id>/units.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/supervision/campaigns/<int:campaign_id>/units.csv", defaults={"fmt": "csv"})
def supervision_units_export(campaign_id: int, fmt: str):
    code, headers, lines = exports.unit_table(db.session, g.api_user, campaign_id, sort="unit", **filters())
    return download(f"giam-sat-{code}", headers, lines, fmt)


@bp.get("/supervision/campaigns/<int:campaign_id>/nominees.xlsx", defaults={"fmt": "xlsx"})
@bp.get("/supervision/campaigns/<int:campaign_id>/nominees.csv", defaults={"fmt": "csv"})
def supervision_nominees_export(campaign_id: int, fmt: str):
    code, headers, lines = exports.nominee_table(db.session, g.api_user, campaign_id)
    return download(f"danh-sach-de-nghi-{code}", headers, lines, fmt)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(stem: str, headers, lines, fmt: str) -> Response:
    """The file streamed in chunks (the table is computed first, so an error is still a clean 4xx)."""
    if fmt == "xlsx":
        body, mimetype = exports.xlsx_chunks(stem, headers, lines), XLSX
    else:
        body, mimetype = exports.csv_chunks(headers, lines), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@bp.post("/supervision/actions")
def supervision_actions():
    scope.check_supervisor(g.api_user)  # the permission is decided before the body is read
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON.")
    outcomes = interventions.apply(db.session, g.api_user, action_request(body))
    return jsonify(summary_doc(body.get("action"), outcomes))


def action_request(body: dict) -> interventions.Request:
    def ids(key):
        value = body.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise InvalidInput(f"{key} phải là danh sách số nguyên.")
        return value

    def optional_int(key):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidInput(f"{key} phải là số nguyên.")
        return value

    deadline = body.get("new_deadline")
    if deadline is not None:
        try:
            deadline = parse_vn_date(str(deadline))
        except ValueError:
            raise InvalidInput("Hạn mới (new_deadline) phải là ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd.") from None
    reason = body.get("reason") or ""
    if not isinstance(reason, str):
        raise InvalidInput("reason phải là chuỗi ký tự.")
    return interventions.Request(action=str(body.get("action") or ""), case_ids=ids("case_ids"),
                                 unit_ids=ids("unit_ids"), campaign_id=optional_int("campaign_id"), reason=reason,
                                 new_deadline=deadline, assignee_id=optional_int("assignee_id"))


def summary_doc(action, outcomes) -> dict:
    return {"action": action, "succeeded": sum(o.ok for o in outcomes), "failed": sum(not o.ok for o in outcomes),
            "results": [{"case_id": o.case_id, "unit_id": o.unit_id, "unit_name": o.unit_name or None, "ok": o.ok,
                         "status": o.status, "message": o.message} for o in outcomes]}
