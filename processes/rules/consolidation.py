"""Checks on the receiving level's consolidation case: the council's selection and the consolidated submission."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Case, Unit
from ..rollup_state import check_candidates, submission_blockers
from .quotas import Violation, campaign_violations, unit_facts
from .voting import vote_violations


def selection_quotas(session: Session, case: Case, nominees: list[dict], *, final: bool) -> list[Violation]:
    """The campaign-wide quotas (what the receiving level may pass upward), each nominee counted under the unit
    that proposed it so quotas limited to some kinds of unit count only theirs."""
    ids = {n.get("case_id") for n in nominees if n.get("case_id")}
    units = dict(session.execute(select(Case.id, Unit).join(Unit, Unit.id == Case.unit_id)
                                 .where(Case.id.in_(ids))).all()) if ids else {}
    by_unit: dict[int, list[dict]] = {}
    for nominee in nominees:
        by_unit.setdefault(nominee.get("case_id"), []).append(nominee)
    submissions = [(unit_facts(units[cid]) if cid in units else unit_facts(case.unit), rows)
                   for cid, rows in by_unit.items()]
    return campaign_violations((case.campaign.details or {}).get("quota") or [], submissions, final=final)


def selection_violations(session: Session, case: Case, data: dict) -> list[Violation]:
    candidates = data.get("candidates") or []
    found = [Violation("selection_unknown", m) for m in check_candidates(session, case, candidates)]
    chosen = [c for c in candidates if c.get("selected")]
    if not chosen:
        found.append(Violation("selection_empty", "Hội đồng chưa chọn trường hợp nào để trình lên trung ương."))
        return found
    present = int(data.get("members_present") or 0)
    minutes = {"members_total": data.get("members_total"), "members_present": present,
               "votes": [{"nominee": c.get("name"), "votes_for": c.get("votes_for") or 0} for c in chosen]}
    found += vote_violations((case.campaign.details or {}).get("voting") or {}, minutes, chosen)
    return found + selection_quotas(session, case, chosen, final=False)


def submission_violations(session: Session, case: Case, data: dict) -> list[Violation]:
    found = [Violation("deadline_check", "Chưa thể trình lên: " + m) for m in submission_blockers(session, case)]
    return found + selection_quotas(session, case, data.get("nominees") or [], final=True)
