"""The JSON API: token auth, the verbs, and its error contract, on both databases."""
import json

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from processes.models import ApiToken, Campaign, Case, Unit
from tests.factories import reported

NOMINEES = {"nominees": [
    reported({"kind": "individual", "name": "Hoàng Văn Nam", "award_form": "bang_khen_vkstc",
              "achievement_summary": "Số hoá 100% hồ sơ kiểm sát từ tháng 3/2024, tiết kiệm 20% thời gian tra cứu."}),
]}


def start(api_client, session, unit_code="vks-qb-dong-hoi", campaign_code="qb-1532-2024"):
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    return api_client.post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit.id})


def test_openapi_document_is_valid_and_covers_every_route(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    validate(doc)
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in documented, f"{method} {path} is not in openapi.json"


def test_token_is_required_and_checked(app, api):
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer tdkt_wrong"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/me", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"


def test_me_campaigns_and_a_case_through_the_api(app, session, api):
    staff = api("vks-qb-dong-hoi.canbo")
    me = staff.get("/api/me").get_json()
    assert me["unit"]["code"] == "vks-qb-dong-hoi" and me["roles"][0]["role"] == "unit_staff"
    campaigns = staff.get("/api/campaigns").get_json()["items"]
    qb = next(c for c in campaigns if c["code"] == "qb-1532-2024")
    assert qb["deadline"] == "2024-08-23" and qb["deadline_at"].startswith("2024-08-23T23:59:59+07:00")

    response = start(staff, session)
    assert response.status_code == 201
    case = response.get_json()
    assert case["status"] == "running" and case["tasks"][0]["bpmn_id"] == "register_nominees"

    inbox = staff.get("/api/tasks").get_json()
    assert inbox["total"] == 1
    task_id = inbox["items"][0]["id"]
    detail = staff.get(f"/api/tasks/{task_id}").get_json()
    assert detail["schema"]["properties"]["nominees"]["type"] == "array"
    assert detail["case_version"] == 1

    claimed = staff.post(f"/api/tasks/{task_id}/claim").get_json()
    assert claimed["assignee"] == "vks-qb-dong-hoi.canbo"
    done = staff.post(f"/api/tasks/{task_id}/complete", json=NOMINEES, headers={"If-Match": '"1"'})
    assert done.status_code == 200
    body = done.get_json()
    assert body["version"] == 2 and body["tasks"][0]["bpmn_id"] == "record_minutes"
    assert body["tasks"][0]["id"] != task_id  # a finished task's id is never handed to the next one
    assert body["data"]["nominees"][0]["name"] == "Hoàng Văn Nam"

    full = staff.get(f"/api/cases/{case['id']}").get_json()
    assert [e["action"] for e in full["audit"]] == ["case_started", "task_claimed", "task_completed"]
    # the completion's answer lists the tasks as written (not read back): the same as the case's own answer
    assert body["tasks"] == full["tasks"]


def test_error_contract(app, session, api):
    staff = api("vks-qb-dong-hoi.canbo")
    case = start(staff, session).get_json()
    task_id = case["tasks"][0]["id"]

    # 400: not JSON
    response = staff.post(f"/api/tasks/{task_id}/complete", data="nominees", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid"
    # 404: unknown ids
    assert staff.get("/api/tasks/999999").status_code == 404
    assert staff.get("/api/cases/999999").get_json()["error"] == "not_found"
    # 422: per-field messages, nothing changes
    response = staff.post(f"/api/tasks/{task_id}/complete", json={"nominees": [{"kind": "robot", "name": "X"}]})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert "nominees.0.kind" in fields and "nominees.0.award_form" in fields and "nominees.0.name" in fields
    assert staff.get(f"/api/cases/{case['id']}").get_json()["version"] == 1
    # 404: a user of another unit may not see the task nor the case — answered as if neither existed
    hidden = api("vks-qb-le-thuy.canbo").post(f"/api/tasks/{task_id}/complete", json=NOMINEES)
    assert hidden.status_code == 404
    assert hidden.get_json() == {"error": "not_found", "message": "Không tìm thấy nhiệm vụ."}
    hidden = api("vks-qb-le-thuy.canbo").get(f"/api/cases/{case['id']}")
    assert hidden.status_code == 404
    assert hidden.get_json() == {"error": "not_found", "message": "Không tìm thấy hồ sơ."}
    # 403: a user of the right unit in the wrong role sees the case but may not do the task
    response = api("vks-qb-dong-hoi.thuky").post(f"/api/tasks/{task_id}/complete", json=NOMINEES)
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert "bạn không giữ vai trò đó" in response.get_json()["message"]
    # 409: a stale version, then a double completion
    assert staff.post(f"/api/tasks/{task_id}/complete", json=NOMINEES, headers={"If-Match": "7"}).status_code == 409
    assert staff.post(f"/api/tasks/{task_id}/complete", json=NOMINEES).status_code == 200
    again = staff.post(f"/api/tasks/{task_id}/complete", json=NOMINEES)
    assert again.status_code == 409 and "đã được" in again.get_json()["message"]
    # 409: the same unit cannot open a second case for the same campaign
    assert start(staff, session).status_code == 409
    # 403: starting a case for another unit
    refused = start(staff, session, unit_code="vks-qb-le-thuy")
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Chỉ cán bộ hoặc thủ trưởng của đơn vị mới được tạo hồ sơ cho đơn vị đó."


def test_claimed_task_is_not_for_a_colleague(app, session, api):
    from processes.db import unit_of_work
    from processes.models import RoleAssignment, User
    staff = api("vks-qb-dong-hoi.canbo")
    task_id = start(staff, session).get_json()["tasks"][0]["id"]
    # a second holder of the same role in the same unit
    head = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.thutruong"))
    with unit_of_work(session):
        session.add(RoleAssignment(user_id=head.id, unit_id=head.unit_id, role="unit_staff"))
    colleague = api("vks-qb-dong-hoi.thutruong")
    assert staff.post(f"/api/tasks/{task_id}/claim").status_code == 200
    response = colleague.post(f"/api/tasks/{task_id}/claim")
    assert response.status_code == 409 and "nhận" in response.get_json()["message"]
    assert colleague.post(f"/api/tasks/{task_id}/complete", json=NOMINEES).status_code == 409
    assert staff.post(f"/api/tasks/{task_id}/release").status_code == 200
    assert colleague.post(f"/api/tasks/{task_id}/complete", json=NOMINEES).status_code == 200


def test_tokens_are_stored_hashed_and_can_be_revoked(app, session, browser):
    from tests.conftest import csrf_of
    person = browser("vks-qb-dong-hoi.canbo")
    page = person.get("/tokens")
    html = person.client.post("/tokens", data={"name": "Máy văn phòng", "csrf_token": csrf_of(page)}).get_data(as_text=True)
    token = html.split('class="new-token user-select-all fs-6">')[1].split("<")[0]
    assert token.startswith("tdkt_")
    row = session.scalar(select(ApiToken).where(ApiToken.name == "Máy văn phòng"))
    assert token not in json.dumps([row.token_hash, row.prefix]) and len(row.token_hash) == 64
    client = app.test_client()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    person.post_form("/tokens", f"/tokens/{row.id}/revoke", {})
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_oversized_bodies_are_refused_before_anything_runs(app, session, api):
    staff = api("vks-qb-dong-hoi.canbo")
    task_id = start(staff, session).get_json()["tasks"][0]["id"]
    huge = {"nominees": [{"name": "x" * (11 * 1024 * 1024)}]}
    response = staff.post(f"/api/tasks/{task_id}/complete", json=huge)
    assert response.status_code == 413 and response.get_json()["error"] == "request_entity_too_large"
    # just under the request limit but over the form's own limit: a clear 422, nothing stored
    big = {"nominees": [{"kind": "individual", "name": "A", "award_form": "bang_khen_vkstc",
                         "achievement_summary": "y" * (300 * 1024)}]}
    response = staff.post(f"/api/tasks/{task_id}/complete", json=big)
    assert response.status_code == 422 and "quá lớn" in response.get_json()["message"]
    case = staff.get("/api/tasks").get_json()["items"][0]
    assert staff.get(f"/api/cases/{case['case_id']}").get_json()["version"] == 1


def test_an_answer_the_document_does_not_describe_fails_the_test(app, api):
    """The check every API test runs (tests/openapi_check.py) catches a drift: here the document is made wrong."""
    from openapi_core import OpenAPI

    from tests.openapi_check import SPEC_PATH, CheckedClient

    staff = api("vks-qb-dong-hoi.canbo")
    assert staff.get("/api/me").status_code == 200  # the shipped document describes it
    drifted = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    me = drifted["paths"]["/api/me"]["get"]["responses"]
    me["200"]["content"]["application/json"]["schema"] = {
        "type": "object", "required": ["username", "phone"], "properties": {"username": {"type": "integer"}}}
    del me["401"]

    class DriftedClient(CheckedClient):
        openapi = OpenAPI.from_dict(drifted)

    app.test_client_class = DriftedClient
    with pytest.raises(AssertionError) as caught:
        api("vks-qb-dong-hoi.canbo").get("/api/me")
    message = str(caught.value)
    assert "openapi.json does not describe the answer to GET /api/me: 200 application/json" in message
    assert "username: " in message and "is not of type 'integer'" in message
    assert "'phone' is a required property" in message
    with pytest.raises(AssertionError, match="Unknown response http status: 401"):
        app.test_client().get("/api/me")
    assert app.test_client().get("/login").status_code == 200  # pages are not API answers: not checked


def test_a_tokens_use_is_recorded_after_the_answer_and_only_coarsely(app, session, api):
    """Driven as a WSGI server drives the app (the test client does not pass the close on): the token's last use is
    written once the answer's iterable is closed, and not again within the granularity."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    from processes.models import ApiToken

    client = api("vks-qb-dong-hoi.canbo")
    token = session.scalar(select(ApiToken).order_by(ApiToken.id.desc()).limit(1))

    def call():
        environ = EnvironBuilder(path="/api/me", headers=client.headers).get_environ()
        body, status, _headers = run_wsgi_app(app, environ)
        assert status.startswith("200")
        return body

    body = call()
    session.refresh(token)
    assert token.last_used_at is None  # not on the request's path …
    b"".join(body)
    body.close()  # … but once the server has sent the answer and closes it
    session.refresh(token)
    first = token.last_used_at
    assert first is not None
    again = call()
    again.close()
    session.refresh(token)
    assert token.last_used_at == first  # within ten minutes, no second write
