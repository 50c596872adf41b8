"""What the heat map draws: the campaign's diagram and, per BPMN element, the supervised units sitting there.

The counts are `board.steps` (the same rows as the dashboard and `GET /api/supervision/campaigns/{id}/steps`); the
drawing is the published version most of the campaign's unit cases run (one GROUP BY on `cases`, scoped by the
campaign), else the newest version of its process when no unit has a case yet. Cases on another version keep their
counts: a step the chosen drawing lacks is listed beside the diagram instead of drawn on it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..contracts import CaseKind
from ..models import Campaign, Case, DiagramVersion, User
from . import board


@dataclass
class HeatMap:
    campaign: Campaign
    version: DiagramVersion | None
    steps: list[board.StepCount]
    stall_working_days: int


def campaign_version(session: Session, campaign: Campaign) -> DiagramVersion | None:
    """The diagram version most of the campaign's unit cases run, else the newest of its process."""
    version_id = session.scalar(
        select(Case.diagram_version_id)
        .where(Case.campaign_id == campaign.id, Case.kind == CaseKind.UNIT)
        .group_by(Case.diagram_version_id)
        .order_by(func.count().desc(), Case.diagram_version_id.desc()).limit(1))
    if version_id is None:
        version_id = session.scalar(select(DiagramVersion.id).where(DiagramVersion.process_id == campaign.process_id)
                                    .order_by(DiagramVersion.version.desc()).limit(1))
    return session.get(DiagramVersion, version_id) if version_id is not None else None


def heatmap(session: Session, user: User, campaign_id: int) -> HeatMap:
    """The diagram and the step counts of the units the user supervises (403/404 as the dashboard)."""
    campaign, steps = board.steps(session, user, campaign_id)
    return HeatMap(campaign, campaign_version(session, campaign), steps, board.stall_threshold(campaign))
