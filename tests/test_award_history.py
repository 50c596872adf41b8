"""The award history: a provincial decision recorded per nominee, found on the /awards page and GET /api/awards,
recorded once however often the decision is written, shown beside a later nomination of the same person for an
overlapping achievement period, and readable only within the user's own hierarchy. On both databases."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from processes import award_history
from processes.models import AwardRecord, Campaign, Case, OpenTask, Unit
from processes.nominees import nominee_key
from processes.unit_tree import hierarchy_unit_ids
from tests.factories import with_reports
from tests.test_case_flow_http import MINUTES, ids, inbox_task, submit
from tests.test_deadlines import SUBMIT, provincial_form  # noqa: F401  (fixture)

UNIT = "vks-qb-le-thuy"
PERSON = {"kind": "individual", "name": "Hoàng Văn Nam", "birth_date": "1985-03-12"}
COLLECTIVE = {"kind": "collective", "name": "Phòng Thực hành quyền công tố VKSND huyện Lệ Thủy"}
NOMINEES = with_reports({
    "nominees.0.kind": "individual", "nominees.0.name": "Hoàng Văn Nam", "nominees.0.birth_date": "12/03/1985",
    "nominees.0.position": "Kiểm sát viên, VKSND huyện Lệ Thủy", "nominees.0.award_form": "bang_khen_ubnd_tinh",
    "nominees.0.achievement_summary": "Hoàn thành xuất sắc nhiệm vụ năm 2024, không để xảy ra án quá hạn.",
    "nominees.1.kind": "collective", "nominees.1.name": COLLECTIVE["name"],
    "nominees.1.award_form": "bang_khen_ubnd_tinh",
    "nominees.1.achievement_summary": "Số hoá 100% hồ sơ án hình sự từ quý I/2024.",
})
VOTES = {k: v for k, v in MINUTES.items() if not k.startswith("votes.")} | {
    "votes.0.nominee": "Hoàng Văn Nam", "votes.0.votes_for": "8", "votes.0.votes_against": "0",
    "votes.1.nominee": COLLECTIVE["name"], "votes.1.votes_for": "8", "votes.1.votes_against": "0"}
DECISION = {"decision_number": "567/QĐ-UBND", "decision_date": "05/11/2024",
            "decision_authority": "Chủ tịch UBND tỉnh Quảng Bình",
            "awards.0.nominee": "Hoàng Văn Nam", "awards.0.award_form": "bang_khen_ubnd_tinh", "awards.0.awarded": "on",
            "awards.1.nominee": COLLECTIVE["name"], "awards.1.award_form": "bang_khen_ubnd_tinh"}  # not awarded


def to_decision(browser, session) -> tuple[int, int]:
    """A Lệ Thủy case through its unit's steps and the province's check; returns the case and the decision task."""
    campaign_id, unit_id = ids(session, unit_code=UNIT)
    staff = browser(f"{UNIT}.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), NOMINEES).status_code == 302
    for role, fields in (("thuky", VOTES), ("hoidong", {"council_decision": "approve"}), ("thutruong", SUBMIT)):
        person = browser(f"{UNIT}.{role}")
        assert submit(person, inbox_task(person), fields).status_code == 302, role
    province = browser("vks-quang-binh.tdkt")
    assert submit(province, inbox_task(province), {"check_decision": "accept"}).status_code == 302
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id,
                                                       OpenTask.bpmn_id == "provincial_decision"))
    assert task_id, "the provincial path should end at the province's decision"
    return case_id, task_id


def decided_case(browser, session) -> int:
    case_id, task_id = to_decision(browser, session)
    response = submit(browser("vks-quang-binh.tdkt"), task_id, DECISION)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert session.get(Case, case_id, populate_existing=True).status == "completed"
    return case_id


def records(session, **where):
    query = select(AwardRecord).execution_options(populate_existing=True).order_by(AwardRecord.id)
    for column, value in where.items():
        query = query.where(getattr(AwardRecord, column) == value)
    return list(session.scalars(query))


def past_award(session, campaign_code, nominee=PERSON, number="12/QĐ-VKSQB", date=dt.date(2024, 1, 20),
               unit_code=UNIT, period=(dt.date(2023, 1, 1), dt.date(2023, 12, 31))) -> AwardRecord:
    """An award of an earlier campaign, written straight into the history."""
    campaign_id, unit_id = ids(session, campaign_code, unit_code)
    row = AwardRecord(campaign_id=campaign_id, unit_id=unit_id, nominee_kind=nominee["kind"],
                      nominee_key=nominee_key(nominee), nominee_name=nominee["name"], award_form="giay_khen_thu_truong",
                      award_name="Giấy khen của Thủ trưởng đơn vị", decision_number=number, decision_date=date,
                      decision_authority="Viện trưởng VKSND tỉnh Quảng Bình", period_start=period[0],
                      period_end=period[1])
    session.add(row)
    session.commit()
    return row


# --- the decision becomes history ------------------------------------------------------------------------------------

@pytest.mark.usefixtures("provincial_form")
def test_a_provincial_decision_is_recorded_per_awarded_nominee_and_shown(app, session, browser, api):
    case_id = decided_case(browser, session)
    rows = records(session, case_id=case_id)
    assert len(rows) == 1  # the collective was not awarded
    award = rows[0]
    campaign_id, unit_id = ids(session, unit_code=UNIT)
    assert (award.nominee_name, award.nominee_kind, award.nominee_key) == (
        "Hoàng Văn Nam", "individual", "individual:hoàng văn nam|1985-03-12")
    assert (award.decision_number, award.decision_date, award.decision_authority) == (
        "567/QĐ-UBND", dt.date(2024, 11, 5), "Chủ tịch UBND tỉnh Quảng Bình")
    assert (award.campaign_id, award.unit_id, award.award_form) == (campaign_id, unit_id, "bang_khen_ubnd_tinh")
    assert award.award_name == "Bằng khen của Chủ tịch UBND tỉnh"
    assert award.position == "Kiểm sát viên, VKSND huyện Lệ Thủy" and award.achievement_title
    assert (award.period_start, award.period_end) == (dt.date(2023, 11, 6), dt.date(2024, 8, 15))

    # The page, found by the start of the name in another case and spacing; dates as dd/mm/yyyy.
    staff = browser(f"{UNIT}.canbo")
    html = staff.get("/awards?q=  hoàng   VĂN").get_data(as_text=True)
    assert "Hoàng Văn Nam" in html and "567/QĐ-UBND" in html and "05/11/2024" in html
    assert "Bằng khen của Chủ tịch UBND tỉnh" in html and "Lịch sử khen thưởng" in html
    assert "Hoàng Văn Nam" in staff.get(f"/awards?key={award.nominee_key}").get_data(as_text=True)
    assert "Hoàng Văn Nam" not in staff.get("/awards?kind=collective").get_data(as_text=True)
    assert "Không tìm thấy khen thưởng" in staff.get("/awards?q=Nguyễn").get_data(as_text=True)

    body = api(f"{UNIT}.canbo").get("/api/awards?q=hoàng văn nam").get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1 and body["per_page"] == 20
    item = body["items"][0]
    assert (item["nominee_name"], item["decision_number"], item["decision_date"], item["case_id"]) == (
        "Hoàng Văn Nam", "567/QĐ-UBND", "2024-11-05", case_id)
    assert api(f"{UNIT}.canbo").get(f"/api/awards?unit_id={unit_id}").get_json()["total"] == 1
    province_id = ids(session, unit_code="vks-quang-binh")[1]  # a unit's history includes the units under it
    assert api("vks-quang-binh.tdkt").get(f"/api/awards?unit_id={province_id}").get_json()["total"] == 1
    other_id = ids(session, unit_code="vks-qb-dong-hoi")[1]
    assert api(f"{UNIT}.canbo").get(f"/api/awards?unit_id={other_id}").get_json()["total"] == 0


@pytest.mark.usefixtures("provincial_form")
def test_recording_a_decision_twice_keeps_one_row_per_award(app, session, browser):
    case_id = decided_case(browser, session)
    case = session.get(Case, case_id, populate_existing=True)
    assert award_history.record_decision(session, case) == 1
    assert award_history.record_decision(session, case) == 1
    session.commit()
    assert len(records(session, case_id=case_id)) == 1

    # A decision corrected to award the collective too replaces the case's rows.
    data = dict(case.data)
    data["awards"] = [{**a, "awarded": True} for a in data["awards"]]
    case.data = data
    assert award_history.record_decision(session, case) == 2
    session.commit()
    assert sorted(r.nominee_kind for r in records(session, case_id=case_id)) == ["collective", "individual"]


def test_no_decision_no_history(app, session):
    campaign_id, unit_id = ids(session, unit_code=UNIT)
    case = Case(campaign_id=campaign_id, unit_id=unit_id, diagram_version_id=1, workflow_state="",
                status="completed", data={"nominees": [PERSON]})
    assert award_history.record_decision(session, case) == 0
    case.kind = "consolidation"  # its awards belong to its units' cases, recorded there
    case.data = {"decision_number": "1/QĐ", "awards": [{"nominee": "Hoàng Văn Nam", "awarded": True}]}
    assert award_history.record_decision(session, case) == 0
    assert session.scalar(select(func.count()).select_from(AwardRecord)) == 0


# --- earlier awards beside a nomination ------------------------------------------------------------------------------

@pytest.mark.usefixtures("provincial_form")
def test_earlier_awards_in_an_overlapping_period_are_shown_on_the_nomination(app, session, browser):
    # qb-1532-2024 covers 06/11/2023 – 15/08/2024: an award for 2023 overlaps it, one for 2021 does not.
    past_award(session, "dn-cds-so-ket-2024", number="12/QĐ-VKSQB", date=dt.date(2024, 1, 20))
    past_award(session, "dn-cds-so-ket-2024", number="99/QĐ-CU", date=dt.date(2022, 1, 10),
               period=(dt.date(2021, 1, 1), dt.date(2021, 12, 31)))
    past_award(session, "dn-cds-so-ket-2024", nominee={"kind": "individual", "name": "Hoàng Văn Nam"},
               number="77/QĐ-KHAC")  # a namesake with no birth date is another person

    case_id, task_id = to_decision(browser, session)
    province = browser("vks-quang-binh.tdkt")
    for html in (province.get(f"/tasks/{task_id}").get_data(as_text=True),
                 province.get(f"/cases/{case_id}").get_data(as_text=True)):
        section = html.split("Khen thưởng đã nhận trong cùng kỳ thành tích", 1)[1].split("</section>", 1)[0]
        assert "Hoàng Văn Nam" in section and "12/QĐ-VKSQB" in section and "20/01/2024" in section
        assert "99/QĐ-CU" not in section and "77/QĐ-KHAC" not in section
        assert COLLECTIVE["name"] in section and "Chưa có" in section

    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    found = award_history.earlier_awards(session, campaign, [PERSON, COLLECTIVE], units=None)
    assert [a.decision_number for a in found[nominee_key(PERSON)]] == ["12/QĐ-VKSQB"]
    assert found[nominee_key(COLLECTIVE)] == []


@pytest.mark.usefixtures("provincial_form")
def test_earlier_awards_leave_out_the_same_campaign_and_other_periods(app, session, browser):
    past_award(session, "qb-1532-2024", number="1/QĐ-CUNGDOT")  # this round's own decision is not "earlier"
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    assert award_history.earlier_awards(session, campaign, [PERSON], units=None) == {nominee_key(PERSON): []}
    later = session.scalar(select(Campaign).where(Campaign.code == "vkstc-dmst-2025-2027"))  # 2025 – 2027
    assert award_history.earlier_awards(session, later, [PERSON], units=None) == {nominee_key(PERSON): []}
    assert award_history.earlier_awards(session, campaign, [], units=None) == {}
    # Without nominees (a case just started) the pages show no section at all.
    campaign_id, unit_id = ids(session, unit_code=UNIT)
    staff = browser(f"{UNIT}.canbo")
    staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    assert "cùng kỳ thành tích" not in staff.get(f"/tasks/{inbox_task(staff)}").get_data(as_text=True)


# --- who may read it -------------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("provincial_form")
def test_history_is_read_within_the_users_own_hierarchy(app, session, browser, api):
    past_award(session, "qb-1532-2024", number="12/QĐ-VKSQB")
    thanh_hoa = session.scalar(select(Unit.id).where(Unit.code == "so-tttt-thanh-hoa"))
    past_award(session, "th-cds-2024", nominee={"kind": "collective", "name": "Báo Thanh Hóa"},
               number="88/QĐ-STTTT", unit_code="bao-thanh-hoa")
    le_thuy = ids(session, unit_code=UNIT)[1]

    # The procuracy's people see the procuracy's awards, even of another province's unit, never Thanh Hóa's.
    body = api("vks-da-nang.tdkt").get("/api/awards").get_json()
    assert [i["decision_number"] for i in body["items"]] == ["12/QĐ-VKSQB"]
    html = browser(f"{UNIT}.canbo").get("/awards").get_data(as_text=True)
    assert "12/QĐ-VKSQB" in html and "88/QĐ-STTTT" not in html and "Báo Thanh Hóa" not in html

    # Thanh Hóa's people see theirs; a procuracy unit is answered as a unit that does not exist.
    client = api("so-tttt-thanh-hoa.tdkt")
    assert [i["decision_number"] for i in client.get("/api/awards").get_json()["items"]] == ["88/QĐ-STTTT"]
    refusal = "Không tìm thấy đơn vị."
    for unit_id in (le_thuy, 987654):
        response = client.get(f"/api/awards?unit_id={unit_id}")
        assert response.status_code == 404 and response.get_json() == {"error": "not_found", "message": refusal}
    response = browser("so-tttt-thanh-hoa.tdkt").get(f"/awards?unit_id={le_thuy}")
    assert response.status_code == 404 and refusal in response.get_data(as_text=True)
    assert client.get(f"/api/awards?unit_id={thanh_hoa}").get_json()["total"] == 1
    response = client.get("/api/awards?kind=robot")
    assert response.status_code == 400 and response.get_json()["message"] == \
        "Đối tượng phải là «individual» (cá nhân) hoặc «collective» (tập thể)."
    response = app.test_client().get("/api/awards")
    assert response.status_code == 401 and response.get_json() == {
        "error": "unauthorized", "message": "Cần token API (Authorization: Bearer …)."}

    # The administrator sees both, newest decision first, a page at a time.
    body = api("admin").get("/api/awards?per_page=1").get_json()
    assert body["total"] == 2 and body["pages"] == 2 and len(body["items"]) == 1


@pytest.mark.usefixtures("provincial_form")
def test_earlier_awards_of_another_hierarchy_are_not_shown_beside_a_nomination(app, session, browser):
    """A Thanh Hóa decision for a namesake born the same day is no business of Quảng Bình's: not on the task page,
    not on the case page, not in the báo cáo thành tích the unit prints; a Quảng Bình earlier award still is."""
    from processes.documents import dossier
    from tests.factories import user

    past_award(session, "dn-cds-so-ket-2024", number="12/QĐ-VKSQB", date=dt.date(2024, 1, 20))
    past_award(session, "th-cds-2024", number="88/QĐ-UBNDTH", date=dt.date(2024, 3, 2), unit_code="bao-thanh-hoa")

    case_id, task_id = to_decision(browser, session)
    for username in ("vks-quang-binh.tdkt", f"{UNIT}.canbo"):
        reader = browser(username)
        pages = {"task": reader.get(f"/tasks/{task_id}"), "case": reader.get(f"/cases/{case_id}")}
        for page, response in pages.items():
            assert response.status_code == 200, (username, page)
            html = response.get_data(as_text=True)
            section = html.split("Khen thưởng đã nhận trong cùng kỳ thành tích", 1)[1].split("</section>", 1)[0]
            assert "12/QĐ-VKSQB" in section, (username, page)
            assert "88/QĐ-UBNDTH" not in html and "02/03/2024" not in html, (username, page)

    report = dossier.html(session, user(session, f"{UNIT}.canbo"), case_id, "bao_cao_thanh_tich", nominee=0)
    assert "12/QĐ-VKSQB" in report and "88/QĐ-UBNDTH" not in report
    # The same document rendered for an administrator quotes the unit's hierarchy all the same: it is the unit's.
    assert "88/QĐ-UBNDTH" not in dossier.html(session, user(session, "admin"), case_id, "bao_cao_thanh_tich", nominee=0)

    # The lookup itself: the reader's hierarchies only, everything for an administrator.
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    qb = award_history.earlier_awards(session, campaign, [PERSON],
                                      units=hierarchy_unit_ids(session, user(session, f"{UNIT}.canbo")))
    assert [a.decision_number for a in qb[nominee_key(PERSON)]] == ["12/QĐ-VKSQB"]
    everyone = award_history.earlier_awards(session, campaign, [PERSON], units=None)
    assert [a.decision_number for a in everyone[nominee_key(PERSON)]] == ["88/QĐ-UBNDTH", "12/QĐ-VKSQB"]


def test_the_page_pages_and_explains_an_empty_history(app, session, browser):
    staff = browser(f"{UNIT}.canbo")
    html = staff.get("/awards").get_data(as_text=True)
    assert "Chưa có quyết định khen thưởng nào được ghi nhận" in html
    for n in range(25):
        past_award(session, "dn-cds-so-ket-2024", nominee={"kind": "individual", "name": f"Cán bộ {n:02d}"},
                   number=f"{n}/QĐ", date=dt.date(2024, 1, 1) + dt.timedelta(days=n))
    html = staff.get("/awards").get_data(as_text=True)
    assert "Trang 1 / 2" in html and "Cán bộ 24" in html and "Cán bộ 00" not in html  # newest first
    html = staff.get("/awards?page=2").get_data(as_text=True)
    assert "Cán bộ 00" in html and "01/01/2024" in html
