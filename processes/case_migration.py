"""Moving running cases onto another published version of their process: after a publish (the new version), or
back (the old one) — the same verb.

- `plan_migration(session, process_id, new_version)` says, per waiting case, what moving would do — **migrate**,
  **decide** (a person must choose: a waiting task would change hands) or **blocked** (it cannot move) — with the
  reason in Vietnamese, and counts per step (the BPMN ids the cases wait at). Nothing is written.
- `MigrateCase` moves one case, as one transaction through the executor and the case processor: the case is locked
  (as `case_processor.lock_case` locks it, the incident flag read in the same statement), assessed again under the
  lock, its workflow moved (SpiffWorkflow 3's `diff_workflow` / `migrate_workflow`, processes/engine/migration.py),
  its deadline timers recomputed from the campaign's current dates, and `save` re-points `case.diagram_version_id`,
  rewrites its open-task and timer rows and appends a `case_migrated` audit event.
- `migrate_cases(session, actor, version, mode="dry_run" | "apply")` is what publishing calls: the dry run is the
  plan; apply moves every case whose verdict is migrate (and, with `include_decisions`, those needing a decision),
  each in its own transaction, and reports what happened to each.

Deadline timers: the campaign's dates (`deadline_at`, `reminder_at`) and review period are written again into the
waiting tasks' data from the campaign as it is now (`case_data.start_data`); a waiting timer whose expression reads
`deadline_at` or `reminder_at`, or whose expression changed, gets its fire time again; the others (a review period
counted in working days from when the check began) keep theirs.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from . import audit, diagram_versions, workflows
from .access import check_process_owner
from .case_data import start_data
from .case_processor import CaseProcessor, lock_options
from .contracts import SETTLED, CaseKind, DataKey, TimerStatus
from .engine import migration, runner
from .engine.diagrams import LoadedDiagram
from .errors import DomainError, InvalidInput, NotFound
from .executor import Command, execute
from .models import Case, CaseTimer, DiagramVersion, Unit, User

MIGRATE, DECIDE, BLOCKED = migration.MIGRATE, migration.DECIDE, migration.BLOCKED
VERDICT_LABELS = {MIGRATE: "Chuyển được", DECIDE: "Cần quyết định", BLOCKED: "Không chuyển được"}
RECOMPUTE = frozenset({DataKey.DEADLINE_AT.value, DataKey.REMINDER_AT.value})
CAMPAIGN_DATES = (DataKey.DEADLINE_AT, DataKey.REMINDER_AT, DataKey.REVIEW_WORKING_DAYS)
OWNERS_ONLY = "Chỉ người quản lý quy trình mới được chuyển hồ sơ sang phiên bản sơ đồ khác."
INCIDENT = "Hồ sơ đang có sự cố hẹn giờ; cần xử lý sự cố trước khi chuyển phiên bản."


@dataclass
class CaseOutcome:
    case_id: int
    unit: str
    from_version: int
    verdict: str
    reasons: list[str] = field(default_factory=list)
    waiting_at: list[str] = field(default_factory=list)
    migrated: bool = False
    error: str = ""

    def as_json(self) -> dict:
        return {**asdict(self), "verdict_label": VERDICT_LABELS[self.verdict]}


@dataclass
class MigrationReport:
    process_id: str
    version: int
    mode: str  # "dry_run" | "apply"
    cases: list[CaseOutcome]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.verdict for c in self.cases)
        return {v: counted.get(v, 0) for v in (MIGRATE, DECIDE, BLOCKED)}

    @property
    def per_step(self) -> dict[str, dict[str, int]]:
        """Per BPMN id a case waits at: how many cases of each verdict (what the editor draws on each step)."""
        steps: dict[str, dict[str, int]] = {}
        for case in self.cases:
            for step in case.waiting_at:
                counts = steps.setdefault(step, {MIGRATE: 0, DECIDE: 0, BLOCKED: 0})
                counts[case.verdict] += 1
        return steps

    @property
    def migrated(self) -> int:
        return sum(c.migrated for c in self.cases)

    @property
    def failed(self) -> int:
        return sum(bool(c.error) for c in self.cases)

    def as_json(self) -> dict:
        return {"process_id": self.process_id, "version": self.version, "mode": self.mode, "counts": self.counts,
                "per_step": self.per_step, "migrated": self.migrated, "failed": self.failed,
                "cases": [c.as_json() for c in self.cases]}


# --- reading: which cases, and what moving would do -----------------------------------------------------------------

def waiting_case_ids(session: Session, process_id: str, target_version_id: int) -> list[int]:
    """Cases of `process_id` still running on another version than the target (one indexed query)."""
    return list(session.scalars(
        select(Case.id).join(DiagramVersion, DiagramVersion.id == Case.diagram_version_id)
        .where(DiagramVersion.process_id == process_id, Case.diagram_version_id != target_version_id,
               Case.status.not_in([s.value for s in SETTLED]))
        .order_by(Case.id)))


def _has_incident(session: Session, case_id: int) -> bool:
    return bool(session.scalar(select(exists().where(CaseTimer.case_id == case_id,
                                                      CaseTimer.status == TimerStatus.INCIDENT))))


def _version(session: Session, process_id: str, version: int | DiagramVersion) -> DiagramVersion:
    if isinstance(version, DiagramVersion):
        row = version
    else:
        row = session.scalar(select(DiagramVersion).where(DiagramVersion.process_id == process_id,
                                                          DiagramVersion.version == version))
    if row is None or row.process_id != process_id:
        raise NotFound(f"Không có phiên bản {version} của quy trình «{process_id}».")
    return row


@dataclass(frozen=True)
class VersionFacts:
    id: int
    process_id: str
    version: int


_facts: dict[tuple[str, int], VersionFacts] = {}


def version_facts(session: Session, version_id: int) -> VersionFacts | None:
    """A published version's id, process and number; read once per database (published versions never change),
    so moving a thousand cases does not read the same two rows a thousand times."""
    key = (str(session.get_bind().url), version_id)
    if key not in _facts:
        row = session.execute(select(DiagramVersion.id, DiagramVersion.process_id, DiagramVersion.version)
                              .where(DiagramVersion.id == version_id)).one_or_none()
        if row is None:
            return None
        _facts[key] = VersionFacts(row.id, row.process_id, row.version)
    return _facts[key]


def assess(session: Session, case_id: int, workflow, target, incident: bool | None = None) -> migration.Assessment:
    """What moving this case's restored `workflow` onto `target` (a published version, or a parsed draft) would do.
    `incident`: whether a timer of the case is in incident, when the caller read it already."""
    loaded = target if isinstance(target, LoadedDiagram) else workflows.loaded(session, target.id)
    found = migration.assess(workflow, loaded)
    if incident if incident is not None else _has_incident(session, case_id):
        return migration.Assessment(BLOCKED, [INCIDENT], found.waiting_at)
    return found


def plan_migration(session: Session, process_id: str, new_version: int | DiagramVersion) -> MigrationReport:
    """What moving every waiting case of `process_id` onto `new_version` (its number, or the row) would do. Reads
    only; the caller has checked that its user is a process owner (`access.check_process_owner`)."""
    target = _version(session, process_id, new_version)
    return _plan(session, process_id, target, target.id, target.version)


def plan_draft(session: Session, process_id: str, xml: str) -> MigrationReport:
    """The same plan against a draft not yet published (what the editor shows on each step while the owner edits):
    every waiting case of the process; `version` 0. DiagramError (422) when the draft does not validate."""
    loaded = diagram_versions.validate(xml, session)
    if loaded.process_id != process_id:
        raise InvalidInput(f"Bản nháp là quy trình «{loaded.process_id}», không phải «{process_id}».")
    return _plan(session, process_id, loaded, None, 0)


def _plan(session: Session, process_id: str, target, target_id: int | None, number: int) -> MigrationReport:
    rows = session.execute(
        select(Case.id, Case.workflow_state, Case.diagram_version_id, Unit.name, DiagramVersion.version)
        .join(Unit, Unit.id == Case.unit_id).join(DiagramVersion, DiagramVersion.id == Case.diagram_version_id)
        .where(Case.id.in_(waiting_case_ids(session, process_id, target_id or 0))).order_by(Case.id)).all()
    outcomes = []
    for row in rows:
        workflow = runner.restore(workflows.loaded(session, row.diagram_version_id), row.workflow_state)
        found = assess(session, row.id, workflow, target)
        outcomes.append(CaseOutcome(row.id, row.name, row.version, found.verdict, found.reasons, found.waiting_at))
    return MigrationReport(process_id, number, "dry_run", outcomes)


# --- writing: one case, one transaction -----------------------------------------------------------------------------

def campaign_dates(case: Case) -> dict:
    """The campaign's dates as the case's timers read them, from the campaign as it is now."""
    campaign = case.campaign
    data = (start_data(campaign, campaign.upper_deadline_at, unit=case.unit) if case.kind == CaseKind.CONSOLIDATION
            else start_data(campaign, unit=case.unit))
    return {str(key): data[key] for key in CAMPAIGN_DATES}


class MigrateCase(Command):
    """Move one waiting case onto `version_id` (a version of its own process), if its assessment allows."""
    name = "migrate_case"

    def __init__(self, case_id: int, version_id: int, *, allow_decision: bool = False):
        self.case_id, self.version_id, self.allow_decision = case_id, version_id, allow_decision

    def target(self, tx):
        """The case locked as `lock_case` locks it, and in the same statement whether a timer of it is in incident
        (a round trip fewer per case: on a busy database a migration's time is mostly its round trips)."""
        row = tx.session.execute(
            select(Case, exists().where(CaseTimer.case_id == Case.id, CaseTimer.status == TimerStatus.INCIDENT))
            .where(Case.id == self.case_id).options(*lock_options()).with_for_update(of=Case)
            .execution_options(populate_existing=True)).one_or_none()
        if row is None:
            return None
        self.incident = bool(row[1])
        return row[0]

    def authorize(self, tx, case):
        check_process_owner(tx.actor, OWNERS_ONLY)
        if case is None:
            raise NotFound("Không tìm thấy hồ sơ.")

    def run(self, tx, case) -> CaseOutcome:
        target = version_facts(tx.session, self.version_id)
        current = version_facts(tx.session, case.diagram_version_id)
        if target is None or target.process_id != current.process_id:
            raise InvalidInput("Chỉ chuyển được hồ sơ sang một phiên bản khác của chính quy trình của nó.")
        outcome = CaseOutcome(case.id, case.unit.name, current.version, MIGRATE)
        if case.status in SETTLED or target.id == current.id:
            outcome.verdict = BLOCKED
            outcome.reasons = ["Hồ sơ đã kết thúc." if case.status in SETTLED
                               else f"Hồ sơ đã ở phiên bản {target.version}."]
            return outcome
        processor = CaseProcessor.restore(tx, case)
        found = assess(tx.session, case.id, processor.workflow, target, self.incident)
        outcome.verdict, outcome.reasons, outcome.waiting_at = found.verdict, found.reasons, found.waiting_at
        if found.verdict == BLOCKED or (found.verdict == DECIDE and not self.allow_decision):
            return outcome
        processor.migrate(target, campaign_dates(case), RECOMPUTE, found)
        processor.save([audit.event(case.id, "case_migrated", tx.actor_id, process_id=target.process_id,
                                    from_version=current.version, to_version=target.version,
                                    verdict=found.verdict, reasons=found.reasons)])
        outcome.migrated = True
        return outcome


def migrate_case(session: Session, actor: User | None, case_id: int, version: DiagramVersion, *,
                 allow_decision: bool = False) -> CaseOutcome:
    return execute(session, actor, MigrateCase(case_id, version.id, allow_decision=allow_decision))


def migrate_cases(session: Session, actor: User | None, version: DiagramVersion, mode: str = "dry_run", *,
                  include_decisions: bool = False) -> MigrationReport:
    """Publishing's migration: `dry_run` reports the plan; `apply` moves each waiting case of the version's process
    that may move (migrate; and decide, with `include_decisions`), each in its own transaction, and reports what
    happened to every case. Reverting is the same call with the old version."""
    check_process_owner(actor, OWNERS_ONLY)
    if mode not in ("dry_run", "apply"):
        raise InvalidInput("Chế độ chuyển hồ sơ phải là «dry_run» (chạy thử) hoặc «apply» (thực hiện).")
    if mode == "dry_run":
        return plan_migration(session, version.process_id, version)
    process_id, number, version_id = version.process_id, version.version, version.id
    outcomes = []
    for case_id in waiting_case_ids(session, process_id, version_id):
        try:
            outcomes.append(execute(session, actor, MigrateCase(case_id, version_id,
                                                                allow_decision=include_decisions)))
        except DomainError as exc:  # this case stays where it was; the others go on
            outcomes.append(CaseOutcome(case_id, "", 0, BLOCKED, [exc.message], error=exc.message))
    return MigrationReport(process_id, number, "apply", outcomes)
