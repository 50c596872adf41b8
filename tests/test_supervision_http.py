"""The supervision API and pages through HTTP, on both databases: rows, steps, every action and who may act,
exports, the dashboard page and who sees it."""
from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from processes import clock
from processes.models import Campaign, Case, Unit
from processes.supervision import history
from tests.factories import QB, ids_of, shown, start, submitted, person

SUPERVISOR = "vks-quang-binh.tdkt"


def qb_id(session) -> int:
    return session.scalar(select(Campaign.id).where(Campaign.code == QB))


def at(day: int, hour: int = 8) -> None:
    clock.set_clock(clock.ShiftedClock(dt.datetime(2024, 8, day, hour) - dt.timedelta(hours=7)))


def test_units_and_steps_through_the_api(app, session, api):
    history.forget()
    case = start(session, "vks-qb-dong-hoi")
    sup = api(SUPERVISOR)
    campaign_id = qb_id(session)
    body = sup.get(f"/api/supervision/campaigns/{campaign_id}/units?per_page=5&sort=unit").get_json()
    assert body["units"] == 12 and body["total"] == 12 and body["pages"] == 3 and len(body["items"]) == 5
    assert body["counts"]["on_time"] == 1 and body["counts"]["not_started"] == 11
    row = sup.get(f"/api/supervision/campaigns/{campaign_id}/units?flag=on_time").get_json()["items"][0]
    assert row["case_id"] == case.id and row["step"] == "register_nominees" and row["flag"] == "on_time"
    assert row["deadline"].startswith("2024-08-23T23:59:59+07:00") and row["working_days_in_step"] == 0
    found = sup.get(f"/api/supervision/campaigns/{campaign_id}/units?q=Đồng Hới").get_json()["items"]
    assert [r["unit_code"] for r in found] == ["vks-qb-dong-hoi"]
    steps = sup.get(f"/api/supervision/campaigns/{campaign_id}/steps").get_json()["items"]
    assert steps == [{"step": "register_nominees", "name": "Đăng ký danh sách đề nghị khen thưởng", "units": 1,
                      "avg_working_days": 0.0, "max_working_days": 0, "flags": {"on_time": 1}}]
    bad = sup.get(f"/api/supervision/campaigns/{campaign_id}/units?sort=nope")
    assert bad.status_code == 400 and "Cách sắp xếp" in bad.get_json()["message"]
    assert sup.get("/api/supervision/campaigns").get_json()["items"][0]["units"] >= 1


def test_who_sees_a_dashboard(app, session, api):
    campaign_id = qb_id(session)
    district = api("vks-qb-dong-hoi.canbo").get(f"/api/supervision/campaigns/{campaign_id}/units")
    assert district.status_code == 403 and "cán bộ theo dõi" in district.get_json()["message"]
    head = api("vks-qb-dong-hoi.thutruong").get(f"/api/supervision/campaigns/{campaign_id}/units")
    assert head.status_code == 404 and head.get_json()["message"] == "Không tìm thấy phong trào thi đua."
    other = api("vks-da-nang.tdkt").get(f"/api/supervision/campaigns/{campaign_id}/steps")
    assert other.status_code == 404
    assert api("vks-da-nang.tdkt").get("/api/supervision/campaigns/999999/units").status_code == 404


def test_each_action_through_the_api(app, session, api):
    sup = api(SUPERVISOR)
    campaign_id = qb_id(session)
    case = start(session, "vks-qb-dong-hoi")
    _, ba_don = ids_of(session, QB, "vks-qb-ba-don")
    remind = sup.post("/api/supervision/actions", json={"action": "remind", "campaign_id": campaign_id,
                                                        "unit_ids": [ba_don], "case_ids": [case.id]}).get_json()
    assert remind["succeeded"] == 2 and remind["failed"] == 0
    staff = api("vks-qb-dong-hoi.canbo").get("/api/notifications").get_json()["items"]
    assert any(n["kind"] == "supervision_reminder" and n["label"] == "Nhắc nhở của cấp giám sát" for n in staff)

    at(24)
    extend = sup.post("/api/supervision/actions", json={"action": "extend", "case_ids": [case.id],
                                                        "new_deadline": "30/08/2024", "reason": "Xin thêm"}).get_json()
    assert extend["succeeded"] == 1, extend
    timers = {t["timer"]: t["fire_at"] for t in sup.get(f"/api/cases/{case.id}").get_json()["timers"]}
    assert timers["deadline_timer"].startswith("2024-08-30T23:59:59+07:00")
    assert timers["reminder_timer"].startswith("2024-08-27T23:59:59+07:00")
    overdue = sup.get(f"/api/supervision/campaigns/{campaign_id}/units?flag=overdue").get_json()["items"]
    assert case.id not in [r["case_id"] for r in overdue]

    suspend = sup.post("/api/supervision/actions", json={"action": "suspend", "case_ids": [case.id],
                                                         "reason": "Xác minh"}).get_json()
    assert suspend["succeeded"] == 1
    assert sup.get(f"/api/cases/{case.id}").get_json()["status"] == "suspended"
    resume = sup.post("/api/supervision/actions", json={"action": "resume", "case_ids": [case.id]}).get_json()
    assert resume["succeeded"] == 1
    assert sup.get(f"/api/cases/{case.id}").get_json()["status"] == "running"
    reassign = sup.post("/api/supervision/actions", json={"action": "reassign", "case_ids": [case.id],
                                                          "assignee_id": api_user_id(session, "vks-qb-dong-hoi.canbo")})
    assert reassign.get_json()["succeeded"] == 1
    cancel = sup.post("/api/supervision/actions", json={"action": "cancel", "case_ids": [case.id],
                                                        "reason": "Trùng"}).get_json()
    assert cancel["succeeded"] == 1
    detail = sup.get(f"/api/cases/{case.id}").get_json()
    assert detail["status"] == "cancelled"
    assert {"supervisor_reminded", "deadline_extended", "case_suspended", "case_resumed", "task_reassigned",
            "case_cancelled"} <= {e["action"] for e in detail["audit"]}


def api_user_id(session, username):
    from processes.models import User
    return session.scalar(select(User.id).where(User.username == username))


def test_bad_requests_are_400_with_a_message(app, session, api):
    sup = api(SUPERVISOR)
    for body, words in [({"action": "explode", "case_ids": [1]}, "không hợp lệ"),
                        ({"action": "remind"}, "Chưa chọn"),
                        ({"action": "cancel", "case_ids": [1]}, "Cần ghi lý do"),
                        ({"action": "extend", "case_ids": [1], "reason": "x"}, "Cần hạn mới"),
                        ({"action": "extend", "case_ids": [1], "reason": "x", "new_deadline": "31/02/2024"}, "dd/mm"),
                        ({"action": "remind", "case_ids": ["a"]}, "số nguyên"),
                        ({"action": "remind", "unit_ids": [1]}, "campaign_id")]:
        response = sup.post("/api/supervision/actions", json=body)
        assert response.status_code == 400 and words in response.get_json()["message"], (body, response.get_json())


def test_a_province_cannot_act_on_another_provinces_units(app, session, api):
    case = start(session, "vks-qb-dong-hoi")
    _, dong_hoi = ids_of(session, QB, "vks-qb-dong-hoi")
    other = api("vks-da-nang.tdkt")
    for action, extra in [("remind", {}), ("extend", {"new_deadline": "2024-08-30", "reason": "x"}),
                          ("suspend", {"reason": "x"}), ("cancel", {"reason": "x"}), ("resume", {})]:
        body = other.post("/api/supervision/actions", json={"action": action, "case_ids": [case.id], **extra})
        assert body.status_code == 200
        [result] = body.get_json()["results"]
        assert result == {"case_id": case.id, "unit_id": None, "unit_name": None, "ok": False, "status": 404,
                          "message": "Không tìm thấy hồ sơ."}
    by_unit = other.post("/api/supervision/actions", json={"action": "remind", "campaign_id": qb_id(session),
                                                           "unit_ids": [dong_hoi]}).get_json()
    assert by_unit["results"][0]["status"] == 404 and by_unit["results"][0]["unit_name"] is None
    own = api("vks-qb-dong-hoi.thutruong").post("/api/supervision/actions",
                                                json={"action": "suspend", "case_ids": [case.id], "reason": "x"})
    assert own.get_json()["results"][0]["status"] == 403
    staff = api("vks-qb-dong-hoi.canbo").post("/api/supervision/actions", json={"action": "remind",
                                                                                 "case_ids": [case.id]})
    assert staff.status_code == 403
    assert session.scalar(select(Case.status).where(Case.id == case.id)) == "running"


def test_exports_in_excel_and_csv(app, session, api):
    submitted(session, "vks-qb-dong-hoi", [person("Hoàng Văn Nam")])
    sup = api(SUPERVISOR)
    campaign_id = qb_id(session)
    xlsx = sup.get(f"/api/supervision/campaigns/{campaign_id}/units.xlsx")
    assert xlsx.status_code == 200 and "giam-sat-qb-1532-2024.xlsx" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:3] == ("STT", "Đơn vị", "Mã đơn vị") and "Hạn nộp" in lines[0] and len(lines) == 13
    dong_hoi = next(line for line in lines if line[2] == "vks-qb-dong-hoi")
    assert dong_hoi[lines[0].index("Hạn nộp")] == "23/08/2024" and dong_hoi[-1] == "Đã nộp"
    text = sup.get(f"/api/supervision/campaigns/{campaign_id}/units.csv?flag=submitted").data.decode("utf-8")
    assert text.startswith("\ufeffSTT,Đơn vị")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][2] == "vks-qb-dong-hoi"
    nominees = sup.get(f"/api/supervision/campaigns/{campaign_id}/nominees.csv").data.decode("utf-8")
    assert "Hoàng Văn Nam" in nominees and "Bằng khen của Viện trưởng VKSND tối cao" in nominees
    workbook = load_workbook(io.BytesIO(sup.get(f"/api/supervision/campaigns/{campaign_id}/nominees.xlsx").data))
    assert workbook.active["C2"].value == "Hoàng Văn Nam"
    assert api("vks-da-nang.tdkt").get(f"/api/supervision/campaigns/{campaign_id}/units.xlsx").status_code == 404


def test_pages_and_who_sees_them(app, session, browser):
    start(session, "vks-qb-dong-hoi")
    campaign_id = qb_id(session)
    district = browser("vks-qb-dong-hoi.canbo")
    page = district.get("/supervision")
    assert page.status_code == 403 and "cán bộ theo dõi" in shown(page)
    assert browser("vks-da-nang.tdkt").get(f"/supervision/campaigns/{campaign_id}").status_code == 404
    sup = browser(SUPERVISOR)
    index = shown(sup.get("/supervision"))
    assert 'data-campaign="qb-1532-2024"' in index and "Chưa tạo hồ sơ: 11" in index
    board = shown(sup.get(f"/supervision/campaigns/{campaign_id}?flag=on_time"))
    assert "VKSND TP Đồng Hới" in board and "Đúng tiến độ: 1" in board and "Chưa tạo hồ sơ: 11" in board
    assert "VKSND huyện Lệ Thủy" not in board
    empty = shown(sup.get(f"/supervision/campaigns/{campaign_id}?flag=cancelled"))
    assert "Không có đơn vị nào khớp bộ lọc" in empty
    _, ba_don = ids_of(session, QB, "vks-qb-ba-don")
    done = sup.post_form(f"/supervision/campaigns/{campaign_id}", f"/supervision/campaigns/{campaign_id}/actions",
                         {"action": "remind", "unit_ids": [str(ba_don)], "reason": "Khẩn"})
    assert done.status_code == 302
    assert "Nhắc nhở: 1 đơn vị thành công." in shown(sup.get(done.headers["Location"]))
    refused = sup.post_form(f"/supervision/campaigns/{campaign_id}", f"/supervision/campaigns/{campaign_id}/actions",
                            {"action": "cancel", "unit_ids": [str(ba_don)]})
    assert "Cần ghi lý do khi hủy hồ sơ." in shown(sup.get(refused.headers["Location"]))
    bad_date = sup.post_form(f"/supervision/campaigns/{campaign_id}", f"/supervision/campaigns/{campaign_id}/actions",
                             {"action": "extend", "unit_ids": [str(ba_don)], "new_deadline": "31/02/2024",
                              "reason": "x"})
    assert "Hạn mới phải là ngày dạng dd/mm/yyyy." in shown(sup.get(bad_date.headers["Location"]))
    xlsx = sup.get(f"/supervision/campaigns/{campaign_id}/units.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_digest_command(app, session):
    start(session, "vks-qb-dong-hoi")
    at(24)
    result = app.test_cli_runner().invoke(args=["supervision", "digest"])
    assert result.exit_code == 0, result.output
    assert "12 đơn vị mới cần chú ý" in result.output


def test_case_list_api_is_paged_and_capped(app, session, api):
    start(session, "vks-qb-dong-hoi")
    start(session, "vks-qb-le-thuy")
    reviewer = api(SUPERVISOR).get("/api/cases?per_page=1").get_json()
    assert reviewer["total"] == 2 and reviewer["pages"] == 2 and not reviewer["total_capped"]
    assert reviewer["items"][0]["unit"]["code"] == "vks-qb-le-thuy"  # the newest first
    own = api("vks-qb-dong-hoi.canbo").get("/api/cases").get_json()
    assert [c["unit"]["code"] for c in own["items"]] == ["vks-qb-dong-hoi"]
    assert api("vks-da-nang.tdkt").get("/api/cases").get_json()["total"] == 0
    found = api(SUPERVISOR).get("/api/cases?q=Lệ Thủy").get_json()["items"]
    assert [c["unit"]["code"] for c in found] == ["vks-qb-le-thuy"]


def test_incidents_are_listed_on_the_dashboard(app, session, browser):
    from sqlalchemy import update

    from processes.db import unit_of_work
    from processes.models import CaseTimer

    case = start(session, "vks-qb-dong-hoi")
    with unit_of_work(session):
        session.execute(update(CaseTimer).where(CaseTimer.case_id == case.id, CaseTimer.bpmn_id == "deadline_timer")
                        .values(status="incident", attempts=1, last_error="NameError: name 'x' is not defined"))
    text = shown(browser(SUPERVISOR).get(f"/supervision/campaigns/{qb_id(session)}"))
    assert "Sự cố hẹn giờ (1)" in text and "NameError: name 'x' is not defined" in text
    assert "Chạy lại</button>" in shown(browser("admin").get(f"/supervision/campaigns/{qb_id(session)}"))


def test_the_overview_pages_its_campaigns(app, session, browser, api):
    """Ten campaigns a page, newest first, on the page and through the API (held against openapi.json)."""
    from processes.db import unit_of_work

    source = session.scalar(select(Campaign).where(Campaign.code == QB))
    with unit_of_work(session):
        session.add_all(Campaign(code=f"qb-past-{year}", name=f"Đợt khen thưởng năm {year}",
                                 issuer_id=source.issuer_id, receiving_unit_id=source.receiving_unit_id,
                                 deadline=dt.date(year, 8, 23), process_id=source.process_id, status="closed",
                                 details=dict(source.details)) for year in range(2012, 2024))
    body = api(SUPERVISOR).get("/api/supervision/campaigns?page=2").get_json()
    assert body["page"] == 2 and body["per_page"] == 10 and body["pages"] == -(-body["total"] // 10)
    assert body["items"][-1]["code"] == "qb-past-2012" and body["items"][-1]["counts"] == {"overdue": 12}
    sup = browser(SUPERVISOR)
    first = shown(sup.get("/supervision"))
    assert f"Trang 1 / {body['pages']}" in first and "Đợt khen thưởng năm 2012" not in first
    assert "Đợt khen thưởng năm 2012" in shown(sup.get(f"/supervision?page={body['pages']}"))
