"""The figures the council and the case page show: the unit's criteria met or not, and the meeting's quorum and
each nominee's approval against the campaign's voting rule — the same arithmetic the submission enforces
(`voting.py`), shown before anyone submits."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..awards import award_name
from ..models import Case
from ..nominees import normalise
from . import criteria
from .voting import _passes, _percent, rule_for


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


def _needed(rule: str, threshold: float) -> str:
    return f"{'≥' if rule == 'at_least' else '>'} {_percent(threshold)}"


def vote_summary(voting: dict, minutes: dict, nominees: list[dict]) -> VoteSummary | None:
    """None until the minutes are recorded. Mirrors `vote_violations`: the quorum is the highest any nominee's
    award form asks; each nominee's share is of the members present."""
    if "members_total" not in minutes or "members_present" not in minutes:
        return None
    total, present = int(minutes.get("members_total") or 0), int(minutes.get("members_present") or 0)
    general = rule_for(voting, None)
    valid = total > 0 and 0 <= present <= total
    attendance = Fraction(present, total) if valid else Fraction(0)
    forms = {n.get("award_form") for n in nominees} or {None}
    quorum = max(rule_for(voting, f)["quorum"] for f in forms)
    votes = {normalise(v.get("nominee")): v for v in minutes.get("votes") or []}
    rows = []
    for nominee in nominees:
        rule = rule_for(voting, nominee.get("award_form"))
        vote = votes.get(normalise(nominee.get("name")))
        needed = _needed(rule["approval_rule"], rule["approval"])
        if vote is None:
            rows.append(NomineeVote(str(nominee.get("name")), award_name(nominee.get("award_form", "")), None, None,
                                    "—", needed, False))
            continue
        votes_for = int(vote.get("votes_for") or 0)
        share = Fraction(votes_for, present) if present else Fraction(0)
        rows.append(NomineeVote(str(nominee.get("name")), award_name(nominee.get("award_form", "")), votes_for,
                                int(vote.get("votes_against") or 0), _percent(float(share)), needed,
                                valid and _passes(share, rule["approval"], rule["approval_rule"])))
    return VoteSummary(total, present, _percent(float(attendance)), _needed(general["quorum_rule"], quorum),
                       valid and _passes(attendance, quorum, general["quorum_rule"]), valid, rows)


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
