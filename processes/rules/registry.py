"""The round's registry of submitted nominees (`nominations`), which the duplicate rule across units reads.

Written by the unit head's submission once its checks pass, inside the completing transaction: a refused or failed
step rolls the rows back with everything else, and a dossier submitted again after a return replaces its rows.
"""
from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from ..clock import now
from ..models import Case, Nomination
from ..nominees import achievement_key, nominee_key


def record_nominations(session: Session, case: Case, nominees: list[dict]) -> None:
    session.execute(delete(Nomination).where(Nomination.case_id == case.id)
                    .execution_options(synchronize_session=False))
    rows = [dict(campaign_id=case.campaign_id, case_id=case.id, unit_id=case.unit_id,
                 nominee_key=nominee_key(n)[:300], nominee_name=str(n.get("name") or "")[:200],
                 achievement_key=achievement_key(n)[:300], award_form=str(n.get("award_form") or "")[:50],
                 created_at=now())
            for n in nominees]
    if rows:
        session.execute(insert(Nomination), rows)
