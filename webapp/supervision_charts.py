"""The data the supervision dashboard's heat map and charts draw, as JSON for the page's own scripts.

Session-authenticated (the page fetches them; the bearer-token API has `…/heatmap` and `…/charts` alike), answered
with the dashboard's refusals: 403 for someone who supervises nothing, 404 for a campaign with none of their units.
Errors are JSON too, since a script reads them.
"""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user, login_required

from processes.errors import DomainError
from processes.supervision import charts, heatmap

from .extensions import db

bp = Blueprint("supervision_charts", __name__, url_prefix="/supervision")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    return jsonify({"error": exc.code, "message": exc.message}), exc.status


def heatmap_doc(found: heatmap.HeatMap) -> dict:
    version = found.version
    return {"campaign_id": found.campaign.id, "stall_working_days": found.stall_working_days,
            "diagram": None if version is None else {"process_id": version.process_id, "version": version.version,
                                                      "xml": version.bpmn_xml},
            "items": [{"step": s.step, "name": s.name, "units": s.units, "avg_working_days": s.avg_working_days,
                       "max_working_days": s.max_working_days, "flags": s.flags} for s in found.steps]}


def charts_doc(found: charts.Charts) -> dict:
    return {"campaign_id": found.campaign.id, "units": found.units,
            "deadline": found.deadline.isoformat() if found.deadline else None,
            "submissions": {"days": [d.isoformat() for d in found.days], "daily": found.daily,
                            "cumulative": found.cumulative},
            "steps": [{"step": s.step, "name": s.name, "units": s.units} for s in found.steps],
            "grouped_by": found.grouped_by, "outcomes": charts.OUTCOME_LABELS,
            "groups": [{"label": g.label, **g.counts} for g in found.groups]}


@bp.get("/campaigns/<int:campaign_id>/heatmap.json")
@login_required
def heatmap_json(campaign_id: int):
    return jsonify(heatmap_doc(heatmap.heatmap(db.session, current_user, campaign_id)))


@bp.get("/campaigns/<int:campaign_id>/charts.json")
@login_required
def charts_json(campaign_id: int):
    return jsonify(charts_doc(charts.charts(db.session, current_user, campaign_id)))
