"""The campaign's criteria (`[[criterion]]` of the campaign files) for one kind of unit, and the unit's figures
measured against them.

A new case starts with the criteria that apply to its unit (`criteria_template` in its start data); the
registration form prefills them and the unit enters its figures. Whether a criterion is met is always judged on
the template's kind and threshold, never on the values posted with the form: a client could post any threshold.
Not meeting a criterion does not stop the case — the council judges — but every page shows it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

MET, NOT_MET, TO_ASSESS, MISSING = "met", "not_met", "to_assess", "missing"
CRITERION_STATUS_LABELS = {MET: "Đạt", NOT_MET: "Chưa đạt", TO_ASSESS: "Cần đánh giá", MISSING: "Chưa nhập số liệu"}


class _UnitLike(Protocol):
    kind: str
    level: str


def template_for(details: dict, unit: _UnitLike | None) -> list[dict]:
    """The criteria that apply to `unit` (unit_kind "*" or its kind; unit_level absent or its level), in the
    campaign file's order, as {code, label, kind, threshold, group} (no threshold when the criterion has none)."""
    if unit is None:
        return []
    rows = []
    for criterion in details.get("criterion") or []:
        if criterion.get("unit_kind", "*") not in ("*", unit.kind):
            continue
        if criterion.get("unit_level") and criterion["unit_level"] != unit.level:
            continue
        row = {"code": criterion["code"], "label": criterion.get("label", ""), "kind": criterion.get("kind", "qualitative"),
               "group": criterion.get("group", "")}
        if criterion.get("threshold") is not None:
            row["threshold"] = criterion["threshold"]
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Result:
    code: str
    label: str
    kind: str
    group: str
    threshold: float | None
    percent: float | None
    done: bool
    note: str
    status: str

    @property
    def status_label(self) -> str:
        return CRITERION_STATUS_LABELS[self.status]

    @property
    def threshold_text(self) -> str:
        if self.kind == "percent_min" and self.threshold is not None:
            return f"≥ {_number(self.threshold)}%"
        return {"boolean": "Đạt", "qualitative": "Hội đồng đánh giá"}.get(self.kind, "")

    @property
    def entered_text(self) -> str:
        if self.kind == "percent_min":
            return "—" if self.percent is None else f"{_number(self.percent)}%"
        if self.kind == "boolean":
            return "Đã đạt" if self.done else "Chưa đạt"
        return ""


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def evaluate(entered: list[dict] | None, template: list[dict]) -> list[Result]:
    """Each criterion of `template` with the unit's entry of the same code: percent_min is met when the percent
    reaches the threshold, boolean when marked done; qualitative criteria are for the council to assess."""
    by_code: dict[str, dict[str, Any]] = {str(e.get("code")): e for e in entered or [] if isinstance(e, dict)}
    results = []
    for criterion in template:
        entry = by_code.get(criterion["code"], {})
        kind, threshold = criterion.get("kind", "qualitative"), criterion.get("threshold")
        percent = entry.get("percent") if isinstance(entry.get("percent"), (int, float)) else None
        done = entry.get("done") is True
        if kind == "percent_min":
            status = MISSING if percent is None else (MET if percent >= (threshold or 0) else NOT_MET)
        elif kind == "boolean":
            status = MET if done else NOT_MET
        else:
            status = TO_ASSESS
        results.append(Result(criterion["code"], criterion.get("label", ""), kind, criterion.get("group", ""),
                              threshold, percent, done, str(entry.get("note") or ""), status))
    return results
