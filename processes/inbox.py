"""The inbox: tasks assigned to me and tasks of my roles in my units that I may claim, in due order.

Each half is one index range scan (ix_open_tasks_assignee, ix_open_tasks_queue) read in due order and cut at the
page's end, then merged; counts stop at COUNT_CAP. The cost follows the page size, not the number of open tasks.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session, joinedload

from .models import Case, OpenTask, RoleAssignment, User
from .paging import COUNT_CAP, page_count

PAGE_SIZE = 20
MAX_QUEUES_SCANNED = 8  # (unit, role) queues read one index scan each; more are joined in one query


@dataclass
class InboxPage:
    tasks: list[OpenTask]
    total: int  # exact up to COUNT_CAP; COUNT_CAP + 1 means "more than COUNT_CAP"
    page: int
    per_page: int

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page, COUNT_CAP)


def inbox(session: Session, user: User, page: int = 1, per_page: int = PAGE_SIZE) -> InboxPage:
    page = max(1, page)
    per_page = max(1, min(per_page, 200))
    window = page * per_page
    order = (OpenTask.sort_due, OpenTask.id)

    mine = (OpenTask.assignee_id == user.id,)
    sources = [select(OpenTask.sort_due, OpenTask.id).where(*mine)]
    counts = [select(OpenTask.id).where(*mine).limit(COUNT_CAP + 1).subquery()]
    pairs = {(r.unit_id, r.role) for r in user.roles}
    if len(pairs) <= MAX_QUEUES_SCANNED:
        for unit_id, role in pairs:
            queue = (OpenTask.unit_id == unit_id, OpenTask.role == role, OpenTask.assignee_id.is_(None))
            sources.append(select(OpenTask.sort_due, OpenTask.id).where(*queue))
            counts.append(select(OpenTask.id).where(*queue).limit(COUNT_CAP + 1).subquery())
    else:
        # Someone holding roles in many units: one join instead of a scan per queue.
        joined = (OpenTask.assignee_id.is_(None), RoleAssignment.user_id == user.id)
        on = (RoleAssignment.unit_id == OpenTask.unit_id) & (RoleAssignment.role == OpenTask.role)
        sources.append(select(OpenTask.sort_due, OpenTask.id).join(RoleAssignment, on).where(*joined))
        counts.append(select(OpenTask.id).join(RoleAssignment, on).where(*joined).limit(COUNT_CAP + 1).subquery())

    # One statement for the heads of every source, one for all the counts: round trips cost more than rows here.
    heads = union_all(*[select(q.order_by(*order).limit(window).subquery()) for q in sources])
    keys = sorted(tuple(row) for row in session.execute(heads))[window - per_page:window]
    total = min(COUNT_CAP + 1, session.scalar(select(sum(
        (select(func.count()).select_from(c).scalar_subquery() for c in counts[1:]),
        select(func.count()).select_from(counts[0]).scalar_subquery()))))
    ids = [task_id for _due, task_id in keys]
    if not ids:
        return InboxPage([], total, page, per_page)
    rows = session.scalars(
        select(OpenTask).where(OpenTask.id.in_(ids))
        .options(joinedload(OpenTask.case).joinedload(Case.campaign), joinedload(OpenTask.case).joinedload(Case.unit),
                 joinedload(OpenTask.assignee))
    ).unique().all()
    by_id = {t.id: t for t in rows}
    return InboxPage([by_id[i] for i in ids if i in by_id], total, page, per_page)
