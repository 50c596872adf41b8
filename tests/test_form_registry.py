"""The form registry: shipped forms seeded as revisions (idempotent), owners save draft revisions (checked), a
published version pins the revisions its tasks name, and a running case keeps its own version's forms."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from processes import diagram_versions, form_registry
from processes.errors import Forbidden, InvalidInput
from processes.forms import FORMS_DIR, field_labels
from processes.models import FormRevision, OpenTask, User
from processes.workflows import latest

from .bpmn_edit import NOMINATION
from .factories import complete, registered, start, user

REGISTER = "register-nominees-schema.json"
SHIPPED_FORMS = sorted(p.name for p in FORMS_DIR.glob("*.json"))


def _admin(session) -> User:
    return session.scalar(select(User).where(User.is_admin.is_(True)))


def _with_extra_required_field(name: str = REGISTER) -> dict:
    doc = json.loads((FORMS_DIR / name).read_text(encoding="utf-8"))
    doc["properties"]["contact_phone"] = {"type": "string", "title": "Số điện thoại liên hệ", "minLength": 1}
    doc["required"] = [*doc.get("required", []), "contact_phone"]
    return doc


def test_the_shipped_forms_are_seeded_once(session):
    rows = session.execute(select(FormRevision.name, FormRevision.revision, FormRevision.status)
                           .order_by(FormRevision.name)).all()
    assert [r.name for r in rows] == SHIPPED_FORMS
    assert {(r.revision, r.status) for r in rows} == {(1, "published")}
    assert form_registry.seed_shipped(session) == 0  # idempotent
    assert session.scalar(select(func.count()).select_from(FormRevision)) == len(SHIPPED_FORMS)


def test_the_shipped_versions_pin_the_forms_they_name(session):
    pins = form_registry.pinned(session, latest(session, "tdkt_nomination").id)
    assert pins[REGISTER] == 1 and pins["head-submit-uischema.json"] == 1
    assert len(pins) == 14  # 7 distinct forms, each with its UI schema


def test_saving_makes_a_new_draft_revision_and_the_same_text_makes_none(session):
    admin = _admin(session)
    body = json.dumps(_with_extra_required_field())
    row = form_registry.save_form(session, admin, REGISTER, body)
    assert (row.name, row.revision, row.status) == (REGISTER, 2, "draft")
    assert form_registry.save_form(session, admin, REGISTER, body).revision == 2
    new = form_registry.save_form(session, admin, "idea-schema.json", '{"type": "object", "properties": {}}')
    assert (new.revision, new.status) == (1, "draft")


@pytest.mark.parametrize("name, body, words", [
    ("idea.json", "{}", "kết thúc bằng «-schema.json»"),
    ("../idea-schema.json", "{}", "không hợp lệ"),
    ("idea-schema.json", "{not json", "không phải JSON hợp lệ"),
    ("idea-schema.json", "[1, 2]", "phải là một đối tượng JSON"),
    ("idea-schema.json", '{"type": 5}', "không phải JSON Schema hợp lệ"),
    ("idea-schema.json", '{"type": "object", "required": "name"}', "tại required"),
    ("idea-schema.json", '{"type": "string"}', "\"type\": \"object\""),
    ("idea-schema.json", '{"description": "' + "x" * (300 * 1024) + '"}', "quá lớn"),
], ids=["suffix", "path", "json", "array", "meta-schema", "meta-schema-path", "not-object", "size"])
def test_what_is_not_a_form_is_refused(session, name, body, words):
    with pytest.raises(InvalidInput) as refused:
        form_registry.save_form(session, _admin(session), name, body)
    assert words in refused.value.message


def test_only_process_owners_save(session):
    staff = user(session, "vks-qb-dong-hoi.canbo")
    with pytest.raises(Forbidden) as refused:
        form_registry.save_form(session, staff, "idea-schema.json", "{not even json")  # 403 before the body
    assert refused.value.message == "Chỉ người quản lý quy trình mới được sửa biểu mẫu."


def test_a_running_case_keeps_the_form_its_version_pinned(session):
    """Edit the registration form while a case waits on it: the case still renders and validates the revision its
    version pinned; a version published after the edit pins the new revision, and its new cases use it."""
    admin = _admin(session)
    old_case = start(session, "vks-qb-dong-hoi")
    form_registry.save_form(session, admin, REGISTER, json.dumps(_with_extra_required_field()))

    old_schema = form_registry.schema(session, old_case.diagram_version_id, REGISTER)
    assert "contact_phone" not in old_schema["properties"]
    nominee = registered({"kind": "individual", "name": "Nguyễn Văn An", "award_form": "bang_khen_vkstc"})
    complete(session, old_case, "vks-qb-dong-hoi.canbo", {"nominees": [nominee]})  # valid without the new field

    version = diagram_versions.publish(session, NOMINATION.replace("Bắt đầu", "Bắt đầu hồ sơ"), user=admin)
    assert form_registry.pinned(session, version.id)[REGISTER] == 2
    assert session.scalar(select(FormRevision.status).where(FormRevision.name == REGISTER,
                                                            FormRevision.revision == 2)) == "published"
    new_case = start(session, "vks-qb-le-thuy")
    assert new_case.diagram_version_id == version.id
    assert "contact_phone" in form_registry.schema(session, version.id, REGISTER)["properties"]
    assert "contact_phone" not in form_registry.schema(session, old_case.diagram_version_id, REGISTER)["properties"]


def test_forms_over_http(app, api, session):
    owner, staff = api("admin"), api("vks-qb-dong-hoi.canbo")
    saved = owner.client.put("/api/forms/idea-schema.json", data='{"type": "object", "properties": {}}',
                             headers={**owner.headers, "Content-Type": "application/json"})
    assert saved.status_code == 200 and saved.get_json()["revision"] == 1
    bad = owner.client.put("/api/forms/idea-schema.json", data='{"type": 5}',
                           headers={**owner.headers, "Content-Type": "application/json"})
    assert bad.status_code == 400 and "JSON Schema" in bad.get_json()["message"]
    refused = staff.client.put("/api/forms/idea-schema.json", data="{}",
                               headers={**staff.headers, "Content-Type": "application/json"})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Chỉ người quản lý quy trình mới được sửa biểu mẫu."
    listed = owner.get("/api/forms").get_json()["items"]
    assert [(i["name"], i["revision"], i["status"]) for i in listed if i["name"] == "idea-schema.json"] == [
        ("idea-schema.json", 1, "draft")]
    assert len(listed) == len(SHIPPED_FORMS) + 1
    assert staff.get("/api/forms").status_code == 403


def test_the_task_api_renders_the_pinned_form(app, api, session):
    case = start(session, "vks-qb-dong-hoi")
    form_registry.save_form(session, _admin(session), REGISTER, json.dumps(_with_extra_required_field()))
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    detail = api("vks-qb-dong-hoi.canbo").get(f"/api/tasks/{task_id}").get_json()
    assert "contact_phone" not in detail["schema"]["properties"]


def test_a_new_forms_fields_read_in_vietnamese_on_case_pages(session):
    assert form_registry.field_labels(session)["titles"] == field_labels()["titles"]  # as the folder says
    form_registry.save_form(session, _admin(session), "idea-schema.json", json.dumps({
        "type": "object", "properties": {"idea_title": {"type": "string", "title": "Tên sáng kiến"},
                                         "impact": {"type": "string", "enum": ["high"], "x-enumNames": ["Lớn"]}}}))
    labels = form_registry.field_labels(session)
    assert labels["titles"]["idea_title"] == "Tên sáng kiến" and labels["enums"]["impact"] == {"high": "Lớn"}


def test_a_stored_form_keeps_the_order_of_its_fields(session):
    """PostgreSQL's JSONB would reorder the keys; a form's fields show in the order its schema lists them."""
    shipped = json.loads((FORMS_DIR / "record-minutes-schema.json").read_text(encoding="utf-8"))
    stored = form_registry.schema(session, latest(session, "tdkt_nomination").id, "record-minutes-schema.json")
    assert list(stored["properties"]) == list(shipped["properties"])
