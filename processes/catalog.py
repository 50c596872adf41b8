"""Read-side queries for pages: the campaigns a user can start cases for, the cases a user can see."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager

from .models import Campaign, Case, Unit, User
from .paging import Paged
from .unit_tree import visible_unit_ids

PER_PAGE = 20


@dataclass
class CampaignRow:
    campaign: Campaign
    units: list[tuple[Unit, Case | None]]


def campaigns_for(session: Session, user: User) -> list[CampaignRow]:
    starter_units = {r.unit_id: r.unit for r in user.roles if r.role in ("unit_staff", "unit_head")}
    campaigns = session.scalars(select(Campaign).order_by(Campaign.deadline.desc().nulls_last(), Campaign.id)).all()
    existing = {}
    if starter_units:
        for case in session.scalars(select(Case).where(Case.unit_id.in_(starter_units))):
            existing[(case.campaign_id, case.unit_id)] = case
    rows = []
    for campaign in campaigns:
        participants = (campaign.summary or {}).get("participants")  # never the whole definition
        units = [(u, existing.get((campaign.id, u.id))) for u in starter_units.values()
                 if not participants or u.code in participants]
        rows.append(CampaignRow(campaign, units))
    return rows


@dataclass
class CasePage(Paged):
    cases: list[Case]
    total: int
    page: int
    per_page: int


def visible_cases(session: Session, user: User, q: str = "", status: str = "", page: int = 1) -> CasePage:
    page = max(1, page)
    query = select(Case).join(Case.unit).join(Case.campaign)
    units = visible_unit_ids(session, user)
    if units is not None:
        query = query.where(Case.unit_id.in_(units))
    if status:
        query = query.where(Case.status == status)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Unit.name.ilike(like), Unit.short_name.ilike(like), Campaign.name.ilike(like),
                                Case.current_step.ilike(like)))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.options(contains_eager(Case.unit), contains_eager(Case.campaign))
                           .order_by(Case.updated_at.desc(), Case.id.desc())
                           .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).unique().all()
    return CasePage(list(rows), total, page, PER_PAGE)
