"""Every return path through the JSON API, on both databases: the step that refuses sends the case back with a
required reason to the step that can fix what it names; the reopened task carries the reason (`returned` in
GET /api/tasks/{id}, validated against openapi.json), its notice says why, and once fixed the case goes on."""
import pytest
from sqlalchemy import select

from processes.models import Notification, OpenTask, User
from tests.factories import MEETING, SUBMISSION, all_for, complete, person, registered, start, submitted, to_the_head

UNIT = "vks-qb-dong-hoi"
THUY = person("Trần Thị Thủy")
STAFF, SECRETARY, COUNCIL, HEAD = (f"{UNIT}.{r}" for r in ("canbo", "thuky", "hoidong", "thutruong"))
PROVINCE = "vks-quang-binh.tdkt"
REASON = "Thiếu xác nhận của thủ trưởng trên báo cáo thành tích của Trần Thị Thủy."
NOMINEES = {"nominees": [registered(THUY)]}
MINUTES = {**MEETING, **all_for([THUY])}
FIX = {"register_nominees": (STAFF, NOMINEES), "fix_nominees": (STAFF, NOMINEES),
       "record_minutes": (SECRETARY, MINUTES), "fix_minutes": (SECRETARY, MINUTES),
       "council_review": (COUNCIL, {"council_decision": "approve"}), "submit_dossier": (HEAD, SUBMISSION),
       "submit_supplement": (HEAD, SUBMISSION)}


def open_task(session, case_id):
    rows = session.execute(select(OpenTask.id, OpenTask.bpmn_id).where(OpenTask.case_id == case_id)).all()
    assert len(rows) == 1, rows
    return rows[0]


def send_back(api, session, case, username, body):
    task_id, _ = open_task(session, case.id)
    response = api(username).post(f"/api/tasks/{task_id}/complete", json=body)
    assert response.status_code == 200, response.get_json()
    return open_task(session, case.id)


def fix_through(api, session, case, steps):
    """Each fixing step done through the API by its role; returns the step the case then waits on."""
    for step in steps:
        task_id, bpmn_id = open_task(session, case.id)
        assert bpmn_id == step
        username, body = FIX[step]
        response = api(username).post(f"/api/tasks/{task_id}/complete", json=body)
        assert response.status_code == 200, response.get_json()
        assert api(username).get(f"/api/tasks/{task_id}").status_code == 409  # done
    return open_task(session, case.id)[1]


def assert_returned(api, session, task_id, fixer, reason, by, from_step):
    doc = api(fixer).get(f"/api/tasks/{task_id}").get_json()
    returned = doc["returned"]
    assert (returned["reason"], returned["by_username"], returned["from_step"]) == (reason, by, from_step)
    user_id = session.scalar(select(User.id).where(User.username == fixer))
    notices = session.scalars(select(Notification.message).where(Notification.user_id == user_id,
                                                                 Notification.kind == "task_returned")).all()
    assert any(n.endswith(f"Lý do: {reason}") for n in notices), notices


def council_waiting(session):
    case = start(session, UNIT)
    complete(session, case, STAFF, NOMINEES)
    complete(session, case, SECRETARY, MINUTES)
    return case


@pytest.mark.parametrize("return_to, fixer, steps", [
    (None, SECRETARY, ["record_minutes", "council_review"]),
    ("minutes", SECRETARY, ["record_minutes", "council_review"]),
    ("nominees", STAFF, ["register_nominees", "record_minutes", "council_review"])])
def test_the_council_returns_to_the_secretary_or_the_staff(app, session, api, return_to, fixer, steps):
    case = council_waiting(session)
    body = {"council_decision": "return", "council_reason": REASON, **({"return_to": return_to} if return_to else {})}
    task_id, bpmn_id = send_back(api, session, case, COUNCIL, body)
    assert bpmn_id == steps[0]
    assert_returned(api, session, task_id, fixer, REASON, COUNCIL, "Hội đồng TĐKT xem xét")
    assert fix_through(api, session, case, steps) == "submit_dossier"


@pytest.mark.parametrize("return_to, fixer, steps", [
    ("nominees", STAFF, ["register_nominees", "record_minutes", "council_review", "submit_dossier"]),
    ("minutes", SECRETARY, ["record_minutes", "council_review", "submit_dossier"]),
    ("council", COUNCIL, ["council_review", "submit_dossier"])])
def test_the_head_returns_to_the_step_that_fixes(app, session, api, return_to, fixer, steps):
    case = to_the_head(session, UNIT, [THUY])
    task_id, bpmn_id = send_back(api, session, case, HEAD,
                                 {"head_decision": "return", "return_to": return_to, "head_reason": REASON})
    assert bpmn_id == steps[0]
    assert_returned(api, session, task_id, fixer, REASON, HEAD, "Trình hồ sơ đề nghị khen thưởng (tờ trình)")
    assert fix_through(api, session, case, steps) == "provincial_check"


def test_the_head_s_return_needs_a_reason_and_goes_to_the_council_unless_it_names_a_step(app, session, api):
    case = to_the_head(session, UNIT, [THUY])
    task_id, _ = open_task(session, case.id)
    response = api(HEAD).post(f"/api/tasks/{task_id}/complete", json={"head_decision": "return"})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"head_reason": ["Trường này là bắt buộc."]}
    assert open_task(session, case.id) == (task_id, "submit_dossier")
    _, step = send_back(api, session, case, HEAD, {"head_decision": "return", "head_reason": REASON})
    assert step == "council_review"


@pytest.mark.parametrize("return_to, fixer, steps", [
    (None, HEAD, ["submit_supplement"]),
    ("documents", HEAD, ["submit_supplement"]),
    ("nominees", STAFF, ["fix_nominees", "fix_minutes", "submit_supplement"]),
    ("minutes", SECRETARY, ["fix_minutes", "submit_supplement"])])
def test_the_receiving_level_returns_to_the_step_that_fixes_what_it_names(app, session, api, return_to, fixer, steps):
    case = submitted(session, UNIT, [THUY])
    body = {"check_decision": "return", "check_reason": REASON, **({"return_to": return_to} if return_to else {})}
    task_id, bpmn_id = send_back(api, session, case, PROVINCE, body)
    assert bpmn_id == steps[0]
    assert_returned(api, session, task_id, fixer, REASON, PROVINCE, "Cấp tỉnh kiểm tra hồ sơ")
    assert fix_through(api, session, case, steps) == "provincial_check"


@pytest.mark.parametrize("return_to, steps", [("nominees", ["fix_nominees", "fix_minutes", "submit_supplement"]),
                                              ("minutes", ["fix_minutes", "submit_supplement"])])
def test_the_head_on_a_supplement_sends_it_down_too(app, session, api, return_to, steps):
    case = submitted(session, UNIT, [THUY])
    send_back(api, session, case, PROVINCE, {"check_decision": "return", "check_reason": REASON})
    task_id, bpmn_id = send_back(api, session, case, HEAD,
                                 {"head_decision": "return", "return_to": return_to, "head_reason": REASON + " (đơn vị)"})
    assert bpmn_id == steps[0]
    doc = api(STAFF if return_to == "nominees" else SECRETARY).get(f"/api/tasks/{task_id}").get_json()
    assert doc["returned"]["from_step"] == "Bổ sung hồ sơ và trình lại"
    assert fix_through(api, session, case, steps) == "provincial_check"


def test_a_task_reached_in_the_ordinary_way_has_no_return_note(app, session, api):
    case = council_waiting(session)
    task_id, _ = open_task(session, case.id)
    assert api(COUNCIL).get(f"/api/tasks/{task_id}").get_json()["returned"] is None


# --- the receiving level's own head returns the consolidated dossier to its council (web form) ---------------------

def test_the_consolidating_head_returns_to_the_council_which_selects_again(app, session, browser):
    from tests.test_case_flow_http import inbox_task, submit
    from tests.test_rollup import forwarded_candidates, selection

    parent, candidates = forwarded_candidates(browser, session)
    council = browser("vks-quang-binh.hoidong")
    assert submit(council, inbox_task(council), selection(candidates, {"Trần Thị Thủy": 8})).status_code == 302
    head = browser("vks-quang-binh.thutruong")
    task_id = inbox_task(head)
    form = head.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="head_decision"' in form and '<select class="form-select" id="f-return_to"' not in form
    assert submit(head, task_id, {"head_decision": "return", "head_reason": REASON}).status_code == 302
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == parent.id))
    assert task.bpmn_id == "select_nominees"
    assert task.returned["reason"] == REASON and task.returned["by_username"] == "vks-quang-binh.thutruong"
    page = council.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Hồ sơ bị trả lại từ bước «Trình hồ sơ tổng hợp lên trung ương (tờ trình)»" in page and REASON in page
