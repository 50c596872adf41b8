"""Award quotas of a campaign, in every form the seed documents use.

A quota (the `[[quota]]` tables of `processes/seed_data/campaigns/*.toml`) limits the nominees of one award form (or
of all, "*", optionally narrowed by `award_forms`) either per participating unit (`scope = "each_unit"`) or for
the whole campaign (`scope = "campaign"`: what the receiving level may select or pass on):

- count:          at most `collectives` collectives and `individuals` individuals;
- percent:        at most `percent_collectives` % of the unit's collectives and `percent_individuals` % of its staff
                  (the unit's `collective_count` / `staff_count`), rounded down;
- either_or:      `total` collectives **or** `total` individuals, not both (`overrides` per unit code);
- per_unit_kind:  at most `collectives` nominated collectives that are units of `unit_kind` / `unit_level`;
- branch_range:   between `min` and `max` of each kind in `for_kinds`; the minimum only binds the final selection.

Every violation names the quota, the number allowed and the number submitted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..award_forms import award_name

KIND_WORDS = {"collective": "tập thể", "individual": "cá nhân"}


@dataclass(frozen=True)
class UnitFacts:
    """What quotas read of a unit."""
    code: str
    name: str
    kind: str
    level: str
    staff_count: int = 0
    collective_count: int = 0


def unit_facts(unit) -> UnitFacts:
    """The facts the quotas read from a unit row (processes.models.Unit)."""
    return UnitFacts(unit.code, unit.name, unit.kind, unit.level, unit.staff_count or 0, unit.collective_count or 0)


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    allowed: int | None = None
    submitted: int | None = None
    source: str = ""


@dataclass(frozen=True)
class FieldViolation(Violation):
    """A violation about one field of a form (dotted path, as the form's own errors), shown next to it too."""
    field: str = ""


def applies_to(quota: dict, unit: UnitFacts) -> bool:
    kinds, levels = quota.get("participant_kinds"), quota.get("participant_levels")
    return (not kinds or unit.kind in kinds) and (not levels or unit.level in levels)


def _counted(quota: dict, nominees: Iterable[dict]) -> list[dict]:
    form = quota.get("award_form", "*")
    narrowed = quota.get("award_forms")
    excluded_level = quota.get("excludes_unit_level")
    found = []
    for nominee in nominees:
        code = nominee.get("award_form")
        if form != "*" and code != form:
            continue
        if narrowed and code not in narrowed:
            continue
        if excluded_level and nominee.get("unit_level") == excluded_level:
            continue
        found.append(nominee)
    return found


def _by_kind(nominees: list[dict]) -> dict[str, int]:
    counts = {"collective": 0, "individual": 0}
    for nominee in nominees:
        counts[nominee.get("kind", "individual")] = counts.get(nominee.get("kind", "individual"), 0) + 1
    return counts


def _label(quota: dict) -> str:
    form = quota.get("award_form", "*")
    if form != "*":
        return award_name(form)
    if quota.get("award_forms"):
        return ", ".join(award_name(code) for code in quota["award_forms"])
    return "mọi hình thức khen thưởng"


def _over(quota: dict, what: str, allowed: int, submitted: int, where: str, rule: str) -> Violation:
    return Violation(rule, f"Hạn mức {_label(quota)} {where}: tối đa {allowed} {what}, đã đề nghị {submitted}.",
                     allowed, submitted, quota.get("source", ""))


def check_quota(quota: dict, nominees: list[dict], unit: UnitFacts | None, *, final: bool = False) -> list[Violation]:
    """Violations of one quota by `nominees` (of `unit` for per-unit quotas; of the campaign when `unit` is None)."""
    kind = quota["kind"]
    counted = _counted(quota, nominees)
    counts = _by_kind(counted)
    where = f"của {unit.name}" if unit is not None and quota.get("scope") == "each_unit" else "của cả phong trào"
    override = (quota.get("overrides") or {}).get(unit.code) if unit is not None else None
    found: list[Violation] = []
    if kind == "count":
        for nominee_kind, key in (("collective", "collectives"), ("individual", "individuals")):
            limit = quota.get(key)  # a kind the quota does not name is not limited by it
            if limit is not None and counts[nominee_kind] > limit:
                found.append(_over(quota, KIND_WORDS[nominee_kind], limit, counts[nominee_kind], where, "quota_count"))
    elif kind == "percent":
        for nominee_kind, key, base_name, base in (
                ("collective", "percent_collectives", "tập thể", unit.collective_count if unit else 0),
                ("individual", "percent_individuals", "công chức, viên chức, người lao động", unit.staff_count if unit else 0)):
            percent = quota.get(key)
            if percent is None or not counts[nominee_kind]:
                continue
            limit = base * percent // 100
            if counts[nominee_kind] > limit:
                found.append(Violation(
                    "quota_percent",
                    f"Hạn mức {_label(quota)} {where}: không quá {percent}% của {base} {base_name} = tối đa {limit} "
                    f"{KIND_WORDS[nominee_kind]}, đã đề nghị {counts[nominee_kind]}."
                    + ("" if base else " (Đơn vị chưa khai báo số liệu này.)"),
                    limit, counts[nominee_kind], quota.get("source", "")))
    elif kind == "either_or":
        total = override if override is not None else quota["total"]
        collectives, individuals = counts["collective"], counts["individual"]
        if (collectives and individuals) or max(collectives, individuals) > total:
            found.append(Violation(
                "quota_either_or",
                f"Hạn mức {_label(quota)} {where}: {total} tập thể hoặc {total} cá nhân (không đồng thời cả hai), "
                f"đã đề nghị {collectives} tập thể và {individuals} cá nhân.",
                total, collectives + individuals, quota.get("source", "")))
    elif kind == "per_unit_kind":
        limit = override if override is not None else quota["collectives"]
        # A collective whose kind or level is not given counts as the quota's kind (the fields are optional on the
        # form): left blank, a UBND cấp xã would otherwise slip past the limit on UBND cấp xã.
        matching = [n for n in counted if n.get("kind") == "collective"
                    and (n.get("unit_kind") or quota.get("unit_kind")) == quota.get("unit_kind")
                    and (n.get("unit_level") or quota.get("unit_level")) == quota.get("unit_level")]
        if len(matching) > limit:
            found.append(_over(quota, f"tập thể là {_unit_words(quota)}", limit, len(matching), where,
                               "quota_per_unit_kind"))
    elif kind == "branch_range":
        for nominee_kind in quota.get("for_kinds", ["collective", "individual"]):
            n = counts.get(nominee_kind, 0)
            if n > quota["max"]:
                found.append(_over(quota, KIND_WORDS[nominee_kind], quota["max"], n, where, "quota_branch_range"))
            elif final and n < quota["min"]:
                found.append(Violation(
                    "quota_branch_range",
                    f"Hạn mức {_label(quota)} {where}: từ {quota['min']} đến {quota['max']} "
                    f"{KIND_WORDS[nominee_kind]}, đã chọn {n}.", quota["min"], n, quota.get("source", "")))
    else:
        raise ValueError(f"unknown quota kind {kind!r}")
    return found


def _unit_words(quota: dict) -> str:
    level = {"commune": "cấp xã", "district": "cấp huyện", "provincial": "cấp tỉnh"}.get(quota.get("unit_level"), "")
    kind = {"people_committee": "UBND", "enterprise": "doanh nghiệp", "press": "cơ quan báo chí"}.get(
        quota.get("unit_kind"), quota.get("unit_kind", ""))
    return f"{kind} {level}".strip()


def unit_violations(quotas: list[dict], unit: UnitFacts, nominees: list[dict]) -> list[Violation]:
    """What a unit's own submission breaks: its per-unit quotas, and campaign totals it alone already exceeds."""
    found = []
    for quota in quotas:
        if applies_to(quota, unit):
            found += check_quota(quota, nominees, unit if quota.get("scope") == "each_unit" else None)
    return found


def campaign_violations(quotas: list[dict], submissions: list[tuple[UnitFacts, list[dict]]], *,
                        final: bool = False) -> list[Violation]:
    """Campaign-wide quotas over what the receiving level has accepted (`final`: its selection to send upward)."""
    found = []
    for quota in quotas:
        if quota.get("scope") != "campaign":
            continue
        pooled = [n for unit, nominees in submissions if applies_to(quota, unit) for n in nominees]
        found += check_quota(quota, pooled, None, final=final)
    return found


@dataclass(frozen=True)
class Counter:
    """One live count beside the nominee list ("Tập thể: 2/3"): which rows it counts and its limit."""
    label: str  # the award form(s) the quota is about, and "cả phong trào" for a campaign-wide one
    kind: str  # "collective", "individual" or "either" (either_or: one kind only, up to the total)
    used: int
    limit: int
    award_forms: tuple[str, ...]  # the codes counted; empty: every award form
    source: str = ""
    assumed: bool = False  # the campaign file marks the limit as an assumption, not the guidance's own figure

    @property
    def over(self) -> bool:
        return self.used > self.limit

    @property
    def text(self) -> str:
        word = {"collective": "Tập thể", "individual": "Cá nhân", "either": "Tập thể hoặc cá nhân"}[self.kind]
        return f"{word}: {self.used}/{self.limit}"


def counters(quotas: list[dict], unit: UnitFacts, nominees: list[dict]) -> list[Counter]:
    """The quotas binding a unit's list as counters of the list being typed — the same limits `unit_violations`
    enforces (count, percent of the unit's figures, either/or); the other kinds are shown by their refusal."""
    found: list[Counter] = []
    for quota in quotas:
        if not applies_to(quota, unit):
            continue
        mine = quota.get("scope") == "each_unit"  # a campaign-wide one also binds a unit's own list (unit_violations)
        form = quota.get("award_form", "*")
        codes = tuple(quota.get("award_forms") or ([] if form == "*" else [form]))
        counts = _by_kind(_counted(quota, nominees))
        label, source = _label(quota) + ("" if mine else " (cả phong trào)"), quota.get("source", "")
        assumed = bool(quota.get("assumed"))
        if quota["kind"] == "count":
            for kind, key in (("collective", "collectives"), ("individual", "individuals")):
                if quota.get(key) is not None:
                    found.append(Counter(label, kind, counts[kind], quota[key], codes, source, assumed))
        elif quota["kind"] == "percent" and mine:
            for kind, key, base in (("collective", "percent_collectives", unit.collective_count),
                                    ("individual", "percent_individuals", unit.staff_count)):
                if quota.get(key) is not None:
                    found.append(Counter(label, kind, counts[kind], base * quota[key] // 100, codes, source,
                                         assumed))
        elif quota["kind"] == "either_or":
            override = (quota.get("overrides") or {}).get(unit.code)
            total = override if override is not None else quota["total"]
            found.append(Counter(label, "either", counts["collective"] + counts["individual"], total, codes, source,
                                 assumed))
    return found
