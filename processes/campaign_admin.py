"""Campaign administration verbs: create, update, copy as next year's round, close, reopen, list.

Each verb checks that the user is an administrator before anything else and runs as one transaction. A
definition arrives as TOML text (the editor) or a mapping (the API's JSON) and is checked by
`campaign_definition.check` against the schema and the unit tree. Who did what is kept in the campaign's own
`details["_admin"]` (the audit table is per case, and the campaign columns belong to migrations others own).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, undefer

from . import access
from . import campaign_definition as cdef
from .clock import now
from .errors import Conflict, NotFound, ValidationFailed
from .executor import Command, execute
from .models import Campaign, Case, DiagramVersion, Unit, User
from .paging import Paged

PER_PAGE = 20
HISTORY_KEEP = 50  # the newest changes kept per campaign; enough to answer "who changed this last month"
# Dates that move with the round when it is copied as next year's (the movement and related rounds stay put).
SHIFTED_DATES = ("deadline", "upper_deadline", "document_date", "period_start", "period_end")


def check_admin(user: User) -> None:
    access.check_admin(user, "Chỉ quản trị viên mới được quản lý phong trào thi đua.")


def unit_tree(session: Session) -> dict[str, str | None]:
    parent = aliased(Unit)
    rows = session.execute(select(Unit.code, parent.code).outerjoin(parent, Unit.parent_id == parent.id))
    return {code: parent_code for code, parent_code in rows}


def validate(session: Session, source: str | Mapping) -> dict:
    """Parse and check a definition without saving it (the editor's and the tests' dry run)."""
    return check(session, cdef.parse(source))


def check(session: Session, definition: dict) -> dict:
    """`campaign_definition.check`, and the process it names (`process_id`) must have a published version: a
    unit could not start a case of it otherwise."""
    definition = cdef.check(definition, unit_tree(session))
    process_id = definition.get("process_id")
    if process_id and session.scalar(select(DiagramVersion.id).where(DiagramVersion.process_id == process_id)
                                     .limit(1)) is None:
        raise ValidationFailed("Định nghĩa phong trào chưa hợp lệ: 1 lỗi, xem chi tiết theo từng khóa.",
                               {"process_id": [f"Quy trình «{process_id}» chưa có phiên bản nào được xuất bản; "
                                               "hãy xuất bản sơ đồ trước (mục Quy trình)."]})
    return definition


def get_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    check_admin(user)
    return _campaign(session, campaign_id)


def read_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    """Anyone signed in may read a campaign's definition: the units need its award forms, quotas and criteria."""
    return _campaign(session, campaign_id)


def next_round(campaign: Campaign) -> dict:
    """The definition of the same campaign one year on: its own dates a year later, no document number yet, the
    years in its code and name moved on. What the copy form shows and what `copy_campaign` saves by default."""
    definition = cdef.definition_of(campaign.details)
    for key in SHIFTED_DATES:
        if definition.get(key):
            definition[key] = _plus_year(dt.date.fromisoformat(definition[key])).isoformat()
    definition.pop("document_number", None)
    if isinstance(definition.get("document_year"), int):
        definition["document_year"] += 1
    year = _round_year(campaign)
    if year:
        definition["code"] = re.sub(rf"(?<!\d){year}(?!\d)", str(year + 1), campaign.code)
        definition["name"] = re.sub(rf"(?<!\d){year}(?!\d)", str(year + 1), definition["name"])
    if definition.get("code") == campaign.code:
        definition["code"] = f"{campaign.code}-{(year or now().year) + 1}"
    return definition


class AdminCommand(Command):
    """A campaign administration verb: administrators only, decided before the campaign is looked at; a verb on an
    existing campaign (`needs_campaign`) then answers 404 for an id that does not exist."""
    needs_campaign = False

    def authorize(self, tx, target):
        check_admin(tx.actor)
        if self.needs_campaign and target is None:
            raise NotFound("Không tìm thấy phong trào thi đua.")


class CreateCampaign(AdminCommand):
    """Check a definition and insert it as a new open campaign with its change record."""
    name = "create_campaign"
    hint = "hãy chọn mã khác"

    def __init__(self, source: str | Mapping):
        self.source = source

    def definition(self, tx, target) -> dict:
        return cdef.parse(self.source)

    def record(self, tx, target, checked: dict) -> dict:
        return _admin_record(None, tx.actor, "created", checked, self.source)

    def run(self, tx, target):
        definition = check(tx.session, self.definition(tx, target))
        if tx.session.scalar(select(Campaign.id).where(Campaign.code == definition["code"])) is not None:
            raise Conflict(f"Đã có phong trào mã «{definition['code']}»; {self.hint}.")
        campaign = Campaign(status="open")
        cdef.apply(campaign, definition, _units(tx.session, definition), self.record(tx, target, definition))
        tx.session.add(campaign)
        return campaign


class CopyCampaign(CreateCampaign):
    """A campaign's next year's round (`next_round`), with the code and name given if any."""
    name = "copy_campaign"
    hint = "hãy nhập mã khác cho đợt mới"
    needs_campaign = True

    def __init__(self, campaign_id: int, code: str | None, name: str | None):
        self.campaign_id, self.code, self.new_name = campaign_id, code, name

    def target(self, tx):
        return _campaign_row(tx.session, self.campaign_id)

    def definition(self, tx, source) -> dict:
        definition = next_round(source)
        if self.code:
            definition["code"] = self.code.strip()
        if self.new_name:
            definition["name"] = self.new_name.strip()
        return definition

    def record(self, tx, source, checked: dict) -> dict:
        return {**_admin_record(None, tx.actor, "copied", checked, None), "copied_from": source.code}


def _add_campaign(session: Session, user: User, command: CreateCampaign) -> Campaign:
    try:
        return execute(session, user, command)
    except IntegrityError as exc:  # two administrators created the same code at once
        raise Conflict("Đã có phong trào mã này; hãy chọn mã khác.") from exc


def create_campaign(session: Session, user: User, source: str | Mapping) -> Campaign:
    return _add_campaign(session, user, CreateCampaign(source))


def copy_campaign(session: Session, user: User, campaign_id: int, code: str | None = None,
                  name: str | None = None) -> Campaign:
    return _add_campaign(session, user, CopyCampaign(campaign_id, code, name))


class UpdateCampaign(AdminCommand):
    """Replace a campaign's definition. Cases already started keep running on the new text; the code is the
    campaign's identity (seeding and links use it), so it never changes."""
    name = "update_campaign"
    needs_campaign = True

    def __init__(self, campaign_id: int, source: str | Mapping):
        self.campaign_id, self.source = campaign_id, source

    def target(self, tx):
        return _campaign_row(tx.session, self.campaign_id, lock=True)

    def run(self, tx, campaign):
        definition = cdef.parse(self.source)
        errors = {}
        if "code" in definition and definition["code"] != campaign.code:  # a missing code is the schema's to report
            errors["code"] = [f"Mã phong trào là «{campaign.code}» và không đổi được; "
                              "để tạo đợt mới, hãy sao chép phong trào."]
        try:
            definition = check(tx.session, definition)
        except ValidationFailed as exc:  # report the code beside the other errors, not instead of them
            merged = {**exc.field_errors, **{k: exc.field_errors.get(k, []) + v for k, v in errors.items()}}
            raise ValidationFailed(exc.message, merged) from exc
        if errors:
            raise ValidationFailed("Không được đổi mã phong trào.", errors)
        cdef.apply(campaign, definition, _units(tx.session, definition),
                   _admin_record(campaign.details, tx.actor, "updated", definition, self.source))
        return campaign


def update_campaign(session: Session, user: User, campaign_id: int, source: str | Mapping) -> Campaign:
    return execute(session, user, UpdateCampaign(campaign_id, source))


class SetCampaignStatus(AdminCommand):
    """Close (no new case can start; cases under way go on) or reopen a campaign. Asking twice is not an error."""
    name = "set_campaign_status"
    needs_campaign = True

    def __init__(self, campaign_id: int, status: str):
        self.campaign_id, self.status = campaign_id, status

    def target(self, tx):
        return _campaign_row(tx.session, self.campaign_id, lock=True)

    def run(self, tx, campaign):
        if campaign.status != self.status:
            campaign.status = self.status
            action = "closed" if self.status == "closed" else "reopened"
            campaign.details = {**campaign.details,
                                cdef.ADMIN_KEY: _admin_record(campaign.details, tx.actor, action, None, None)}
        return campaign


def close_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    return execute(session, user, SetCampaignStatus(campaign_id, "closed"))


def reopen_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    return execute(session, user, SetCampaignStatus(campaign_id, "open"))


# ── the administrators' list ────────────────────────────────────────────────────────────────────────────────

@dataclass
class CampaignPage(Paged):
    campaigns: list[Campaign]
    case_counts: dict[int, int]
    total: int
    page: int
    per_page: int


def list_campaigns(session: Session, user: User, q: str = "", status: str = "", page: int = 1) -> CampaignPage:
    check_admin(user)
    page = max(1, page)
    conditions = []
    if status:
        conditions.append(Campaign.status == status)
    if q:
        like = f"%{q}%"
        conditions.append(or_(Campaign.code.ilike(like), Campaign.name.ilike(like),
                              Campaign.document_number.ilike(like)))
    query = select(Campaign).where(*conditions)
    total = session.scalar(select(func.count(Campaign.id)).where(*conditions))
    rows = session.scalars(query  # summary columns only: a definition can be hundreds of KB
                           .order_by(Campaign.created_at.desc(), Campaign.id.desc())
                           .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    ids = [c.id for c in rows]
    counts = dict(session.execute(select(Case.campaign_id, func.count()).where(Case.campaign_id.in_(ids))
                                  .group_by(Case.campaign_id)).all()) if ids else {}
    return CampaignPage(list(rows), counts, total, page, PER_PAGE)


# ── helpers ──────────────────────────────────────────────────────────────────────────────────────────────────

def _campaign_row(session: Session, campaign_id: int, *, lock: bool = False) -> Campaign | None:
    query = select(Campaign).where(Campaign.id == campaign_id).options(undefer(Campaign.details))
    return session.scalar(query.with_for_update() if lock else query)


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = _campaign_row(session, campaign_id)
    if campaign is None:
        raise NotFound("Không tìm thấy phong trào thi đua.")
    return campaign


def _units(session: Session, definition: dict) -> dict[str, Unit]:
    codes = {definition["issuer"], definition["receiving_unit"]}
    return {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}


def _admin_record(details: dict | None, user: User, action: str, definition: dict | None,
                  source: str | Mapping | None) -> dict:
    """The campaign's administration record: created / last changed by whom, the TOML text as typed (so the
    editor shows it back with its comments), and a short history naming the top-level keys each edit changed."""
    record = dict((details or {}).get(cdef.ADMIN_KEY) or {})
    at = now().isoformat()
    entry = {"at": at, "by": user.username, "action": action}
    if definition is not None and details is not None:
        before = cdef.definition_of(details)
        entry["changed"] = sorted(k for k in set(before) | set(definition) if before.get(k) != definition.get(k))
    if definition is not None:
        if isinstance(source, str):
            record["source_toml"] = source
        else:
            record.pop("source_toml", None)
    if action in ("created", "copied"):
        record.update(created_at=at, created_by=user.username)
    record.update(updated_at=at, updated_by=user.username)
    record["history"] = ([*record.get("history", []), entry])[-HISTORY_KEEP:]
    return record


def _plus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29/02 → 28/02
        return day.replace(year=day.year + 1, day=28)


def _round_year(campaign: Campaign) -> int | None:
    """The year a round is named after: its deadline's, else the end of its period's."""
    for key in ("deadline", "period_end"):
        value = (campaign.details or {}).get(key)
        if value:
            return dt.date.fromisoformat(value).year
    return None
