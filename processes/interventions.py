"""Supervisors' interventions on the units they supervise: remind, reassign, extend, suspend, resume, cancel.

Each is a Command run by the executor, **one transaction per case**: the case is locked first (lock order), the
actor must supervise the case's unit — hold a supervising role strictly above it (`supervision.scope`) — checked
before anything else is said (404 when they may not even read the case, 403 when they read it but do not supervise
its unit), and every change is written to the case's audit trail. `apply` runs one action over a selection of cases
or units and returns a per-case summary of what succeeded and why not; one case's refusal never undoes another's.

- remind: a notification (and e-mail, through the notification rows' pending status the worker sends) to whoever
  holds the case's open steps — the claimant, else every holder of the step's role in its unit; a unit with no case
  yet: its staff and head.
- reassign: the case's current step to another user holding the same role in the same unit.
- extend: the case's own deadline moves to the end of a later day (`cases.deadline_at`), with a reason. Its waiting
  timers move with it: the deadline timer to the new deadline, the reminder the campaign's reminder days before it,
  any other (review periods counted in working days) by as many working days as the deadline moved; its open tasks'
  due dates follow; a case marked late whose new deadline is ahead is late no more.
- suspend / resume: a suspended case has no open tasks (none can be done) and its timers are held (the sweep skips
  them); resuming restores the workflow's ready tasks (their holders are told again) and puts the timers back —
  one that came due meanwhile fires on the worker's next pass.
- cancel, with a reason: the case ends as cancelled; its tasks, timers and submitted nominations go.
"""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import String, bindparam, delete, func, insert, literal, select, union, update
from sqlalchemy.orm import Session, defer, joinedload

from . import audit, clock
from .access import CASE_NOT_FOUND, may_read_case
from .case_notifications import UNIT_LEADS, Notices
from .case_processor import CaseProcessor, lock_case
from .contracts import CASE_STATUS_LABELS, CaseKind, CaseStatus, EmailStatus, TimerStatus
from .db import is_sqlite
from .errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from .executor import Command, execute
from .models import Campaign, Case, CaseTimer, Nomination, Notification, OpenTask, RoleAssignment, Unit, User
from .notifications import mail_enabled
from .roles import UNIT_ROLES, role_label
from .supervision.board import working_days_between
from .supervision.scope import acting_scope, check_supervisor
from .workdays import add_working_days

ACTIONS = ("remind", "reassign", "extend", "suspend", "resume", "cancel")
ACTION_LABELS = {"remind": "Nhắc nhở", "reassign": "Giao lại nhiệm vụ", "extend": "Gia hạn", "suspend": "Tạm dừng",
                 "resume": "Tiếp tục", "cancel": "Hủy hồ sơ"}
MAX_TARGETS = 1000
MAX_REASON = 500
NOT_SUPERVISED = "Bạn không giám sát đơn vị {unit} nên không thể can thiệp vào hồ sơ này."
ACTIVE = (CaseStatus.RUNNING, CaseStatus.LATE)
UNIT_NOT_FOUND = "Không tìm thấy đơn vị."


@dataclass
class Outcome:
    case_id: int | None
    unit_id: int | None
    unit_name: str
    ok: bool
    status: int  # 200, or the status the refusal would answer alone
    message: str


# --- the commands ---------------------------------------------------------------------------------------------------

class CaseIntervention(Command):
    """A supervisor's action on one case: locked, then the actor must supervise its unit."""
    verb = ""

    def __init__(self, case_id: int, scope: set[int] | None, reason: str = ""):
        self.case_id, self.scope, self.reason = case_id, scope, reason

    def target(self, tx):
        # Most interventions touch only the case row and its own rows: the case alone is locked, without its
        # workflow state or its campaign's definition (verbs that run the workflow lock it with lock_case).
        return tx.session.scalar(select(Case).where(Case.id == self.case_id).options(joinedload(Case.unit), defer(Case.data))
                                 .with_for_update(of=Case).execution_options(populate_existing=True))

    def authorize(self, tx, case):
        if case is not None and (self.scope is None or case.unit_id in self.scope):
            return  # a unit below the actor's supervising units: theirs to see and to act on
        if case is None or not may_read_case(tx.actor, case):
            raise NotFound(CASE_NOT_FOUND)
        raise Forbidden(NOT_SUPERVISED.format(unit=case.unit.display_name))

    def active(self, case: Case) -> None:
        if case.status not in ACTIVE:
            raise Conflict(f"Hồ sơ đang ở trạng thái «{CASE_STATUS_LABELS.get(case.status, case.status)}»; "
                           f"không thể {ACTION_LABELS[self.verb].lower()}.")

    def notify_leads(self, tx, case: Case, kind: str, text: str) -> None:
        notices = Notices(case)
        notices.add(case.unit_id, UNIT_LEADS, kind, text, exclude=tx.actor_id)
        notices.write(tx.session)


def _where(case: Case) -> str:
    return f"hồ sơ #{case.id} ({case.unit.display_name})"


def _email_status() -> str:
    return (EmailStatus.PENDING if mail_enabled() else EmailStatus.NONE).value


class Remind(CaseIntervention):
    name = verb = "remind"

    def run(self, tx, case):
        self.active(case)
        note = f" Lời nhắn: {self.reason}" if self.reason else ""
        told = tx.session.execute(_REMIND, dict(
            case_id=case.id, prefix="Cấp giám sát nhắc xử lý «", suffix=f"»: {_where(case)}.{note}",
            link=f"/cases/{case.id}", created_at=clock.now(), email_status=_email_status())).rowcount
        if not told:
            raise Conflict("Hồ sơ không có bước nào đang chờ xử lý, hoặc không ai giữ bước đó, để nhắc.")
        audit.record(tx.session, case.id, "supervisor_reminded", tx.actor_id, reason=self.reason, told=told)
        return f"Đã nhắc {told} người đang giữ bước của hồ sơ."


def _remind_statement():
    """One INSERT … SELECT per case: a notice to whoever holds each of its open steps — the claimant, else every
    holder of the step's role in its unit — without reading the tasks or the people first (500 units in seconds)."""
    task, holder = OpenTask.__table__, RoleAssignment.__table__
    columns = Notification.__table__.c
    queued = (select(holder.c.user_id.label("user_id"), task.c.name.label("name"))
              .join(holder, (holder.c.unit_id == task.c.unit_id) & (holder.c.role == task.c.role))
              .where(task.c.case_id == bindparam("case_id"), task.c.assignee_id.is_(None)))
    claimed = (select(task.c.assignee_id.label("user_id"), task.c.name.label("name"))
               .where(task.c.case_id == bindparam("case_id"), task.c.assignee_id.is_not(None)))
    people = union(queued, claimed).subquery()
    message = func.substr(bindparam("prefix", type_=String) + people.c.name + bindparam("suffix", type_=String), 1, 500)
    return insert(Notification.__table__).from_select(
        ["user_id", "case_id", "kind", "message", "link", "created_at", "email_status"],
        select(people.c.user_id, bindparam("case_id", type_=columns.case_id.type), literal("supervision_reminder"),
               message, bindparam("link", type_=columns.link.type),
               bindparam("created_at", type_=columns.created_at.type),
               bindparam("email_status", type_=columns.email_status.type)))


_REMIND = _remind_statement()


class RemindUnit(Command):
    """Remind a participating unit that has not started its case: its staff and head."""
    name = "remind_unit"

    def __init__(self, campaign: Campaign, unit_id: int, scope: set[int] | None, reason: str = ""):
        # plain values, read once by the caller: the command may run on another thread's session
        self.campaign_name, self.deadline_at = campaign.name, campaign.deadline_at
        self.unit_id, self.scope, self.reason = unit_id, scope, reason

    def target(self, tx):
        return tx.session.get(Unit, self.unit_id)

    def authorize(self, tx, unit):
        if unit is None or (self.scope is not None and unit.id not in self.scope):
            raise NotFound(UNIT_NOT_FOUND)

    def run(self, tx, unit):
        note = f" Lời nhắn: {self.reason}" if self.reason else ""
        deadline = clock.format_date(self.deadline_at)
        text = (f"Cấp giám sát nhắc {unit.display_name} tạo và nộp hồ sơ phong trào «{self.campaign_name}»"
                + (f" trước hạn {deadline}" if deadline else "") + f".{note}")
        users = list(tx.session.scalars(select(RoleAssignment.user_id).where(
            RoleAssignment.unit_id == unit.id, RoleAssignment.role.in_(UNIT_LEADS)).distinct()))
        if not users:
            raise Conflict(f"{unit.display_name} chưa có cán bộ hoặc thủ trưởng nào để nhắc.")
        tx.session.execute(insert(Notification.__table__), [
            dict(user_id=user_id, case_id=None, kind="supervision_reminder", message=text[:500], link="/campaigns",
                 created_at=clock.now(), email_status=_email_status()) for user_id in users])
        return f"Đã nhắc {len(users)} cán bộ của đơn vị (chưa có hồ sơ)."


class Reassign(CaseIntervention):
    name = verb = "reassign"

    def __init__(self, case_id, scope, reason: str, assignee: User):
        super().__init__(case_id, scope, reason)
        self.assignee = assignee

    def run(self, tx, case):
        self.active(case)
        tasks = list(tx.session.scalars(select(OpenTask).where(OpenTask.case_id == case.id)
                                        .order_by(OpenTask.created_at, OpenTask.id)))
        if not tasks:
            raise Conflict("Hồ sơ không có bước nào đang chờ xử lý để giao lại.")
        own = [t for t in tasks if t.role in UNIT_ROLES] or tasks
        task = next((t for t in own if self.assignee.holds(t.role, t.unit_id)), None)
        if task is None:
            current = own[0]
            raise InvalidInput(f"{self.assignee.full_name} không giữ vai trò «{role_label(current.role)}» của "
                               f"{current.unit.display_name}, nên không nhận được bước «{current.name}».")
        if not self.assignee.active:
            raise InvalidInput(f"Tài khoản {self.assignee.full_name} đã ngừng hoạt động.")
        before = task.assignee_id
        tx.session.execute(update(OpenTask).where(OpenTask.id == task.id).values(assignee_id=self.assignee.id)
                           .execution_options(synchronize_session=False))
        audit.record(tx.session, case.id, "task_reassigned", tx.actor_id, task, reason=self.reason,
                     from_user_id=before, to_user_id=self.assignee.id, to=self.assignee.username)
        tx.session.execute(insert(Notification.__table__), [dict(
            user_id=self.assignee.id, case_id=case.id, kind="task_assigned",
            message=f"Cấp giám sát giao cho bạn «{task.name}»: {_where(case)}."[:500], link=f"/tasks/{task.id}",
            created_at=clock.now(), email_status=_email_status())])
        return f"Đã giao «{task.name}» cho {self.assignee.full_name}."


class Extend(CaseIntervention):
    name = verb = "extend"

    def target(self, tx):
        return lock_case(tx.session, self.case_id)

    def __init__(self, case_id, scope, reason: str, new_deadline: dt.date):
        super().__init__(case_id, scope, reason)
        self.new_deadline = new_deadline

    def run(self, tx, case):
        self.active(case)
        campaign = case.campaign
        old = case.deadline_at or campaign.deadline_at
        new = clock.end_of_local_day(self.new_deadline)
        if new <= clock.now():
            raise InvalidInput("Hạn mới phải sau thời điểm hiện tại.")
        if old is not None and new <= old:
            raise InvalidInput(f"Hạn mới phải sau hạn hiện tại ({clock.format_date(old)}).")
        processor = CaseProcessor.restore(tx, case)
        moves = _moved_timers(processor.waiting_timers(), old, new, campaign)
        processor.move_timers(moves)
        if case.late_at is not None:
            processor.clear_late()
        processor.save([audit.event(case.id, "deadline_extended", tx.actor_id, reason=self.reason,
                                    old=old.isoformat() if old else None, new=new.isoformat(),
                                    timers=len(moves))])
        tx.session.execute(update(Case.__table__).where(Case.__table__.c.id == case.id).values(deadline_at=new))
        if old is not None:
            tx.session.execute(update(OpenTask).where(OpenTask.case_id == case.id, OpenTask.due_at == old)
                               .values(due_at=new, sort_due=new).execution_options(synchronize_session=False))
        self.notify_leads(tx, case, "deadline_extended",
                          f"Hạn nộp được gia hạn đến {clock.format_date(new)}: {_where(case)}. Lý do: {self.reason}")
        return f"Đã gia hạn đến {clock.format_date(new)}; {len(moves)} bộ hẹn giờ được dời theo."


def _moved_timers(waiting, old: dt.datetime | None, new: dt.datetime, campaign: Campaign) -> dict[str, dt.datetime]:
    """The new fire time of each waiting timer when the deadline moves from `old` to `new`."""
    if old is None:
        return {}
    reminder = dt.timedelta(days=int((campaign.details or {}).get("reminder_days_before", 3)))
    shift_days = working_days_between(clock.to_local(old).date(), clock.to_local(new).date())
    moves = {}
    for timer in waiting:
        if timer.fire_at is None:
            continue
        if abs(timer.fire_at - old) <= _SLACK:
            moves[timer.task_uuid] = new
        elif abs(timer.fire_at - (old - reminder)) <= _SLACK:
            moves[timer.task_uuid] = new - reminder
        elif shift_days:
            local = clock.to_local(timer.fire_at)
            day = add_working_days(local.date(), shift_days)
            moves[timer.task_uuid] = (local.replace(year=day.year, month=day.month, day=day.day)
                                      .astimezone(dt.timezone.utc).replace(tzinfo=None))
    return moves


_SLACK = dt.timedelta(seconds=1)


class Suspend(CaseIntervention):
    name = verb = "suspend"

    def run(self, tx, case):
        self.active(case)
        session = tx.session
        tasks = list(session.execute(select(OpenTask.id, OpenTask.bpmn_id, OpenTask.name)
                                     .where(OpenTask.case_id == case.id)))
        session.execute(delete(OpenTask).where(OpenTask.case_id == case.id).execution_options(synchronize_session=False))
        held = session.execute(update(CaseTimer).where(CaseTimer.case_id == case.id,
                                                       CaseTimer.status == TimerStatus.WAITING)
                               .values(status=TimerStatus.HELD).execution_options(synchronize_session=False)).rowcount
        _set_status(session, case, CaseStatus.SUSPENDED, current_step=f"Tạm dừng: {case.current_step}"[:400])
        audit.record(session, case.id, "case_suspended", tx.actor_id, reason=self.reason, timers_held=held,
                     tasks=[{"id": t.id, "bpmn_id": t.bpmn_id, "name": t.name} for t in tasks])
        self.notify_leads(tx, case, "case_suspended", f"Cấp giám sát tạm dừng {_where(case)}. Lý do: {self.reason}")
        return f"Đã tạm dừng; {held} bộ hẹn giờ được giữ lại."


class Resume(CaseIntervention):
    name = verb = "resume"

    def target(self, tx):
        return lock_case(tx.session, self.case_id)

    def run(self, tx, case):
        if case.status != CaseStatus.SUSPENDED:
            raise Conflict("Hồ sơ không ở trạng thái tạm dừng.")
        session = tx.session
        restored = session.execute(update(CaseTimer).where(CaseTimer.case_id == case.id,
                                                           CaseTimer.status == TimerStatus.HELD)
                                   .values(status=TimerStatus.WAITING)
                                   .execution_options(synchronize_session=False)).rowcount
        processor = CaseProcessor.restore(tx, case, [], held_ok=True)
        processor.save([audit.event(case.id, "case_resumed", tx.actor_id, reason=self.reason,
                                    timers_restored=restored)])
        return f"Đã cho tiếp tục; {restored} bộ hẹn giờ chạy lại."


class Cancel(CaseIntervention):
    name = verb = "cancel"

    def run(self, tx, case):
        if case.status not in (*ACTIVE, CaseStatus.SUSPENDED):
            self.active(case)
        session = tx.session
        session.execute(delete(OpenTask).where(OpenTask.case_id == case.id).execution_options(synchronize_session=False))
        session.execute(delete(CaseTimer).where(CaseTimer.case_id == case.id)
                        .execution_options(synchronize_session=False))
        session.execute(delete(Nomination).where(Nomination.case_id == case.id)
                        .execution_options(synchronize_session=False))
        _set_status(session, case, CaseStatus.CANCELLED, current_step=CASE_STATUS_LABELS[CaseStatus.CANCELLED],
                    completed_at=clock.now())
        audit.record(session, case.id, "case_cancelled", tx.actor_id, reason=self.reason)
        self.notify_leads(tx, case, "case_cancelled", f"Cấp giám sát đã hủy {_where(case)}. Lý do: {self.reason}")
        return "Đã hủy hồ sơ."


def _set_status(session: Session, case: Case, status: str, **values) -> None:
    """The case row's new status, guarded by the version read under the lock (as the processor writes it)."""
    table = Case.__table__
    written = session.execute(update(table).where(table.c.id == case.id, table.c.version == case.version)
                              .values(status=status, version=case.version + 1, updated_at=clock.now(),
                                      **values)).rowcount
    if written != 1:
        raise Conflict("Hồ sơ vừa được người khác cập nhật; vui lòng thử lại.")
    session.expire(case)


# --- a selection at once --------------------------------------------------------------------------------------------

@dataclass
class Request:
    action: str
    case_ids: list[int]
    unit_ids: list[int]
    campaign_id: int | None = None
    reason: str = ""
    new_deadline: dt.date | None = None
    assignee_id: int | None = None


def validate(request: Request) -> None:
    """Refuse a malformed request as a whole (400), before any case is touched."""
    if request.action not in ACTIONS:
        raise InvalidInput(f"Thao tác «{request.action}» không hợp lệ; chọn một trong: {', '.join(ACTIONS)}.")
    if not request.case_ids and not request.unit_ids:
        raise InvalidInput("Chưa chọn hồ sơ hoặc đơn vị nào.")
    if len(request.case_ids) + len(request.unit_ids) > MAX_TARGETS:
        raise InvalidInput(f"Mỗi lần chỉ thao tác tối đa {MAX_TARGETS} hồ sơ hoặc đơn vị.")
    if request.unit_ids and request.campaign_id is None:
        raise InvalidInput("Chọn theo đơn vị cần campaign_id (phong trào của các đơn vị đó).")
    if len(request.reason) > MAX_REASON:
        raise InvalidInput(f"Lý do dài quá {MAX_REASON} ký tự.")
    if request.action in ("extend", "cancel", "suspend") and not request.reason.strip():
        raise InvalidInput(f"Cần ghi lý do khi {ACTION_LABELS[request.action].lower()}.")
    if request.action == "extend" and request.new_deadline is None:
        raise InvalidInput("Cần hạn mới (new_deadline, dd/mm/yyyy hoặc yyyy-mm-dd) để gia hạn.")
    if request.action == "reassign" and request.assignee_id is None:
        raise InvalidInput("Cần người nhận (assignee_id) để giao lại nhiệm vụ.")


def apply(session: Session, actor: User, request: Request) -> list[Outcome]:
    """Run one action over the selection, one transaction per case; the summary says what happened to each."""
    check_supervisor(actor)  # 403 for someone who supervises nothing, before anything about the request is said
    validate(request)
    scope = acting_scope(session, actor)
    campaign = session.get(Campaign, request.campaign_id) if request.campaign_id is not None else None
    if request.campaign_id is not None and campaign is None:
        raise NotFound("Không tìm thấy phong trào thi đua.")
    assignee = session.get(User, request.assignee_id) if request.assignee_id is not None else None
    if request.action == "reassign" and assignee is None:
        raise InvalidInput("Không tìm thấy người nhận được chọn.")
    targets: list[tuple[int | None, int | None]] = [(case_id, None) for case_id in dict.fromkeys(request.case_ids)]
    if request.unit_ids:
        found = dict(session.execute(select(Case.unit_id, Case.id).where(
            Case.campaign_id == campaign.id, Case.kind == CaseKind.UNIT, Case.unit_id.in_(request.unit_ids))).all())
        targets += [(found.get(unit_id), unit_id) for unit_id in dict.fromkeys(request.unit_ids)]
    names = _unit_names(session, targets)
    jobs = []
    for case_id, unit_id in targets:
        if case_id is None:
            command = RemindUnit(campaign, unit_id, scope, request.reason) if request.action == "remind" else None
        else:
            command = _command(request, case_id, scope, assignee)
        jobs.append((command, case_id, unit_id, names.get(("unit", unit_id)) or names.get(("case", case_id), "")))
    if request.action == "remind" and len(jobs) >= PARALLEL_FROM and not is_sqlite(session):
        return _in_parallel(session, actor, jobs)
    return [_run_one(session, actor, *job) for job in jobs]


# Reminding hundreds of units is mostly waiting for the database (a round trip per statement, a commit per case):
# on PostgreSQL the transactions — still one per case, each locking only its own case, so they cannot deadlock —
# run on a few connections at once. SQLite has one writer, so there they run one after the other.
PARALLEL_FROM = 16
CONNECTIONS = 4


def _in_parallel(session: Session, actor: User, jobs: list) -> list[Outcome]:
    engine = session.get_bind()
    chunks = [jobs[i::CONNECTIONS] for i in range(CONNECTIONS)]

    def work(chunk):
        with Session(bind=engine, expire_on_commit=False) as own:
            me = own.get(User, actor.id)
            return [_run_one(own, me, *job) for job in chunk]

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        done = list(pool.map(work, chunks))
    by_job = {id(job): outcome for chunk, outcomes in zip(chunks, done) for job, outcome in zip(chunk, outcomes)}
    return [by_job[id(job)] for job in jobs]


def _run_one(session: Session, actor: User, command, case_id, unit_id, unit_name) -> Outcome:
    if command is None:
        return Outcome(None, unit_id, unit_name, False, 409, "Đơn vị chưa có hồ sơ cho phong trào này.")
    try:
        return Outcome(case_id, unit_id, unit_name, True, 200, execute(session, actor, command))
    except DomainError as exc:
        # 404: a case or unit the actor may not see — nothing about it is told, not even its name
        return Outcome(case_id, unit_id, unit_name if exc.status != 404 else "", False, exc.status, exc.message)


def _command(request: Request, case_id: int, scope, assignee):
    reason = request.reason.strip()
    if request.action == "remind":
        return Remind(case_id, scope, reason)
    if request.action == "reassign":
        return Reassign(case_id, scope, reason, assignee)
    if request.action == "extend":
        return Extend(case_id, scope, reason, request.new_deadline)
    return {"suspend": Suspend, "resume": Resume, "cancel": Cancel}[request.action](case_id, scope, reason)


def _unit_names(session: Session, targets) -> dict:
    """Names to show in the summary (a case the actor may not see gets none: see `apply`)."""
    case_ids = [c for c, _ in targets if c is not None]
    unit_ids = [u for _, u in targets if u is not None]
    names = {}
    if case_ids:
        for case_id, name, short in session.execute(select(Case.id, Unit.name, Unit.short_name)
                                                    .join(Unit, Unit.id == Case.unit_id).where(Case.id.in_(case_ids))):
            names[("case", case_id)] = short or name
    if unit_ids:
        for unit_id, name, short in session.execute(select(Unit.id, Unit.name, Unit.short_name)
                                                    .where(Unit.id.in_(unit_ids))):
            names[("unit", unit_id)] = short or name
    return names
