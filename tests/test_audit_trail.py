"""The audit trail is append-only at the database, whatever code runs against it."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from processes.models import Campaign, Unit


def test_audit_rows_cannot_be_changed_or_deleted(app, session, api):
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    api("vks-qb-dong-hoi.canbo").post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit.id})
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert session.scalar(text("SELECT count(*) FROM audit_events")) == 1
