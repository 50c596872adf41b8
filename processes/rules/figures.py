"""The figures the council and the case page show: the unit's criteria met or not, and the meeting's quorum and
each nominee's approval against the campaign's voting rule — the same arithmetic the submission enforces
(`voting.py`), shown before anyone submits."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..award_forms import award_name
from ..models import Case
from . import criteria
from .voting import _percent, tally


@dataclass(frozen=True)
class NomineeVote:
    name: str
    award: str
    votes_for: int | None  # None: the minutes have no vote for this nominee
    votes_against: int | None
    share: str
    needed: str
    passes: bool


@dataclass(frozen=True)
class VoteSummary:
    members_total: int
    members_present: int
    attendance: str
    quorum_needed: str
    quorum_met: bool
    valid: bool  # False when the minutes' attendance cannot be right (more present than members)
    nominees: list[NomineeVote] = field(default_factory=list)
    assumed: bool = False  # the campaign file marks its quorum and approval as assumptions, not the guidance's words


def _needed(rule: str, threshold: float) -> str:
    return f"{'≥' if rule == 'at_least' else '>'} {_percent(threshold)}"


def vote_summary(voting: dict, minutes: dict, nominees: list[dict]) -> VoteSummary | None:
    """None until the minutes are recorded; otherwise the tally the submission enforces, as the page shows it."""
    if "members_total" not in minutes or "members_present" not in minutes:
        return None
    t = tally(voting, minutes, nominees)
    rows = [NomineeVote(str(r.nominee.get("name")), award_name(r.nominee.get("award_form", "")), r.votes_for,
                        r.votes_against, "—" if r.votes_for is None else _percent(float(r.share)),
                        _needed(r.rule["approval_rule"], r.rule["approval"]), r.passes) for r in t.nominees]
    return VoteSummary(t.total, t.present, _percent(float(t.attendance)), _needed(t.quorum_rule, t.quorum),
                       t.quorum_met, t.valid, rows, bool(voting.get("assumed")))


def for_case(case: Case, *, editing: dict | None = None) -> dict:
    """What `_criteria.html` and `_vote_summary.html` need for this case, leaving out what the form being filled
    in (`editing`: its schema's properties) itself edits. A consolidation case has neither."""
    data, editing = case.data or {}, editing or {}
    if getattr(case, "kind", "unit") != "unit" or "nominees" not in data:
        return {}
    details = case.campaign.details or {}
    out: dict = {}
    if "criteria" not in editing:
        template = data.get("criteria_template")
        if template is None:  # a case started before the criteria were part of the start data
            template = criteria.template_for(details, case.unit)
        if template:
            out["criteria"] = criteria.evaluate(data.get("criteria"), template)
    if "votes" not in editing:
        out["vote_summary"] = vote_summary(details.get("voting") or {}, data, data.get("nominees") or [])
    return out
