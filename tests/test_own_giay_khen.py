"""A Giấy khen the unit's own head gives (VKSTC 2025–2030 §III.2.1 "Giấy khen của Thủ trưởng đơn vị có tư cách
pháp nhân"; Thanh Hóa 004 §III.4.b, Giấy khen of a Chủ tịch UBND huyện) is decided at the unit: a dossier of only
such nominees goes from the head's tờ trình to the head's own decision task, never to the receiving level, and its
Quyết định and Giấy khen carry the unit's own header and the signer's name. Other dossiers go up as before."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from processes.award_forms import dossier_level
from processes.contracts import CaseStatus
from processes.errors import Forbidden
from processes.models import Campaign, OpenTask
from tests.factories import collective, complete, person, shown, submitted, to_the_head
from tests.test_browser import live, page  # noqa: F401  (fixtures)
from tests.test_documents_signable import rendered

VKSTC = "vkstc-dmst-2025-2027"
TH = "th-cds-2024"
HOA = person("Lê Thị Hoa", "giay_khen_thu_truong", position="Kiểm sát viên, VKSND thành phố Đà Nẵng")
ROOM = collective("Phòng 2, VKSND thành phố Đà Nẵng", "giay_khen_thu_truong")
OWN_DECISION = {"decision_number": "12/QĐ-VKS", "decision_date": "2024-09-05",
                "decision_authority": "Viện trưởng VKSND thành phố Đà Nẵng", "decision_signer_name": "Ngô Văn Hùng",
                "decision_signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG",
                "awards": [{"nominee": HOA["name"], "award_form": "giay_khen_thu_truong", "awarded": True},
                           {"nominee": ROOM["name"], "award_form": "giay_khen_thu_truong", "awarded": True}]}


def open_tasks(session, case):
    return [(t.bpmn_id, t.lane) for t in session.scalars(select(OpenTask).where(OpenTask.case_id == case.id))]


def test_the_level_follows_the_campaign_file():
    vkstc = {"giay_khen_thu_truong": "own", "bang_khen_vkstc": "supreme"}
    assert dossier_level([HOA, ROOM], vkstc) == "own"
    assert dossier_level([HOA, person("Trần Thị Thủy")], vkstc) == "supreme"  # mixed: what goes up goes to VKSTC
    # Đà Nẵng's round: the unit's Giấy khen is the city Viện trưởng's, so the dossier goes to the city
    assert dossier_level([HOA], {"giay_khen_thu_truong": "provincial"}) == "provincial"
    assert dossier_level([HOA], {}) == "own"  # no campaign level: the catalogue (a Giấy khen of the unit's head)
    assert dossier_level([], vkstc) == "provincial"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_dossier_of_the_units_own_giay_khen_is_decided_by_its_head(session):
    case = submitted(session, "vks-da-nang", [HOA, ROOM], campaign_code=VKSTC)
    assert open_tasks(session, case) == [("unit_decision", "unit_head")]  # not the receiving level's check
    with pytest.raises(Forbidden) as refused:  # VKSND tối cao sees the case above the unit but does not decide it
        complete(session, case, "vkstc.tdkt", OWN_DECISION)
    assert "dành cho vai trò «Thủ trưởng đơn vị» của VKSND TP Đà Nẵng" in refused.value.message
    case = complete(session, case, "vks-da-nang.thutruong", OWN_DECISION)
    assert case.status == CaseStatus.COMPLETED and open_tasks(session, case) == []
    assert case.data["decision_signer_name"] == "Ngô Văn Hùng"

    campaign = session.scalar(select(Campaign).where(Campaign.code == VKSTC))
    text = rendered("quyet_dinh", case.data, campaign, case.unit)
    assert "VIỆN KIỂM SÁT NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG" in text and "VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO" in text
    assert "Về việc tặng Giấy khen VIỆN TRƯỞNG VKSND THÀNH PHỐ ĐÀ NẴNG Căn cứ" in text  # the authority line
    assert "KT. VIỆN TRƯỞNG PHÓ VIỆN TRƯỞNG Ngô Văn Hùng" in text
    assert "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023" in text  # decided on 05/9/2024
    # the head decides on its own council's proposal, not on a proposal of its own
    assert "Xét đề nghị của Hội đồng Thi đua - Khen thưởng Viện kiểm sát nhân dân thành phố Đà Nẵng tại Tờ trình số " \
           "15/TTr-VKS" in text
    assert "Giấy khen của Thủ trưởng đơn vị có tư cách pháp nhân" in text
    certificate = rendered("bang_khen", case.data, campaign, case.unit, nominee=0)
    assert "VIỆN TRƯỞNG VKSND THÀNH PHỐ ĐÀ NẴNG tặng GIẤY KHEN Lê Thị Hoa" in certificate
    assert "GIẤY KHEN" in certificate and "Lê Thị Hoa" in certificate and "Ngô Văn Hùng" in certificate


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_dossier_without_the_units_giay_khen_goes_up_as_before(session):
    case = submitted(session, "vks-da-nang", [person("Trần Thị Thủy")], campaign_code=VKSTC)
    assert [bpmn for bpmn, _ in open_tasks(session, case)] == ["provincial_check"]
    assert case.data["receiving_level"] == "supreme"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_mixed_dossier_goes_to_the_head_first(session):
    """Its Giấy khen is the head's to decide; the rest goes up after (tests/test_split_dossier.py follows it)."""
    case = submitted(session, "vks-da-nang", [HOA, person("Trần Thị Thủy")], campaign_code=VKSTC)
    assert open_tasks(session, case) == [("unit_decision", "unit_head")]
    assert [n["name"] for n in case.data["own_nominees"]] == [HOA["name"]]
    assert [n["name"] for n in case.data["upper_nominees"]] == ["Trần Thị Thủy"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_district_chairmans_giay_khen_stays_with_the_district(session):
    """Thanh Hóa 004 §III.4.b: the Chủ tịch UBND huyện decides; the dossier is not sent to the Sở TT&TT."""
    nominee = collective("Ủy ban nhân dân xã Hoằng Lộc", "giay_khen_ubnd_huyen")
    case = submitted(session, "ubnd-hoang-hoa", [nominee], campaign_code=TH)
    assert open_tasks(session, case) == [("unit_decision", "unit_head")]
    decision = {"decision_number": "45/QĐ-UBND", "decision_date": "2024-09-16", "decision_authority":
                "Chủ tịch UBND huyện Hoằng Hóa", "decision_signer_name": "Lê Văn Thành",
                "awards": [{"nominee": nominee["name"], "award_form": "giay_khen_ubnd_huyen", "awarded": True}]}
    case = complete(session, case, "ubnd-hoang-hoa.thutruong", decision)
    campaign = session.scalar(select(Campaign).where(Campaign.code == TH))
    text = rendered("quyet_dinh", case.data, campaign, case.unit)
    assert "ỦY BAN NHÂN DÂN HUYỆN HOẰNG HÓA" in text and "SỞ THÔNG TIN" not in text.upper()
    assert "CHỦ TỊCH Lê Văn Thành" in text  # the default title: the deciding body's head


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_api_hands_out_the_decision_task_with_the_default_title_and_completes_it(session, api):
    case = submitted(session, "ubnd-hoang-hoa", [collective("Ủy ban nhân dân xã Hoằng Lộc", "giay_khen_ubnd_huyen")],
                     campaign_code=TH)
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == case.id))
    head = api("ubnd-hoang-hoa.thutruong")
    detail = head.get(f"/api/tasks/{task.id}").get_json()
    assert detail["data"]["decision_signer_title"] == "Chủ tịch"  # the district's head decides
    assert "decision_signer_name" in detail["schema"]["properties"]
    data = {**detail["data"], "decision_number": "45/QĐ-UBND", "decision_date": "2024-09-16",
            "decision_authority": "Chủ tịch UBND huyện Hoằng Hóa", "decision_signer_name": "Lê\nVăn Thành"}
    data["awards"][0]["awarded"] = True
    refused = head.post(f"/api/tasks/{task.id}/complete", json=data)
    assert refused.status_code == 422
    assert refused.get_json()["fields"] == {"decision_signer_name": ["Họ và tên viết trên một dòng."]}
    done = head.post(f"/api/tasks/{task.id}/complete", json={**data, "decision_signer_name": "Lê Văn Thành"})
    assert done.status_code == 200, done.get_json()
    session.expire_all()
    assert session.get(type(case), case.id).status == CaseStatus.COMPLETED


def test_the_decision_form_opens_with_the_deciding_heads_title(app, session, browser):
    case = to_the_head(session, "vks-da-nang", [HOA], campaign_code=VKSTC)
    case = complete(session, case, "vks-da-nang.thutruong", {"submission_number": "5/TTr-VKS",
                    "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng", "signer_title": "Viện trưởng"})
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == case.id))
    head = browser("vks-da-nang.thutruong")
    page = shown(head.get(f"/tasks/{task.id}"))
    assert "Quyết định tặng Giấy khen (Thủ trưởng đơn vị)" in page
    assert "Họ và tên người ký quyết định" in page
    assert ">Viện trưởng</textarea>" in page  # prefilled from the deciding unit's head
    # a signature block of three lines is refused with the reason
    form = {"decision_number": "12/QĐ-VKS", "decision_date": "05/09/2024", "decision_authority": "Viện trưởng",
            "decision_signer_title": "KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG\nTHỪA LỆNH", "awards.0.nominee": HOA["name"],
            "awards.0.award_form": "giay_khen_thu_truong", "awards.0.awarded": "on",
            "case_version": str(case.version)}
    refused = head.post_form(f"/tasks/{task.id}", f"/tasks/{task.id}", form)
    assert refused.status_code == 422
    assert "Chức vụ người ký có tối đa hai dòng, mỗi dòng tối đa 80 ký tự." in shown(refused)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_head_decides_the_units_giay_khen_in_the_browser(page, session):
    """At a phone's width: the decision task with the signer's name and the two-line signature block (prefilled),
    completed by the head; the case ends decided. Screenshots go to /tmp/shots-docs/."""
    import os

    from tests.test_browser import login

    case = to_the_head(session, "vks-da-nang", [HOA], campaign_code=VKSTC)
    complete(session, case, "vks-da-nang.thutruong", {"submission_number": "5/TTr-VKS",
             "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng", "signer_title": "Viện trưởng"})
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == case.id))
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "vks-da-nang.thutruong")
    page.goto(f"{page.base}/tasks/{task.id}")
    title = page.locator('[name="decision_signer_title"]')
    assert title.input_value() == "Viện trưởng"
    page.fill('[name="decision_number"]', "12/QĐ-VKS")
    page.fill('[name="decision_date"]', "05/09/2024")
    page.fill('[name="decision_authority"]', "Viện trưởng VKSND thành phố Đà Nẵng")
    page.fill('[name="decision_signer_name"]', "Ngô Văn Hùng")
    title.fill("KT. VIỆN TRƯỞNG\nPHÓ VIỆN TRƯỞNG")
    page.check('[name="awards.0.awarded"]')
    os.makedirs("/tmp/shots-docs", exist_ok=True)
    page.screenshot(path="/tmp/shots-docs/unit-decision-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.click("button.submit-once")
    page.wait_for_url(page.base + "/")
    session.expire_all()
    decided = session.get(type(case), case.id)
    assert decided.status == CaseStatus.COMPLETED
    assert decided.data["decision_signer_title"].splitlines() == ["KT. VIỆN TRƯỞNG", "PHÓ VIỆN TRƯỞNG"]
