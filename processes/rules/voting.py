"""The council's voting rule: quorum of members present and the approval threshold, per award form if the campaign
says so (`[voting]` and `[voting.by_award_form.<code>]` in the campaign file)."""
from __future__ import annotations

from fractions import Fraction

from ..awards import award_name
from ..nominees import normalise
from .quotas import Violation

DEFAULT = {"quorum": 2 / 3, "quorum_rule": "at_least", "approval": 0.5, "approval_rule": "more_than"}


def _passes(share: Fraction, threshold: float, rule: str) -> bool:
    # Campaign files write 2/3 as 0.6667: read a threshold as the nearest fraction with a denominator up to 100, so
    # 6 of 9 members present meets "ít nhất 2/3".
    limit = Fraction(threshold).limit_denominator(100)
    return share >= limit if rule == "at_least" else share > limit


def _percent(value: float) -> str:
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def rule_for(voting: dict, award_form: str | None) -> dict:
    rule = {**DEFAULT, **{k: v for k, v in (voting or {}).items() if k != "by_award_form"}}
    return {**rule, **((voting or {}).get("by_award_form", {}).get(award_form or "", {}))}


def vote_violations(voting: dict, minutes: dict, nominees: list[dict]) -> list[Violation]:
    """Quorum from the attendance, and each nominee's share of votes for among members present."""
    total, present = int(minutes.get("members_total") or 0), int(minutes.get("members_present") or 0)
    found: list[Violation] = []
    general = rule_for(voting, None)
    if total <= 0 or present > total:
        return [Violation("voting", f"Biên bản ghi {present} thành viên có mặt trên tổng số {total}: số liệu không hợp lệ.")]
    attendance = Fraction(present, total)
    forms = {n.get("award_form") for n in nominees} or {None}
    quorum_needed = max((rule_for(voting, f)["quorum"] for f in forms), default=general["quorum"])
    if not _passes(attendance, quorum_needed, general["quorum_rule"]):
        found.append(Violation(
            "voting_quorum",
            f"Cuộc họp không đủ số thành viên: cần {'ít nhất ' if general['quorum_rule'] == 'at_least' else 'trên '}"
            f"{_percent(quorum_needed)} số thành viên, có mặt {present}/{total} ({_percent(float(attendance))}).",
            None, present))
    votes = {normalise(v.get("nominee")): v for v in minutes.get("votes") or []}
    for nominee in nominees:
        rule = rule_for(voting, nominee.get("award_form"))
        vote = votes.get(normalise(nominee.get("name")))
        if vote is None:
            found.append(Violation("voting_missing", f"Biên bản chưa có kết quả biểu quyết cho «{nominee.get('name')}»."))
            continue
        votes_for = int(vote.get("votes_for") or 0)
        share = Fraction(votes_for, present) if present else Fraction(0)
        if not _passes(share, rule["approval"], rule["approval_rule"]):
            found.append(Violation(
                "voting_approval",
                f"«{nominee.get('name')}» ({award_name(nominee.get('award_form', ''))}) được {votes_for}/{present} "
                f"phiếu đồng ý ({_percent(float(share))}), cần "
                f"{'ít nhất ' if rule['approval_rule'] == 'at_least' else 'trên '}{_percent(rule['approval'])} "
                f"số thành viên có mặt.", None, votes_for))
    return found
