"""The supervisors' dashboard and interventions against the core: rows per participating unit, flags, steps,
projections; extend / suspend / resume / cancel / remind / reassign and what they do to timers and tasks."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import pytest
from sqlalchemy import func, select, update

from processes import cases, clock, interventions, timer_worker
from processes.contracts import CaseStatus, TimerStatus
from processes.db import unit_of_work
from processes.errors import Conflict, Forbidden, NotFound
from processes.models import (AuditEvent, Campaign, Case, CaseTimer, FlagSnapshot, Notification, OpenTask,
                               RoleAssignment, User)
from processes.supervision import board, flag_snapshots, history, overview, paths, scope
from processes.supervision.flags import Flag
from tests.factories import QB, ids_of, start, user

SUPERVISOR = "vks-quang-binh.tdkt"


@pytest.fixture(autouse=True)
def fresh_history():
    history.forget()
    yield
    history.forget()


def at(day: int, hour: int = 8, month: int = 8) -> None:
    """Put the clock at `hour`:00 on day/month/2024 in Việt Nam (the conftest fixture restores it)."""
    clock.set_clock(clock.ShiftedClock(dt.datetime(2024, month, day, hour) - dt.timedelta(hours=7)))


def qb(session) -> Campaign:
    return session.scalar(select(Campaign).where(Campaign.code == QB))


def rows_by_code(session, username=SUPERVISOR):
    result = board.board(session, user(session, username), qb(session).id, per_page=500)
    return {r.unit_code: r for r in result.rows}, result


def act(session, username, action, case_ids=(), unit_ids=(), **kw):
    return interventions.apply(session, user(session, username), interventions.Request(
        action=action, case_ids=list(case_ids), unit_ids=list(unit_ids), campaign_id=qb(session).id, **kw))


def test_every_participating_unit_is_a_row_also_without_a_case(session):
    case = start(session, "vks-qb-dong-hoi")
    rows, result = rows_by_code(session)
    participants = qb(session).details["participants"]
    assert set(rows) == set(participants) and result.units == len(participants)
    row = rows["vks-qb-dong-hoi"]
    assert row.case_id == case.id and row.step == "register_nominees"
    assert row.step_name == "Đăng ký danh sách đề nghị khen thưởng" and row.role == "unit_staff"
    staff = user(session, "vks-qb-dong-hoi.canbo").full_name
    assert staff in row.holder and row.working_days_in_step == 0
    assert row.deadline == qb(session).deadline_at and row.flag == Flag.ON_TIME
    # the projection: the four unit steps at their default 1.5 days from the start of this one
    assert row.projected_finish == row.in_step_since + dt.timedelta(days=6)
    idle = rows["vks-qb-ba-don"]
    assert idle.case_id is None and idle.flag == Flag.NOT_STARTED and idle.step_name == "Chưa tạo hồ sơ"
    assert result.counts["not_started"] == len(participants) - 1 and result.counts["on_time"] == 1


def test_flags_follow_the_clock_the_threshold_and_the_status(session):
    case = start(session, "vks-qb-dong-hoi")
    with unit_of_work(session):
        session.execute(update(Campaign).where(Campaign.code == QB).values(stall_working_days=2))
    at(20)  # Tuesday: two working days (19, 20) in the first step
    rows, _ = rows_by_code(session)
    assert rows["vks-qb-dong-hoi"].working_days_in_step == 2 and rows["vks-qb-dong-hoi"].flag == Flag.STALLED
    with unit_of_work(session):
        session.execute(update(Campaign).where(Campaign.code == QB).values(stall_working_days=None))
    at(21)  # 2 days 16 hours before the deadline: inside the 3 reminder days
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].flag == Flag.AT_RISK
    at(24)  # the deadline (23/8) has passed; the worker has not run yet
    rows, result = rows_by_code(session)
    assert rows["vks-qb-dong-hoi"].flag == Flag.OVERDUE and rows["vks-qb-ba-don"].flag == Flag.OVERDUE
    assert result.counts["not_started"] == 0
    timer_worker.fire_due(session)  # the deadline timer fires: the case is marked late
    assert session.get(Case, case.id, populate_existing=True).status == CaseStatus.LATE
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].flag == Flag.OVERDUE


def test_filters_search_sort_and_steps(session):
    start(session, "vks-qb-dong-hoi")
    start(session, "vks-qb-le-thuy")
    sup = user(session, SUPERVISOR)
    campaign_id = qb(session).id
    started = board.board(session, sup, campaign_id, flag="on_time")
    assert {r.unit_code for r in started.rows} == {"vks-qb-dong-hoi", "vks-qb-le-thuy"} and started.total == 2
    assert [r.unit_code for r in board.board(session, sup, campaign_id, q="lệ thủy").rows] == ["vks-qb-le-thuy"]
    names = [r.unit_name for r in board.board(session, sup, campaign_id, sort="unit", per_page=500).rows]
    assert names == sorted(names, key=str.casefold)
    paged = board.board(session, sup, campaign_id, sort="unit", per_page=5, page=2)
    assert len(paged.rows) == 5 and paged.pages == 3
    _, steps = board.steps(session, sup, campaign_id)
    assert [(s.step, s.units) for s in steps] == [("register_nominees", 2)]
    with pytest.raises(Exception, match="không hợp lệ"):
        board.board(session, sup, campaign_id, flag="bogus")


def test_who_supervises(session):
    campaign_id = qb(session).id
    with pytest.raises(Forbidden, match="cán bộ theo dõi"):
        board.board(session, user(session, "vks-qb-dong-hoi.canbo"), campaign_id)
    with pytest.raises(NotFound, match="Không tìm thấy phong trào"):  # a district head supervises no unit below
        board.board(session, user(session, "vks-qb-dong-hoi.thutruong"), campaign_id)
    with pytest.raises(NotFound, match="Không tìm thấy phong trào"):  # another province
        board.board(session, user(session, "vks-da-nang.tdkt"), campaign_id)
    top = board.board(session, user(session, "vkstc.tdkt"), campaign_id, per_page=500)
    assert top.units == len(qb(session).details["participants"])


def test_usual_durations_come_from_finished_cases(session):
    usual = {"register_nominees": 1.0, "record_minutes": 0.5}
    assert history.days_for(usual, "record_minutes") == 0.5
    assert history.days_for(usual, "council_review") == history.DEFAULT_STEP_DAYS
    diagram = paths.read(open("bpmn/nomination.bpmn", encoding="utf-8").read())
    assert diagram.first == ["register_nominees", "record_minutes", "council_review", "submit_dossier"]
    assert diagram.left["council_review"] == ["submit_dossier"]


def test_extend_moves_the_timers_and_the_unit_leaves_overdue(session):
    case = start(session, "vks-qb-dong-hoi")
    at(24)
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].flag == Flag.OVERDUE
    [outcome] = act(session, SUPERVISOR, "extend", [case.id], reason="Đơn vị xin thêm thời gian",
                    new_deadline=dt.date(2024, 8, 30))
    assert outcome.ok, outcome.message
    new = clock.end_of_local_day(dt.date(2024, 8, 30))
    timers = {t.bpmn_id: t.fire_at for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == case.id))}
    assert timers == {"deadline_timer": new, "reminder_timer": new - dt.timedelta(days=3)}
    assert session.get(Case, case.id, populate_existing=True).deadline_at == new
    assert session.scalar(select(OpenTask.due_at).where(OpenTask.case_id == case.id)) == new
    # no longer overdue; five working days (19–23/8) in its first step: stalled, which is what it now is
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].flag == Flag.STALLED
    assert timer_worker.fire_due(session).fired == 0  # nothing due any more
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                    AuditEvent.action == "deadline_extended"))
    assert event.details["reason"] == "Đơn vị xin thêm thời gian" and event.details["timers"] == 2
    at(28)  # the moved reminder fires
    assert timer_worker.fire_due(session).fired == 1
    assert session.scalar(select(Notification.id).where(Notification.case_id == case.id,
                                                        Notification.kind == "reminder")) is not None


def test_extend_a_late_case_clears_late_and_refuses_an_earlier_date(session):
    case = start(session, "vks-qb-dong-hoi")
    at(24)
    timer_worker.fire_due(session)
    assert session.get(Case, case.id, populate_existing=True).status == CaseStatus.LATE
    [refused] = act(session, SUPERVISOR, "extend", [case.id], reason="x", new_deadline=dt.date(2024, 8, 20))
    assert not refused.ok and refused.status == 400 and "Hạn mới phải sau" in refused.message
    [done] = act(session, SUPERVISOR, "extend", [case.id], reason="Gia hạn", new_deadline=dt.date(2024, 8, 30))
    assert done.ok
    row = session.get(Case, case.id, populate_existing=True)
    assert row.status == CaseStatus.RUNNING and row.late_at is None


def test_suspend_holds_and_resume_restores(session):
    case = start(session, "vks-qb-dong-hoi")
    [done] = act(session, SUPERVISOR, "suspend", [case.id], reason="Chờ xác minh")
    assert done.ok
    assert session.get(Case, case.id, populate_existing=True).status == CaseStatus.SUSPENDED
    assert session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id)) is None
    statuses = set(session.scalars(select(CaseTimer.status).where(CaseTimer.case_id == case.id)))
    assert statuses == {TimerStatus.HELD}
    at(24)
    assert timer_worker.fire_due(session).fired == 0  # held timers do not fire
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].flag == Flag.SUSPENDED
    [again] = act(session, SUPERVISOR, "suspend", [case.id], reason="lần nữa")
    assert not again.ok and again.status == 409 and "Tạm dừng" in again.message
    [resumed] = act(session, SUPERVISOR, "resume", [case.id])
    assert resumed.ok
    assert session.get(Case, case.id, populate_existing=True).status == CaseStatus.RUNNING
    assert session.scalar(select(OpenTask.bpmn_id).where(OpenTask.case_id == case.id)) == "register_nominees"
    assert timer_worker.fire_due(session).fired == 1  # the deadline passed while it was held: it fires now


def test_a_suspended_case_cannot_be_worked_on(session):
    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    act(session, SUPERVISOR, "suspend", [case.id], reason="Chờ xác minh")
    with pytest.raises((NotFound, Conflict)):
        cases.complete_task(session, user(session, "vks-qb-dong-hoi.canbo"), task_id, {"nominees": []})


def test_cancel_ends_the_case(session):
    case = start(session, "vks-qb-dong-hoi")
    [done] = act(session, SUPERVISOR, "cancel", [case.id], reason="Trùng hồ sơ")
    assert done.ok
    row = session.get(Case, case.id, populate_existing=True)
    assert row.status == CaseStatus.CANCELLED and row.completed_at is not None
    assert session.scalar(select(CaseTimer.id).where(CaseTimer.case_id == case.id)) is None
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].flag == Flag.CANCELLED
    with pytest.raises(Exception, match="Cần ghi lý do"):
        act(session, SUPERVISOR, "cancel", [case.id])


def test_remind_tells_the_holders_and_a_unit_without_case_its_staff(session):
    case = start(session, "vks-qb-dong-hoi")
    _, ba_don = ids_of(session, QB, "vks-qb-ba-don")
    _, dong_hoi = ids_of(session, QB, "vks-qb-dong-hoi")
    outcomes = act(session, SUPERVISOR, "remind", unit_ids=[dong_hoi, ba_don], reason="Khẩn trương")
    assert [o.ok for o in outcomes] == [True, True], [o.message for o in outcomes]
    told = set(session.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                               .where(Notification.kind == "supervision_reminder")))
    assert told == {"vks-qb-dong-hoi.canbo", "vks-qb-ba-don.canbo", "vks-qb-ba-don.thutruong"}
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.case_id == case.id,
                                                      AuditEvent.action == "supervisor_reminded")) is not None


def test_reassign_to_a_colleague_of_the_same_role(session):
    case = start(session, "vks-qb-dong-hoi")
    _, dong_hoi = ids_of(session, QB, "vks-qb-dong-hoi")
    with unit_of_work(session):
        colleague = User(username="vks-qb-dong-hoi.canbo2", full_name="Trần Thị Hoa", password_hash="x",
                         unit_id=dong_hoi)
        colleague.roles.append(RoleAssignment(unit_id=dong_hoi, role="unit_staff"))
        session.add(colleague)
    colleague_id = colleague.id
    [done] = act(session, SUPERVISOR, "reassign", [case.id], assignee_id=colleague_id)
    assert done.ok, done.message
    assert session.scalar(select(OpenTask.assignee_id).where(OpenTask.case_id == case.id)) == colleague_id
    assert rows_by_code(session)[0]["vks-qb-dong-hoi"].holder == "Trần Thị Hoa"
    secretary = user(session, "vks-qb-dong-hoi.thuky")
    [refused] = act(session, SUPERVISOR, "reassign", [case.id], assignee_id=secretary.id)
    assert not refused.ok and refused.status == 400 and "không giữ vai trò «Cán bộ đơn vị»" in refused.message


def test_only_supervisors_above_the_unit_may_act(session):
    case = start(session, "vks-qb-dong-hoi")
    [other] = act(session, "vks-da-nang.tdkt", "remind", [case.id])
    assert not other.ok and other.status == 404 and other.message == "Không tìm thấy hồ sơ." and not other.unit_name
    [own] = act(session, "vks-qb-dong-hoi.thutruong", "remind", [case.id])
    assert not own.ok and own.status == 403 and "không giám sát" in own.message
    with pytest.raises(Forbidden):
        act(session, "vks-qb-dong-hoi.canbo", "remind", [case.id])


def test_daily_digest_tells_supervisors_what_became_worrying(session):
    from processes import digest

    start(session, "vks-qb-dong-hoi")
    at(21)  # Đồng Hới's case is at risk; the units that have not started are not yet worrying
    report = digest.run(session)
    assert report.per_campaign[QB] == 1
    told = dict(session.execute(select(User.username, Notification.message).join(
        Notification, Notification.user_id == User.id).where(Notification.kind == "supervision_digest")).all())
    assert {"vks-quang-binh.tdkt", "vks-quang-binh.thutruong", "vkstc.tdkt"} <= set(told)
    assert "vks-da-nang.tdkt" not in told and "vks-qb-dong-hoi.thutruong" not in told
    assert "VKSND TP Đồng Hới (sắp trễ)" in told["vks-quang-binh.tdkt"]
    assert digest.run_if_due(session).skipped  # once a day
    assert digest.run(session).per_campaign[QB] == 0  # nothing new since
    at(24)
    assert digest.run_if_due(session).per_campaign[QB] == len(qb(session).details["participants"])  # all overdue


def test_reminding_many_units_at_once(session, monkeypatch):
    """On PostgreSQL a large selection runs on several connections (still one transaction per case)."""
    monkeypatch.setattr(interventions, "PARALLEL_FROM", 2)
    for code in ("vks-qb-dong-hoi", "vks-qb-le-thuy", "vks-qb-ba-don"):
        start(session, code)
    units = [ids_of(session, QB, code)[1] for code in qb(session).details["participants"]]
    outcomes = act(session, SUPERVISOR, "remind", unit_ids=units)
    assert [o.unit_id for o in outcomes] == units and all(o.ok for o in outcomes), [o.message for o in outcomes]
    reminded = session.scalars(select(AuditEvent.case_id).where(AuditEvent.action == "supervisor_reminded")).all()
    assert len(reminded) == 3
    told = session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.kind == "supervision_reminder"))
    assert told == 3 + 2 * 9  # the three cases' staff; the nine units without a case: staff and head


def test_exported_text_never_runs_as_a_formula():
    import io

    from openpyxl import load_workbook

    from processes.supervision import exports

    lines = [[1, "=HYPERLINK(\"http://evil.example\")", "-2+3", "Nguyễn Văn An", 5]]
    workbook = load_workbook(io.BytesIO(b"".join(exports.xlsx_chunks("t", ["a", "b", "c", "d", "e"], lines))))
    cells = [c.value for c in workbook.active[2]]
    assert cells == [1, "'=HYPERLINK(\"http://evil.example\")", "'-2+3", "Nguyễn Văn An", 5]
    assert all(c.data_type != "f" for c in workbook.active[2])
    text = b"".join(exports.csv_chunks(["a"], lines)).decode("utf-8")
    assert "'=HYPERLINK" in text and "'-2+3" in text


def test_the_overview_counts_one_page_of_campaigns_newest_first(session):
    """A province holds a round a year: the overview pages its campaigns (newest deadline first) and counts the
    units of the page's campaigns only; another province's supervisor sees none of them."""
    source = qb(session)
    start(session, "vks-qb-dong-hoi")
    with unit_of_work(session):
        session.add_all(Campaign(code=f"qb-past-{year}", name=f"Đợt {year}", issuer_id=source.issuer_id,
                                 receiving_unit_id=source.receiving_unit_id, deadline=dt.date(year, 8, 23),
                                 process_id=source.process_id, status="closed", details=dict(source.details))
                        for year in range(2012, 2024))
    sup = user(session, SUPERVISOR)
    first = overview.overview(session, sup)
    assert first.total >= 13 and first.pages == -(-first.total // 10) and len(first.rows) == 10
    assert first.rows[0].campaign.code == QB and first.rows[0].units == 12
    assert first.rows[0].counts == {"on_time": 1, "not_started": 11}
    past = [r.campaign.code for r in first.rows if r.campaign.code.startswith("qb-past-")]
    assert past == [f"qb-past-{year}" for year in range(2023, 2023 - len(past), -1)]
    second = overview.overview(session, sup, page=2)
    assert [r.campaign.code for r in second.rows][-1] == "qb-past-2012" and second.rows[-1].counts == {"overdue": 12}
    assert overview.overview(session, sup, page=10 ** 6).rows == []
    assert not any(r.campaign.code.startswith("qb-") for r in overview.overview(session, user(session, "vks-da-nang.tdkt"),
                                                                             per_page=500).rows)


def _qb_counts(session) -> dict[str, int]:
    return next(r.counts for r in overview.overview(session, user(session, SUPERVISOR), per_page=500).rows
                if r.campaign.code == QB)


def _recounted(session) -> dict[str, int]:
    overview.forget()
    return _qb_counts(session)


def test_the_overviews_kept_counts_follow_every_change_and_the_clock(session, monkeypatch):
    """The overview keeps each campaign's flags in the process; a change to a case, to its tasks, to the campaign
    or the passing of the minute counts afresh — and an unchanged campaign is not recomputed."""
    computed = []
    real = flag_snapshots.unit_rows
    monkeypatch.setattr(flag_snapshots, "unit_rows", lambda *a, **kw: computed.append(1) or real(*a, **kw))
    at(12)
    assert _qb_counts(session) == {"not_started": 12}
    assert _qb_counts(session) == {"not_started": 12} and len(computed) == 1  # kept: nothing changed
    case = start(session, "vks-qb-dong-hoi")  # a new case and its first task
    started = _qb_counts(session)
    assert started["not_started"] == 11 and started == _recounted(session)
    with unit_of_work(session):  # the step started long ago (as a repair would write it)
        session.execute(update(OpenTask).where(OpenTask.case_id == case.id)
                        .values(created_at=dt.datetime(2024, 7, 1)))
    stalled = _qb_counts(session)
    assert stalled == {"stalled": 1, "not_started": 11} == _recounted(session)
    with unit_of_work(session):  # the campaign's own threshold
        session.execute(update(Campaign).where(Campaign.code == QB).values(stall_working_days=100))
    session.expire_all()
    relaxed = _qb_counts(session)
    assert "stalled" not in relaxed and relaxed == _recounted(session)
    computed.clear()
    at(24)  # the clock alone: past the deadline
    assert _qb_counts(session) == {"overdue": 12} and len(computed) == 1


def test_the_timer_workers_snapshots_serve_every_worker_until_something_changes(session, monkeypatch):
    """The timer worker's refresh stores each campaign's flags; a web worker that never computed them (a fresh
    process) counts from the snapshot without flagging a unit — until a case changes, or the clock moves past the
    snapshot's freshness, when it flags the campaign itself; a refresh of an unchanged campaign writes nothing."""
    at(12)
    start(session, "vks-qb-dong-hoi")
    assert flag_snapshots.refresh_due(session, budget=0) == 0  # no time for any: the next pass does them
    assert flag_snapshots.refresh_due(session) >= 1
    stored = session.scalar(select(FlagSnapshot).join(Campaign).where(Campaign.code == QB))
    assert sorted(stored.flags.values()).count("not_started") == 11 and not stored.settled
    assert flag_snapshots.refresh_due(session) == 0  # nothing changed, and the snapshot is young
    computed = []
    real = flag_snapshots.unit_rows
    monkeypatch.setattr(flag_snapshots, "unit_rows", lambda *a, **kw: computed.append(1) or real(*a, **kw))
    assert _recounted(session) == {"on_time": 1, "not_started": 11} and computed == []  # read, not computed
    start(session, "vks-qb-le-thuy")
    assert _recounted(session) == {"on_time": 2, "not_started": 10} and len(computed) == 1  # the change is seen
    flag_snapshots.refresh_due(session)  # the worker catches up: a new process reads again
    computed.clear()
    assert _recounted(session) == {"on_time": 2, "not_started": 10} and computed == []
    clock.set_clock(clock.ShiftedClock(clock.now() + dt.timedelta(seconds=flag_snapshots.FRESH + 1)))
    assert _recounted(session) == {"on_time": 2, "not_started": 10} and len(computed) == 1  # too old: recomputed
    computed.clear()
    assert flag_snapshots.refresh_due(session) >= 1 and len(computed) >= 1  # and the worker rewrites it


def test_a_settled_campaigns_snapshot_outlives_the_clock(session, monkeypatch):
    """A campaign whose every unit is past the deadline unsent (overdue) or decided does not change with the clock:
    its snapshot serves however old it is, and the worker leaves it alone once the campaign is closed."""
    at(24)  # past the deadline: every unit overdue
    assert flag_snapshots.refresh_due(session) >= 1
    stored = session.scalar(select(FlagSnapshot).join(Campaign).where(Campaign.code == QB))
    assert stored.settled and set(stored.flags.values()) == {"overdue"}
    with unit_of_work(session):
        session.execute(update(Campaign).where(Campaign.code == QB).values(status="closed"))
    clock.set_clock(clock.ShiftedClock(clock.now() + dt.timedelta(days=30)))
    flag_snapshots.refresh_due(session)  # the other (open, unsettled) campaigns are refreshed; not this one
    assert session.scalar(select(FlagSnapshot.computed_at).where(FlagSnapshot.campaign_id == stored.campaign_id)) \
        == stored.computed_at
    computed = []
    real = flag_snapshots.unit_rows
    monkeypatch.setattr(flag_snapshots, "unit_rows", lambda *a, **kw: computed.append(1) or real(*a, **kw))
    assert _recounted(session) == {"overdue": 12} and computed == []


def test_the_dashboard_reads_its_rows_from_the_snapshot_until_something_changes(session, monkeypatch):
    """The timer worker's snapshot holds the dashboard's rows too (who holds each step included): a worker that
    never built them shows them as built — field for field — and builds them itself once a case changes."""
    at(12)
    start(session, "vks-qb-dong-hoi")
    flag_snapshots.refresh_due(session)
    overview.forget()  # a fresh web worker
    built = []
    real = board.unit_rows
    monkeypatch.setattr(board, "unit_rows", lambda *a, **kw: built.append(1) or real(*a, **kw))
    shown, _ = rows_by_code(session)
    assert built == []
    assert shown["vks-qb-dong-hoi"].flag == "on_time" and shown["vks-qb-dong-hoi"].holder
    campaign, units = scope.campaign_for(session, user(session, SUPERVISOR), qb(session).id)
    fresh = {r.unit_code: r for r in real(session, campaign, units)}
    assert len(shown) == len(fresh) == 12
    for code, row in fresh.items():  # the round trip through JSON keeps every field (projections move with now)
        assert {**asdict(shown[code]), "projected_finish": None} == {**asdict(row), "projected_finish": None}
        assert (shown[code].projected_finish is None) == (row.projected_finish is None)
    start(session, "vks-qb-le-thuy")  # a change the snapshot does not know: built afresh, and shown
    shown, _ = rows_by_code(session)
    assert len(built) == 1 and shown["vks-qb-le-thuy"].flag == "on_time"


@pytest.mark.logs_errors("tdkt.supervision")
def test_a_campaign_that_cannot_be_flagged_does_not_stop_the_refresh(session, monkeypatch):
    """The timer worker refreshes snapshots between firing timers: one campaign whose flags fail (broken data) is
    logged and skipped, the others are written, and nothing is left half-done."""
    at(12)
    real = flag_snapshots.unit_rows

    def broken_for_qb(session_, campaign, *args, **kw):
        if campaign.code == QB:
            raise ValueError("hỏng dữ liệu")
        return real(session_, campaign, *args, **kw)

    monkeypatch.setattr(flag_snapshots, "unit_rows", broken_for_qb)
    written = flag_snapshots.refresh_due(session)
    stored = set(session.scalars(select(Campaign.code).join(FlagSnapshot)))
    assert written == len(stored) >= 1 and QB not in stored
    monkeypatch.setattr(flag_snapshots, "unit_rows", real)
    assert flag_snapshots.refresh_due(session) >= 1
    assert QB in set(session.scalars(select(Campaign.code).join(FlagSnapshot)))
