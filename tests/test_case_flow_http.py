"""A whole nomination case through the web pages, as the different people who work on it, on both databases."""
import re

from sqlalchemy import select

from tests.conftest import csrf_of
from tests.factories import shown, user, with_reports

from processes.models import AuditEvent, Campaign, Case, OpenTask, Unit

TASK_LINK = re.compile(r'href="/tasks/(\d+)"')


def ids(session, campaign_code="qb-1532-2024", unit_code="vks-qb-dong-hoi"):
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    return campaign.id, unit.id


def inbox_task(person) -> int:
    page = person.get("/").get_data(as_text=True)
    found = TASK_LINK.findall(page)
    assert found, f"{person.username}'s inbox is empty"
    return int(found[0])


def submit(person, task_id, fields: dict):
    return person.post_form(f"/tasks/{task_id}", f"/tasks/{task_id}", fields)


def to_the_head(browser, session, unit, nominees, minutes, campaign="qb-1532-2024"):
    """Start `unit`'s case, register, record the minutes and approve them: → (case id, the head, their task)."""
    campaign_id, unit_id = ids(session, campaign, unit)
    staff = browser(f"{unit}.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), nominees).status_code == 302
    secretary, council = browser(f"{unit}.thuky"), browser(f"{unit}.hoidong")
    assert submit(secretary, inbox_task(secretary), minutes).status_code == 302
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser(f"{unit}.thutruong")
    return case_id, head, inbox_task(head)


NOMINEES = with_reports({
    "nominees.0.kind": "individual", "nominees.0.name": "Trần Thị Thủy",
    "nominees.0.position": "Kiểm sát viên, VKSND TP Đồng Hới", "nominees.0.award_form": "bang_khen_vkstc",
    "nominees.0.achievement_summary": "Xây dựng phần mềm quản lý án hình sự, áp dụng từ 01/2024, giảm 30% thời gian.",
    "nominees.1.kind": "collective", "nominees.1.name": "VKSND thành phố Đồng Hới",
    "nominees.1.award_form": "bang_khen_vkstc",
    "nominees.1.achievement_summary": "Dẫn đầu tỷ lệ hồ sơ số hoá, 100% văn bản ký số từ quý I/2024.",
})
MINUTES = {
    "meeting_date": "19/08/2024", "meeting_place": "Phòng họp VKSND TP Đồng Hới", "chair": "Lê Văn Hùng",
    "secretary_name": "Phạm Thị Lan", "members_total": "9", "members_present": "8",
    "votes.0.nominee": "Trần Thị Thủy", "votes.0.votes_for": "8", "votes.0.votes_against": "0",
    "votes.1.nominee": "VKSND thành phố Đồng Hới", "votes.1.votes_for": "7", "votes.1.votes_against": "1",
}


def test_whole_case_with_a_return_loop(app, session, browser):
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")

    # The staff member starts the case from the campaign list.
    page = staff.get("/campaigns").get_data(as_text=True)
    assert "1532/VKSQB-TĐ" in page and "Hạn nộp: ngày 23/08/2024" in page  # "là ngày 23/8/2024": that day itself
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    task_id = inbox_task(staff)
    assert "Đăng ký danh sách" in staff.get("/").get_data(as_text=True)

    # A missing achievement summary: 422, the message next to the field, what was typed kept.
    bad = {k: v for k, v in NOMINEES.items() if k != "nominees.1.achievement_summary"}
    response = submit(staff, task_id, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu." in shown(response)
    assert re.search(r'name="nominees\.1\.achievement_summary"[^>]*>\s*</textarea>\s*(<div class="form-text">[^<]*</div>\s*)?'
                     r'<div class="invalid-feedback d-block field-error">Trường này là bắt buộc\.</div>', html)
    assert 'value="Trần Thị Thủy"' in html
    assert session.get(Case, case_id, populate_existing=True).version == 1  # nothing changed

    assert submit(staff, task_id, NOMINEES).status_code == 302

    # The secretary records the minutes; the council returns them with a reason.
    secretary, council = browser("vks-qb-dong-hoi.thuky"), browser("vks-qb-dong-hoi.hoidong")
    minutes_task = inbox_task(secretary)
    form = secretary.get(f"/tasks/{minutes_task}").get_data(as_text=True)
    assert "Lập biên bản" in form
    assert submit(secretary, minutes_task, MINUTES).status_code == 302
    review = inbox_task(council)
    response = submit(council, review, {"council_decision": "return"})
    assert response.status_code == 422  # a return needs its reason
    assert "Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu." in shown(response)
    assert re.search(r'name="council_reason".*?field-error">Trường này là bắt buộc\.</div>', shown(response), re.S)
    assert submit(council, review, {"council_decision": "return",
                                     "council_reason": "Biên bản thiếu số phiếu của thành viên vắng mặt."}).status_code == 302

    # Back at the minutes step: the previous minutes come back for correction.
    again = inbox_task(secretary)
    assert again != minutes_task
    form = secretary.get(f"/tasks/{again}").get_data(as_text=True)
    assert 'value="Phòng họp VKSND TP Đồng Hới"' in form and 'value="19/08/2024"' in form
    assert submit(secretary, again, {**MINUTES, "members_present": "9"}).status_code == 302
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302

    # The head submits the tờ trình; the province checks it; Bằng khen VKSTC is decided above the province, so the
    # accepted dossier joins the province's consolidated dossier and waits for the supreme decision
    # (tests/test_rollup.py follows it to the end).
    head = browser("vks-qb-dong-hoi.thutruong")
    assert submit(head, inbox_task(head), {"submission_number": "15/TTr-VKS", "submission_date": "20/08/2024",
                                          "signer_name": "Lê Văn Hùng", "signer_title": "Viện trưởng"}).status_code == 302
    province = browser("vks-quang-binh.tdkt")
    assert "Cấp tỉnh kiểm tra" in province.get("/").get_data(as_text=True)
    assert submit(province, inbox_task(province), {"check_decision": "accept"}).status_code == 302

    case = session.get(Case, case_id, populate_existing=True)
    assert case.status == "running" and case.current_step == "Chờ quyết định của trung ương"
    assert case.parent is not None and case.parent.kind == "consolidation"
    assert session.scalar(select(OpenTask).where(OpenTask.case_id == case_id)) is None
    html = staff.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Chờ quyết định của trung ương" in html and "Trần Thị Thủy" in html
    assert "Bằng khen của Viện trưởng VKSND tối cao" in html and "Biên bản thiếu số phiếu" in html
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                                 .order_by(AuditEvent.id))]
    assert actions[0] == "case_started" and actions[-1] == "forwarded"
    assert actions.count("task_completed") == 7


def test_a_person_outside_the_unit_or_role_cannot_act(app, session, browser):
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    task_id = inbox_task(staff)

    other_unit = browser("vks-qb-le-thuy.canbo")
    assert "/tasks/" not in other_unit.get("/").get_data(as_text=True)
    # another unit's user may not see the task: 404 in the words of a task that does not exist, nothing more
    hidden = other_unit.get(f"/tasks/{task_id}")
    assert hidden.status_code == 404 and "Không tìm thấy nhiệm vụ" in hidden.get_data(as_text=True)
    page = other_unit.get("/")
    response = other_unit.client.post(f"/tasks/{task_id}", data={**NOMINEES, "csrf_token": csrf_of(page)})
    assert response.status_code == 404 and "Không tìm thấy nhiệm vụ." in shown(response)
    assert "Đăng ký danh sách" not in shown(response)  # not even the task's name
    wrong_role = browser("vks-qb-dong-hoi.thuky")
    page = wrong_role.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and "Bạn chỉ có thể xem" in page.get_data(as_text=True)
    response = wrong_role.client.post(f"/tasks/{task_id}", data={**NOMINEES, "csrf_token": csrf_of(page)})
    assert response.status_code == 403 and ("Nhiệm vụ này dành cho vai trò «Cán bộ đơn vị» của VKSND TP Đồng Hới; "
                                            "bạn không giữ vai trò đó.") in shown(response)
    assert session.get(OpenTask, task_id, populate_existing=True) is not None


def test_double_submit_and_stale_tab_get_409(app, session, browser):
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    task_id = inbox_task(staff)
    page = staff.get(f"/tasks/{task_id}")
    token = csrf_of(page)
    first = staff.client.post(f"/tasks/{task_id}", data={**NOMINEES, "csrf_token": token, "case_version": "1"})
    second = staff.client.post(f"/tasks/{task_id}", data={**NOMINEES, "csrf_token": token, "case_version": "1"})
    assert first.status_code == 302
    assert second.status_code == 409
    name = user(session, "vks-qb-dong-hoi.canbo").full_name  # the case's reader is told who finished it, and when
    assert f"Nhiệm vụ «Đăng ký danh sách đề nghị khen thưởng» đã được {name} hoàn thành lúc" in shown(second)
    case = session.scalar(select(Case).where(Case.unit_id == unit_id))
    assert case.version == 2 and len(case.data["nominees"]) == 2


def test_forms_without_csrf_token_are_refused(app, session, browser):
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.client.post("/cases", data={"campaign_id": campaign_id, "unit_id": unit_id})
    assert response.status_code == 400 and ("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại "
                                            "trang và thử lại.") in shown(response)
    assert session.scalar(select(Case)) is None


def test_login_rejects_wrong_password_and_protects_pages(app):
    client = app.test_client()
    assert client.get("/").status_code == 302
    page = client.get("/login")
    response = client.post("/login", data={"username": "vks-qb-dong-hoi.canbo", "password": "sai",
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in shown(response)


def test_empty_inbox_says_what_to_do(app, browser):
    html = browser("vks-qb-ba-don.canbo").get("/").get_data(as_text=True)
    assert "Không có nhiệm vụ nào đang chờ bạn" in html
