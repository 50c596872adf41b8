"""The domain's side of the engine: what it lends SpiffWorkflow, and the published diagrams cases run on.

`processes/engine/` knows only SpiffWorkflow. Here the application installs its clock and time zone for the timers
and offers the functions diagrams may call (working days, award levels…); every module that runs a workflow gets
its spec through `loaded`, so importing this module is what makes the engine ready.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from . import clock
from .award_forms import dossier_level, own_part, selected_nominees, upper_part
from .contracts import CaseStatus
from .engine import runner, timers
from .engine.diagrams import LoadedDiagram, SpecCache, load_diagram
from .engine.errors import DiagramInvalid
from .errors import DiagramError, NotFound
from .models import Case, DiagramVersion
from .workdays import days_before, working_days_after

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"

timers.use_clock(clock.now)
timers.use_local_zone(clock.VN_TZ)  # "2024-08-23T23:59:59" in a diagram means Việt Nam time
runner.register_script_functions(dossier_level=dossier_level, working_days_after=working_days_after,
                                 days_before=days_before, selected_nominees=selected_nominees,
                                 own_part=own_part, upper_part=upper_part)

spec_cache = SpecCache()


def parse(xml: str, process_id: str | None = None) -> LoadedDiagram:
    """Load a published BPMN document for running (its forms and the application's checks passed when it was
    published: `diagram_validation.check`); DiagramError (422) listing what is wrong."""
    try:
        return load_diagram(xml, None, process_id)
    except DiagramInvalid as exc:
        raise DiagramError(str(exc), problems=[p.message for p in exc.problems]) from exc


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
    return spec_cache.put(key, parse(row.bpmn_xml, row.process_id))


def load_running(session: Session) -> int:
    """Parse every version a running case is on, ahead of its first use (a process about to serve: the web master
    before it forks, a timer worker); how many."""
    ids = list(session.scalars(select(DiagramVersion.id).where(
        exists().where(Case.diagram_version_id == DiagramVersion.id, Case.status == CaseStatus.RUNNING))))
    for version_id in ids:
        loaded(session, version_id)
    return len(ids)
