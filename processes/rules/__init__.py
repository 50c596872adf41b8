"""The campaign's rules a step enforces before the case moves on.

A user task names the checks it needs in the diagram, as an extension property like the form's:
`<spiffworkflow:property name="tdktRules" value="dossier" />`. The core runs them inside the completing
transaction, on the case's data with the submitted form merged in; any violation refuses the step (422) with
messages that name the rule, the number allowed and the number submitted, and nothing changes.

- `dossier`    (the unit head's tờ trình): the unit's quotas, the council's voting rule on its minutes and the
                nominees' eligibility (`eligibility.py`); once they pass, the dossier's nominees are written to the
                round's registry (`registry.py`) in the same transaction, for the duplicate rule across units;
- `eligibility` (any step with the nominee list, e.g. the registration): the eligibility rules alone — the
                declared grounds, an award form the campaign does not offer, one form per achievement, the same
                nominee twice — each violation also marked on its field of the nominee form;
- `quotas`     (the registration and the council): the unit's quotas, marked on the nominee list;
- `minutes`    (the secretary's minutes): figures that cannot be right — present ≤ members, for + against ≤
                present, one vote row per nominee — each marked on its field;
- `votes`      (the council's approval): the campaign's voting rule (quorum, approval) on the minutes;
- `acceptance` (the receiving level's check, when it accepts): the unit's quotas and eligibility again, as the
                campaign stands now (across units, a dossier registered earlier stands);
                on a consolidation case, the campaign-wide quotas of the selection;
- `selection`  (the receiving level's council choosing among its units' nominees): the rows are the forwarded
                nominees as they are, the council's quorum and approval threshold, the campaign-wide quotas;
- `consolidation` (the receiving level's head sending the consolidated tờ trình upward): its deadline check —
                no unit dossier still awaiting its check, and before the units' deadline every unit settled — and
                the campaign-wide quotas, with the minimum of a range now binding.

Each check takes (session, case, data): the data is the case's with the submitted form merged in. A step that sends
the case back (a `*_decision` of "return") runs none: a return must always be possible, whatever is wrong.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..contracts import RETURN, RULES_PROPERTY, CaseKind, DataKey, Rule
from ..documents.dossier import missing_documents
from ..errors import ValidationFailed
from ..models import Campaign, Case, Unit
from . import consolidation, criteria, eligibility, figures, registry
from .quotas import FieldViolation, UnitFacts, Violation, campaign_violations, unit_facts, unit_violations
from .voting import minutes_violations, vote_violations

__all__ = ["RULES_PROPERTY", "RulesBroken", "UnitFacts", "Violation", "campaign_violations", "dossier_violations",
           "enforce", "sends_back", "unit_facts", "unit_violations", "vote_violations"]


class RulesBroken(ValidationFailed):
    code = "rules_broken"

    def __init__(self, violations: list[Violation]):
        messages = [v.message for v in violations]
        fields: dict[str, list[str]] = {"": messages}
        for v in violations:  # a violation about one field is also shown next to it
            if getattr(v, "field", ""):
                fields.setdefault(v.field, []).append(v.message)
        super().__init__("Hồ sơ chưa đúng quy định của phong trào: " + " ".join(messages), fields)
        self.violations = violations


def dossier_violations(campaign: Campaign, unit: Unit, data: dict) -> list[Violation]:
    details = campaign.details or {}
    nominees = data.get("nominees") or []
    return (unit_violations(details.get("quota") or [], unit_facts(unit), nominees)
            + vote_violations(details.get("voting") or {}, data, nominees))


def _dossier(session: Session, case: Case, data: dict) -> list[Violation]:
    nominees = data.get("nominees") or []
    found = dossier_violations(case.campaign, case.unit, data) + eligibility.violations(session, case, nominees)
    if not found:  # another check refusing the step rolls these rows back with the rest of the transaction
        registry.record_nominations(session, case, nominees)
    return found


def _documents(session: Session, case: Case, data: dict) -> list[Violation]:
    return [Violation("documents", message) for message in missing_documents(session, case, data)]


def _eligibility(session: Session, case: Case, data: dict) -> list[Violation]:
    # Checked where typed, nothing written: no campaign lock (the head's `dossier` check takes it, then writes).
    return eligibility.violations(session, case, data.get("nominees") or [], lock=False)


def _quotas(session: Session, case: Case, data: dict) -> list[Violation]:
    found = unit_violations((case.campaign.details or {}).get("quota") or [], unit_facts(case.unit),
                            data.get("nominees") or [])
    return [FieldViolation(v.rule, v.message, v.allowed, v.submitted, v.source, field="nominees") for v in found]


def _minutes(session: Session, case: Case, data: dict) -> list[Violation]:
    return minutes_violations(data, data.get("nominees") or [])


def _votes(session: Session, case: Case, data: dict) -> list[Violation]:
    return vote_violations((case.campaign.details or {}).get("voting") or {}, data, data.get("nominees") or [])


def sends_back(data: dict) -> bool:
    """Whether the submitted step returns the case (council_decision, check_decision, head_decision… "return")."""
    return any(key.endswith("_decision") and value == RETURN for key, value in (data or {}).items())


def _acceptance(session: Session, case: Case, data: dict) -> list[Violation]:
    if data.get(DataKey.CHECK_DECISION) != "accept":
        return []
    if case.kind == CaseKind.CONSOLIDATION:
        return consolidation.selection_quotas(session, case, data.get("nominees") or [], final=True)
    return (unit_violations((case.campaign.details or {}).get("quota") or [], unit_facts(case.unit),
                            data.get("nominees") or [])
            + eligibility.violations(session, case, data.get("nominees") or [], registered_before=True))


CHECKS = {Rule.DOCUMENTS: _documents, Rule.DOSSIER: _dossier, Rule.ELIGIBILITY: _eligibility,
          Rule.ACCEPTANCE: _acceptance, Rule.QUOTAS: _quotas, Rule.MINUTES: _minutes, Rule.VOTES: _votes,
          Rule.SELECTION: consolidation.selection_violations,
          Rule.CONSOLIDATION: consolidation.submission_violations}


def enforce(session: Session, case: Case, names: str, data: dict) -> None:
    """Run the named checks (comma-separated) on the case's data with `data` merged in; raise RulesBroken."""
    if sends_back(data):
        return
    merged = {**(case.data or {}), **data}
    found: list[Violation] = []
    for name in filter(None, (n.strip() for n in names.split(","))):
        found += CHECKS[name](session, case, merged)
    if found:
        raise RulesBroken(found)
