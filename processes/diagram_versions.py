"""Published diagram versions: publishing a BPMN document, finding the newest, loading a version's spec."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .clock import now
from .db import unit_of_work
from .engine.diagrams import LoadedDiagram, SpecCache, checksum, load_diagram
from .errors import Forbidden, NotFound
from .forms import FORMS_DIR
from .models import DiagramVersion, User

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
spec_cache = SpecCache(FORMS_DIR)


def publish(session: Session, xml: str, *, user: User | None, note: str = "") -> DiagramVersion:
    """Validate a BPMN document and store it as the next version of its process. One transaction."""
    if user is not None and not user.is_admin:
        raise Forbidden("Chỉ quản trị viên quy trình mới được xuất bản sơ đồ.")
    loaded = load_diagram(xml, FORMS_DIR)  # raises DiagramError before anything is written
    with unit_of_work(session):
        latest = session.scalar(
            select(func.max(DiagramVersion.version)).where(DiagramVersion.process_id == loaded.process_id)
        )
        version = DiagramVersion(
            process_id=loaded.process_id, version=(latest or 0) + 1, name=loaded.spec.description or "",
            bpmn_xml=xml, checksum=checksum(xml), published_at=now(),
            published_by_id=user.id if user else None, note=note,
        )
        session.add(version)
    return version


def publish_shipped(session: Session) -> list[DiagramVersion]:
    """Publish each diagram in bpmn/ whose current text is not yet the newest version (idempotent)."""
    published = []
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        xml = path.read_text(encoding="utf-8")
        exists = session.scalar(select(DiagramVersion.id).where(DiagramVersion.checksum == checksum(xml)))
        if exists is None:
            published.append(publish(session, xml, user=None, note=f"bpmn/{path.name}"))
    return published


def latest(session: Session, process_id: str) -> DiagramVersion:
    version = session.scalar(
        select(DiagramVersion).where(DiagramVersion.process_id == process_id)
        .order_by(DiagramVersion.version.desc()).limit(1)
    )
    if version is None:
        raise NotFound(f"Chưa có sơ đồ quy trình «{process_id}» nào được xuất bản.")
    return version


def loaded(session: Session, version_id: int) -> LoadedDiagram:
    """The parsed diagram of a published version. Versions never change, so after the first load per database the
    spec comes from memory without touching the database."""
    key = (str(session.get_bind().url), version_id)
    cached = spec_cache.peek(key)
    if cached is not None:
        return cached
    row = session.execute(
        select(DiagramVersion.bpmn_xml, DiagramVersion.process_id).where(DiagramVersion.id == version_id)
    ).one()
    return spec_cache.put(key, load_diagram(row.bpmn_xml, FORMS_DIR, row.process_id))
