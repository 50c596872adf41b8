"""The level-by-level roll-up through the web pages, on both databases: two district procuracies submit to VKSND tỉnh
Quảng Bình; the province returns one without touching the other, its council selects within the campaign's quota,
its head cannot send the consolidated dossier before the deadline check, the supreme level returns it once and
then decides, and each district's case ends with the awards its own nominees received."""
import datetime as dt
import re

from sqlalchemy import select

from processes import clock
from processes.models import AuditEvent, Case, CaseTimer, OpenTask
from tests.factories import shown, with_reports
from tests.test_case_flow_http import NOMINEES as DONG_HOI, inbox_task, submit, to_the_head

LE_THUY = with_reports({
    "nominees.0.kind": "individual", "nominees.0.name": "Hoàng Văn Nam",
    "nominees.0.position": "Kiểm sát viên, VKSND huyện Lệ Thủy", "nominees.0.award_form": "bang_khen_vkstc",
    "nominees.0.achievement_summary": "Số hoá toàn bộ hồ sơ kiểm sát từ tháng 3/2024, giảm 20% thời gian tra cứu.",
})
SUBMIT = {"submission_number": "15/TTr-VKS", "submission_date": "20/08/2024", "signer_name": "Lê Văn Hùng",
          "signer_title": "Viện trưởng"}
PROVINCE_SUBMIT = {"submission_number": "120/TTr-VKSQB", "submission_date": "26/08/2024",
                   "signer_name": "Đoàn Công Minh", "signer_title": "Viện trưởng"}
AFTER_UNITS_DEADLINE = dt.datetime(2024, 8, 26, 1, 0)  # 08:00 on 26/08/2024, after "ngày 23/8/2024"


def minutes_for(names):
    fields = {"meeting_date": "19/08/2024", "meeting_place": "Phòng họp", "chair": "Lê Văn Hùng",
              "secretary_name": "Phạm Thị Lan", "members_total": "9", "members_present": "8"}
    for i, name in enumerate(names):
        fields |= {f"votes.{i}.nominee": name, f"votes.{i}.votes_for": "8", f"votes.{i}.votes_against": "0"}
    return fields


def submitted_dossier(browser, session, unit_code, nominees, names, campaign="qb-1532-2024") -> int:
    case_id, head, task_id = to_the_head(browser, session, unit_code, nominees, minutes_for(names), campaign)
    assert submit(head, task_id, SUBMIT).status_code == 302
    return case_id


def check_task_of(session, case_id) -> int:
    return session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id, OpenTask.bpmn_id == "provincial_check"))


def selection(candidates, chosen: dict[str, int], present=8, total=9) -> dict:
    """The council's form: every forwarded candidate as it was sent, the votes, the ticks."""
    fields = {"meeting_date": "27/08/2024", "meeting_place": "Phòng họp VKSND tỉnh Quảng Bình",
              "members_total": str(total), "members_present": str(present)}
    for i, c in enumerate(candidates):
        for key in ("case_id", "unit", "kind", "name", "position", "award_form", "achievement_summary"):
            if c.get(key) is not None:
                fields[f"candidates.{i}.{key}"] = str(c[key])
        fields[f"candidates.{i}.votes_for"] = str(chosen.get(c["name"], 2))
        if c["name"] in chosen:
            fields[f"candidates.{i}.selected"] = "on"
    return fields


def test_two_districts_roll_up_to_the_province_and_the_supreme_decision_flows_back(app, session, browser):
    dong_hoi = submitted_dossier(browser, session, "vks-qb-dong-hoi", DONG_HOI,
                                 ["Trần Thị Thủy", "VKSND thành phố Đồng Hới"])
    le_thuy = submitted_dossier(browser, session, "vks-qb-le-thuy", LE_THUY, ["Hoàng Văn Nam"])
    reviewer = browser("vks-quang-binh.tdkt")

    # The province accepts Đồng Hới and returns Lệ Thủy: Đồng Hới's dossier joins the consolidation case untouched.
    assert submit(reviewer, check_task_of(session, dong_hoi), {"check_decision": "accept"}).status_code == 302
    assert submit(reviewer, check_task_of(session, le_thuy), {
        "check_decision": "return", "check_reason": "Thiếu xác nhận của thủ trưởng trên báo cáo thành tích."
    }).status_code == 302
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    assert parent.unit.code == "vks-quang-binh" and session.get(Case, dong_hoi).parent_id == parent.id
    assert [c["name"] for c in parent.data["candidates"]] == ["Trần Thị Thủy", "VKSND thành phố Đồng Hới"]
    le_thuy_head = browser("vks-qb-le-thuy.thutruong")
    assert "Bổ sung hồ sơ" in le_thuy_head.get("/").get_data(as_text=True)
    assert session.get(Case, dong_hoi, populate_existing=True).current_step == "Chờ quyết định của trung ương"

    # The overview on the consolidation case lists every participating unit with where it stands.
    page = reviewer.get(f"/cases/{parent.id}").get_data(as_text=True)
    overview = page[page.index('class="card mb-4 unit-dossiers"'):]
    overview = overview[:overview.index("</section>")]
    assert overview.count("<tr") == 1 + 12  # header + the twelve units the campaign names
    assert "0/12 đơn vị đã hoàn tất" not in overview and "1/12 đơn vị đã hoàn tất" in overview
    assert "Đã tiếp nhận, chờ quyết định của trung ương" in overview and "Bổ sung hồ sơ và trình lại" in overview
    assert "Chưa tạo hồ sơ" in overview

    # Lệ Thủy supplements; accepted, its nominee joins the candidates.
    assert submit(le_thuy_head, inbox_task(le_thuy_head), {**SUBMIT, "submission_note": "Đã bổ sung."}).status_code == 302
    assert submit(reviewer, check_task_of(session, le_thuy), {"check_decision": "accept"}).status_code == 302
    parent = session.get(Case, parent.id, populate_existing=True)
    candidates = parent.data["candidates"]
    assert [(c["unit"], c["name"]) for c in candidates] == [
        ("Viện kiểm sát nhân dân thành phố Đồng Hới", "Trần Thị Thủy"),
        ("Viện kiểm sát nhân dân thành phố Đồng Hới", "VKSND thành phố Đồng Hới"),
        ("Viện kiểm sát nhân dân huyện Lệ Thủy", "Hoàng Văn Nam")]

    # The province's council selects; a vote under the threshold is refused. (The rows are read-only on the page;
    # a request that changes one is refused by the rule: see the API test below.)
    council = browser("vks-quang-binh.hoidong")
    task = inbox_task(council)
    form = council.get(f"/tasks/{task}").get_data(as_text=True)
    assert "Hoàng Văn Nam" in form and "Trần Thị Thủy" in form
    low = submit(council, task, selection(candidates, {"Trần Thị Thủy": 7, "Hoàng Văn Nam": 4}))
    assert low.status_code == 422
    assert "«Hoàng Văn Nam» (Bằng khen của Viện trưởng VKSND tối cao) được 4/8 phiếu đồng ý (50%)" in \
        low.get_data(as_text=True)
    assert submit(council, task, selection(candidates, {"Trần Thị Thủy": 7, "Hoàng Văn Nam": 6})).status_code == 302
    parent = session.get(Case, parent.id, populate_existing=True)
    assert [n["name"] for n in parent.data["nominees"]] == ["Trần Thị Thủy", "Hoàng Văn Nam"]

    # The head cannot send it upward before the deadline check: ten units may still submit until 23/08/2024.
    head = browser("vks-quang-binh.thutruong")
    task = inbox_task(head)
    early = submit(head, task, PROVINCE_SUBMIT)
    text = early.get_data(as_text=True)
    assert early.status_code == 422
    assert "Chưa thể trình lên: Chưa hết hạn nộp hồ sơ của các đơn vị (23/08/2024) và còn 10 đơn vị chưa hoàn tất" in text
    clock.set_clock(clock.ShiftedClock(AFTER_UNITS_DEADLINE))  # the conftest fixture puts the clock back
    assert submit(head, task, PROVINCE_SUBMIT).status_code == 302

    # The supreme level returns it once (the council selects again), then accepts and decides.
    supreme = browser("vkstc.tdkt")
    assert submit(supreme, inbox_task(supreme), {"check_decision": "return",
                                                 "check_reason": "Đề nghị rà soát lại số phiếu."}).status_code == 302
    again = inbox_task(council)
    page = council.get(f"/tasks/{again}").get_data(as_text=True)
    assert re.search(r'name="candidates\.0\.selected"[^>]*checked', page)  # the previous choice comes back
    assert submit(council, again, selection(candidates, {"Trần Thị Thủy": 8, "Hoàng Văn Nam": 7})).status_code == 302
    assert submit(head, inbox_task(head), PROVINCE_SUBMIT).status_code == 302
    assert submit(supreme, inbox_task(supreme), {"check_decision": "accept"}).status_code == 302
    decision = inbox_task(supreme)
    page = supreme.get(f"/tasks/{decision}").get_data(as_text=True)
    assert "Trần Thị Thủy" in page and "Hoàng Văn Nam" in page
    assert submit(supreme, decision, {
        "decision_number": "1234/QĐ-VKSTC", "decision_date": "10/10/2024",
        "decision_authority": "Viện trưởng VKSND tối cao",
        "awards.0.nominee": "Trần Thị Thủy", "awards.0.award_form": "bang_khen_vkstc", "awards.0.awarded": "on",
        "awards.0.case_id": str(dong_hoi),
        "awards.1.nominee": "Hoàng Văn Nam", "awards.1.award_form": "bang_khen_vkstc",
        "awards.1.case_id": str(le_thuy),
    }).status_code == 302

    # Each unit's case ends with what its own nominees received.
    parent = session.get(Case, parent.id, populate_existing=True)
    assert parent.status == "completed"
    first, second = (session.get(Case, i, populate_existing=True) for i in (dong_hoi, le_thuy))
    assert first.status == second.status == "completed"
    assert first.data["decision_number"] == second.data["decision_number"] == "1234/QĐ-VKSTC"
    assert first.data["awards"] == [
        {"nominee": "Trần Thị Thủy", "award_form": "bang_khen_vkstc", "awarded": True},
        {"nominee": "VKSND thành phố Đồng Hới", "award_form": "bang_khen_vkstc", "awarded": False}]
    assert second.data["awards"] == [{"nominee": "Hoàng Văn Nam", "award_form": "bang_khen_vkstc", "awarded": False}]
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == dong_hoi)
                                                 .order_by(AuditEvent.id))]
    assert actions[-2:] == ["decision_received", "case_completed"]
    staff = browser("vks-qb-dong-hoi.canbo")
    html = staff.get(f"/cases/{dong_hoi}").get_data(as_text=True)
    assert "Đã có quyết định" in html and "1234/QĐ-VKSTC" in html
    hidden = staff.get(f"/cases/{parent.id}")  # the province's own case: not the district's to see
    assert hidden.status_code == 404 and "Không tìm thấy hồ sơ." in shown(hidden)


def test_the_api_cannot_change_the_forwarded_candidates(app, session, browser, api):
    """The council's rows are the forwarded nominees as they are: an API body that changes a candidate's award form
    and adds a row of its own is stored with the rows the server put there (read-only fields and fixed rows are
    the server's for every client; the `selection` rule checks the rows again behind that)."""
    dong_hoi = submitted_dossier(browser, session, "vks-qb-dong-hoi", DONG_HOI,
                                 ["Trần Thị Thủy", "VKSND thành phố Đồng Hới"])
    reviewer = browser("vks-quang-binh.tdkt")
    assert submit(reviewer, check_task_of(session, dong_hoi), {"check_decision": "accept"}).status_code == 302
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == parent.id))
    forwarded = session.get(Case, parent.id, populate_existing=True).data["candidates"]
    rows = [{**c, "votes_for": 9, "selected": True} for c in forwarded]
    rows[0]["award_form"] = "giay_khen_thu_truong"  # a different award than the unit proposed
    rows.append({**rows[1], "case_id": 987654, "name": "Người ngoài danh sách"})
    body = {"meeting_date": "2024-08-27", "meeting_place": "Phòng họp", "members_total": 9, "members_present": 9,
            "candidates": rows}
    council = api("vks-quang-binh.hoidong")
    none_chosen = council.post(f"/api/tasks/{task_id}/complete",
                               json={**body, "candidates": [{**c, "selected": False} for c in rows]})
    assert none_chosen.status_code == 422 and none_chosen.get_json()["error"] == "rules_broken"  # the rule's wiring
    assert none_chosen.get_json()["fields"][""] == ["Hội đồng chưa chọn trường hợp nào để trình lên trung ương."]
    response = council.post(f"/api/tasks/{task_id}/complete", json=body)
    assert response.status_code == 200, response.get_json()
    chosen = session.get(Case, parent.id, populate_existing=True).data["candidates"]
    assert [(c["case_id"], c["name"], c["award_form"]) for c in chosen] == \
        [(c["case_id"], c["name"], c["award_form"]) for c in forwarded]
    assert all(c["selected"] and c["votes_for"] == 9 for c in chosen)  # the council's own entries are kept
    other = api("vks-qb-dong-hoi.hoidong").post(f"/api/tasks/{task_id}/complete", json=body)
    assert other.status_code == 404  # a district's council may not see the province's case: as if it did not exist
    assert other.get_json() == {"error": "not_found", "message": "Không tìm thấy nhiệm vụ."}


# --- the receiving level's own deadline (the consolidation's rules — selection, campaign quotas, the deadline check —
# are tested on the core in test_rules_enforce.py; the API test above is their wiring) -------------------------------

def forwarded_candidates(browser, session):
    dong_hoi = submitted_dossier(browser, session, "vks-qb-dong-hoi", DONG_HOI,
                                 ["Trần Thị Thủy", "VKSND thành phố Đồng Hới"])
    le_thuy = submitted_dossier(browser, session, "vks-qb-le-thuy", LE_THUY, ["Hoàng Văn Nam"])
    reviewer = browser("vks-quang-binh.tdkt")
    for case_id in (dong_hoi, le_thuy):
        assert submit(reviewer, check_task_of(session, case_id), {"check_decision": "accept"}).status_code == 302
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    return parent, parent.data["candidates"]


def test_the_receiving_levels_own_deadline_runs_on_the_consolidation_case(app, session, browser, amend_campaign):
    amend_campaign(upper_deadline="2024-09-05", upper_deadline_rule="on", reminder_days_before=3)
    parent, _ = forwarded_candidates(browser, session)
    timers = {t.bpmn_id: t.fire_at for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == parent.id))}
    assert timers == {}  # the council's selection comes first; the deadline binds the head's submission
    council = browser("vks-quang-binh.hoidong")
    assert submit(council, inbox_task(council), selection(parent.data["candidates"],
                                                          {"Trần Thị Thủy": 8})).status_code == 302
    end_of_5_9 = dt.datetime(2024, 9, 5, 16, 59, 59)  # 23:59:59 on 05/09/2024 in Việt Nam, naive UTC
    timers = {t.bpmn_id: t.fire_at for t in session.scalars(select(CaseTimer).where(CaseTimer.case_id == parent.id))}
    assert timers == {"upper_deadline_timer": end_of_5_9,
                      "upper_reminder_timer": end_of_5_9 - dt.timedelta(days=3)}
    task = session.scalar(select(OpenTask).where(OpenTask.case_id == parent.id))
    assert task.bpmn_id == "submit_upward" and task.due_at == end_of_5_9
    page = browser("vks-quang-binh.thutruong").get("/").get_data(as_text=True)
    assert "Trình hồ sơ tổng hợp lên trung ương" in page and "05/09/2024" in page


# --- Thanh Hóa: the same pattern under Sở TT&TT, decided by the Chairman of the provincial People's Committee ------

HOANG_HOA = with_reports({
    "nominees.0.kind": "collective", "nominees.0.name": "UBND xã Hoằng Quỳ",
    "nominees.0.unit_kind": "people_committee", "nominees.0.unit_level": "commune",
    "nominees.0.award_form": "bang_khen_ubnd_tinh",
    "nominees.0.achievement_summary": "100% hồ sơ thủ tục hành chính được tiếp nhận, giải quyết trực tuyến năm 2024.",
})


def test_thanh_hoa_district_rolls_up_to_so_tttt_and_the_provincial_chairman(app, session, browser):
    clock.set_clock(clock.ShiftedClock(dt.datetime(2024, 9, 10, 1, 0)))  # inside the round (until 19/09/2024)
    case_id = submitted_dossier(browser, session, "ubnd-hoang-hoa", HOANG_HOA, ["UBND xã Hoằng Quỳ"],
                                campaign="th-cds-2024")
    reviewer = browser("so-tttt-thanh-hoa.tdkt")
    assert submit(reviewer, check_task_of(session, case_id), {"check_decision": "accept"}).status_code == 302
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    assert parent.unit.code == "so-tttt-thanh-hoa" and parent.campaign.code == "th-cds-2024"
    council = browser("so-tttt-thanh-hoa.hoidong")
    assert submit(council, inbox_task(council), selection(parent.data["candidates"],
                                                          {"UBND xã Hoằng Quỳ": 8})).status_code == 302
    clock.set_clock(clock.ShiftedClock(dt.datetime(2024, 9, 23, 1, 0)))  # after "trước ngày 20/9/2024"
    head = browser("so-tttt-thanh-hoa.thutruong")
    assert submit(head, inbox_task(head), {**PROVINCE_SUBMIT, "submission_number": "95/TTr-STTTT"}).status_code == 302
    chairman_office = browser("ubnd-thanh-hoa.tdkt")  # the supreme level of this tree: UBND tỉnh Thanh Hóa
    assert submit(chairman_office, inbox_task(chairman_office), {"check_decision": "accept"}).status_code == 302
    assert submit(chairman_office, inbox_task(chairman_office), {
        "decision_number": "3456/QĐ-UBND", "decision_date": "10/10/2024",
        "decision_authority": "Chủ tịch UBND tỉnh Thanh Hóa",
        "awards.0.nominee": "UBND xã Hoằng Quỳ", "awards.0.award_form": "bang_khen_ubnd_tinh",
        "awards.0.awarded": "on", "awards.0.case_id": str(case_id)}).status_code == 302
    case = session.get(Case, case_id, populate_existing=True)
    assert case.status == "completed" and case.data["decision_authority"] == "Chủ tịch UBND tỉnh Thanh Hóa"
    assert case.data["awards"] == [{"nominee": "UBND xã Hoằng Quỳ", "award_form": "bang_khen_ubnd_tinh",
                                    "awarded": True}]


def test_a_dossier_accepted_after_the_decision_ends_unawarded_instead_of_waiting_forever(app, session, browser):
    dong_hoi = submitted_dossier(browser, session, "vks-qb-dong-hoi", DONG_HOI,
                                 ["Trần Thị Thủy", "VKSND thành phố Đồng Hới"])
    reviewer = browser("vks-quang-binh.tdkt")
    assert submit(reviewer, check_task_of(session, dong_hoi), {"check_decision": "accept"}).status_code == 302
    parent = session.scalar(select(Case).where(Case.kind == "consolidation"))
    council, head, supreme = (browser(u) for u in ("vks-quang-binh.hoidong", "vks-quang-binh.thutruong",
                                                   "vkstc.tdkt"))
    assert submit(council, inbox_task(council), selection(parent.data["candidates"],
                                                          {"Trần Thị Thủy": 8})).status_code == 302
    clock.set_clock(clock.ShiftedClock(AFTER_UNITS_DEADLINE))
    assert submit(head, inbox_task(head), PROVINCE_SUBMIT).status_code == 302
    assert submit(supreme, inbox_task(supreme), {"check_decision": "accept"}).status_code == 302
    assert submit(supreme, inbox_task(supreme), {
        "decision_number": "1234/QĐ-VKSTC", "decision_date": "10/10/2024",
        "decision_authority": "Viện trưởng VKSND tối cao", "awards.0.nominee": "Trần Thị Thủy",
        "awards.0.award_form": "bang_khen_vkstc", "awards.0.awarded": "on"}).status_code == 302

    # Lệ Thủy starts after the deadline; the province accepts the late dossier and then checks it.
    late = submitted_dossier(browser, session, "vks-qb-le-thuy", LE_THUY, ["Hoàng Văn Nam"])
    late_task = session.scalar(select(OpenTask.id).where(OpenTask.case_id == late,
                                                         OpenTask.bpmn_id == "late_decision"))
    assert submit(reviewer, late_task, {"late_decision": "accept_late",
                                        "late_reason": "Đơn vị báo cáo lý do chính đáng."}).status_code == 302
    assert submit(reviewer, check_task_of(session, late), {"check_decision": "accept"}).status_code == 302
    case = session.get(Case, late, populate_existing=True)
    assert case.status == "completed" and case.parent_id == parent.id
    assert case.data["awards"] == [{"nominee": "Hoàng Văn Nam", "award_form": "bang_khen_vkstc", "awarded": False}]
    assert case.data["decision_number"] == "1234/QĐ-VKSTC"
