"""GET /api/awards: the award history, searched like the /awards page."""
from __future__ import annotations

from flask import g, jsonify, request

from processes import award_history
from processes.models import AwardRecord

from ..extensions import db
from . import bp
from .serializers import iso


def award_doc(a: AwardRecord) -> dict:
    return {
        "id": a.id, "nominee_kind": a.nominee_kind, "nominee_key": a.nominee_key, "nominee_name": a.nominee_name,
        "position": a.position, "achievement_title": a.achievement_title, "award_form": a.award_form,
        "award_name": a.award_name, "decision_number": a.decision_number,
        "decision_date": a.decision_date.isoformat() if a.decision_date else None,
        "decision_authority": a.decision_authority,
        "period_start": a.period_start.isoformat() if a.period_start else None,
        "period_end": a.period_end.isoformat() if a.period_end else None,
        "campaign_id": a.campaign_id, "campaign": a.campaign.name, "case_id": a.case_id,
        "unit_id": a.unit_id, "unit": a.unit.name, "summary": a.summary, "recorded_at": iso(a.created_at),
    }


@bp.get("/awards")
def award_list():
    page = award_history.search(
        db.session, g.api_user, q=request.args.get("q", "").strip(), kind=request.args.get("kind", ""),
        unit_id=request.args.get("unit_id", type=int), key=request.args.get("key", "").strip(),
        page=request.args.get("page", 1, type=int),
        per_page=request.args.get("per_page", award_history.PER_PAGE, type=int))
    return jsonify({"items": [award_doc(a) for a in page.items], "total": page.total, "page": page.page,
                    "per_page": page.per_page, "pages": page.pages})
