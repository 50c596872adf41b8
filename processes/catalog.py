"""Read-side queries for pages: the campaigns a user can start cases for, the cases a user can see."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager

from .models import Campaign, Case, Unit, User
from .paging import COUNT_CAP, CappedPaged

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
class CasePage(CappedPaged):
    cases: list[Case]
    total: int  # exact up to COUNT_CAP; COUNT_CAP + 1 means "more than COUNT_CAP"
    page: int
    per_page: int


def _visible_units(user: User):
    """The units whose cases the user may see — those they hold a role in and every unit below — as a recursive
    query the database answers with the case list, instead of the whole units table read on every request."""
    roots = sorted({r.unit_id for r in user.roles})
    tree = select(Unit.id).where(Unit.id.in_(roots)).cte("visible_units", recursive=True)
    tree = tree.union_all(select(Unit.id).join(tree, Unit.parent_id == tree.c.id))
    return select(tree.c.id)


def visible_cases(session: Session, user: User, q: str = "", status: str = "", page: int = 1,
                  per_page: int = PER_PAGE) -> CasePage:
    """Newest first (ix_cases_updated), cut at the page's end; the count stops at COUNT_CAP, so neither grows with
    the number of cases a reviewer can see."""
    page, per_page = max(1, page), max(1, min(per_page, 200))
    query = select(Case).join(Case.unit).join(Case.campaign)
    if not user.is_admin:
        query = query.where(Case.unit_id.in_(_visible_units(user)))
    if status:
        query = query.where(Case.status == status)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Unit.name.ilike(like), Unit.short_name.ilike(like), Campaign.name.ilike(like),
                                Case.current_step.ilike(like)))
    counted = query.with_only_columns(Case.id).order_by(None).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted))
    rows = session.scalars(query.options(contains_eager(Case.unit), contains_eager(Case.campaign))
                           .order_by(Case.updated_at.desc(), Case.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).unique().all()
    return CasePage(list(rows), total, page, per_page)
