"""An inbox people live in, through HTTP on both databases: assigning a task to a named colleague, delegating while
away (never beyond the delegation's unit and role), bulk claim / release / assign with a per-task summary, comments
with @mentions, the inbox's ETag poll — and the late path's task naming the deadline the unit missed."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from processes import clock, inbox, timer_worker
from processes.db import unit_of_work
from processes.models import AuditEvent, CaseComment, Notification, OpenTask, RoleAssignment, Unit, User
from processes.security import hash_password
from processes.seeding import DEMO_PASSWORD
from tests.factories import person, registered, shown, start, user
from tests.test_deadlines import DEADLINE, to_council, utc

OWNER, HEAD, SECRETARY = "vks-qb-dong-hoi.canbo", "vks-qb-dong-hoi.thutruong", "vks-qb-dong-hoi.thuky"
COLLEAGUE, SIBLING, PROVINCE = "vks-qb-dong-hoi.canbo2", "vks-qb-ba-don.canbo", "vks-quang-binh.tdkt"
REGISTRATION = {"nominees": [registered(person("Trần Thị Thủy", position="Kiểm sát viên"))]}


def add_user(session, username: str, full_name: str, *roles: tuple[str, str]) -> User:
    """A demo-password user holding each (unit code, role)."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    with unit_of_work(session):
        added = User(username=username, full_name=full_name, password_hash=hash_password(DEMO_PASSWORD),
                     unit_id=units[roles[0][0]].id)
        for code, role in roles:
            added.roles.append(RoleAssignment(unit_id=units[code].id, role=role))
        session.add(added)
    return added


@pytest.fixture
def colleague(session):
    return add_user(session, COLLEAGUE, "Nguyễn Văn Hai", ("vks-qb-dong-hoi", "unit_staff"))


def open_task(session, case) -> OpenTask:
    return session.scalar(select(OpenTask).where(OpenTask.case_id == case.id).execution_options(
        populate_existing=True))


def notices(session, username: str, kind: str) -> list[str]:
    return list(session.scalars(select(Notification.message).join(User, User.id == Notification.user_id)
                                .where(User.username == username, Notification.kind == kind)))


# --- assign ---------------------------------------------------------------------------------------------------------

def test_a_task_is_assigned_to_a_colleague_of_its_role_and_unit_only(app, session, api, browser, colleague):
    case = start(session, "vks-qb-dong-hoi")
    task = open_task(session, case)
    owner = api(OWNER)

    answer = owner.post(f"/api/tasks/{task.id}/assign", json={"assignee": COLLEAGUE})
    assert answer.status_code == 200 and answer.get_json()["assignee"] == COLLEAGUE
    assert notices(session, COLLEAGUE, "task_handed") == [
        f"{user(session, OWNER).full_name} giao cho bạn nhiệm vụ «{task.name}» của hồ sơ #{case.id} "
        f"(VKSND TP Đồng Hới)."]
    trail = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                    AuditEvent.action == "task_assigned"))
    assert trail.details["to"] == COLLEAGUE and trail.actor.username == OWNER

    # a colleague's claim now: the owner may not hand it on (409, naming who holds it); the colleague may
    refused = owner.post(f"/api/tasks/{task.id}/assign", json={"assignee": OWNER})
    assert refused.status_code == 409
    assert refused.get_json()["message"] == "Nhiệm vụ đã được Nguyễn Văn Hai nhận xử lý."
    # never another role, never another unit
    for other in (SECRETARY, SIBLING):
        wrong = api(COLLEAGUE).post(f"/api/tasks/{task.id}/assign", json={"assignee": other})
        assert wrong.status_code == 400
        assert wrong.get_json()["message"] == ("Chỉ giao được cho đồng nghiệp đang giữ vai trò «Cán bộ đơn vị» "
                                               "của VKSND TP Đồng Hới.")
    assert open_task(session, case).assignee.username == COLLEAGUE
    # who may not see the case is told nothing; who sees it but holds neither role nor supervision may not
    sibling = api(SIBLING).post(f"/api/tasks/{task.id}/assign", json={"assignee": OWNER})
    assert (sibling.status_code, sibling.get_json()["message"]) == (404, "Không tìm thấy nhiệm vụ.")
    assert api(PROVINCE).post(f"/api/tasks/{task.id}/assign", json={"assignee": OWNER}).status_code == 403

    # the unit's head supervises: hands it back through the task page's form
    head = browser(HEAD)
    page = head.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'class="mt-3 assign-form"' in page and "Nguyễn Văn Hai" in page
    response = head.post_form(f"/tasks/{task.id}", f"/tasks/{task.id}/assign", {"assignee": user(session, OWNER).id})
    assert response.status_code == 302
    assert open_task(session, case).assignee.username == OWNER
    assert "Giao cho" in browser(OWNER).get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_hand_over_the_assignee_releases_at_once_still_answers_who_got_it(app, session, browser, monkeypatch,
                                                                            colleague):
    """The head hands the task to a colleague, who releases it before the page's answer reads the task back: the
    head is told whom it was handed to (the hand-over happened), not a 500 over a task with no assignee."""
    from sqlalchemy.orm import Session as CoreSession

    from processes import assignment, cases

    case = start(session, "vks-qb-dong-hoi")
    task_id = open_task(session, case).id
    real = assignment.execute

    def then_released(s, actor, command):
        result = real(s, actor, command)
        with CoreSession(bind=s.get_bind()) as other:
            cases.release_task(other, user(other, COLLEAGUE), task_id)
        return result

    monkeypatch.setattr(assignment, "execute", then_released)
    head = browser(HEAD)
    response = head.post_form(f"/tasks/{task_id}", f"/tasks/{task_id}/assign", {"assignee": colleague.id})
    assert response.status_code == 302
    assert "cho Nguyễn Văn Hai." in shown(head.get(response.headers["Location"]))  # the flash: «Đã giao «…» cho …»
    assert open_task(session, case).assignee_id is None  # the release, after the hand-over
    assert list(session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task_id)
                                .order_by(AuditEvent.id)))[-2:] == ["task_assigned", "task_released"]


# --- delegate -------------------------------------------------------------------------------------------------------

def test_a_delegate_sees_and_completes_the_delegators_tasks_in_that_unit_only(app, session, api, browser):
    # the delegator holds the staff role in two units; the delegate in Đồng Hới only
    away = add_user(session, "hai-don-vi.canbo", "Lê Thị Vắng", ("vks-qb-dong-hoi", "unit_staff"),
                    ("vks-qb-ba-don", "unit_staff"))
    add_user(session, COLLEAGUE, "Nguyễn Văn Hai", ("vks-qb-dong-hoi", "unit_staff"))
    dong_hoi, ba_don = start(session, "vks-qb-dong-hoi"), start(session, "vks-qb-ba-don")
    mine, elsewhere = open_task(session, dong_hoi), open_task(session, ba_don)
    delegator, delegate = api("hai-don-vi.canbo"), api(COLLEAGUE)
    for task in (mine, elsewhere):
        assert delegator.post(f"/api/tasks/{task.id}/claim").status_code == 200

    before = delegate.post(f"/api/tasks/{mine.id}/complete", json=REGISTRATION)
    assert before.status_code == 409 and before.get_json()["message"] == "Nhiệm vụ đã được Lê Thị Vắng nhận xử lý."

    # the page: dd/mm/yyyy, Việt Nam days; a colleague of the same role and unit only
    web = browser("hai-don-vi.canbo")
    units = {u.code: u.id for u in session.scalars(select(Unit))}
    refused = web.post_form("/delegations", "/delegations", {
        "scope": f"{units['vks-qb-ba-don']}:unit_staff", "delegate": user(session, COLLEAGUE).id,
        "starts_on": "16/08/2024", "ends_on": "20/08/2024"})
    assert refused.status_code == 422
    ba_don_name = session.get(Unit, units["vks-qb-ba-don"]).display_name
    assert (f"Người nhận ủy quyền phải là đồng nghiệp đang giữ vai trò «Cán bộ đơn vị» của {ba_don_name}."
            in shown(refused))
    assert "Chọn một đồng nghiệp cùng vai trò và đơn vị." in shown(refused)  # beside the field
    bad_dates = web.post_form("/delegations", "/delegations", {
        "scope": f"{units['vks-qb-dong-hoi']}:unit_staff", "delegate": user(session, COLLEAGUE).id,
        "starts_on": "20/08/2024", "ends_on": "16/08/2024"})
    assert bad_dates.status_code == 422 and "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu." in shown(bad_dates)
    made = web.post_form("/delegations", "/delegations", {
        "scope": f"{units['vks-qb-dong-hoi']}:unit_staff", "delegate": user(session, COLLEAGUE).id,
        "starts_on": "16/08/2024", "ends_on": "20/08/2024", "reason": "Đi công tác"})
    assert made.status_code == 302
    assert notices(session, COLLEAGUE, "delegation") == [
        "Lê Thị Vắng ủy quyền cho bạn xử lý nhiệm vụ «Cán bộ đơn vị» của VKSND TP Đồng Hới từ 16/08/2024 đến "
        "20/08/2024."]
    listed = web.get("/delegations").get_data(as_text=True)
    assert "Nguyễn Văn Hai" in listed and "16/08/2024 – 20/08/2024" in listed and "Đang hiệu lực" in listed

    # the delegate's inbox: the Đồng Hới task, marked; never the Ba Đồn one
    inbox = browser(COLLEAGUE).get("/").get_data(as_text=True)
    assert f'data-task="{mine.id}"' in inbox and "ủy quyền từ Lê Thị Vắng" in inbox
    assert f'data-task="{elsewhere.id}"' not in inbox
    assert [t["id"] for t in delegate.get("/api/tasks").get_json()["items"]] == [mine.id]
    assert [t["id"] for t in delegate.get("/api/tasks?who=delegated").get_json()["items"]] == [mine.id]
    assert delegate.get("/api/tasks").get_json()["items"][0]["delegated_from"] == "Lê Thị Vắng"
    other_unit = delegate.post(f"/api/tasks/{elsewhere.id}/complete", json=REGISTRATION)
    assert (other_unit.status_code, other_unit.get_json()["message"]) == (404, "Không tìm thấy nhiệm vụ.")
    assert delegate.post(f"/api/tasks/{elsewhere.id}/claim").status_code == 404
    task_page = browser(COLLEAGUE).get(f"/tasks/{mine.id}").get_data(as_text=True)
    assert "Bạn xử lý nhiệm vụ này theo ủy quyền từ Lê Thị Vắng (đến hết 20/08/2024)." in task_page

    done = delegate.post(f"/api/tasks/{mine.id}/complete", json=REGISTRATION)
    assert done.status_code == 200, done.get_json()
    completed = session.scalar(select(AuditEvent).where(AuditEvent.case_id == dong_hoi.id,
                                                        AuditEvent.action == "task_completed"))
    assert completed.actor.username == COLLEAGUE

    # the API: a unit where the delegator holds no role is refused (403); a delegation ends
    refused = delegator.post("/api/delegations", json={"delegate": COLLEAGUE, "unit_id": units["vks-qb-le-thuy"],
                                                       "role": "unit_staff", "starts_on": "2024-08-16",
                                                       "ends_on": "2024-08-17"})
    assert refused.status_code == 403
    rows = delegator.get("/api/delegations").get_json()
    assert [d["state"] for d in rows["given"]] == ["active"] and rows["received"] == []
    ended = delegator.post(f"/api/delegations/{rows['given'][0]['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["state"] == "ended"
    assert api(SIBLING).post(f"/api/delegations/{rows['given'][0]['id']}/end").status_code == 404


def test_a_delegation_counts_only_within_its_days(app, session, api, colleague):
    case = start(session, "vks-qb-dong-hoi")
    task = open_task(session, case)
    owner = api(OWNER)
    assert owner.post(f"/api/tasks/{task.id}/claim").status_code == 200
    coming = owner.post("/api/delegations", json={"delegate": COLLEAGUE, "unit_id": case.unit_id,
                                                  "role": "unit_staff", "starts_on": "17/08/2024",
                                                  "ends_on": "18/08/2024"})
    assert coming.status_code == 201 and coming.get_json()["state"] == "coming"
    assert api(COLLEAGUE).get("/api/tasks").get_json()["total"] == 0  # 16/08: not yet
    previous = clock.set_clock(clock.FrozenClock(utc(dt.datetime(2024, 8, 17, 7, 0, tzinfo=clock.VN_TZ))))
    try:
        assert api(COLLEAGUE).get("/api/tasks").get_json()["total"] == 1
        delegate = user(session, COLLEAGUE)
        # the page's ETag comes with its counts; the poll's from its own statement: the same tasks, the same token
        assert inbox.facets(session, delegate).token == inbox.state_token(session, delegate) != "0-0-0-0"
        clock.set_clock(clock.FrozenClock(utc(dt.datetime(2024, 8, 19, 0, 1, tzinfo=clock.VN_TZ))))
        assert api(COLLEAGUE).get("/api/tasks").get_json()["total"] == 0  # 19/08, 00:01 in Việt Nam: over
    finally:
        clock.set_clock(previous)
    past = owner.post("/api/delegations", json={"delegate": COLLEAGUE, "unit_id": case.unit_id, "role": "unit_staff",
                                                "starts_on": "2024-08-01", "ends_on": "2024-08-15"})
    assert past.status_code == 422 and past.get_json()["fields"] == {"ends_on": ["Ngày này đã qua."]}


# --- bulk -----------------------------------------------------------------------------------------------------------

def test_bulk_actions_report_each_task(app, session, api, browser, colleague):
    mine, theirs = start(session, "vks-qb-dong-hoi"), start(session, "vks-qb-ba-don")
    ids = [open_task(session, mine).id, open_task(session, theirs).id]
    owner = api(OWNER)
    answer = owner.post("/api/tasks/bulk", json={"action": "claim", "task_ids": ids + [987654]}).get_json()
    assert answer["succeeded"] == 1
    assert [(r["task_id"], r["ok"], r["message"]) for r in answer["results"]] == [
        (ids[0], True, "Đã nhận xử lý."), (ids[1], False, "Không tìm thấy nhiệm vụ."),
        (987654, False, "Không tìm thấy nhiệm vụ.")]
    assert answer["results"][1]["task_name"] == ""  # nothing said about a task the caller may not see

    assign = owner.post("/api/tasks/bulk", json={"action": "assign", "task_ids": ids[:1], "assignee": COLLEAGUE})
    assert assign.get_json()["results"][0]["message"] == "Đã giao cho Nguyễn Văn Hai."
    assert owner.post("/api/tasks/bulk", json={"action": "delete", "task_ids": ids}).status_code == 400

    # the inbox's checkboxes: a summary line, then one line per task saying how it went
    web = browser(COLLEAGUE)
    response = web.post_form("/", "/inbox/bulk", {"action": "release", "task": [str(ids[0])]})
    assert response.status_code == 302
    again = web.post_form("/", "/inbox/bulk", {"action": "release", "task": [str(ids[0])]})
    page = web.get(again.headers["Location"]).get_data(as_text=True)
    assert "Trả về hàng chờ: 0/1 nhiệm vụ thành công." in page
    name = open_task(session, mine).name
    assert f"#{ids[0]} «{name}»: Bạn chưa nhận nhiệm vụ này nên không thể trả lại." in page
    assert 'id="bulk-form"' in page and 'name="task"' in page


# --- comments -------------------------------------------------------------------------------------------------------

def test_comments_mention_colleagues_who_may_see_the_case_escaped_and_limited(app, session, api, browser):
    case = start(session, "vks-qb-dong-hoi")
    owner = browser(OWNER)
    text = "@vks-qb-dong-hoi.thuky xin bổ sung biên bản <script>alert(1)</script> @vks-qb-ba-don.canbo @khong-co."
    response = owner.post_form(f"/cases/{case.id}", f"/cases/{case.id}/comments", {"body": text})
    assert response.status_code == 302
    told = notices(session, SECRETARY, "mention")
    assert told == [f"{user(session, OWNER).full_name} nhắc đến bạn trong hồ sơ #{case.id} (VKSND TP Đồng Hới): {text}"]
    assert notices(session, SIBLING, "mention") == []  # may not see the case: not told, not revealed
    page = owner.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Bình luận" in page and 'class="mt-1 comment-text"' in page

    listed = api(SECRETARY).get(f"/api/cases/{case.id}/comments").get_json()["items"]
    assert listed[0]["body"] == text and listed[0]["mention_ids"] == [user(session, SECRETARY).id]
    assert api(SIBLING).get(f"/api/cases/{case.id}/comments").status_code == 404
    too_long = api(OWNER).post(f"/api/cases/{case.id}/comments", json={"body": "x" * 2001})
    assert too_long.status_code == 422 and too_long.get_json()["message"] == "Bình luận tối đa 2.000 ký tự."
    empty = owner.post_form(f"/cases/{case.id}", f"/cases/{case.id}/comments", {"body": "   "})
    assert empty.status_code == 422 and "Bình luận không được để trống." in shown(empty)
    stranger = api(SIBLING).post(f"/api/cases/{case.id}/comments", json={"body": "xem thử"})
    assert (stranger.status_code, stranger.get_json()["message"]) == (404, "Không tìm thấy hồ sơ.")
    assert session.scalar(select(func.count(CaseComment.id))) == 1

    # the autocomplete lists only people who may see the case
    found = owner.get(f"/cases/{case.id}/mentions?q=dong-hoi.thuky").get_json()["items"]
    assert [u["username"] for u in found] == [SECRETARY]
    assert owner.get(f"/cases/{case.id}/mentions?q=ba-don").get_json()["items"] == []
    assert [u["username"] for u in owner.get(f"/cases/{case.id}/mentions?q=@vks-quang-binh.tdkt").get_json()["items"]] == [
        PROVINCE]
    assert browser(SIBLING).get(f"/cases/{case.id}/mentions?q=a").status_code == 404


# --- the inbox's poll -------------------------------------------------------------------------------------------------

def test_the_inbox_state_is_a_conditional_get_that_changes_when_a_colleague_claims(app, session, browser, colleague):
    case = start(session, "vks-qb-dong-hoi")
    me = browser(OWNER)
    first = me.get("/inbox/state")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag in me.get("/").get_data(as_text=True).replace("&#34;", '"').replace(
        "&quot;", '"')
    assert me.get("/inbox/state", headers={"If-None-Match": etag}).status_code == 304
    other = browser(COLLEAGUE)
    other.post_form("/", f"/tasks/{open_task(session, case).id}/claim", {})
    changed = me.get("/inbox/state", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


# --- the late path's words --------------------------------------------------------------------------------------------

@pytest.fixture
def frozen():
    frozen = clock.FrozenClock(utc(dt.datetime(2024, 8, 16, 8, 0, tzinfo=clock.VN_TZ)))
    previous = clock.set_clock(frozen)
    yield frozen
    clock.set_clock(previous)


def test_the_late_task_names_the_deadline_the_unit_missed(app, session, browser, api, frozen):
    case_id = to_council(browser, session)
    frozen.at = utc(DEADLINE) + dt.timedelta(minutes=5)
    timer_worker.fire_due(session)
    late = session.scalar(select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.bpmn_id == "late_decision"))
    words = ("VKSND TP Đồng Hới chưa trình hồ sơ khi hết hạn nộp ngày 23/08/2024 (hết ngày, giờ Việt Nam); "
             "hồ sơ bị đánh dấu quá hạn lúc 00:04 24/08/2024; hồ sơ của đơn vị đang ở bước "
             "«Hội đồng TĐKT xem xét». Chấp nhận để đơn vị tiếp tục nộp muộn (ghi rõ lý do), hoặc đóng hồ sơ là "
             "không nộp.")
    page = browser(PROVINCE).get(f"/tasks/{late.id}").get_data(as_text=True)
    assert re.search(r'task-instructions">([^<]*)<', page).group(1) == words
    assert api(PROVINCE).get(f"/api/tasks/{late.id}").get_json()["instructions"] == words
