"""The heat map's and the charts' data through the bearer-token API (the same documents the page fetches)."""
from __future__ import annotations

from flask import g, jsonify

from processes.supervision import charts, heatmap

from ..extensions import db
from ..supervision_charts import charts_doc, heatmap_doc
from . import bp


@bp.get("/supervision/campaigns/<int:campaign_id>/heatmap")
def supervision_heatmap(campaign_id: int):
    return jsonify(heatmap_doc(heatmap.heatmap(db.session, g.api_user, campaign_id)))


@bp.get("/supervision/campaigns/<int:campaign_id>/charts")
def supervision_charts(campaign_id: int):
    return jsonify(charts_doc(charts.charts(db.session, g.api_user, campaign_id)))
