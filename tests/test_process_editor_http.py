"""The process owners' API and pages over HTTP, on both databases: who may do what (403 for others, 404 for what
does not exist), drafts with their optimistic revision, hostile documents, publishing, and a case's diagram."""
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from processes.models import DiagramVersion, ProcessEvent
from tests.conftest import csrf_of
from tests.factories import complete, registered, start, submitted
from tests.test_own_giay_khen import HOA, OWN_DECISION, ROOM, VKSTC

ROOT = Path(__file__).resolve().parent.parent
NOMINATION = (ROOT / "bpmn" / "nomination.bpmn").read_text(encoding="utf-8")
PID = "tdkt_nomination"
OWNERS_ONLY = "Chỉ chủ quy trình hoặc quản trị viên mới được sửa và xuất bản sơ đồ."


def put_draft(client, xml, revision=None, pid=PID, **headers):
    if revision is not None:
        headers["If-Match"] = f'"{revision}"'
    return client.client.put(f"/api/processes/{pid}/draft", data=xml.encode("utf-8"),
                             headers={**client.headers, "Content-Type": "application/xml", **headers})


def renamed(xml=NOMINATION, name="Lập biên bản họp bình xét (đã sửa)"):
    return xml.replace('name="Lập biên bản họp bình xét"', f'name="{name}"')


def with_unknown_rule(xml=NOMINATION):
    return xml.replace('value="acceptance"', 'value="acceptance,khong_co"', 1)


def test_owners_list_processes_and_versions_others_are_refused(app, api):
    for username in ("quytrinh", "admin"):
        owner = api(username)
        items = owner.get("/api/processes").get_json()["items"]
        nomination = next(p for p in items if p["process_id"] == PID)
        assert nomination["latest_version"] == 1 and nomination["draft"] is None
        versions = owner.get(f"/api/processes/{PID}/versions").get_json()
        assert [v["version"] for v in versions["items"]] == [1] and versions["items"][0]["published_by"] == "Hệ thống"
        download = owner.get(f"/api/processes/{PID}/versions/1.bpmn")
        assert download.status_code == 200 and download.mimetype == "application/xml"
        assert download.get_data(as_text=True) == NOMINATION
        assert 'filename="tdkt_nomination-v1.bpmn"' in download.headers["Content-Disposition"]
    owner = api("quytrinh")
    assert owner.get("/api/processes/khong_co/versions").status_code == 404
    assert owner.get(f"/api/processes/{PID}/versions/9.bpmn").get_json()["message"] == \
        "Không tìm thấy phiên bản này của quy trình."
    staff = api("vks-qb-dong-hoi.canbo")
    for url in ("/api/processes", f"/api/processes/{PID}/versions", f"/api/processes/{PID}/versions/1.bpmn",
                f"/api/processes/{PID}/draft", "/api/editor/catalog", "/api/processes/khong_co/draft"):
        response = staff.get(url)
        assert response.status_code == 403, url
        assert response.get_json()["message"] == OWNERS_ONLY
    assert put_draft(staff, renamed(), 0).status_code == 403
    assert staff.post(f"/api/processes/{PID}/publish", json={"note": "x"}).status_code == 403


def test_draft_saves_with_its_revision_and_never_overwrites_silently(app, api):
    owner, admin = api("quytrinh"), api("admin")
    opened = owner.get(f"/api/processes/{PID}/draft").get_json()
    assert (opened["revision"], opened["base_version"], opened["xml"]) == (0, 1, NOMINATION)
    first = put_draft(owner, renamed(), opened["revision"])
    assert first.status_code == 200, first.get_json()
    doc = first.get_json()
    assert (doc["revision"], doc["valid"], doc["problems"], doc["saved_by"]) == (1, True, [], "Chủ quy trình TĐKT")
    assert put_draft(admin, renamed(name="Biên bản (quản trị)"), 1).get_json()["revision"] == 2
    stale = put_draft(owner, renamed(name="Biên bản (chủ quy trình)"), 1)
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["draft"]["revision"] == 2 and body["draft"]["saved_by"] == "Quản trị hệ thống"
    assert body["message"].startswith("Quản trị hệ thống đã lưu bản nháp này lúc")
    assert put_draft(owner, renamed(name="Không nói dựa trên lần lưu nào")).status_code == 409
    reopened = owner.get(f"/api/processes/{PID}/draft").get_json()
    assert reopened["revision"] == 2 and "Biên bản (quản trị)" in reopened["xml"]
    listed = next(p for p in owner.get("/api/processes").get_json()["items"] if p["process_id"] == PID)
    assert listed["draft"]["pending"] is True and listed["draft"]["saved_by"] == "Quản trị hệ thống"


def test_an_invalid_draft_is_kept_with_its_problems_and_does_not_publish(app, session, api):
    owner = api("quytrinh")
    saved = put_draft(owner, with_unknown_rule(), 0).get_json()
    assert saved["valid"] is False and saved["revision"] == 1
    assert any("khong_co" in p["message"] for p in saved["problems"])
    refused = owner.post(f"/api/processes/{PID}/publish", json={"note": "thử", "migrate": "none"})
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "Sơ đồ còn 1 lỗi; chỉ sơ đồ hợp lệ mới được xuất bản."
    assert any("khong_co" in p["message"] for p in refused.get_json()["problems"])
    assert session.scalar(select(func.count()).select_from(DiagramVersion)
                          .where(DiagramVersion.process_id == PID)) == 1


def test_publishing_a_valid_draft_makes_the_next_version_and_is_audited(app, session, api):
    owner = api("quytrinh")
    assert owner.post(f"/api/processes/{PID}/publish", json={"note": "x"}).get_json()["message"] == \
        "Chưa có bản nháp nào để xuất bản: hãy sửa sơ đồ trước."
    put_draft(owner, renamed(), 0)
    assert owner.post(f"/api/processes/{PID}/publish", json={"note": "x", "migrate": "maybe"}).status_code == 400
    assert owner.post(f"/api/processes/{PID}/publish", json={"note": "x", "revision": 7}).status_code == 409
    published = owner.post(f"/api/processes/{PID}/publish",
                           json={"note": "Đổi tên bước biên bản", "migrate": "none", "revision": 1})
    assert published.status_code == 201, published.get_json()
    doc = published.get_json()
    assert (doc["version"], doc["note"], doc["migration"]["mode"]) == (2, "Đổi tên bước biên bản", "none")
    assert owner.get(f"/api/processes/{PID}/versions/2.bpmn").get_data(as_text=True) == renamed()
    versions = owner.get(f"/api/processes/{PID}/versions").get_json()["items"]
    assert [(v["version"], v["published_by"]) for v in versions] == [(2, "Chủ quy trình TĐKT"), (1, "Hệ thống")]
    listed = next(p for p in owner.get("/api/processes").get_json()["items"] if p["process_id"] == PID)
    assert listed["latest_version"] == 2 and listed["draft"]["pending"] is False
    again = owner.post(f"/api/processes/{PID}/publish", json={"note": "lần nữa"})
    assert again.status_code == 409 and again.get_json()["message"] == \
        "Bản nháp giống hệt phiên bản 2 đã xuất bản: không có gì mới."
    event = session.scalar(select(ProcessEvent).where(ProcessEvent.action == "published"))
    assert (event.process_id, event.version, event.details["note"]) == (PID, 2, "Đổi tên bước biên bản")


@pytest.mark.parametrize("xml, status, message", [
    ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>', 400,
     "Tệp BPMN không được chứa DOCTYPE hay ENTITY (có thể là tệp độc hại)."),
    ('<bpmn:definitions', 400, "Tệp BPMN không phải XML hợp lệ"),
    (NOMINATION.replace('id="tdkt_nomination"', 'id="other_process"'), 422,
     "Sơ đồ này khai báo quy trình «other_process», không phải «tdkt_nomination»"),
    (NOMINATION.replace("</bpmn:definitions>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>"), 413,
     "Tệp BPMN quá lớn (tối đa 2048 KB)."),
])
def test_hostile_or_foreign_documents_are_refused_and_nothing_is_stored(app, api, xml, status, message):
    owner = api("quytrinh")
    response = put_draft(owner, xml, 0)
    assert response.status_code == status
    assert response.get_json()["message"].startswith(message)
    assert owner.get(f"/api/processes/{PID}/draft").get_json()["revision"] == 0


def test_if_match_must_be_a_revision(app, api):
    response = put_draft(api("quytrinh"), renamed(), **{"If-Match": '"abc"'})
    assert response.status_code == 400 and "If-Match" in response.get_json()["message"]


def test_editor_catalog_names_forms_roles_and_rules(app, api):
    catalog = api("quytrinh").get("/api/editor/catalog").get_json()
    assert "record-minutes-schema.json" in catalog["forms"] and "acceptance" in catalog["rules"]
    assert {"code": "unit_secretary", "label": "Thư ký đơn vị", "scope": "unit"} in catalog["roles"]


def test_case_diagram_marks_done_waiting_and_timers_for_the_cases_readers_only(app, session, api):
    case = start(session, "vks-qb-dong-hoi")
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(
        {"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc"})]})
    doc = api("vks-qb-dong-hoi.thuky").get(f"/api/cases/{case.id}/diagram").get_json()
    assert (doc["process_id"], doc["version"]) == (PID, 1) and doc["xml"] == NOMINATION
    states = {e["id"]: e for e in doc["elements"]}
    assert states["register_nominees"]["state"] == "completed" and states["register_nominees"]["completed"] == 1
    assert states["record_minutes"]["state"] == "active"
    assert states["record_minutes"]["detail"].startswith("Đang chờ: Lập biên bản họp bình xét — chờ Thư ký đơn vị")
    timers = [e for e in doc["elements"] if e["state"] == "timer"]
    assert timers and all("/2024" in e["detail"] for e in timers)
    assert api("vks-quang-binh.tdkt").get(f"/api/cases/{case.id}/diagram").status_code == 200  # the level above
    other = api("vks-qb-le-thuy.canbo").get(f"/api/cases/{case.id}/diagram")
    assert other.status_code == 404 and other.get_json()["message"] == "Không tìm thấy hồ sơ."


def test_case_diagram_marks_the_end_event_a_completed_case_reached(app, session, api):
    case = submitted(session, "vks-da-nang", [HOA, ROOM], campaign_code=VKSTC)
    complete(session, case, "vks-da-nang.thutruong", OWN_DECISION)
    states = {e["id"]: e["state"] for e in api("vks-da-nang.thutruong").get(f"/api/cases/{case.id}/diagram")
              .get_json()["elements"]}
    assert states["unit_decision"] == "completed" and states["end_unit_decided"] == "completed"
    assert not [bpmn_id for bpmn_id, state in states.items() if bpmn_id.startswith("end_") and bpmn_id !=
                "end_unit_decided"]  # only the end it reached


# --- the pages and their session routes ------------------------------------------------------------------------------

def test_process_pages_for_owners_and_403_for_others(app, browser):
    owner = browser("quytrinh")
    listing = owner.get("/processes").get_data(as_text=True)
    assert 'data-process="tdkt_nomination"' in listing and "Quy trình</a>" in listing
    page = owner.get(f"/processes/{PID}").get_data(as_text=True)
    assert 'data-version="1"' in page and f"/processes/{PID}/versions/1.bpmn" in page
    edit = owner.get(f"/processes/{PID}/edit").get_data(as_text=True)
    assert "build/modeler.js" in edit and 'id="editor-catalog"' in edit and "build/viewer.js" not in edit
    assert owner.get("/processes/khong_co/edit").status_code == 404
    staff = browser("vks-qb-dong-hoi.canbo")
    assert "/processes" not in staff.get("/").get_data(as_text=True)
    for url in ("/processes", f"/processes/{PID}", f"/processes/{PID}/edit", f"/processes/{PID}/versions/1.bpmn"):
        response = staff.get(url)
        assert response.status_code == 403 and OWNERS_ONLY in response.get_data(as_text=True), url
    refused = staff.get(f"/processes/{PID}/draft")
    assert refused.status_code == 403 and refused.get_json()["message"] == OWNERS_ONLY


def test_the_editor_saves_with_the_session_and_its_csrf_token(app, browser):
    owner = browser("quytrinh")
    page = owner.get(f"/processes/{PID}/edit").get_data(as_text=True)
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    url = f"/processes/{PID}/draft"
    headers = {"Content-Type": "application/xml", "If-Match": '"0"'}
    assert owner.client.put(url, data=renamed(), headers=headers).status_code == 400  # no CSRF token
    saved = owner.client.put(url, data=renamed(), headers={**headers, "X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json()["revision"] == 1
    stale = owner.client.put(url, data=renamed(), headers={**headers, "X-CSRFToken": token})
    assert stale.status_code == 409 and stale.get_json()["draft"]["revision"] == 1
    published = owner.client.post(f"/processes/{PID}/publish", json={"note": "ok", "revision": 1},
                                  headers={"X-CSRFToken": token})
    assert published.status_code == 201 and published.get_json()["version"] == 2


def test_upload_a_bpmn_into_the_draft_and_create_a_process(app, session, browser):
    owner = browser("quytrinh")
    response = owner.post_form(f"/processes/{PID}", f"/processes/{PID}/upload",
                               {"revision": "0", "file": (io.BytesIO(renamed().encode()), "v.bpmn")})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/processes/{PID}/edit")
    assert "Đã đưa «v.bpmn» vào bản nháp (lần lưu 1). Sơ đồ hợp lệ" in owner.get("/processes").get_data(as_text=True)
    assert session.scalar(select(ProcessEvent.action)) == "draft_uploaded"
    created = owner.post_form("/processes", "/processes", {"process_id": "tdkt_dot_xuat",
                                                          "name": "Khen thưởng đột xuất"})
    assert created.status_code == 302 and created.headers["Location"].endswith("/processes/tdkt_dot_xuat/edit")
    listing = owner.get("/processes").get_data(as_text=True)
    assert 'data-process="tdkt_dot_xuat"' in listing and "Chưa xuất bản" in listing
    again = owner.post_form("/processes", "/processes", {"process_id": "tdkt_dot_xuat", "name": "lần hai"})
    assert again.status_code == 409 and "Đã có quy trình mã «tdkt_dot_xuat»." in again.get_data(as_text=True)


def test_case_page_loads_the_viewer_and_its_diagram(app, session, browser):
    case = start(session, "vks-qb-dong-hoi")
    staff = browser("vks-qb-dong-hoi.canbo")
    page = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "build/viewer.js" in page and "build/modeler.js" not in page
    assert staff.get(f"/cases/{case.id}/diagram.json").get_json()["elements"][0]["state"] in ("active", "timer")
    assert browser("vks-qb-le-thuy.canbo").get(f"/cases/{case.id}/diagram.json").status_code == 404


def test_only_the_editor_allows_style_attributes(app, session, browser):
    owner = browser("quytrinh")
    editor = owner.get(f"/processes/{PID}/edit").headers["Content-Security-Policy"]
    assert editor.endswith("; style-src-attr 'unsafe-inline'") and "script-src 'self';" in editor
    assert "unsafe" not in editor.replace("style-src-attr 'unsafe-inline'", "")
    case = start(session, "vks-qb-dong-hoi")
    for url in ("/processes", f"/processes/{PID}", f"/cases/{case.id}"):
        assert "unsafe" not in browser("admin").get(url).headers["Content-Security-Policy"], url


def test_an_incident_is_the_state_shown_on_its_timer(app, session, api):
    from processes.db import unit_of_work
    from processes.models import CaseTimer
    from sqlalchemy import update

    case = start(session, "vks-qb-dong-hoi")
    with unit_of_work(session):
        session.execute(update(CaseTimer).where(CaseTimer.case_id == case.id, CaseTimer.bpmn_id == "reminder_timer")
                        .values(status="incident", last_error="NameError: reminder_at"))
    states = {e["id"]: e for e in api("vks-qb-dong-hoi.canbo").get(f"/api/cases/{case.id}/diagram")
              .get_json()["elements"]}
    assert states["reminder_timer"]["state"] == "incident"
    assert states["reminder_timer"]["detail"] == "Sự cố: NameError: reminder_at"
    assert states["deadline_timer"]["state"] == "timer"


def test_compare_page_checks_the_versions_and_the_owner(app, browser):
    owner = browser("quytrinh")
    assert owner.get(f"/processes/{PID}/compare?from=1&to=1").status_code == 200
    page = owner.get(f"/processes/{PID}/compare?from=1&to=1").get_data(as_text=True)
    assert "build/differ.js" in page and f"/processes/{PID}/versions/1.bpmn" in page
    for query in ("from=1&to=2", "from=0&to=1", "from=1&to=draft"):  # versions that do not exist
        assert owner.get(f"/processes/{PID}/compare?{query}").status_code == 404, query
    for query in ("", "to=1", "from=1", "from=1&to=x", "from=a&to=1"):  # asked wrongly
        refused = owner.get(f"/processes/{PID}/compare?{query}")
        assert refused.status_code == 400, query
        assert "Chọn hai phiên bản để so sánh" in refused.get_data(as_text=True)
    assert browser("vks-qb-dong-hoi.canbo").get(f"/processes/{PID}/compare?from=1&to=1").status_code == 403


def test_publishing_with_migration_dry_run_first_then_apply(app, session, api):
    case = start(session, "vks-qb-dong-hoi")  # waits at register_nominees on version 1
    owner = api("quytrinh")
    put_draft(owner, renamed(), 0)
    before = session.scalar(select(func.count()).select_from(DiagramVersion))
    dry = owner.post(f"/api/processes/{PID}/publish", json={"note": "đổi tên", "migrate": "dry_run", "revision": 1})
    assert dry.status_code == 200, dry.get_json()
    doc = dry.get_json()
    assert (doc["published"], doc["version"], doc["published_at"], doc["migration"]["mode"]) == (False, 2, None, "dry_run")
    assert doc["migration"]["counts"] == {"migrate": 1, "decide": 0, "blocked": 0}
    assert doc["migration"]["per_step"] == {"register_nominees": {"migrate": 1, "decide": 0, "blocked": 0}}
    assert [c["case_id"] for c in doc["migration"]["cases"]] == [case.id]
    assert session.scalar(select(func.count()).select_from(DiagramVersion)) == before  # nothing published
    applied = owner.post(f"/api/processes/{PID}/publish", json={"note": "đổi tên", "migrate": "apply", "revision": 1})
    assert applied.status_code == 201, applied.get_json()
    doc = applied.get_json()
    assert (doc["published"], doc["version"], doc["migration"]["mode"], doc["migration"]["migrated"]) == \
        (True, 2, "apply", 1)
    session.expire_all()
    version = session.scalar(select(DiagramVersion).where(DiagramVersion.process_id == PID,
                                                          DiagramVersion.version == 2))
    assert session.get(type(case), case.id).diagram_version_id == version.id


def test_only_owners_publish_or_dry_run(app, api):
    staff = api("vks-qb-dong-hoi.canbo")
    for mode in ("dry_run", "apply"):
        refused = staff.post(f"/api/processes/{PID}/publish", json={"migrate": mode})
        assert refused.status_code == 403 and refused.get_json()["message"] == OWNERS_ONLY


def test_waiting_counts_per_step_for_owners_only(app, session, browser):
    start(session, "vks-qb-dong-hoi")
    owner = browser("quytrinh")
    doc = owner.get(f"/processes/{PID}/waiting.json").get_json()
    assert doc["waiting"]["register_nominees"] == 1
    assert sum(doc["waiting"].values()) >= 1 and "record_minutes" not in doc["waiting"]
    assert owner.get("/processes/khong_co/waiting.json").get_json() == {"waiting": {}}
    refused = browser("vks-qb-dong-hoi.canbo").get(f"/processes/{PID}/waiting.json")
    assert refused.status_code == 403 and refused.get_json()["message"] == OWNERS_ONLY


def test_a_form_saved_in_the_registry_counts_for_the_draft(app, api):
    owner = api("quytrinh")
    xml = NOMINATION.replace('value="record-minutes-schema.json"', 'value="bien-ban-moi-schema.json"', 1)
    assert put_draft(owner, xml, 0).get_json()["problems"]  # not yet in the registry
    schema = (ROOT / "forms" / "record-minutes-schema.json").read_bytes()
    saved = owner.client.put("/api/forms/bien-ban-moi-schema.json", data=schema,
                             headers={**owner.headers, "Content-Type": "application/json"})
    assert saved.status_code == 200, saved.get_json()
    assert put_draft(owner, xml, 1).get_json()["problems"] == []


def editor_token(client):
    page = client.get(f"/processes/{PID}/edit").get_data(as_text=True)
    return page.split('data-csrf="', 1)[1].split('"', 1)[0]


def test_the_form_editor_reads_saves_and_previews_with_the_servers_renderer(app, session, browser):
    from processes.models import FormRevision
    owner = browser("quytrinh")
    token = {"X-CSRFToken": editor_token(owner)}
    doc = owner.get("/processes/forms/record-minutes-schema.json.json").get_json()
    text = (ROOT / "forms" / "record-minutes-schema.json").read_text(encoding="utf-8")
    assert doc["name"] == "record-minutes-schema.json" and json.loads(doc["text"]) == json.loads(text)
    assert list(json.loads(doc["text"])["properties"]) == list(json.loads(text)["properties"])  # field order kept
    ui = json.loads((ROOT / "forms" / "record-minutes-uischema.json").read_text(encoding="utf-8"))
    preview = owner.client.post("/processes/forms/preview", json={"schema": json.loads(text), "ui": ui}, headers=token)
    assert preview.status_code == 200
    html = preview.get_json()["html"]
    assert 'data-field="meeting_place"' in html and "Địa điểm họp" in html and "<fieldset disabled>" in html
    bad = owner.client.post("/processes/forms/preview", json={"schema": {"type": "object", "properties": {
        "a": {"type": "string", "maxLength": "mười"}}}}, headers=token)
    assert bad.status_code == 400 and "Biểu mẫu không phải JSON Schema hợp lệ" in bad.get_json()["message"]
    assert owner.client.post("/processes/forms/preview", json=[1], headers=token).status_code == 400
    huge = owner.client.post("/processes/forms/preview", headers=token, json={"schema": {
        "type": "object", "description": "x" * (600 * 1024)}})
    assert huge.status_code == 400 and "Biểu mẫu quá lớn" in huge.get_json()["message"]
    changed = text.replace('"Ngày họp"', '"Ngày họp (dd/mm/yyyy)"')
    saved = owner.client.put("/processes/forms/record-minutes-schema.json", data=changed.encode(),
                             headers={**token, "Content-Type": "application/json"})
    assert saved.status_code == 200 and saved.get_json()["status"] == "draft"
    latest = session.scalars(select(FormRevision).where(FormRevision.name == "record-minutes-schema.json")
                             .order_by(FormRevision.revision.desc())).first()
    assert latest.revision == saved.get_json()["revision"] and "Ngày họp (dd/mm/yyyy)" in latest.document


def test_the_form_editor_routes_are_for_owners_only(app, browser):
    staff = browser("vks-qb-dong-hoi.canbo")
    token = {"X-CSRFToken": csrf_of(staff.client.get("/"))}
    refused = [staff.get("/processes/forms/record-minutes-schema.json.json"),
               staff.client.post("/processes/forms/preview", json={"schema": {"type": "object"}}, headers=token),
               staff.client.put("/processes/forms/record-minutes-schema.json", data=b"{}",
                                headers={**token, "Content-Type": "application/json"})]
    for response in refused:
        assert response.status_code == 403, response.get_data(as_text=True)
        assert response.get_json()["message"] in (OWNERS_ONLY, form_owners_only())


def form_owners_only():
    from processes.form_registry import OWNERS_ONLY as FORMS_OWNERS_ONLY
    return FORMS_OWNERS_ONLY
