"""Migrating waiting cases onto a new version of their process (processes/case_migration.py), at core depth on both
databases: a new version is published in the test (a user task added in the unit's path), a waiting case moves
onto it and the new task comes after its current one; loops and form-only changes migrate; a removed step blocks; a
waiting task changing lanes needs a decision; deadline timers are recomputed, none lost or doubled; reverting
works the same way."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from processes import case_migration, clock, diagram_versions, workflows
from processes.engine import runner
from processes.case_migration import BLOCKED, DECIDE, MIGRATE
from processes.db import unit_of_work
from processes.errors import Forbidden
from processes.models import AuditEvent, Campaign, Case, CaseTimer, DiagramVersion, OpenTask, User

from .bpmn_edit import CONSOLIDATION, add_user_task, by_id, edit, one, remove, shape
from .conftest import CAMPAIGN_TIME
from .factories import MEETING, QB, all_for, complete, people, registered, start, submitted, user

UNIT = "vks-qb-dong-hoi"
NOMINEES = people(1)


def _admin(session) -> User:
    return session.scalar(select(User).where(User.is_admin.is_(True)))


def with_head_review(root):
    """The unit head looks the minutes over before the council: a step added in the unit's path."""
    add_user_task(root, "head_review", "Thủ trưởng xem trước biên bản", after="record_minutes", lane="unit_head",
                  form="council-review-schema.json", ui_form="council-review-uischema.json")


def publish(session, change) -> DiagramVersion:
    return diagram_versions.publish(session, edit(change), user=_admin(session))


def at_minutes(session, unit=UNIT) -> Case:
    """A case whose nominees are registered: it waits for the minutes."""
    case = start(session, unit)
    return complete(session, case, f"{unit}.canbo", {"nominees": [registered(n) for n in NOMINEES]})


def open_steps(session, case) -> list[tuple[str, str]]:
    return [(r.bpmn_id, r.role) for r in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id)
                                                          .order_by(OpenTask.id))]


def timers_of(session, case) -> list[tuple[str, dt.datetime]]:
    return sorted((r.bpmn_id, r.fire_at) for r in session.scalars(select(CaseTimer).where(
        CaseTimer.case_id == case.id)))


def reload(session, case) -> Case:
    session.expire_all()
    return session.get(Case, case.id)


def test_a_waiting_case_moves_onto_the_new_version_and_the_new_step_comes_next(session):
    case = at_minutes(session)
    timers_before = timers_of(session, case)
    assert [t for t, _ in timers_before] == ["deadline_timer", "reminder_timer"]
    new = publish(session, with_head_review)

    plan = case_migration.migrate_cases(session, _admin(session), new, "dry_run")
    assert plan.counts == {MIGRATE: 1, DECIDE: 0, BLOCKED: 0}
    assert plan.per_step == {"record_minutes": {MIGRATE: 1, DECIDE: 0, BLOCKED: 0}}
    assert reload(session, case).diagram_version_id != new.id  # a dry run writes nothing

    report = case_migration.migrate_cases(session, _admin(session), new, "apply")
    assert report.migrated == 1 and report.failed == 0
    case = reload(session, case)
    assert case.diagram_version_id == new.id
    assert open_steps(session, case) == [("record_minutes", "unit_secretary")]
    assert timers_of(session, case) == timers_before  # none lost, none doubled, same campaign dates
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                    AuditEvent.action == "case_migrated"))
    assert event.details["from_version"] == 1 and event.details["to_version"] == new.version

    complete(session, case, f"{UNIT}.thuky", {**MEETING, **all_for(NOMINEES)})
    assert open_steps(session, case) == [("head_review", "unit_head")]
    assert reload(session, case).current_step == "Thủ trưởng xem trước biên bản"


def test_a_case_that_went_through_a_return_loop_migrates(session):
    case = at_minutes(session)
    complete(session, case, f"{UNIT}.thuky", {**MEETING, **all_for(NOMINEES)})
    complete(session, case, f"{UNIT}.hoidong", {"council_decision": "return", "council_reason": "Bổ sung biên bản."})
    assert open_steps(session, case) == [("record_minutes", "unit_secretary")]  # back, for the second time
    new = publish(session, with_head_review)
    assert case_migration.migrate_cases(session, _admin(session), new, "apply").migrated == 1
    complete(session, case, f"{UNIT}.thuky", {**MEETING, **all_for(NOMINEES)})
    assert open_steps(session, case) == [("head_review", "unit_head")]
    complete(session, case, f"{UNIT}.thutruong", {"council_decision": "approve"})
    assert open_steps(session, case) == [("council_review", "unit_council")]


def test_a_form_only_change_migrates_and_the_open_task_takes_the_new_form(session):
    case = at_minutes(session)

    def change(root):
        remove(one(root, "//bpmn:userTask[@id='record_minutes']//spiffworkflow:property"
                         "[@name='formUiSchemaFilename']"))
        one(root, "//bpmn:userTask[@id='record_minutes']").set("name", "Lập biên bản họp (mẫu mới)")
    new = publish(session, change)
    report = case_migration.migrate_cases(session, _admin(session), new, "apply")
    assert [(c.verdict, c.migrated) for c in report.cases] == [(MIGRATE, True)]
    row = session.scalar(select(OpenTask).where(OpenTask.case_id == case.id))
    assert (row.bpmn_id, row.name, row.form, row.ui_form) == (
        "record_minutes", "Lập biên bản họp (mẫu mới)", "record-minutes-schema.json", "")


def test_a_waiting_task_that_changes_lane_needs_a_decision(session):
    case = at_minutes(session)
    def change(root):
        remove(one(root, "//bpmn:flowNodeRef[text()='record_minutes']"))
        ref = one(root, "//bpmn:lane[@name='unit_head']")
        ref.append(ref.makeelement(ref[-1].tag))
        ref[-1].text = "record_minutes"
    new = publish(session, change)
    plan = case_migration.plan_migration(session, "tdkt_nomination", new.version)
    assert [(c.case_id, c.verdict) for c in plan.cases] == [(case.id, DECIDE)]
    assert plan.cases[0].reasons == ["Nhiệm vụ đang chờ «Lập biên bản họp bình xét» chuyển từ làn «unit_secretary» "
                                     "sang làn «unit_head»: người xử lý sẽ thay đổi."]
    assert case_migration.migrate_cases(session, _admin(session), new, "apply").migrated == 0
    report = case_migration.migrate_cases(session, _admin(session), new, "apply", include_decisions=True)
    assert report.migrated == 1
    assert open_steps(session, case) == [("record_minutes", "unit_head")]


def without_council_review(root):
    """The council's review dropped: what reached it (the minutes, a head's return to the council) goes straight to
    the gateway, which now reads the minutes; the council's own return to the staff goes with it."""
    remove(by_id(root, "council_review"))
    remove(one(root, "//bpmn:flowNodeRef[text()='council_review']"))
    remove(shape(root, "council_review"))
    for flow in ("flow_council_done", "flow_council_to_staff"):
        remove(by_id(root, flow))
        remove(shape(root, flow))
    remove(one(root, "//bpmn:exclusiveGateway[@id='merge_register']/bpmn:incoming[text()='flow_council_to_staff']"))
    remove(one(root, "//bpmn:exclusiveGateway[@id='council_gateway']/bpmn:outgoing[text()='flow_council_to_staff']"))
    one(root, "//bpmn:sequenceFlow[@id='flow_to_council']").set("targetRef", "council_gateway")
    one(root, "//bpmn:exclusiveGateway[@id='council_gateway']/bpmn:incoming").text = "flow_to_council"
    one(root, "//bpmn:sequenceFlow[@id='flow_council_return']/bpmn:conditionExpression").text = \
        "members_present < 1"


def test_a_case_waiting_at_or_past_a_removed_step_is_blocked(session):
    waiting = at_minutes(session)
    past = at_minutes(session, "vks-qb-le-thuy")
    complete(session, past, "vks-qb-le-thuy.thuky", {**MEETING, **all_for(NOMINEES)})
    complete(session, past, "vks-qb-le-thuy.hoidong", {"council_decision": "approve"})
    at_review = at_minutes(session, "vks-qb-ba-don")
    complete(session, at_review, "vks-qb-ba-don.thuky", {**MEETING, **all_for(NOMINEES)})
    new = publish(session, without_council_review)
    plan = {c.case_id: c for c in case_migration.plan_migration(session, "tdkt_nomination", new.version).cases}
    assert plan[waiting.id].verdict == MIGRATE
    assert plan[past.id].verdict == BLOCKED
    assert plan[past.id].reasons == ["Hồ sơ đã đi qua «Hội đồng TĐKT xem xét», bước này không còn trong phiên bản mới."]
    assert plan[at_review.id].reasons == [
        "Hồ sơ đang ở «Hội đồng TĐKT xem xét», bước này không còn trong phiên bản mới."]
    report = case_migration.migrate_cases(session, _admin(session), new, "apply")
    assert {c.case_id: c.migrated for c in report.cases} == {waiting.id: True, past.id: False, at_review.id: False}
    assert reload(session, past).diagram_version_id != new.id


def test_deadline_timers_are_recomputed_from_the_campaigns_dates(session):
    case = at_minutes(session)
    before = dict(timers_of(session, case))
    with unit_of_work(session):
        session.execute(update(Campaign).where(Campaign.code == QB).values(deadline=dt.date(2024, 8, 30)))
    new = publish(session, with_head_review)
    case_migration.migrate_cases(session, _admin(session), new, "apply")
    after = dict(timers_of(session, case))
    assert after["deadline_timer"] - before["deadline_timer"] == dt.timedelta(days=7)
    assert after["reminder_timer"] - before["reminder_timer"] == dt.timedelta(days=7)
    assert len(after) == len(before) == 2


def test_reverting_to_the_old_version_works_the_same_way(session):
    case = at_minutes(session)
    old = session.get(DiagramVersion, case.diagram_version_id)
    new = publish(session, with_head_review)
    assert case_migration.migrate_cases(session, _admin(session), new, "apply").migrated == 1
    back = case_migration.migrate_cases(session, _admin(session), old, "apply")
    assert back.migrated == 1 and reload(session, case).diagram_version_id == old.id
    complete(session, case, f"{UNIT}.thuky", {**MEETING, **all_for(NOMINEES)})
    assert open_steps(session, case) == [("council_review", "unit_council")]


def test_only_process_owners_migrate(session):
    at_minutes(session)
    new = publish(session, with_head_review)
    with pytest.raises(Forbidden) as refused:
        case_migration.migrate_cases(session, user(session, f"{UNIT}.canbo"), new, "dry_run")
    assert refused.value.message == "Chỉ người quản lý quy trình mới được chuyển hồ sơ sang phiên bản sơ đồ khác."


def test_a_review_period_keeps_its_fire_time_and_the_case_keeps_its_place(session):
    case = submitted(session, UNIT, NOMINEES)
    assert open_steps(session, case) == [("provincial_check", "provincial_reviewer")]
    before = timers_of(session, case)
    assert [t for t, _ in before] == ["provincial_review_timer"]
    previous = clock.set_clock(clock.ShiftedClock(CAMPAIGN_TIME + dt.timedelta(days=2)))
    try:
        new = publish(session, with_head_review)
        assert case_migration.migrate_cases(session, _admin(session), new, "apply").migrated == 1
    finally:
        clock.set_clock(previous)
    assert timers_of(session, case) == before  # counted from when the check began, not from the migration
    assert open_steps(session, case) == [("provincial_check", "provincial_reviewer")]


def test_a_consolidation_case_keeps_the_candidates_the_units_forwarded(session):
    unit_case = submitted(session, UNIT, NOMINEES)
    complete(session, unit_case, "vks-quang-binh.tdkt", {"check_decision": "accept"}, "provincial_check")
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    candidates = parent.data["candidates"]
    assert [c["name"] for c in candidates] == [n["name"] for n in NOMINEES]
    new = diagram_versions.publish(session, edit(
        lambda r: by_id(r, "select_nominees").set("name", "Hội đồng TĐKT lựa chọn (mẫu mới)"), CONSOLIDATION),
        user=_admin(session))
    report = case_migration.migrate_cases(session, _admin(session), new, "apply")
    assert [(c.case_id, c.migrated) for c in report.cases] == [(parent.id, True)]
    parent = reload(session, parent)
    assert parent.diagram_version_id == new.id and parent.data["candidates"] == candidates
    row = session.scalar(select(OpenTask).where(OpenTask.case_id == parent.id))
    assert (row.bpmn_id, row.name) == ("select_nominees", "Hội đồng TĐKT lựa chọn (mẫu mới)")


def test_a_draft_shows_what_publishing_it_would_do_to_each_step(session):
    at_minutes(session)
    at_minutes(session, "vks-qb-le-thuy")
    start(session, "vks-qb-ba-don")
    plan = case_migration.plan_draft(session, "tdkt_nomination", edit(with_head_review))
    assert plan.version == 0 and plan.counts == {MIGRATE: 3, DECIDE: 0, BLOCKED: 0}
    assert plan.per_step == {"record_minutes": {MIGRATE: 2, DECIDE: 0, BLOCKED: 0},
                             "register_nominees": {MIGRATE: 1, DECIDE: 0, BLOCKED: 0}}
    assert session.scalar(select(func.count()).select_from(DiagramVersion).where(
        DiagramVersion.process_id == "tdkt_nomination")) == 1  # nothing published


def test_a_case_with_a_timer_incident_is_blocked_until_it_is_resolved(session):
    case = at_minutes(session)
    with unit_of_work(session):
        session.execute(update(CaseTimer).where(CaseTimer.case_id == case.id, CaseTimer.bpmn_id == "reminder_timer")
                        .values(status="incident", last_error="ScriptRejected"))
    new = publish(session, with_head_review)
    plan = case_migration.plan_migration(session, "tdkt_nomination", new.version)
    assert [(c.verdict, c.reasons) for c in plan.cases] == [(BLOCKED, [case_migration.INCIDENT])]
    assert case_migration.migrate_cases(session, _admin(session), new, "apply").migrated == 0
    assert reload(session, case).diagram_version_id != new.id


def test_a_case_waiting_for_the_decision_migrates_and_still_receives_it(session):
    case = submitted(session, UNIT, NOMINEES)
    complete(session, case, "vks-quang-binh.tdkt", {"check_decision": "accept"}, "provincial_check")
    step = reload(session, case).current_step
    assert step == "Chờ quyết định của trung ương"
    new = publish(session, with_head_review)
    report = case_migration.migrate_cases(session, _admin(session), new, "apply")
    assert {c.case_id: c.migrated for c in report.cases}[case.id]
    case = reload(session, case)
    assert case.diagram_version_id == new.id and case.current_step == step
    state = session.scalar(select(Case.workflow_state).where(Case.id == case.id))
    workflow = runner.restore(workflows.loaded(session, new.id), state)
    runner.deliver_message(workflow, "tdkt.decided", {"decision_number": "1/QĐ", "decision_date": "2024-09-01",
                                                      "decision_authority": "VKSTC", "awards": []})
    assert runner.is_completed(workflow)


def _untouched_facts(session, case) -> tuple:
    """Everything apply must leave as it was on a case it does not move: the row (version, counter, state), its
    open-task rows and its timer rows as stored."""
    session.expire_all()
    row = session.execute(select(Case.diagram_version_id, Case.version, Case.workflow_state, Case.current_step,
                                 Case.status).where(Case.id == case.id)).one()
    tasks = session.execute(select(OpenTask.id, OpenTask.task_uuid, OpenTask.bpmn_id, OpenTask.name, OpenTask.role,
                                   OpenTask.unit_id, OpenTask.assignee_id, OpenTask.form, OpenTask.due_at)
                            .where(OpenTask.case_id == case.id).order_by(OpenTask.id)).all()
    timers = session.execute(select(CaseTimer.id, CaseTimer.task_uuid, CaseTimer.bpmn_id, CaseTimer.fire_at,
                                    CaseTimer.status).where(CaseTimer.case_id == case.id)
                             .order_by(CaseTimer.id)).all()
    return tuple(row), tasks, timers


def test_apply_moves_only_the_safe_cases_and_leaves_decisions_and_blocked_ones_untouched(session):
    """One publish whose change makes each verdict: the minutes move to the head's lane (a case waiting there would
    change hands: a decision), the council's review is dropped (a case waiting at it, or past it, cannot move), a
    case with a timer incident is blocked; only the case still at the registration moves. The others keep their
    version, state, open tasks and timers exactly, and the report names each with its reason."""
    fresh = start(session, UNIT)
    deciding = at_minutes(session, "vks-qb-le-thuy")
    at_review = at_minutes(session, "vks-qb-ba-don")
    complete(session, at_review, "vks-qb-ba-don.thuky", {**MEETING, **all_for(NOMINEES)})
    past = at_minutes(session, "vks-qb-bo-trach")
    complete(session, past, "vks-qb-bo-trach.thuky", {**MEETING, **all_for(NOMINEES)})
    complete(session, past, "vks-qb-bo-trach.hoidong", {"council_decision": "approve"})
    incident = start(session, "vks-qb-quang-trach")
    with unit_of_work(session):
        session.execute(update(CaseTimer).where(CaseTimer.case_id == incident.id,
                                                CaseTimer.bpmn_id == "reminder_timer")
                        .values(status="incident", last_error="ScriptRejected"))
    kept = {c.id: _untouched_facts(session, c) for c in (deciding, at_review, past, incident)}
    old_version = reload(session, fresh).diagram_version_id

    def change(root):
        without_council_review(root)
        remove(one(root, "//bpmn:flowNodeRef[text()='record_minutes']"))
        lane = one(root, "//bpmn:lane[@name='unit_head']")
        lane.append(lane.makeelement(lane[-1].tag))
        lane[-1].text = "record_minutes"
    new = publish(session, change)
    report = case_migration.migrate_cases(session, _admin(session), new, "apply")

    outcome = {c.case_id: c for c in report.cases}
    assert {i: (o.verdict, o.migrated) for i, o in outcome.items()} == {
        fresh.id: (MIGRATE, True), deciding.id: (DECIDE, False), at_review.id: (BLOCKED, False),
        past.id: (BLOCKED, False), incident.id: (BLOCKED, False)}
    assert report.counts == {MIGRATE: 1, DECIDE: 1, BLOCKED: 3} and report.migrated == 1 and report.failed == 0
    assert outcome[deciding.id].reasons == [
        "Nhiệm vụ đang chờ «Lập biên bản họp bình xét» chuyển từ làn «unit_secretary» sang làn «unit_head»: "
        "người xử lý sẽ thay đổi."]
    assert outcome[at_review.id].reasons == [
        "Hồ sơ đang ở «Hội đồng TĐKT xem xét», bước này không còn trong phiên bản mới."]
    assert outcome[past.id].reasons == [
        "Hồ sơ đã đi qua «Hội đồng TĐKT xem xét», bước này không còn trong phiên bản mới."]
    assert outcome[incident.id].reasons == [case_migration.INCIDENT]
    as_json = {c["case_id"]: c for c in report.as_json()["cases"]}
    assert as_json[deciding.id]["verdict_label"] == "Cần quyết định"
    assert as_json[past.id]["verdict_label"] == "Không chuyển được"

    for case_id, before in kept.items():  # version, counter, state, open tasks, timers: all exactly as they were
        after = _untouched_facts(session, session.get(Case, case_id))
        assert after == before, case_id
        assert after[0][0] == old_version
    assert reload(session, fresh).diagram_version_id == new.id
    migrated_events = session.execute(select(AuditEvent.case_id).where(AuditEvent.action == "case_migrated")).all()
    assert [r.case_id for r in migrated_events] == [fresh.id]
