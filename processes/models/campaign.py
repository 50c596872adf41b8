"""A campaign (phong trào thi đua) round: who issues it, who receives the dossiers, by when."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import end_of_local_day, now
from ..db import Base
from .org import Unit
from .types import JsonDoc


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(400))
    document_number: Mapped[str] = mapped_column(String(80), default="")
    document_date: Mapped[Optional[dt.date]]
    issuer_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    receiving_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[Optional[dt.date]]
    process_id: Mapped[str] = mapped_column(String(80), default="tdkt_nomination")
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Everything the seed says that later rules read (award forms, quotas, dossier list…), kept as written.
    details: Mapped[dict] = mapped_column(JsonDoc, default=dict, deferred=True)
    # The few keys of `details` that lists show (round, period, participants, deadline rules): kept in step with
    # `details` by the listener below, so a list never loads a definition that may be hundreds of KB per row.
    summary: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    # Working days a unit may sit in one step before the supervision dashboard flags it stalled (None: the default).
    stall_working_days: Mapped[Optional[int]]

    issuer: Mapped[Unit] = relationship(foreign_keys=[issuer_id])
    receiving_unit: Mapped[Unit] = relationship(foreign_keys=[receiving_unit_id])

    @property
    def deadline_at(self) -> Optional[dt.datetime]:
        """The deadline as an instant (naive UTC): the end of the last day a dossier is still received, in Việt Nam.
        "Trước ngày 30/8" (deadline_rule "before") leaves 29/8 as that day; "là ngày 23/8" ("on") is 23/8 itself."""
        if not self.deadline:
            return None
        return _last_moment(self.deadline, self._known().get("deadline_rule"))

    def _known(self) -> dict:
        """`details` when it is loaded (exact), else the summary (lists do not load the definition)."""
        if "details" in inspect(self).unloaded and self.id is not None:
            return self.summary or {}
        return self.details or {}

    @property
    def upper_deadline_at(self) -> Optional[dt.datetime]:
        """The receiving level's own deadline to send its consolidated dossier to the level above, if the campaign
        sets one (`upper_deadline`, `upper_deadline_rule`)."""
        details = self.details or {}
        if not details.get("upper_deadline"):
            return None
        return _last_moment(dt.date.fromisoformat(str(details["upper_deadline"])), details.get("upper_deadline_rule"))


def _last_moment(day: dt.date, rule: str | None) -> dt.datetime:
    return end_of_local_day(day - dt.timedelta(days=1) if rule == "before" else day)


SUMMARY_KEYS = ("round", "phase", "period_start", "period_end", "participants", "document_kind", "deadline_rule",
                "deadline_text", "upper_deadline", "upper_deadline_rule", "receiving_contact", "receiving_phone",
                "receiving_email", "milestone")  # what the campaign lists show, each small


def summary_of(details: dict | None) -> dict:
    details = details or {}
    return {key: details[key] for key in SUMMARY_KEYS if key in details}


@event.listens_for(Campaign.details, "set")
def _keep_summary(campaign, value, _old, _initiator):
    campaign.summary = summary_of(value)
