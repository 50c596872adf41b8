"""Uploaded files kept in the database (when TDKT_UPLOAD_STORE=database): each file as ordered chunks."""
from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class UploadChunk(Base):
    __tablename__ = "upload_chunks"

    storage_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # <case id>/<sha256>.<ext>
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
