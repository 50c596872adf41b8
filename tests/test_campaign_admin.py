"""Campaign administration: the definition format, and create / edit / copy / close through the pages and the API,
on both databases. Tests that change a campaign change one they created: the PostgreSQL reset removes added rows
but does not undo updates of the seeded ones."""
import datetime as dt
import html

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from processes import campaign_definition as cdef
from processes.models import Campaign, Unit
from processes.seeding import SEED_DIR, load_units

SHIPPED = sorted((SEED_DIR / "campaigns").glob("*.toml"))
QB_TEXT = (SEED_DIR / "campaigns" / "qb-1532-2024.toml").read_text(encoding="utf-8")
ADMINS_ONLY = "Chỉ quản trị viên mới được quản lý phong trào thi đua."


def unit_tree() -> dict:
    return {u["code"]: u.get("parent") or None for u in load_units()}


def qb_definition(code="qb-test-2024") -> dict:
    definition = cdef.parse(QB_TEXT)
    definition["code"] = code
    return definition


def campaign_by_code(session, code) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.code == code).execution_options(populate_existing=True))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ── the format ───────────────────────────────────────────────────────────────────────────────────────────────

def test_schema_is_valid_json_schema():
    Draft202012Validator.check_schema(cdef.schema())
    assert {"upper_deadline", "upper_deadline_rule", "review_working_days", "related_round"} \
        <= set(cdef.schema()["$defs"]["round_fields"]["properties"]) | set(cdef.schema()["properties"])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_campaign_file_passes_and_round_trips(path):
    definition = cdef.parse(path.read_text(encoding="utf-8"))
    assert cdef.schema_errors(definition) == {}
    assert cdef.cross_errors(definition, unit_tree()) == {}
    assert cdef.parse(cdef.to_toml(definition)) == definition  # what the editor shows reads back the same


def test_cross_checks_name_the_field_path_in_vietnamese():
    definition = cdef.parse((SEED_DIR / "campaigns" / "th-cds-2024.toml").read_text(encoding="utf-8"))
    definition["quota"][2]["award_form"] = "x"
    definition["participants"].append("vkstc")  # another tree: its dossier cannot reach Sở TT&TT Thanh Hóa
    definition["issuer"] = "khong-co"
    definition["upper_deadline"] = "2024-09-01"  # before the units' own deadline (20/09/2024)
    errors = cdef.cross_errors(definition, unit_tree())
    assert errors["quota[2].award_form"] == ["Hình thức «x» chưa được khai báo trong award_form."]
    assert "không thuộc đơn vị nhận hồ sơ" in errors[f"participants[{len(definition['participants']) - 1}]"][0]
    assert errors["issuer"] == ["Không có đơn vị mã «khong-co»."]
    assert "upper_deadline" in errors

    related = cdef.parse((SEED_DIR / "campaigns" / "vkstc-dmst-2025-2027.toml").read_text(encoding="utf-8"))
    related["related_round"][1]["quota"][0]["award_forms"].append("giay_khen_khong_co")
    errors = cdef.cross_errors(related, unit_tree())
    assert list(errors) == ["related_round[1].quota[0].award_forms[3]"]


def test_a_percent_quota_for_the_whole_campaign_is_refused_with_the_reason():
    # A percentage is of one unit's own figures; checked against the campaign (no figures) it refused every nominee.
    definition = qb_definition()
    definition["quota"].append({"award_form": "*", "kind": "percent", "scope": "campaign", "percent_individuals": 15})
    errors = cdef.cross_errors(definition, unit_tree())
    assert errors == {f"quota[{len(definition['quota']) - 1}].scope": [
        "Hạn mức theo tỷ lệ phần trăm tính trên số liệu của từng đơn vị: phạm vi phải là «each_unit»."]}
    definition["quota"][-1]["scope"] = "each_unit"
    assert cdef.cross_errors(definition, unit_tree()) == {}


def test_schema_errors_name_unknown_keys_and_bad_dates():
    definition = qb_definition()
    definition.update(dealine="2024-08-23", deadline="2024-02-30", round="hang_nam")
    definition["quota"][0].pop("collectives"), definition["quota"][0].pop("individuals")
    errors = cdef.schema_errors(definition)
    assert set(errors) == {"dealine", "deadline", "round", "quota[0]"}
    assert "collectives" in errors["quota[0]"][0]


# ── the pages ────────────────────────────────────────────────────────────────────────────────────────────────

def test_admin_creates_a_campaign_in_the_editor(browser, session):
    admin = browser("admin")
    page = admin.get("/admin/campaigns/new")
    assert page.status_code == 200
    template = text_of(page).split('name="toml"')[1].split(">", 1)[1].split("</textarea>")[0]
    definition = cdef.parse(template)  # the prefilled template is a valid starting point
    text = template.replace(f'code = "{definition["code"]}"', 'code = "ui-test-2024"')
    response = admin.post_form("/admin/campaigns/new", "/admin/campaigns/new", {"toml": text})
    assert response.status_code == 302
    created = campaign_by_code(session, "ui-test-2024")
    assert created.status == "open" and created.issuer.code == "vkstc"
    assert created.details["_admin"]["created_by"] == "admin"

    listing = text_of(admin.get("/admin/campaigns?q=ui-test"))
    assert "ui-test-2024" in listing and "Đang mở" in listing and "15/12/2024" in listing
    assert "qb-1532-2024" not in listing
    editor = text_of(admin.get(f"/admin/campaigns/{created.id}"))
    assert "# Phong trào / đợt khen thưởng mới" in editor  # the text as typed, comments and all


def test_editor_errors_come_back_with_their_paths_and_the_text_kept(browser, session):
    admin = browser("admin")
    broken = 'code = "x"\nname = \n# giữ nguyên nội dung này\n'
    response = admin.post_form("/admin/campaigns/new", "/admin/campaigns/new", {"toml": broken})
    assert response.status_code == 422
    body = text_of(response)
    assert "toml</code>: Lỗi cú pháp TOML ở dòng 2" in body and "# giữ nguyên nội dung này" in body

    wrong = QB_TEXT.replace('code = "qb-1532-2024"', 'code = "ui-wrong-2024"') \
        .replace('award_form = "bang_khen_vkstc"\nkind = "count"', 'award_form = "bang_khen_x"\nkind = "count"')
    response = admin.post_form("/admin/campaigns/new", "/admin/campaigns/new", {"toml": wrong})
    assert response.status_code == 422
    expected = "quota[0].award_form</code>: Hình thức «bang_khen_x» chưa được khai báo trong award_form"
    assert expected in text_of(response)
    assert campaign_by_code(session, "ui-wrong-2024") is None


def test_seeded_campaign_opens_in_the_editor_as_its_file(browser, session):
    admin = browser("admin")
    qb = campaign_by_code(session, "qb-1532-2024")
    editor = text_of(admin.get(f"/admin/campaigns/{qb.id}"))
    assert "000 §6" in editor  # the seed file's citations are shown, not a bare re-rendering
    export = admin.get(f"/admin/campaigns/{qb.id}.toml")
    assert export.status_code == 200 and export.get_data(as_text=True) == QB_TEXT


def test_admin_edits_a_campaign_but_not_its_code(browser, api, session):
    created = api("admin").post("/api/campaigns", json=qb_definition("edit-test-2024"))
    assert created.status_code == 201
    campaign_id = created.get_json()["id"]
    admin = browser("admin")
    page = f"/admin/campaigns/{campaign_id}"
    text = text_of(admin.get(page)).split('name="toml"')[1].split(">", 1)[1].split("</textarea>")[0]
    edited = text.replace("deadline = 2024-08-23", "deadline = 2024-08-26\nupper_deadline = 2024-09-05")
    assert edited != text
    response = admin.post_form(page, page, {"toml": edited})
    assert response.status_code == 302
    campaign = campaign_by_code(session, "edit-test-2024")
    assert campaign.deadline == dt.date(2024, 8, 26) and campaign.details["upper_deadline"] == "2024-09-05"
    assert campaign.details["_admin"]["history"][-1]["changed"] == ["deadline", "upper_deadline"]

    response = admin.post_form(page, page, {"toml": edited.replace('code = "edit-test-2024"', 'code = "doi-ma"')})
    assert response.status_code == 422 and "không đổi được" in text_of(response)
    assert campaign_by_code(session, "edit-test-2024").deadline == dt.date(2024, 8, 26)


def test_copy_as_next_years_round_in_the_ui(browser, session):
    admin = browser("admin")
    qb = campaign_by_code(session, "qb-1532-2024")
    form = text_of(admin.get(f"/admin/campaigns/{qb.id}/copy"))
    assert 'value="qb-1532-2025"' in form and "23/08/2024" in form and "23/08/2025" in form
    response = admin.post_form(f"/admin/campaigns/{qb.id}/copy", f"/admin/campaigns/{qb.id}/copy",
                               {"code": "qb-1532-2025", "name": qb.name})
    assert response.status_code == 302
    copied = campaign_by_code(session, "qb-1532-2025")
    assert copied.deadline == dt.date(2025, 8, 23) and copied.document_date == dt.date(2025, 8, 15)
    assert copied.document_number == "" and "document_number" not in copied.details
    assert copied.details["period_start"] == "2024-11-06" and copied.details["period_end"] == "2025-08-15"
    assert copied.status == "open" and copied.details["_admin"]["copied_from"] == "qb-1532-2024"
    assert copied.details["award_form"] == qb.details["award_form"]
    assert "23/08/2025" in text_of(admin.get("/admin/campaigns?q=qb-1532"))

    again = admin.post_form(f"/admin/campaigns/{qb.id}/copy", f"/admin/campaigns/{qb.id}/copy",
                            {"code": "qb-1532-2025", "name": qb.name})
    assert again.status_code == 409
    assert "Đã có phong trào mã «qb-1532-2025»; hãy nhập mã khác cho đợt mới." in text_of(again)


def test_closed_campaign_refuses_new_cases_until_reopened(browser, api, session):
    created = api("admin").post("/api/campaigns", json=qb_definition("close-test-2024"))
    campaign_id = created.get_json()["id"]
    admin = browser("admin")
    response = admin.post_form("/admin/campaigns", f"/admin/campaigns/{campaign_id}/close",
                               {"next": "/admin/campaigns"})
    assert response.status_code == 302
    assert campaign_by_code(session, "close-test-2024").status == "closed"
    listing = text_of(admin.get("/admin/campaigns?status=closed"))
    assert "close-test-2024" in listing and "Đã đóng" in listing
    assert "Đã đóng" in text_of(browser("vks-qb-dong-hoi.canbo").get("/campaigns"))

    staff = api("vks-qb-dong-hoi.canbo")
    unit = session.scalar(select(Unit).where(Unit.code == "vks-qb-dong-hoi"))
    refused = staff.post("/api/cases", json={"campaign_id": campaign_id, "unit_id": unit.id})
    assert refused.status_code == 409 and refused.get_json() == {
        "error": "conflict", "message": "Phong trào đã kết thúc, không thể tạo hồ sơ mới."}

    response = admin.post_form("/admin/campaigns", f"/admin/campaigns/{campaign_id}/reopen", {})
    assert response.status_code == 302
    assert staff.post("/api/cases", json={"campaign_id": campaign_id, "unit_id": unit.id}).status_code == 201
    # A campaign with cases may still be edited.
    edited = {**qb_definition("close-test-2024"), "reminder_days_before": 2}
    assert api("admin").client.put(f"/api/campaigns/{campaign_id}", json=edited,
                                   headers=api("admin").headers).status_code == 200


def test_non_admin_gets_403_on_every_page_and_action(browser, session):
    staff = browser("vks-qb-dong-hoi.canbo")
    qb = campaign_by_code(session, "qb-1532-2024")
    for url in ("/admin/campaigns", "/admin/campaigns/new", f"/admin/campaigns/{qb.id}",
                f"/admin/campaigns/{qb.id}/copy", f"/admin/campaigns/{qb.id}.toml"):
        response = staff.get(url)
        assert response.status_code == 403 and ADMINS_ONLY in text_of(response), url
    for action in ("close", "copy"):
        response = staff.post_form("/campaigns", f"/admin/campaigns/{qb.id}/{action}", {})
        assert response.status_code == 403 and ADMINS_ONLY in text_of(response), action
    response = staff.post_form("/campaigns", "/admin/campaigns/new", {"toml": QB_TEXT})
    assert response.status_code == 403 and ADMINS_ONLY in text_of(response)
    assert "Quản trị phong trào" not in text_of(staff.get("/campaigns"))
    assert campaign_by_code(session, "qb-1532-2024").status == "open"


def test_campaign_list_shows_round_period_and_status(browser):
    page = text_of(browser("vks-qb-dong-hoi.canbo").get("/campaigns"))
    assert "Sơ kết" in page and "06/11/2023 – 15/08/2024" in page and "Đang mở" in page


# ── the API ──────────────────────────────────────────────────────────────────────────────────────────────────

def test_api_create_read_update_copy_close(api, session):
    admin = api("admin")
    response = admin.post("/api/campaigns", json=qb_definition("api-test-2024"))
    assert response.status_code == 201
    doc = response.get_json()
    assert doc["code"] == "api-test-2024" and doc["definition"]["deadline"] == "2024-08-23"
    assert doc["changed"]["created_by"] == "admin"
    campaign_id = doc["id"]

    again = admin.post("/api/campaigns", json=qb_definition("api-test-2024"))
    assert again.status_code == 409 and again.get_json() == {
        "error": "conflict", "message": "Đã có phong trào mã «api-test-2024»; hãy chọn mã khác."}
    read = api("vks-qb-dong-hoi.canbo").get(f"/api/campaigns/{campaign_id}").get_json()
    assert read["definition"] == qb_definition("api-test-2024") and "changed" not in read

    changed = {**qb_definition("api-test-2024"), "review_working_days": 5, "upper_deadline": "2024-09-03",
               "upper_deadline_rule": "before"}
    response = admin.client.put(f"/api/campaigns/{campaign_id}", json=changed, headers=admin.headers)
    assert response.status_code == 200 and response.get_json()["definition"]["review_working_days"] == 5

    copy = admin.post(f"/api/campaigns/{campaign_id}/copy", json={})
    assert copy.status_code == 201
    copied = copy.get_json()
    assert copied["code"] == "api-test-2025" and copied["deadline"] == "2025-08-23"
    assert copied["definition"]["upper_deadline"] == "2025-09-03" and copied["status"] == "open"

    closed = admin.post(f"/api/campaigns/{campaign_id}/close")
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert campaign_by_code(session, "api-test-2024").status == "closed"
    assert admin.post(f"/api/campaigns/{campaign_id}/reopen").get_json()["status"] == "open"


def test_api_errors_follow_the_contract(api, session):
    admin = api("admin")
    bad = qb_definition("api-bad-2024")
    bad["quota"][0]["award_form"] = "x"
    bad["deadline"] = "23/08/2024"
    response = admin.post("/api/campaigns", json=bad)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed" and set(body["fields"]) == {"deadline"}  # schema first
    assert body["message"] == "Định nghĩa phong trào chưa hợp lệ: 1 lỗi, xem chi tiết theo từng khóa."
    bad["deadline"] = "2024-08-23"
    body = admin.post("/api/campaigns", json=bad).get_json()
    assert body["fields"] == {"quota[0].award_form": ["Hình thức «x» chưa được khai báo trong award_form."]}

    response = admin.post("/api/campaigns", data="không phải JSON", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["message"] == \
        "Nội dung yêu cầu phải là một đối tượng JSON (định nghĩa phong trào)."
    response = admin.post("/api/campaigns/999999/close")
    assert response.status_code == 404 and response.get_json() == {
        "error": "not_found", "message": "Không tìm thấy phong trào thi đua."}

    staff = api("vks-qb-dong-hoi.canbo")
    qb = campaign_by_code(session, "qb-1532-2024")
    for response in (staff.post("/api/campaigns", json=qb_definition("api-staff-2024")),
                     staff.client.put(f"/api/campaigns/{qb.id}", json=qb_definition("qb-1532-2024"),
                                      headers=staff.headers),
                     staff.post(f"/api/campaigns/{qb.id}/copy", json={}),
                     staff.post(f"/api/campaigns/{qb.id}/close")):
        assert response.status_code == 403 and response.get_json() == {"error": "forbidden", "message": ADMINS_ONLY}
    assert campaign_by_code(session, "api-staff-2024") is None

    schema = staff.get("/api/campaign-schema.json")
    assert schema.status_code == 200 and schema.get_json() == cdef.schema()


def test_a_definition_that_would_break_registration_or_every_page_is_refused(session):
    """A criterion label longer than the registration form holds made registration impossible; a definition of
    several MB through the API slowed every page that lists campaigns."""
    import pytest as _pytest

    from processes import campaign_admin as admin_core
    from processes import campaign_definition as cdef
    from processes.errors import ValidationFailed
    from processes.models import Campaign, User

    admin = session.scalar(select(User).where(User.is_admin.is_(True)))
    th = session.scalar(select(Campaign).where(Campaign.code == "th-cds-2024"))
    body = cdef.definition_of(admin_core.read_campaign(session, admin, th.id).details)
    body["code"] = "th-thu"
    assert body["criterion"], "the Thanh Hóa round has criteria"
    body["criterion"][0]["label"] = "Ư" * 601
    with _pytest.raises(ValidationFailed) as refused:
        admin_core.validate(session, body)
    assert list(refused.value.field_errors) == ["criterion[0].label"], refused.value.field_errors
    body["criterion"][0]["label"] = "Ư" * 600
    admin_core.validate(session, body)  # the longest label the form holds passes
    huge = {**body, "name": "x" * (cdef.MAX_TEXT_BYTES + 1)}
    with _pytest.raises(ValidationFailed, match="quá lớn"):
        admin_core.create_campaign(session, admin, huge)
