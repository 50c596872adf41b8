"""Published diagram versions, cases that run them, the user tasks waiting in them and the audit trail."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..contracts import CaseKind, CaseStatus
from ..db import Base
from .campaign import Campaign
from .org import Unit, User
from .types import JsonDoc

# Open tasks without a due date sort after every dated one; a sentinel keeps the inbox sort index-served.
NO_DUE = dt.datetime(9999, 12, 31)


class DiagramVersion(Base):
    __tablename__ = "diagram_versions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    bpmn_xml: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(default=now)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")


class Case(Base):
    __tablename__ = "cases"
    # One case per unit per campaign round, and one consolidation case per receiving unit: a receiving unit that
    # also takes part (Sở TT&TT Thanh Hóa) has both.
    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id", "kind", name="uq_cases_campaign_unit_kind"),
        CheckConstraint(f"status IN {tuple(s.value for s in CaseStatus)}", name="status"),
        CheckConstraint(f"kind IN {tuple(k.value for k in CaseKind)}", name="kind"),
        Index("ix_cases_updated", "updated_at", "id"),  # the case list, newest first, cut at the page's end
        Index("ix_cases_diagram_version", "diagram_version_id", "status"),  # the editor: running cases per step
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # "unit": a unit's own nomination; "consolidation": the receiving level's case that collects its units' cases
    # (the children point at it through parent_id) and carries the consolidated dossier upward.
    kind: Mapped[str] = mapped_column(String(20), default="unit", server_default="unit")
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)
    diagram_version_id: Mapped[int] = mapped_column(ForeignKey("diagram_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    current_step: Mapped[str] = mapped_column(String(400), default="")
    # The workflow's instance state only (tasks and data); the spec lives once in diagram_versions.
    workflow_state: Mapped[str] = mapped_column(Text, deferred=True)
    # The data the case carries now, kept beside the state so pages never deserialize a workflow to show it.
    data: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    completed_at: Mapped[Optional[dt.datetime]]
    late_at: Mapped[Optional[dt.datetime]]  # when the submission deadline passed with the dossier unsent
    # This case's own submission deadline when a supervisor extended it (None: the campaign's deadline_at).
    deadline_at: Mapped[Optional[dt.datetime]]

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
    diagram_version: Mapped[DiagramVersion] = relationship()
    parent: Mapped[Optional["Case"]] = relationship(remote_side=[id])

    # Optimistic check under the row lock. The case processor writes the row with its own version-guarded UPDATE
    # (409 on a mismatch); the ORM's counter guards any other flush of a changed case the same way.
    __mapper_args__ = {"version_id_col": version}


class OpenTask(Base):
    """One row per ready user task. Kept in step with the workflow inside the same transaction."""
    __tablename__ = "open_tasks"
    __table_args__ = (
        UniqueConstraint("case_id", "task_uuid"),
        # The inbox's two halves: claimable by role in a unit, and assigned to me, each in due order. The queue index
        # is partial: PostgreSQL does not treat `assignee_id IS NULL` as an equality when ordering by an index, so
        # the condition lives in the index predicate instead of its columns.
        Index("ix_open_tasks_queue", "unit_id", "role", "sort_due", "id",
              postgresql_where=text("assignee_id IS NULL"), sqlite_where=text("assignee_id IS NULL")),
        Index("ix_open_tasks_assignee", "assignee_id", "sort_due", "id"),
        Index("ix_open_tasks_due", "due_at"),
        # Task ids appear in URLs and forms; SQLite would hand a deleted row's id to the next task without this,
        # and a stale tab could then act on a different task. (PostgreSQL sequences never reuse ids.)
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    task_uuid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(40), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    form: Mapped[str] = mapped_column(String(200), default="")
    ui_form: Mapped[str] = mapped_column(String(200), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    due_at: Mapped[Optional[dt.datetime]]
    sort_due: Mapped[dt.datetime] = mapped_column(default=NO_DUE)
    # Reached by a return: {"reason", "by", "by_username", "at", "from_step"}, shown on top of the task; else None.
    returned: Mapped[Optional[dict]] = mapped_column(JsonDoc)

    case: Mapped[Case] = relationship()
    unit: Mapped[Unit] = relationship()
    assignee: Mapped[Optional[User]] = relationship()


class AuditEvent(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE."""
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_case", "case_id", "id"),
        Index("ix_audit_task", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[dt.datetime] = mapped_column(default=now)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[Optional[int]]
    task_bpmn_id: Mapped[str] = mapped_column(String(120), default="")
    task_name: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict] = mapped_column(JsonDoc, default=dict)

    actor: Mapped[Optional[User]] = relationship()
