"""One test per family of rules through the web pages, for the wiring only (the rules themselves are tested as calls
on the core: test_rules_quotas/voting/eligibility/criteria.py and test_rules_enforce.py; the consolidation's wiring
is in test_rollup.py): a refused step answers 422 with the rule's messages where the user reads them — the page's
list, next to the field, the API's `fields` — keeps what was typed and changes nothing; the council's and the case's
pages show the figures the rules judge."""
import html
import re

from processes.models import Case, OpenTask
from processes.rules.criteria import template_for
from tests.factories import SUMMARY, campaign_details, report_fields, unit_facts
from tests.test_case_flow_http import MINUTES, ids, inbox_task, submit

BK = "Bằng khen của Viện trưởng VKSND tối cao"
SUBMIT = {"submission_number": "15/TTr-VKS", "submission_date": "20/08/2024", "signer_name": "Lê Văn Hùng",
          "signer_title": "Viện trưởng"}


def person(name, award="bang_khen_vkstc", **extra):
    return {"kind": "individual", "name": name, "award_form": award, **extra}


def collective(name, award="bang_khen_vkstc", **extra):
    return {"kind": "collective", "name": name, "award_form": award, **extra}


def nominee_form(*rows) -> dict:
    """Posted registration fields for `rows` (each with its achievement report; a row's own keys win)."""
    fields = {}
    for i, row in enumerate(rows):
        fields.update(report_fields(i, row["name"]))
        fields[f"nominees.{i}.achievement_summary"] = SUMMARY
        fields.update({f"nominees.{i}.{key}": ("on" if value is True else value) for key, value in row.items()})
    return fields


def minutes_form(*votes, total=9, present=8) -> dict:
    """The minutes with `votes` as (name, votes for) pairs; the rest against."""
    fields = {k: v for k, v in MINUTES.items() if not k.startswith("votes.")}
    fields.update(members_total=str(total), members_present=str(present))
    for i, (name, votes_for) in enumerate(votes):
        fields.update({f"votes.{i}.nominee": name, f"votes.{i}.votes_for": str(votes_for),
                       f"votes.{i}.votes_against": str(present - votes_for)})
    return fields


def all_for(*rows) -> dict:
    return minutes_form(*[(row["name"], 8) for row in rows])


def refused(response) -> list[str]:
    """The rule messages of a refused step (the page's list), or [] when it went through."""
    if response.status_code == 302:
        return []
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    block = page.split('id="form-errors"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(item.split("</li>", 1)[0]) for item in block.split("<li>")[1:]]


# --- quotas: refused where the list is typed, counted beside it ------------------------------------------------------

def test_quotas_the_registration_over_the_quota_is_refused_and_counted(app, session, browser):
    rows = [collective(f"Phòng {i + 1} VKSND TP Đồng Hới") for i in range(4)]  # the round's total: 3 collectives
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    task_id = inbox_task(staff)
    counter = counters_of(staff.get(f"/tasks/{task_id}").get_data(as_text=True))
    assert counter == [f"{BK} (cả phong trào) — Tập thể: 0/3", f"{BK} (cả phong trào) — Cá nhân: 0/4"]
    version = session.get(Case, case_id, populate_existing=True).version
    response = submit(staff, task_id, nominee_form(*rows))
    said = f"Hạn mức {BK} của cả phong trào: tối đa 3 tập thể, đã đề nghị 4."
    assert refused(response) == [said]
    page = response.get_data(as_text=True)
    assert re.search(r'data-array="nominees".*?field-error">' + re.escape(html.escape(said, quote=False)), page, re.S)
    assert counters_of(page)[0] == f"{BK} (cả phong trào) — Tập thể: 4/3 (vượt hạn mức)"
    assert 'value="Phòng 4 VKSND TP Đồng Hới"' in page  # what was typed is kept
    assert session.get(Case, case_id, populate_existing=True).version == version  # nothing changed
    assert submit(staff, task_id, nominee_form(*rows[:3])).status_code == 302


def counters_of(page: str) -> list[str]:
    block = page.split('id="quota-counters"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", "<li" + li).split()))
            for li in block.split("<li")[1:]]


# --- voting: the council's page shows the tally, its approval refuses by the same ----------------------------------

def summary_of(page: str) -> str:
    block = page.split('<section class="card mb-4 vote-summary">', 1)[1].split("</section>", 1)[0]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", block).split()))


def test_voting_the_council_sees_each_nominee_s_approval_and_a_nominee_at_half_cannot_go(app, session, browser):
    rows = (person("Trần Thị Thủy"), collective("VKSND thành phố Đồng Hới"))
    campaign_id, unit_id = ids(session)
    staff = browser("vks-qb-dong-hoi.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert submit(staff, inbox_task(staff), nominee_form(*rows)).status_code == 302
    secretary = browser("vks-qb-dong-hoi.thuky")
    minutes = minutes_form(("Trần Thị Thủy", 8), ("VKSND thành phố Đồng Hới", 4))
    assert submit(secretary, inbox_task(secretary), minutes).status_code == 302

    council = browser("vks-qb-dong-hoi.hoidong")
    task = inbox_task(council)
    shown = summary_of(council.get(f"/tasks/{task}").get_data(as_text=True))
    assert "Có mặt 8/9 thành viên (88.89%), cần ≥ 66.67%: ✓ Đủ số thành viên" in shown
    assert f"Trần Thị Thủy {BK} 8 / 0 100% > 50% ✓ Đạt" in shown
    assert f"VKSND thành phố Đồng Hới {BK} 4 / 4 50% > 50% ✗ Không đạt" in shown
    assert refused(submit(council, task, {"council_decision": "approve"})) == [
        f"«VKSND thành phố Đồng Hới» ({BK}) được 4/8 phiếu đồng ý (50%), cần trên 50% số thành viên có mặt."]
    case_page = council.get(f"/cases/{case_id}").get_data(as_text=True)
    assert summary_of(case_page).startswith("Kết quả họp bình xét Có mặt 8/9 thành viên (88.89%)")  # the same figures
    # a refusal never blocks the way back: the council returns the list to the staff, who drop the nominee
    assert submit(council, task, {"council_decision": "return", "return_to": "nominees",
                                  "council_reason": "Bỏ VKSND thành phố Đồng Hới: không đủ phiếu."}).status_code == 302
    assert "register_nominees" == session.query(OpenTask.bpmn_id).filter(OpenTask.case_id == case_id).scalar()


# --- eligibility: the API refuses at registration and marks the declaration's field ----------------------------------

def test_eligibility_the_api_refuses_a_declared_ground_at_registration_and_marks_its_field(app, session, api):
    from tests.factories import reported

    campaign_id, unit_id = ids(session)
    client = api("vks-qb-dong-hoi.canbo")
    case_id = client.post("/api/cases", json={"campaign_id": campaign_id, "unit_id": unit_id}).get_json()["id"]
    task_id = session.query(OpenTask.id).filter(OpenTask.case_id == case_id).scalar()
    nominee = reported(person("Trần Thị Thủy", complaint_verifying=True, achievement_summary=SUMMARY))
    response = client.post(f"/api/tasks/{task_id}/complete", json={"nominees": [nominee]})
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "rules_broken"
    said = ["«Trần Thị Thủy» có đơn thư khiếu nại, tố cáo đang được xác minh, làm rõ: không đủ điều kiện đề nghị khen "
            "thưởng (nguyên tắc khen thưởng của Luật Thi đua, khen thưởng năm 2022 và Nghị định 98/2023/NĐ-CP)."]
    assert body["fields"] == {"": said, "nominees.0.complaint_verifying": said}
    assert body["message"] == f"Hồ sơ chưa đúng quy định của phong trào: {said[0]}"


# --- criteria: prefilled read-only, a posted threshold ignored, judged on the council's and the case's pages ---------

ROW = re.compile(r'<tr class="criterion criterion-(\w+)" data-code="(\w+)">(.*?)</tr>', re.S)


def criteria_rows(page: str) -> dict[str, tuple[str, str]]:
    """code → (status, the row's text without tags)."""
    table = page.split('<section class="card mb-4 criteria">', 1)[1].split("</section>", 1)[0]
    return {code: (status, " ".join(re.sub(r"<[^>]+>", " ", body).split())) for status, code, body in ROW.findall(table)}


def test_criteria_prefilled_read_only_entered_and_shown_judged(app, session, browser):
    template = template_for(campaign_details("th-cds-2024"), unit_facts("ubnd-hoang-hoa"))
    at = {c["code"]: i for i, c in enumerate(template)}
    campaign_id, unit_id = ids(session, "th-cds-2024", "ubnd-hoang-hoa")
    staff = browser("ubnd-hoang-hoa.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    task_id = inbox_task(staff)

    form = staff.get(f"/tasks/{task_id}").get_data(as_text=True)
    criteria = form.split('data-array="criteria"', 1)[1].split("</fieldset>\n", 1)[0]
    i = at["huyen_tthc_truc_tuyen"]
    assert "Tỷ lệ hồ sơ thủ tục hành chính tiếp nhận, giải quyết trực tuyến" in criteria
    assert f'<input type="hidden" name="criteria.{i}.threshold" value="90">' in criteria
    assert f'<input type="hidden" id="f-criteria-{i}-code" name="criteria.{i}.code" value="huyen_tthc_truc_tuyen">' in criteria
    assert f'name="criteria.{i}.percent"' in criteria and f'name="criteria.{i}.threshold" value="90" ' not in criteria
    assert "add-row" not in criteria and "remove-row" not in criteria  # the campaign's list, not the unit's
    assert '<section class="card mb-4 criteria">' not in form  # the form itself is where they are entered

    rows = (person("Lê Thị Hạnh", award="bang_khen_ubnd_tinh"),)
    figures = {
        f"criteria.{at['huyen_tthc_truc_tuyen']}.percent": "95",
        f"criteria.{at['huyen_toan_trinh']}.percent": "80,5",
        f"criteria.{at['huyen_toan_trinh']}.threshold": "50",  # a hand-made post cannot lower the threshold
        f"criteria.{at['huyen_toan_trinh']}.label": "Tiêu chí do đơn vị tự đặt",
        f"criteria.{at['huyen_trien_khai']}.done": "on",
        f"criteria.{at['huyen_trien_khai']}.note": "Ban hành Kế hoạch 12/KH-UBND ngày 10/01/2024.",
        f"criteria.{len(template)}.code": "tu_dat", f"criteria.{len(template)}.percent": "100",  # no extra row
    }
    assert submit(staff, task_id, {**nominee_form(*rows), **figures}).status_code == 302
    data = session.get(Case, case_id, populate_existing=True).data
    assert [c["code"] for c in data["criteria_template"]] == [c["code"] for c in template]
    stored = {c["code"]: c for c in data["criteria"]}
    assert len(data["criteria"]) == len(template) and "tu_dat" not in stored
    assert stored["huyen_toan_trinh"]["threshold"] == 85 and stored["huyen_toan_trinh"]["percent"] == 80.5
    assert stored["huyen_toan_trinh"]["label"] == "Tỷ lệ hồ sơ tiếp nhận, giải quyết trực tuyến toàn trình"

    secretary, council = browser("ubnd-hoang-hoa.thuky"), browser("ubnd-hoang-hoa.hoidong")
    assert submit(secretary, inbox_task(secretary), all_for(*rows)).status_code == 302
    review = council.get(f"/tasks/{inbox_task(council)}").get_data(as_text=True)
    shown = criteria_rows(review)
    expected = {
        "huyen_tthc_truc_tuyen": ("met", "≥ 90% 95% ✓ Đạt"),
        "huyen_toan_trinh": ("not_met", "≥ 85% 80.5% ✗ Chưa đạt"),
        "huyen_hai_long": ("missing", "≥ 90% — ✗ Chưa nhập số liệu"),
        "huyen_trien_khai": ("met", "Đạt Đã đạt ✓ Đạt"),
        "huyen_trang_ttdt": ("not_met", "Đạt Chưa đạt ✗ Chưa đạt"),
        "cn_chap_hanh": ("to_assess", "Hội đồng đánh giá Cần đánh giá"),
    }
    for code, (status, tail) in expected.items():
        assert shown[code][0] == status and shown[code][1].endswith(tail), (code, shown[code])
    assert "Ban hành Kế hoạch 12/KH-UBND ngày 10/01/2024." in shown["huyen_trien_khai"][1]
    case_page = council.get(f"/cases/{case_id}").get_data(as_text=True)
    assert criteria_rows(case_page) == shown
    measured = [c for c in template if c["kind"] != "qualitative"]
    assert f"Đạt 2/{len(measured)} tiêu chí có ngưỡng" in case_page

    # not meeting a criterion does not stop the dossier: the council judged it
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser("ubnd-hoang-hoa.thutruong")
    assert refused(submit(head, inbox_task(head), SUBMIT)) == []


def test_criteria_the_api_cannot_change_a_threshold_nor_the_rows(app, session, api):
    """What the web form keeps from a hand-made post, the core keeps from any client: an API body that lowers a
    threshold, renames a criterion, drops one row and adds its own is stored with the campaign's rows as they are."""
    from tests.factories import reported

    template = template_for(campaign_details("th-cds-2024"), unit_facts("ubnd-hoang-hoa"))
    campaign_id, unit_id = ids(session, "th-cds-2024", "ubnd-hoang-hoa")
    client = api("ubnd-hoang-hoa.canbo")
    case_id = client.post("/api/cases", json={"campaign_id": campaign_id, "unit_id": unit_id}).get_json()["id"]
    task_id = session.query(OpenTask.id).filter(OpenTask.case_id == case_id).scalar()
    rows = [{k: c[k] for k in ("code", "label", "kind", "threshold") if c.get(k) is not None}
            for c in template]  # the form's rows as prefilled …
    i = next(n for n, c in enumerate(template) if c["code"] == "huyen_tthc_truc_tuyen")
    rows[i].update(threshold=1, label="Tiêu chí do đơn vị tự đặt", percent=99)  # … one "eased" …
    rows.append({"code": "tu_dat", "label": "Của đơn vị", "kind": "percent_min", "threshold": 0, "percent": 100})
    nominee = reported(person("Lê Thị Hạnh", award="bang_khen_ubnd_tinh", achievement_summary=SUMMARY))
    response = client.post(f"/api/tasks/{task_id}/complete", json={"nominees": [nominee], "criteria": rows})
    assert response.status_code == 200, response.get_json()
    stored = session.get(Case, case_id, populate_existing=True).data["criteria"]
    assert [c["code"] for c in stored] == [c["code"] for c in template]  # … and one added: not stored
    for row, original in zip(stored, template):
        assert (row["label"], row.get("threshold")) == (original["label"], original.get("threshold")), row["code"]
    assert stored[i]["percent"] == 99  # the unit's own figure is kept
