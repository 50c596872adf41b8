"""The form registry: every revision of every JSON-Schema form, and the revisions each published diagram pinned."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..db import Base

FORM_STATUSES = ("draft", "published")


class FormRevision(Base):
    """One immutable revision of a form (a JSON Schema or its UI hints), named as diagrams name it. A process owner's
    save is a new `draft` revision; publishing a diagram that names it pins it and marks it `published`."""
    __tablename__ = "form_revisions"
    __table_args__ = (
        UniqueConstraint("name", "revision", name="uq_form_revisions_name_revision"),
        CheckConstraint(f"status IN {FORM_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int]
    # The JSON text itself, not JSONB: PostgreSQL's JSONB reorders an object's keys, and a form's fields are shown
    # in the order its schema lists them.
    document: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    @property
    def schema(self) -> dict:
        return json.loads(self.document)


class DiagramFormPin(Base):
    """Which revision of a form a published diagram version renders and validates with, for as long as cases run
    on that version, whatever is saved after."""
    __tablename__ = "diagram_form_pins"
    __table_args__ = (
        UniqueConstraint("diagram_version_id", "name", name="uq_diagram_form_pins_version_name"),
        Index("ix_diagram_form_pins_revision", "form_revision_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    diagram_version_id: Mapped[int] = mapped_column(ForeignKey("diagram_versions.id"))
    name: Mapped[str] = mapped_column(String(200))
    form_revision_id: Mapped[int] = mapped_column(ForeignKey("form_revisions.id"))
