"""Campaigns to start a case for, the list of cases I can see, and the case page."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from processes import award_history, case_page, cases, catalog, comments, rollup_state, timer_worker
from processes.access import may_read_case
from processes.errors import ValidationFailed
from processes.form_registry import field_labels
from processes.rules import figures

from .extensions import db

bp = Blueprint("cases", __name__)


@bp.get("/campaigns")
@login_required
def campaigns():
    rows = catalog.campaigns_for(db.session, current_user)
    return render_template("campaigns.html", rows=rows)


@bp.post("/cases")
@login_required
def start():
    case = cases.start_case(db.session, current_user, request.form.get("campaign_id", type=int) or 0,
                            request.form.get("unit_id", type=int) or 0)
    flash(f"Đã tạo hồ sơ #{case.id}. Bước tiếp theo: {case.current_step}.", "success")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.get("/cases")
@login_required
def index():
    page = catalog.visible_cases(db.session, current_user, q=request.args.get("q", "").strip(),
                                 status=request.args.get("status", ""), page=request.args.get("page", 1, type=int))
    return render_template("cases.html", page=page, q=request.args.get("q", ""), status=request.args.get("status", ""))


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int):
    return _show(case_id)


def _show(case_id: int, comment_error: str = "", comment_text: str = "", status: int = 200):
    view = cases.read_case(db.session, current_user, case_id)
    case, labels = view.case, field_labels(db.session)
    dossiers = rollup_state.unit_dossiers(db.session, case.campaign) if case.kind == "consolidation" else None
    parent = case.parent if case.parent_id else None
    outcome = case_page.outcome(case)
    return render_template("case.html", view=view, case=case, labels=labels, dossiers=dossiers, outcome=outcome,
                           sections=case_page.sections(case, view.events, labels["titles"]),
                           parent_readable=parent is not None and may_read_case(current_user, parent),
                           # while a dossier is under review, earlier awards warn of a double award; once decided,
                           # the decision card says what each nominee received
                           earlier=None if outcome.decision else award_history.earlier_for_case(
                               db.session, case, current_user),
                           comments={c.id: c for c in comments.of_case(db.session, case.id)},
                           comment_error=comment_error, comment_text=comment_text,
                           comment_max=comments.MAX_LENGTH,
                           **figures.for_case(case)), status


@bp.post("/cases/<int:case_id>/comments")
@login_required
def comment(case_id: int):
    """A comment on the case; each @username of a colleague who may see the case is notified."""
    body = request.form.get("body", "")
    try:
        added = comments.add_comment(db.session, current_user, case_id, body)
    except ValidationFailed as exc:
        return _show(case_id, exc.message, body[:comments.MAX_LENGTH * 2], 422)
    told = len(added.mentions)
    flash("Đã gửi bình luận" + (f" và báo cho {told} người được nhắc đến." if told else "."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + f"#comment-{added.id}")


@bp.get("/cases/<int:case_id>/mentions")
@login_required
def mentions(case_id: int):
    """The comment box's @ autocomplete: colleagues who may see the case, matching what was typed."""
    people = comments.mentionable(db.session, current_user, case_id, request.args.get("q", ""))
    return jsonify({"items": [{"username": u.username, "full_name": u.full_name, "unit": u.unit.display_name}
                              for u in people]})


@bp.post("/cases/<int:case_id>/timers/retry")
@login_required
def retry_timers(case_id: int):
    count = timer_worker.retry(db.session, current_user, case_id)
    flash(f"Đã đưa {count} bộ hẹn giờ trở lại hàng chờ; bộ xử lý hẹn giờ sẽ chạy lại trong giây lát.", "success")
    return redirect(url_for("cases.show", case_id=case_id))
