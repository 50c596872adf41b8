"""The inbox: tasks assigned to me and tasks of my roles in my units that I may claim, in due order.

Each half is one index range scan (ix_open_tasks_assignee, ix_open_tasks_queue) read in due order and cut at the
page's end, then merged; counts stop at COUNT_CAP. The cost follows the page size, not the number of open tasks.

With filters (`InboxFilter`: campaign, step, overdue / due within a week, mine / unclaimed / taken by a colleague,
a search on the task, unit and campaign names, due or newest first) the page is one query over the same visible
set — my tasks and my (unit, role) queues — and `facets` counts each filter's choices over that set, so the
filter bar says how many tasks each choice leaves.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, false, func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from . import delegation
from .clock import now
from .models import Campaign, Case, Delegation, OpenTask, RoleAssignment, Unit, User
from .paging import COUNT_CAP, CappedPaged

DUE_CHOICES = {"overdue": "Đã trễ hạn", "week": "Đến hạn trong 7 ngày"}
WHO_CHOICES = {"mine": "Tôi đã nhận", "unclaimed": "Chưa ai nhận", "delegated": "Được ủy quyền",
               "others": "Đồng nghiệp đã nhận"}
SORT_CHOICES = {"due": "Hạn gần nhất trước", "new": "Mới giao trước"}


@dataclass(frozen=True)
class InboxFilter:
    campaign_id: int | None = None
    step: str = ""  # a task's diagram id (register_nominees…)
    due: str = ""  # "" | "overdue" | "week"
    who: str = ""  # "" (mine, unclaimed, delegated to me) | "mine" | "unclaimed" | "delegated" | "others"
    q: str = ""
    sort: str = "due"

    @property
    def empty(self) -> bool:
        return self == InboxFilter()

    def args(self) -> dict:
        """The filter as query-string arguments (for the pager's links and the saved page)."""
        out = {"campaign": self.campaign_id, "step": self.step, "due": self.due, "who": self.who, "q": self.q,
               "sort": "" if self.sort == "due" else self.sort}
        return {k: v for k, v in out.items() if v}

    @classmethod
    def from_args(cls, args) -> "InboxFilter":
        """From request arguments; anything unknown is dropped rather than refused (a stale bookmark still opens)."""
        try:
            campaign_id = int(args.get("campaign") or 0) or None
        except ValueError:
            campaign_id = None
        if campaign_id is not None and not 0 < campaign_id < 2 ** 31:
            campaign_id = None
        return cls(campaign_id=campaign_id, step=(args.get("step") or "")[:120], due=_pick(args, "due", DUE_CHOICES),
                   who=_pick(args, "who", WHO_CHOICES), q=(args.get("q") or "").strip()[:100],
                   sort=_pick(args, "sort", SORT_CHOICES) or "due")


def _pick(args, key: str, allowed) -> str:
    value = args.get(key) or ""
    return value if value in allowed else ""


@dataclass
class Facets:
    """How many tasks each filter choice leaves, over the tasks I see (mine and my queues' unclaimed ones; colleagues'
    claimed ones counted under «who»)."""
    who: dict[str, int] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)
    campaigns: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, count)
    steps: list[tuple[str, str, int]] = field(default_factory=list)  # (bpmn_id, name, count)
    token: str = ""  # `state_token` of the same tasks, counted in the same statement (the page's ETag)


PAGE_SIZE = 20
MAX_QUEUES_SCANNED = 8  # (unit, role) queues read one index scan each; more are joined in one query


@dataclass
class InboxPage(CappedPaged):
    tasks: list[OpenTask]
    total: int  # exact up to COUNT_CAP; COUNT_CAP + 1 means "more than COUNT_CAP"
    page: int
    per_page: int
    # delegator id → name, for the tasks I see because a colleague delegated theirs to me ("ủy quyền từ …")
    delegated_from: dict[int, str] = field(default_factory=dict)


def _delegations(session: Session, user: User, given: list[Delegation] | None) -> list[Delegation]:
    """The delegations I act under today: as the page read them once for its list and its counts, else read now."""
    return delegation.active_for_delegate(session, user) if given is None else given


def _delegated_from(delegations) -> dict[int, str]:
    return {d.delegator_id: d.delegator.full_name for d in delegations}


def inbox(session: Session, user: User, page: int = 1, per_page: int = PAGE_SIZE,
          delegations: list[Delegation] | None = None) -> InboxPage:
    page = max(1, page)
    per_page = max(1, min(per_page, 200))
    window = page * per_page
    order = (OpenTask.sort_due, OpenTask.id)

    mine = (OpenTask.assignee_id == user.id,)
    sources = [select(OpenTask.sort_due, OpenTask.id).where(*mine)]
    counts = [select(OpenTask.id).where(*mine).limit(COUNT_CAP + 1).subquery()]
    delegations = _delegations(session, user, delegations)
    for d in delegations:  # my delegators' tasks, each within its delegation's unit and role
        held = (OpenTask.assignee_id == d.delegator_id, OpenTask.unit_id == d.unit_id, OpenTask.role == d.role)
        sources.append(select(OpenTask.sort_due, OpenTask.id).where(*held))
        counts.append(select(OpenTask.id).where(*held).limit(COUNT_CAP + 1).subquery())
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
        return InboxPage([], total, page, per_page, _delegated_from(delegations))
    rows = session.scalars(
        select(OpenTask).where(OpenTask.id.in_(ids))
        .options(joinedload(OpenTask.case).joinedload(Case.campaign), joinedload(OpenTask.case).joinedload(Case.unit),
                 joinedload(OpenTask.assignee))
    ).unique().all()
    by_id = {t.id: t for t in rows}
    return InboxPage([by_id[i] for i in ids if i in by_id], total, page, per_page, _delegated_from(delegations))


def _queues(user: User):
    """My (unit, role) queues as a condition; False when I hold no role."""
    pairs = sorted({(r.unit_id, r.role) for r in user.roles})
    return or_(*[and_(OpenTask.unit_id == u, OpenTask.role == r) for u, r in pairs]) if pairs else false()


def _choices(user: User, delegations=()) -> dict:
    """Every «who» choice as a condition — mine, my queues' unclaimed, colleagues' claimed in my queues, my
    delegators' — and "" for all I see, built once per request (the facets count each choice)."""
    mine, queues = OpenTask.assignee_id == user.id, _queues(user)
    unclaimed = and_(OpenTask.assignee_id.is_(None), queues)
    delegated = delegation.delegated_condition(list(delegations))
    others = and_(OpenTask.assignee_id.is_not(None), OpenTask.assignee_id != user.id, queues,
                  *([~delegated] if delegated is not None else []))
    seen = or_(mine, unclaimed, delegated) if delegated is not None else or_(mine, unclaimed)
    return {"mine": mine, "unclaimed": unclaimed, "others": others,
            "delegated": delegated if delegated is not None else false(), "": seen}


def _who(user: User, who: str, delegations=()):
    choices = _choices(user, delegations)
    return choices.get(who, choices[""])


def _conditions(user: User, f: InboxFilter, moment: dt.datetime, delegations=()) -> list:
    found = [_who(user, f.who, delegations)]
    if f.campaign_id:
        found.append(Case.campaign_id == f.campaign_id)
    if f.step:
        found.append(OpenTask.bpmn_id == f.step)
    if f.due == "overdue":
        found.append(OpenTask.due_at < moment)
    elif f.due == "week":
        found.append(and_(OpenTask.due_at >= moment, OpenTask.due_at < moment + dt.timedelta(days=7)))
    if f.q:
        like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found.append(or_(OpenTask.name.ilike(like, escape="\\"), Unit.name.ilike(like, escape="\\"),
                         Campaign.name.ilike(like, escape="\\")))
    return found


def _visible(query):
    return (query.join(Case, Case.id == OpenTask.case_id).join(Unit, Unit.id == Case.unit_id)
            .join(Campaign, Campaign.id == Case.campaign_id))


def filtered(session: Session, user: User, f: InboxFilter, page: int = 1, per_page: int = PAGE_SIZE,
             delegations: list[Delegation] | None = None) -> InboxPage:
    """One page of the tasks `f` leaves, in its order (due first, or newest first)."""
    page, per_page = max(1, page), max(1, min(per_page, 200))
    delegations = _delegations(session, user, delegations)
    where = _conditions(user, f, now(), delegations)
    total = session.scalar(select(func.count()).select_from(
        _visible(select(OpenTask.id)).where(*where).limit(COUNT_CAP + 1).subquery()))
    order = ((OpenTask.created_at.desc(), OpenTask.id.desc()) if f.sort == "new"
             else (OpenTask.sort_due, OpenTask.id))
    rows = session.scalars(
        _visible(select(OpenTask)).where(*where).order_by(*order).offset((page - 1) * per_page).limit(per_page)
        .options(joinedload(OpenTask.case).joinedload(Case.campaign), joinedload(OpenTask.case).joinedload(Case.unit),
                 joinedload(OpenTask.assignee))).unique().all()
    return InboxPage(list(rows), min(total, COUNT_CAP + 1), page, per_page, _delegated_from(delegations))


def facets(session: Session, user: User, delegations: list[Delegation] | None = None) -> Facets:
    """The counts beside each filter choice (a few grouped counts over the tasks I see)."""
    moment = now()
    delegations = _delegations(session, user, delegations)
    choices = _choices(user, delegations)
    seen = choices[""]
    result = Facets()
    # One statement for the "who" and "due" counts: each a FILTER over the tasks any of them can count (mine, my
    # queues', my delegators'), where six statements cost six round trips on every inbox page.
    counted = {who: choices[who] for who in WHO_CHOICES if who != "delegated" or delegations}
    counted["overdue"] = and_(seen, OpenTask.due_at < moment)
    counted["week"] = and_(seen, OpenTask.due_at >= moment, OpenTask.due_at < moment + dt.timedelta(days=7))
    row = session.execute(select(*(func.count(OpenTask.id).filter(cond) for cond in counted.values()),
                                 *_token_columns(OpenTask.id, OpenTask.assignee_id, seen))
                          .where(or_(seen, counted["others"]))).one()
    counts = dict(zip(counted, row))
    result.token = _token(row[len(counted):])
    result.who = {who: int(counts.get(who) or 0) for who in WHO_CHOICES}
    result.due["overdue"], result.due["week"] = int(counts["overdue"] or 0), int(counts["week"] or 0)
    result.campaigns = [tuple(r) for r in session.execute(
        select(Campaign.id, Campaign.name, func.count(OpenTask.id)).select_from(OpenTask)
        .join(Case, Case.id == OpenTask.case_id).join(Campaign, Campaign.id == Case.campaign_id)
        .where(seen).group_by(Campaign.id, Campaign.name).order_by(Campaign.name))]
    result.steps = [tuple(r) for r in session.execute(
        select(OpenTask.bpmn_id, func.min(OpenTask.name), func.count(OpenTask.id)).where(seen)
        .group_by(OpenTask.bpmn_id).order_by(func.min(OpenTask.name)))]
    return result


def state_token(session: Session, user: User) -> str:
    """A fingerprint of what my unfiltered inbox holds — which tasks, and who holds each — for the page's ETag poll:
    one statement, an aggregate over the visible set read as three index ranges (my tasks on
    ix_open_tasks_assignee, my queues' unclaimed ones on ix_open_tasks_queue, my delegators' held ones joined from
    my few current delegations). A task arriving, leaving or changing hands changes it."""
    columns = (OpenTask.id, OpenTask.assignee_id)
    held = and_(Delegation.delegator_id == OpenTask.assignee_id, Delegation.unit_id == OpenTask.unit_id,
                Delegation.role == OpenTask.role)
    seen = union_all(
        select(*columns).where(OpenTask.assignee_id == user.id),
        select(*columns).where(OpenTask.assignee_id.is_(None), _queues(user)),
        select(*columns).join(Delegation, held).where(Delegation.delegate_id == user.id,
                                                      *delegation.active_conditions(delegation.today())),
    ).subquery()
    return _token(session.execute(select(*_token_columns(seen.c.id, seen.c.assignee_id))).one())


def _token_columns(task_id, assignee_id, where=None) -> tuple:
    """The aggregates a state token is made of — how many tasks, which, and who holds them — over every row, or
    over the rows `where` holds (the facets' statement counts the token's tasks beside its own counts)."""
    def over(aggregate):
        return aggregate.filter(where) if where is not None else aggregate
    return (over(func.count(task_id)), func.coalesce(over(func.sum(task_id)), 0),
            func.coalesce(over(func.max(task_id)), 0),
            func.coalesce(over(func.sum(func.coalesce(assignee_id, 0))), 0))


def _token(values) -> str:
    return "-".join(str(int(v or 0)) for v in values)
