"""The council's voting rule: quorum of members present and the approval threshold, per award form if the campaign
says so (`[voting]` and `[voting.by_award_form.<code>]` in the campaign file)."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..award_forms import award_name
from ..nominees import normalise
from .quotas import FieldViolation, Violation

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


@dataclass(frozen=True)
class NomineeTally:
    nominee: dict
    rule: dict  # the voting rule of the nominee's award form
    votes_for: int | None  # None: the minutes have no vote for this nominee
    votes_against: int | None
    share: Fraction  # of the members present
    passes: bool


@dataclass(frozen=True)
class Tally:
    """The arithmetic of one meeting's votes against the campaign's rule: what the submission enforces and what the
    council's page shows."""
    total: int
    present: int
    valid: bool  # False when the attendance cannot be right (no members, or more present than members)
    attendance: Fraction
    quorum: float  # the highest quorum any nominee's award form asks
    quorum_rule: str
    quorum_met: bool
    nominees: list[NomineeTally]


def tally(voting: dict, minutes: dict, nominees: list[dict]) -> Tally:
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
        if vote is None:
            rows.append(NomineeTally(nominee, rule, None, None, Fraction(0), False))
            continue
        votes_for = int(vote.get("votes_for") or 0)
        share = Fraction(votes_for, present) if present else Fraction(0)
        rows.append(NomineeTally(nominee, rule, votes_for, int(vote.get("votes_against") or 0), share,
                                 valid and _passes(share, rule["approval"], rule["approval_rule"])))
    return Tally(total, present, valid, attendance, quorum, general["quorum_rule"],
                 valid and _passes(attendance, quorum, general["quorum_rule"]), rows)


def _at_least(rule: str) -> str:
    return "ít nhất " if rule == "at_least" else "trên "


def _invalid_attendance(present: int, total: int) -> str:
    return f"Biên bản ghi {present} thành viên có mặt trên tổng số {total}: số liệu không hợp lệ."


def _missing(name) -> str:
    return f"Biên bản chưa có kết quả biểu quyết cho «{name}»."


def row_violations(minutes: dict, nominees: list[dict]) -> list[Violation]:
    """Vote rows that cannot be right, whatever the campaign's rule: more votes than members present, two rows for one
    nominee, a row for someone not on the list. Each marks the field of its row."""
    present = int(minutes.get("members_present") or 0)
    listed = {normalise(n.get("name")) for n in nominees}
    seen: set[str] = set()
    found: list[Violation] = []
    for i, vote in enumerate(minutes.get("votes") or []):
        name, key = vote.get("nominee"), normalise(vote.get("nominee"))
        votes_for, against = int(vote.get("votes_for") or 0), int(vote.get("votes_against") or 0)
        if votes_for + against > present:
            found.append(FieldViolation(
                "voting_over_count",
                f"Biên bản ghi «{name}» được {votes_for} phiếu đồng ý và {against} phiếu không đồng ý, nhiều hơn "
                f"{present} thành viên có mặt.", field=f"votes.{i}.votes_for"))
        if key in seen:
            found.append(FieldViolation(
                "voting_row_twice", f"Biên bản có hai dòng kết quả biểu quyết cho «{name}»: mỗi trường hợp một dòng.",
                field=f"votes.{i}.nominee"))
        elif nominees and key not in listed:
            found.append(FieldViolation(
                "voting_not_listed",
                f"«{name}» không có trong danh sách đề nghị khen thưởng: mỗi dòng kết quả biểu quyết là một trường "
                f"hợp của danh sách.", field=f"votes.{i}.nominee"))
        seen.add(key)
    return found


def minutes_violations(minutes: dict, nominees: list[dict]) -> list[Violation]:
    """What the secretary cannot have recorded, checked where the minutes are typed: members present ≤ members in
    total, votes for + against ≤ present, one vote row per nominee (each nominee has one, no one else has one)."""
    total, present = int(minutes.get("members_total") or 0), int(minutes.get("members_present") or 0)
    found: list[Violation] = []
    if not (total > 0 and 0 <= present <= total):
        found.append(FieldViolation("voting", _invalid_attendance(present, total), field="members_present"))
    found += row_violations(minutes, nominees)
    recorded = {normalise(v.get("nominee")) for v in minutes.get("votes") or []}
    found += [FieldViolation("voting_missing", _missing(n.get("name")), field="votes")
              for n in nominees if normalise(n.get("name")) not in recorded]
    return found


def vote_violations(voting: dict, minutes: dict, nominees: list[dict]) -> list[Violation]:
    """Quorum from the attendance, and each nominee's share of votes for among members present; the impossible
    figures of `minutes_violations` refuse the submission with the same words."""
    t = tally(voting, minutes, nominees)
    if not t.valid:
        return [Violation("voting", _invalid_attendance(t.present, t.total))]
    found: list[Violation] = row_violations(minutes, nominees)
    if not t.quorum_met:
        found.append(Violation(
            "voting_quorum",
            f"Cuộc họp không đủ số thành viên: cần {_at_least(t.quorum_rule)}{_percent(t.quorum)} số thành viên, "
            f"có mặt {t.present}/{t.total} ({_percent(float(t.attendance))}).", None, t.present))
    for row in t.nominees:
        name = row.nominee.get("name")
        if row.votes_for is None:
            found.append(Violation("voting_missing", _missing(name)))
        elif not row.passes:
            found.append(Violation(
                "voting_approval",
                f"«{name}» ({award_name(row.nominee.get('award_form', ''))}) được {row.votes_for}/{t.present} "
                f"phiếu đồng ý ({_percent(float(row.share))}), cần {_at_least(row.rule['approval_rule'])}"
                f"{_percent(row.rule['approval'])} số thành viên có mặt.", None, row.votes_for))
    return found
