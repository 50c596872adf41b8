"""Signed, stamped scans people upload for a case's dossier documents. The file lives outside the web root under
a name made from its checksum; the row keeps who uploaded what, when, and the SHA-256 the dossier's manifest cites."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..db import Base
from .case import Case
from .org import User


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case_document", "case_id", "document_code", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    document_code: Mapped[str] = mapped_column(String(60))  # a [[dossier_document]] code of the campaign
    filename: Mapped[str] = mapped_column(String(200))  # the uploader's file name, cleaned; shown, never a path
    content_type: Mapped[str] = mapped_column(String(60))  # found from the content, not the name
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))  # relative to the upload folder: "<case>/<sha256>.<ext>"
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=now)

    case: Mapped[Case] = relationship()
    uploaded_by: Mapped[Optional[User]] = relationship()
