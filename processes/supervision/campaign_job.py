"""A job the system runs on one campaign in its own transaction (the daily digest, the flag-snapshot refresh)."""
from __future__ import annotations

from ..executor import Command, system_only
from ..models import Campaign


class CampaignJob(Command):
    """Targets the campaign (None when it is gone); only the system runs it."""

    def __init__(self, campaign_id: int):
        self.campaign_id = campaign_id

    def target(self, tx):
        return tx.session.get(Campaign, self.campaign_id)

    def authorize(self, tx, campaign):
        system_only(tx)
