"""Delegating one's tasks while away: a user's tasks of one role in one unit are seen and done by a colleague who
holds the same role in the same unit, for a range of local days (Asia/Ho_Chi_Minh, both ends included).

What a delegation changes, and nothing more:
- the delegate's inbox also lists the tasks the delegator has claimed (or was assigned) *in that unit and role*,
  marked "ủy quyền từ …" (the unclaimed queue of that role they see anyway, holding the role);
- the delegate may complete, release or hand on those tasks (`acting_for`, asked by the task verbs' permission).
A delegation never reaches another unit or another role: both are fixed on the row, and both users must hold that
role in that unit when it is created, or it is refused. Two verbs (create, end), each through the executor.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from . import clock
from .errors import Forbidden, InvalidInput, NotFound, ValidationFailed
from .executor import Command, execute
from .models import Delegation, Notification, OpenTask, RoleAssignment, Unit, User
from .notifications import email_status
from .roles import role_label

DELEGATION_NOT_FOUND = "Không tìm thấy ủy quyền."
MAX_DAYS = 92  # a quarter: longer absences are a change of roles, not a delegation
MAX_OPEN_PER_USER = 20


def today() -> dt.date:
    return clock.to_local(clock.now()).date()


def active_conditions(day: dt.date):
    """A delegation in force on `day` (not ended early, the day within its range)."""
    return (Delegation.ended_at.is_(None), Delegation.starts_on <= day, Delegation.ends_on >= day)


def active_for_delegate(session: Session, user: User, day: dt.date | None = None) -> list[Delegation]:
    """The delegations I act under today (ix_delegations_delegate: delegate, ends_on)."""
    day = day or today()
    return list(session.scalars(select(Delegation).where(Delegation.delegate_id == user.id, *active_conditions(day))
                                .options(joinedload(Delegation.delegator)).order_by(Delegation.id)))


def acting_for(session: Session, user: User, task: OpenTask) -> Delegation | None:
    """The delegation under which `user` may act on `task`, claimed by someone else; None when there is none."""
    if task.assignee_id is None or task.assignee_id == user.id:
        return None
    return session.scalar(select(Delegation).where(
        Delegation.delegate_id == user.id, Delegation.delegator_id == task.assignee_id,
        Delegation.unit_id == task.unit_id, Delegation.role == task.role, *active_conditions(today())).limit(1))


def delegated_condition(delegations: list[Delegation]):
    """Open tasks held by my delegators, each within its delegation's unit and role (served by
    ix_open_tasks_assignee); None when I act for nobody."""
    if not delegations:
        return None
    return or_(*[and_(OpenTask.assignee_id == d.delegator_id, OpenTask.unit_id == d.unit_id, OpenTask.role == d.role)
                 for d in delegations])


@dataclass
class DelegationLists:
    given: list[Delegation]  # mine to others, current and coming first, then the last ended ones
    received: list[Delegation]


def listed(session: Session, user: User, limit: int = 50) -> DelegationLists:
    def rows(column):
        return list(session.scalars(select(Delegation).where(column == user.id)
                                    .options(joinedload(Delegation.delegator), joinedload(Delegation.delegate),
                                             joinedload(Delegation.unit))
                                    .order_by(Delegation.ends_on.desc(), Delegation.id.desc()).limit(limit)))
    return DelegationLists(rows(Delegation.delegator_id), rows(Delegation.delegate_id))


def state_of(d: Delegation, day: dt.date | None = None) -> str:
    day = day or today()
    if d.ended_at is not None or d.ends_on < day:
        return "ended"
    return "active" if d.starts_on <= day else "coming"


STATE_LABELS = {"active": "Đang hiệu lực", "coming": "Sắp hiệu lực", "ended": "Đã kết thúc"}


def colleagues(session: Session, user: User) -> list[tuple[RoleAssignment, list[User]]]:
    """For each role I hold in a unit, the active colleagues holding it there (whom I may delegate to)."""
    out = []
    for mine in sorted(user.roles, key=lambda r: (r.unit_id, r.role)):
        others = list(session.scalars(
            select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.unit_id == mine.unit_id, RoleAssignment.role == mine.role, User.id != user.id,
                   User.active.is_(True)).order_by(User.full_name, User.id)))
        out.append((mine, others))
    return out


class CreateDelegation(Command):
    name = "create_delegation"

    def __init__(self, delegate_id: int, unit_id: int, role: str, starts_on: dt.date, ends_on: dt.date,
                 reason: str = ""):
        self.delegate_id, self.unit_id, self.role = delegate_id, unit_id, role
        self.starts_on, self.ends_on, self.reason = starts_on, ends_on, (reason or "").strip()

    def target(self, tx):
        return tx.session.get(User, self.delegate_id)

    def authorize(self, tx, delegate):
        if not tx.actor.holds(self.role, self.unit_id):
            raise Forbidden("Bạn chỉ ủy quyền được công việc của vai trò bạn đang giữ trong đơn vị của mình.")

    def run(self, tx, delegate):
        unit = tx.session.get(Unit, self.unit_id)
        if delegate is None or delegate.id == tx.actor.id or not delegate.active \
                or not delegate.holds(self.role, self.unit_id):
            raise ValidationFailed(
                f"Người nhận ủy quyền phải là đồng nghiệp đang giữ vai trò «{role_label(self.role)}» "
                f"của {unit.display_name}.", {"delegate": ["Chọn một đồng nghiệp cùng vai trò và đơn vị."]})
        if self.ends_on < self.starts_on:
            raise ValidationFailed("Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.",
                                   {"ends_on": ["Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."]})
        if self.ends_on < today():
            raise ValidationFailed("Khoảng thời gian ủy quyền đã qua.", {"ends_on": ["Ngày này đã qua."]})
        if (self.ends_on - self.starts_on).days + 1 > MAX_DAYS:
            raise ValidationFailed(f"Mỗi lần ủy quyền tối đa {MAX_DAYS} ngày.",
                                   {"ends_on": [f"Tối đa {MAX_DAYS} ngày kể từ ngày bắt đầu."]})
        if len(self.reason) > 300:
            raise ValidationFailed("Ghi chú tối đa 300 ký tự.", {"reason": ["Tối đa 300 ký tự."]})
        current = [d for d in listed(tx.session, tx.actor).given if state_of(d) != "ended"]
        if len(current) >= MAX_OPEN_PER_USER:
            raise InvalidInput(f"Bạn đang có {len(current)} ủy quyền chưa kết thúc; hãy kết thúc bớt.")
        row = Delegation(delegator_id=tx.actor.id, delegate_id=delegate.id, unit_id=self.unit_id, role=self.role,
                         starts_on=self.starts_on, ends_on=self.ends_on, reason=self.reason)
        tx.session.add(row)
        tx.session.add(Notification(
            email_status=email_status(),
            user_id=delegate.id, kind="delegation",
            message=(f"{tx.actor.full_name} ủy quyền cho bạn xử lý nhiệm vụ «{role_label(self.role)}» của "
                     f"{unit.display_name} từ {clock.format_date(self.starts_on)} đến "
                     f"{clock.format_date(self.ends_on)}.")[:500],
            link="/delegations"))
        tx.session.flush()
        return row


class EndDelegation(Command):
    """The delegator ends it (today, before its last day); the delegate may give it back too."""
    name = "end_delegation"

    def __init__(self, delegation_id: int):
        self.delegation_id = delegation_id

    def target(self, tx):
        return tx.session.get(Delegation, self.delegation_id)

    def authorize(self, tx, row):
        if row is None or tx.actor.id not in (row.delegator_id, row.delegate_id):
            raise NotFound(DELEGATION_NOT_FOUND)

    def run(self, tx, row):
        if row.ended_at is None:
            row.ended_at = clock.now()
        return row


def create(session: Session, user: User, delegate_id: int, unit_id: int, role: str, starts_on: dt.date,
           ends_on: dt.date, reason: str = "") -> Delegation:
    return execute(session, user, CreateDelegation(delegate_id, unit_id, role, starts_on, ends_on, reason))


def end(session: Session, user: User, delegation_id: int) -> Delegation:
    return execute(session, user, EndDelegation(delegation_id))
