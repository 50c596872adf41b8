"""Who may not be nominated, through the web pages on both databases: the unit's declarations (discipline, review,
investigation, complaint), one achievement with two award forms or twice in a dossier, and the same nominee for
the same achievement from two units of one round (Quảng Bình, 1532/VKSQB-TĐ)."""
import html

import pytest
from sqlalchemy import select

from processes.models import Case, Nomination
from tests.factories import report_fields
from tests.test_campaign_rules import SUBMIT
from tests.test_case_flow_http import MINUTES, ids, inbox_task, submit

SUMMARY = "Số hóa toàn bộ hồ sơ vụ án từ 01/2024, giảm 30% thời gian tra cứu."


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


def all_for(*rows, present=8) -> dict:
    return minutes_form(*[(row["name"], present) for row in rows], present=present)


def to_the_head(browser, session, unit, nominees, minutes, campaign="qb-1532-2024"):
    """Start `unit`'s case, register, record the minutes and approve them: → (case id, the head, their task)."""
    campaign_id, unit_id = ids(session, campaign, unit)
    staff = browser(f"{unit}.canbo")
    response = staff.post_form("/campaigns", "/cases", {"campaign_id": campaign_id, "unit_id": unit_id})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = submit(staff, inbox_task(staff), nominees)
    assert response.status_code == 302, response.get_data(as_text=True)
    secretary, council = browser(f"{unit}.thuky"), browser(f"{unit}.hoidong")
    assert submit(secretary, inbox_task(secretary), minutes).status_code == 302
    assert submit(council, inbox_task(council), {"council_decision": "approve"}).status_code == 302
    head = browser(f"{unit}.thutruong")
    return case_id, head, inbox_task(head)


def refused(response) -> list[str]:
    """The rule messages of a refused step (the page's list), or [] when it went through."""
    if response.status_code == 302:
        return []
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    block = page.split('id="form-errors"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(item.split("</li>", 1)[0]) for item in block.split("<li>")[1:]]


THUY, DONG_HOI = "Trần Thị Thủy", "VKSND thành phố Đồng Hới"
QB_DISCIPLINE = ("tiêu chuẩn của phong trào: «Nội bộ đoàn kết, có kỷ cương, kỷ luật; không có cán bộ vi phạm bị xử lý "
                 "kỷ luật hoặc đang xem xét xử lý kỷ luật»")
BY_LAW = "nguyên tắc khen thưởng của Luật Thi đua, khen thưởng năm 2022 và Nghị định 98/2023/NĐ-CP"


# --- the declarations ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ground, said, said_of_members, source", [
    ("under_discipline", "đang bị xử lý kỷ luật", "có thành viên đang bị xử lý kỷ luật", QB_DISCIPLINE),
    ("discipline_review", "đang bị xem xét xử lý kỷ luật", "có thành viên đang bị xem xét xử lý kỷ luật",
     QB_DISCIPLINE),
    ("under_investigation", "đang bị điều tra, thanh tra, kiểm tra khi có dấu hiệu vi phạm",
     "có thành viên đang bị điều tra, thanh tra, kiểm tra khi có dấu hiệu vi phạm", BY_LAW),
    ("complaint_verifying", "có đơn thư khiếu nại, tố cáo đang được xác minh, làm rõ",
     "có thành viên bị khiếu nại, tố cáo đang được xác minh, làm rõ", BY_LAW),
])
def test_a_declared_ground_stops_the_submission(app, session, browser, ground, said, said_of_members, source):
    rows = (person(THUY, **{ground: True}), collective(DONG_HOI, **{ground: True}), person("Nguyễn Văn An"))
    case_id, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(*rows))
    version = session.get(Case, case_id, populate_existing=True).version
    assert refused(submit(head, task_id, SUBMIT)) == [
        f"«{THUY}» {said}: không đủ điều kiện đề nghị khen thưởng ({source}).",
        f"«{DONG_HOI}» {said_of_members}: không đủ điều kiện đề nghị khen thưởng ({source}).",
    ]
    assert session.get(Case, case_id, populate_existing=True).version == version
    assert session.scalars(select(Nomination).where(Nomination.case_id == case_id)).all() == []


def test_without_declarations_the_dossier_goes_and_is_registered(app, session, browser):
    rows = (person(THUY, under_discipline=False), collective(DONG_HOI))
    case_id, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(*rows))
    assert refused(submit(head, task_id, SUBMIT)) == []
    registered = session.scalars(select(Nomination).where(Nomination.case_id == case_id)
                                 .order_by(Nomination.id)).all()
    assert [(n.nominee_key, n.achievement_key, n.award_form) for n in registered] == [
        ("individual:trần thị thủy", f"chuyển đổi số trong công tác kiểm sát của {THUY.casefold()}", "bang_khen_vkstc"),
        ("collective:vksnd thành phố đồng hới",
         f"chuyển đổi số trong công tác kiểm sát của {DONG_HOI.casefold()}", "bang_khen_vkstc")]


def test_the_api_marks_the_declaration_s_field(app, session, browser, api):
    rows = (person(THUY, complaint_verifying=True),)
    case_id, _, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(*rows))
    response = api("vks-qb-dong-hoi.thutruong").post(f"/api/tasks/{task_id}/complete", json={
        "submission_number": "15/TTr-VKS", "submission_date": "2024-08-20", "signer_name": "Lê Văn Hùng",
        "signer_title": "Viện trưởng"})
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "rules_broken"
    assert body["fields"]["nominees.0.complaint_verifying"] == body["fields"][""]
    assert "«Trần Thị Thủy» có đơn thư khiếu nại, tố cáo" in body["fields"][""][0]


# --- one achievement, one award form, once ------------------------------------------------------------------------

def test_one_achievement_with_two_award_forms_is_refused(app, session, browser):
    rows = (person(THUY), person(THUY, award="giay_khen_thu_truong"))
    _, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(rows[0]))
    assert refused(submit(head, task_id, SUBMIT)) == [
        f"Thành tích «Chuyển đổi số trong công tác kiểm sát của {THUY}» của «{THUY}» được đề nghị hai hình thức "
        "khen thưởng (Bằng khen của Viện trưởng VKSND tối cao và Giấy khen của Thủ trưởng đơn vị): mỗi thành tích "
        "chỉ được đề nghị một hình thức khen thưởng."]


def test_two_achievements_of_one_person_may_take_two_award_forms(app, session, browser):
    rows = (person(THUY), person(THUY, award="giay_khen_thu_truong",
                                 achievement_title="Sáng kiến số hóa hồ sơ kiểm sát án dân sự"))
    _, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(rows[0]))
    assert refused(submit(head, task_id, SUBMIT)) == []


def test_the_same_nominee_twice_for_one_achievement_is_refused_whatever_the_spelling(app, session, browser):
    rows = (person(THUY), person("TRẦN THỊ THỦY", achievement_title=f"chuyển đổi số  trong công tác kiểm sát "
                                                                     f"của {THUY}"))
    _, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(rows[0]))
    assert refused(submit(head, task_id, SUBMIT)) == [
        f"«TRẦN THỊ THỦY» được đề nghị hai lần cho cùng thành tích «chuyển đổi số  trong công tác kiểm sát của "
        f"{THUY}» trong danh sách."]


# --- across the units of the round ----------------------------------------------------------------------------------

def test_a_second_unit_cannot_nominate_the_same_achievement(app, session, browser):
    rows = (person(THUY, birth_date="12/03/1985"),)
    _, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(*rows))
    assert refused(submit(head, task_id, SUBMIT)) == []

    again = (person(THUY, birth_date="12/03/1985"),  # the same person and achievement: refused
             person(THUY, birth_date="01/01/1990"),  # a namesake (another date of birth): a different person
             person("Hoàng Văn Nam", achievement_title=f"Chuyển đổi số trong công tác kiểm sát của {THUY}"))
    case_id, head, task_id = to_the_head(browser, session, "vks-qb-le-thuy", nominee_form(*again),
                                         minutes_form((THUY, 8), ("Hoàng Văn Nam", 8)))
    assert refused(submit(head, task_id, SUBMIT)) == [
        f"«{THUY}» đã được Viện kiểm sát nhân dân thành phố Đồng Hới đề nghị Bằng khen của Viện trưởng VKSND tối cao "
        f"cho cùng thành tích «Chuyển đổi số trong công tác kiểm sát của {THUY}» trong đợt khen thưởng này: một "
        "thành tích chỉ được đề nghị khen thưởng một lần."]
    assert session.scalars(select(Nomination).where(Nomination.case_id == case_id)).all() == []


def test_a_dossier_closed_unsent_frees_its_nominees(app, session, browser):
    from processes.db import unit_of_work
    from sqlalchemy import update

    rows = (person(THUY),)
    first, head, task_id = to_the_head(browser, session, "vks-qb-dong-hoi", nominee_form(*rows), all_for(*rows))
    assert refused(submit(head, task_id, SUBMIT)) == []
    with unit_of_work(session):  # as if the receiving level had closed it: not submitted
        session.execute(update(Case).where(Case.id == first).values(status="not_submitted"))
    _, head, task_id = to_the_head(browser, session, "vks-qb-le-thuy", nominee_form(*rows), all_for(*rows))
    assert refused(submit(head, task_id, SUBMIT)) == []
