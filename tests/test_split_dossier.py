"""A MIXED dossier splits (issue 15, "a Giấy khen is decided by the unit's own head"): VKSND TP Đà Nẵng proposes
one Giấy khen of its own head (VKSTC 2025–2030 §III.2.1) and one Bằng khen of the Viện trưởng VKSND tối cao. The
head decides the Giấy khen first (`unit_decision`, under the unit's own header, listing only that nominee); the
rest goes up as any dossier does — the tờ trình and danh sách sent up, the roll-up into VKSND tối cao's
consolidation case, its council's selection and its decision list only the Bằng khen — and the case ends when the
decision from above comes back, with both decisions on its page and in the award history."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from processes.case_page import outcome
from processes.contracts import CaseStatus
from processes.forms import forms, initial_data
from processes.models import AwardRecord, Case, OpenTask
from tests.factories import collective, complete, person, submitted
from tests.test_browser import live, page  # noqa: F401  (fixtures)

VKSTC = "vkstc-dmst-2025-2027"
HOA = person("Lê Thị Hoa", "giay_khen_thu_truong", position="Kiểm sát viên, VKSND thành phố Đà Nẵng")
THUY = person("Trần Thị Thủy", "bang_khen_vkstc", position="Kiểm sát viên, VKSND thành phố Đà Nẵng")
OWN = {"decision_number": "12/QĐ-VKS", "decision_date": "2027-09-05",
       "decision_authority": "Viện trưởng VKSND thành phố Đà Nẵng", "decision_signer_name": "Ngô Văn Hùng",
       "decision_signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG",
       "awards": [{"nominee": HOA["name"], "award_form": "giay_khen_thu_truong", "awarded": True}]}
SELECTION = {"meeting_date": "2027-09-20", "meeting_place": "Phòng họp VKSND tối cao", "members_total": 9,
             "members_present": 8}
UPWARD = {"submission_number": "200/TTr-VKSTC", "submission_date": "2027-09-25", "signer_name": "Nguyễn Đức Thái",
          "signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG"}


def open_tasks(session, case):
    return [(t.bpmn_id, t.lane) for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))]


def fresh(session, case):
    return session.get(Case, case.id, populate_existing=True)


def decided_by_head(session):
    case = submitted(session, "vks-da-nang", [HOA, THUY], campaign_code=VKSTC)
    assert open_tasks(session, case) == [("unit_decision", "unit_head")]  # the head decides first
    return complete(session, case, "vks-da-nang.thutruong", OWN)


def to_the_consolidation(session):
    case = decided_by_head(session)
    case = complete(session, case, "vkstc.tdkt", {"check_decision": "accept"}, "provincial_check")
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    return fresh(session, case), fresh(session, parent)


def test_the_parts_follow_the_campaign_file():
    from processes.award_forms import own_part, upper_part, upward_nominees
    levels = {"giay_khen_thu_truong": "own", "bang_khen_vkstc": "supreme"}
    assert own_part([HOA, THUY], levels) == [HOA] and upper_part([HOA, THUY], levels) == [THUY]
    # Đà Nẵng's own round: its Giấy khen is the city Viện trưởng's, so nothing stays at a district
    assert own_part([HOA], {"giay_khen_thu_truong": "provincial"}) == []
    split = {"nominees": [HOA, THUY], "award_levels": levels, "unit_decision": {"decision_number": "12/QĐ-VKS"}}
    assert upward_nominees(split) == [THUY]
    assert upward_nominees({"nominees": [HOA, THUY], "award_levels": levels}) == [HOA, THUY]  # not decided at the unit


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_head_decides_the_giay_khen_and_the_rest_goes_up(session):
    case = submitted(session, "vks-da-nang", [HOA, THUY], campaign_code=VKSTC)
    # the head's decision form lists only the Giấy khen
    opened = initial_data(forms.load("record-decision-schema.json"), case.data)
    assert [a["nominee"] for a in opened["awards"]] == [HOA["name"]]
    case = complete(session, case, "vks-da-nang.thutruong", OWN)
    assert open_tasks(session, case) == [("provincial_check", "provincial_reviewer")]
    assert case.status != CaseStatus.COMPLETED
    assert case.data["receiving_level"] == "supreme"
    assert case.data["unit_decision"]["decision_number"] == "12/QĐ-VKS"
    assert case.data["unit_decision"]["decision_signer_name"] == "Ngô Văn Hùng"
    assert case.data["decision_number"] is None and case.data["awards"] is None  # the upper one is yet to come
    shown = outcome(case)
    assert [d.number for d in shown.decisions] == ["12/QĐ-VKS"]
    assert [a["nominee"] for a in shown.decisions[0].awarded] == [HOA["name"]]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_receiving_levels_lists_never_show_the_units_own_giay_khen(session):
    case, parent = to_the_consolidation(session)
    assert parent.unit.code == "vkstc" and case.parent_id == parent.id
    assert [c["name"] for c in parent.data["candidates"]] == [THUY["name"]]

    rows = [{**c, "votes_for": 8, "selected": True} for c in parent.data["candidates"]]
    # the council cannot put the unit's own Giấy khen back among what it sends up: its rows are the server's
    smuggled = {**rows[0], "name": HOA["name"], "award_form": "giay_khen_thu_truong"}
    parent = complete(session, parent, "vkstc.hoidong", {**SELECTION, "candidates": [*rows, smuggled]})
    assert [n["name"] for n in parent.data["nominees"]] == [THUY["name"]]
    parent = complete(session, parent, "vkstc.thutruong", UPWARD)
    tasks = open_tasks(session, parent)
    reviewer = "vkstc.tdkt"
    parent = complete(session, parent, reviewer, {"check_decision": "accept"})
    opened = initial_data(forms.load("record-decision-schema.json"), parent.data)
    assert [a["nominee"] for a in opened["awards"]] == [THUY["name"]], tasks
    upper = {"decision_number": "1234/QĐ-VKSTC", "decision_date": "2027-10-10",
             "decision_authority": "Viện trưởng VKSND tối cao",
             "awards": [{"nominee": THUY["name"], "award_form": "bang_khen_vkstc", "awarded": True,
                         "case_id": case.id}]}
    parent = complete(session, parent, reviewer, upper)
    case = fresh(session, case)
    assert case.status == CaseStatus.COMPLETED
    assert case.data["decision_number"] == "1234/QĐ-VKSTC"
    assert case.data["awards"] == [{"nominee": THUY["name"], "award_form": "bang_khen_vkstc", "awarded": True}]
    assert case.data["unit_decision"]["awards"][0]["nominee"] == HOA["name"]

    # the decision card: both decisions with who received what
    shown = outcome(case)
    assert [(d.number, [a["nominee"] for a in d.awarded]) for d in shown.decisions] == [
        ("12/QĐ-VKS", [HOA["name"]]), ("1234/QĐ-VKSTC", [THUY["name"]])]
    # the award history holds both awards, each under its own decision
    records = sorted((r.nominee_name, r.decision_number, r.award_form) for r in session.scalars(
        select(AwardRecord).where(AwardRecord.case_id == case.id)))
    assert records == [(HOA["name"], "12/QĐ-VKS", "giay_khen_thu_truong"),
                       (THUY["name"], "1234/QĐ-VKSTC", "bang_khen_vkstc")]


def decided(session):
    """The mixed dossier to its end: the head's Giấy khen, then VKSND tối cao's Bằng khen on the consolidated list."""
    case, parent = to_the_consolidation(session)
    rows = [{**c, "votes_for": 8, "selected": True} for c in parent.data["candidates"]]
    parent = complete(session, parent, "vkstc.hoidong", {**SELECTION, "candidates": rows})
    parent = complete(session, parent, "vkstc.thutruong", UPWARD)
    parent = complete(session, parent, "vkstc.tdkt", {"check_decision": "accept"})
    complete(session, parent, "vkstc.tdkt", {
        "decision_number": "1234/QĐ-VKSTC", "decision_date": "2027-10-10",
        "decision_authority": "Viện trưởng VKSND tối cao", "decision_signer_name": "Nguyễn Đức Thái",
        "decision_signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG",
        "awards": [{"nominee": THUY["name"], "award_form": "bang_khen_vkstc", "awarded": True, "case_id": case.id}]})
    return fresh(session, case)


def pdf_text(session, case, code, nominee=None, user_name="vks-da-nang.canbo") -> str:
    from processes.documents import dossier
    from tests.factories import user
    from tests.test_documents import flat, text_of
    _name, pdf = dossier.generate(session, user(session, user_name), case.id, code, nominee)
    return flat(text_of(pdf))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_pdfs_of_both_decisions(session):
    case = decided(session)
    own = pdf_text(session, case, "quyet_dinh_don_vi")
    # the unit's own header, its head's authority line and signer, only the Giấy khen
    assert own.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO VIỆN KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG"), own[:200]
    assert "Số: 12/QĐ-VKS" in own
    assert "Về việc tặng Giấy khen VIỆN TRƯỞNG VKSND THÀNH PHỐ ĐÀ NẴNG" in own
    assert "Xét đề nghị của Hội đồng Thi đua - Khen thưởng Viện kiểm sát nhân dân thành phố Đà Nẵng tại Tờ trình " \
           "số 15/TTr-VKS" in own
    assert "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG Ngô Văn Hùng" in own
    assert "Lê Thị Hoa" in own and "Trần Thị Thủy" not in own and "Bằng khen" not in own
    certificate = pdf_text(session, case, "giay_khen_don_vi", 0)
    assert "VIỆN TRƯỞNG VKSND THÀNH PHỐ ĐÀ NẴNG tặng GIẤY KHEN Lê Thị Hoa" in certificate

    upper = pdf_text(session, case, "quyet_dinh")
    # VKSND tối cao's header and signer, on the consolidated tờ trình, only the Bằng khen
    assert upper.startswith("VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO Số: 1234/QĐ-VKSTC"), upper[:200]
    assert "ĐÀ NẴNG" not in upper[:upper.index("QUYẾT ĐỊNH")]
    assert "Về việc tặng Bằng khen VIỆN TRƯỞNG VKSND TỐI CAO" in upper and "200/TTr-VKSTC" in upper
    assert "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG Nguyễn Đức Thái" in upper
    assert "Trần Thị Thủy" in upper and "Lê Thị Hoa" not in upper

    # what was sent up names only the Bằng khen
    for code in ("to_trinh", "danh_sach"):
        sent = pdf_text(session, case, code)
        assert "Trần Thị Thủy" in sent and "Lê Thị Hoa" not in sent, code


def task_of(session, case_id, bpmn_id):
    return session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id, OpenTask.bpmn_id == bpmn_id))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_through_the_api_and_the_pages(session, api, browser):
    """The head decides from the API (the form opens with the Giấy khen only), VKSND tối cao's people see and
    decide only the Bằng khen, and the unit's case page shows both decisions with who received what."""
    case = submitted(session, "vks-da-nang", [HOA, THUY], campaign_code=VKSTC)
    staff = browser("vks-da-nang.canbo")
    early = staff.get(f"/cases/{case.id}/documents/quyet_dinh_don_vi.pdf")  # the head has not decided yet
    assert early.status_code == 404
    assert "Hồ sơ này không có quyết định riêng của Thủ trưởng đơn vị." in early.get_data(as_text=True)
    head = api("vks-da-nang.thutruong")
    task = task_of(session, case.id, "unit_decision")
    detail = head.get(f"/api/tasks/{task}").get_json()
    assert [a["nominee"] for a in detail["data"]["awards"]] == [HOA["name"]]
    assert detail["data"]["decision_signer_title"] == "Viện trưởng"  # the unit's own head signs
    done = head.post(f"/api/tasks/{task}/complete", json={**detail["data"], **OWN})
    assert done.status_code == 200, done.get_json()

    # the unit's page while the rest is above: the head's decision, and what still waits
    page = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Quyết định của Thủ trưởng đơn vị: Quyết định khen thưởng số 12/QĐ-VKS" in page
    assert "đang chờ cấp trên quyết định" in page
    assert "Quyết định tặng Giấy khen của Thủ trưởng đơn vị (PDF)" in page
    pdf = staff.get(f"/cases/{case.id}/documents/quyet_dinh_don_vi.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    supreme = api("vkstc.tdkt")
    assert supreme.post(f"/api/tasks/{task_of(session, case.id, 'provincial_check')}/complete",
                        json={"check_decision": "accept"}).status_code == 200
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    council = api("vkstc.hoidong")
    select_task = task_of(session, parent.id, "select_nominees")
    offered = council.get(f"/api/tasks/{select_task}").get_json()["data"]["candidates"]
    assert [c["name"] for c in offered] == [THUY["name"]]  # never the unit's own Giấy khen
    rows = [{**c, "votes_for": 8, "selected": True} for c in offered]
    assert council.post(f"/api/tasks/{select_task}/complete",
                        json={**SELECTION, "candidates": rows}).status_code == 200
    assert api("vkstc.thutruong").post(f"/api/tasks/{task_of(session, parent.id, 'submit_upward')}/complete",
                                       json=UPWARD).status_code == 200
    assert supreme.post(f"/api/tasks/{task_of(session, parent.id, 'supreme_check')}/complete",
                        json={"check_decision": "accept"}).status_code == 200
    decision_task = task_of(session, parent.id, "supreme_decision")
    form = supreme.get(f"/api/tasks/{decision_task}").get_json()["data"]
    assert [a["nominee"] for a in form["awards"]] == [THUY["name"]]
    form["awards"][0]["awarded"] = True
    answer = supreme.post(f"/api/tasks/{decision_task}/complete", json={
        **form, "decision_number": "1234/QĐ-VKSTC", "decision_date": "2027-10-10",
        "decision_authority": "Viện trưởng VKSND tối cao", "decision_signer_name": "Nguyễn Đức Thái"})
    assert answer.status_code == 200, answer.get_json()

    session.expire_all()
    assert session.get(Case, case.id).status == CaseStatus.COMPLETED
    page = staff.get(f"/cases/{case.id}").get_data(as_text=True)
    own_card = page[page.index("Quyết định của Thủ trưởng đơn vị: "):page.index("Quyết định của cấp trên: ")]
    upper_card = page[page.index("Quyết định của cấp trên: "):]
    upper_card = upper_card[:upper_card.index("</section>")]
    assert "12/QĐ-VKS" in own_card and HOA["name"] in own_card and THUY["name"] not in own_card
    assert "1234/QĐ-VKSTC" in upper_card and THUY["name"] in upper_card and HOA["name"] not in upper_card
    assert "1/1 đối tượng được khen thưởng" in own_card and "1/1 đối tượng được khen thưởng" in upper_card


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_case_page_in_the_browser(page, session):
    """At a phone's width the head's decision card (and the note that the rest waits above) fits without sideways
    scrolling; on a desk the case's diagram shows the split. Screenshots go to /tmp/shots-split/."""
    import os

    from tests.test_browser import login

    case = decided_by_head(session)
    os.makedirs("/tmp/shots-split", exist_ok=True)
    login(page, "vks-da-nang.canbo")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/cases/{case.id}")
    card = page.locator("section.decision-unit")
    assert "Quyết định của Thủ trưởng đơn vị" in card.inner_text() and HOA["name"] in card.inner_text()
    page.screenshot(path="/tmp/shots-split/case-390.png", full_page=True)
    card.screenshot(path="/tmp/shots-split/decision-card-390.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 2600, "height": 1400})
    page.goto(f"{page.base}/cases/{case.id}")
    diagram = page.locator("section.case-diagram")
    diagram.locator("[data-element-id='keep_unit_decision']").first.wait_for(timeout=15000)
    diagram.scroll_into_view_if_needed()
    diagram.screenshot(path="/tmp/shots-split/diagram.png")


def test_a_mixed_dossier_on_the_provincial_path_is_decided_twice():
    """The diagram alone (SpiffWorkflow, as the contract test runs it): a Bằng khen decided at the province and the
    unit's own Giấy khen. The head decides the Giấy khen; after a return from the province (which changes nothing
    of it), the province's decision form opens with the Bằng khen only; the case ends with both decisions."""
    from tests import test_diagram_contract as contract

    workflow = contract.start_workflow()
    room = {**contract.SUPREME_NOMINEES["nominees"][1]}  # VKSND thành phố Đồng Hới, giay_khen_thu_truong
    nominees = {"nominees": [*contract.PROVINCIAL_NOMINEES["nominees"], room]}
    votes = [{"nominee": n["name"], "votes_for": 9, "votes_against": 0} for n in nominees["nominees"]]
    contract.complete(workflow, "register_nominees", nominees, "unit_staff")
    contract.complete(workflow, "record_minutes", {**contract.MINUTES, "votes": votes}, "unit_secretary")
    contract.complete(workflow, "council_review", contract.COUNCIL_APPROVE, "unit_council")
    contract.complete(workflow, "submit_dossier", contract.SUBMIT, "unit_head")
    contract.complete(workflow, "unit_decision", contract.UNIT_DECISION, "unit_head")
    contract.complete(workflow, "provincial_check", contract.CHECK_RETURN, "provincial_reviewer")
    contract.complete(workflow, "submit_supplement", contract.SUBMIT, "unit_head")
    contract.complete(workflow, "provincial_check", contract.CHECK_ACCEPT, "provincial_reviewer")
    task = workflow.get_tasks(state=contract.TaskState.READY, manual=True)[0]
    assert task.task_spec.bpmn_id == "provincial_decision"
    opened = initial_data(forms.load("record-decision-schema.json"), task.data)
    assert [a["nominee"] for a in opened["awards"]] == ["Hoàng Văn Nam"]  # not the unit's own Giấy khen
    assert "decision_number" not in opened  # the head's number is not offered as the province's
    contract.complete(workflow, "provincial_decision", contract.PROVINCIAL_DECISION, "provincial_reviewer")
    assert workflow.is_completed() and "end_provincial" in contract.completed_ids(workflow)
    data = workflow.last_task.data
    assert data["decision_number"] == "567/QĐ-UBND" and data["unit_decision"]["decision_number"] == "12/QĐ-VKS"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_thanh_hoa_district_decides_its_chairmans_giay_khen_and_sends_the_bang_khen_up(session):
    """Seed 004 §III.4.b: the Chủ tịch UBND huyện decides his Giấy khen; the Bằng khen of the Chủ tịch UBND tỉnh goes
    to the Sở TT&TT. The district's own Quyết định is the UBND huyện's, never the Sở's."""
    own = collective("Ủy ban nhân dân xã Hoằng Lộc", "giay_khen_ubnd_huyen")
    up = collective("Ủy ban nhân dân xã Hoằng Đạo", "bang_khen_ubnd_tinh")
    case = submitted(session, "ubnd-hoang-hoa", [own, up], campaign_code="th-cds-2024")
    assert open_tasks(session, case) == [("unit_decision", "unit_head")]
    case = complete(session, case, "ubnd-hoang-hoa.thutruong", {
        "decision_number": "45/QĐ-UBND", "decision_date": "2024-09-16",
        "decision_authority": "Chủ tịch UBND huyện Hoằng Hóa", "decision_signer_name": "Lê Văn Thành",
        "awards": [{"nominee": own["name"], "award_form": "giay_khen_ubnd_huyen", "awarded": True}]})
    assert [bpmn for bpmn, _ in open_tasks(session, case)] == ["provincial_check"]
    text = pdf_text(session, case, "quyet_dinh_don_vi", user_name="ubnd-hoang-hoa.canbo")
    assert text.startswith("ỦY BAN NHÂN DÂN HUYỆN HOẰNG HÓA") and "SỞ THÔNG TIN" not in text.upper()
    assert "CHỦ TỊCH Lê Văn Thành" in text and own["name"] in text and up["name"] not in text
    sent = pdf_text(session, case, "to_trinh", user_name="ubnd-hoang-hoa.canbo")
    assert up["name"] in sent and own["name"] not in sent
