"""What a refusal says: another unit's user learns nothing about a task or case it may not see — not even that a
finished task was finished, by whom or when (it once answered 409 naming all three) — while those who may read the
case are told what happened. Core and HTTP, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from processes import cases
from processes.errors import Conflict, Forbidden, NotFound
from processes.models import Campaign, OpenTask, User
from tests.factories import reported

NOMINEES = {"nominees": [reported({"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc",
                                   "achievement_summary": "Phần mềm quản lý án, áp dụng từ 01/2024."})]}


def _user(session, username):
    return session.scalar(select(User).where(User.username == username))


@pytest.fixture
def finished_task(session):
    """Đồng Hới's registration task, completed by its staff: (task id, case id)."""
    staff = _user(session, "vks-qb-dong-hoi.canbo")
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    case = cases.start_case(session, staff, campaign.id, staff.unit_id)
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    cases.complete_task(session, staff, task_id, NOMINEES)
    return task_id, case.id


def test_another_units_user_learns_nothing_about_a_finished_task(session, finished_task):
    task_id, _ = finished_task
    stranger = _user(session, "vks-qb-le-thuy.canbo")
    never_issued = 987654
    for verb in (lambda t: cases.get_task(session, stranger, t), lambda t: cases.claim_task(session, stranger, t),
                 lambda t: cases.release_task(session, stranger, t),
                 lambda t: cases.complete_task(session, stranger, t, NOMINEES)):
        with pytest.raises(NotFound) as finished:
            verb(task_id)
        with pytest.raises(NotFound) as unknown:
            verb(never_issued)
        assert finished.value.message == unknown.value.message == "Không tìm thấy nhiệm vụ."
        assert finished.value.details == {}


def test_who_may_read_the_case_is_told_who_finished_it(session, finished_task):
    task_id, case_id = finished_task
    for reader in ("vks-qb-dong-hoi.thuky", "vks-quang-binh.tdkt"):
        with pytest.raises(Conflict) as told:
            cases.complete_task(session, _user(session, reader), task_id, NOMINEES)
        told_name = _user(session, "vks-qb-dong-hoi.canbo").full_name
        assert told.value.message.startswith(
            f"Nhiệm vụ «Đăng ký danh sách đề nghị khen thưởng» đã được {told_name} hoàn thành lúc ")
        assert told.value.details["case_id"] == case_id


def test_see_but_may_not_do_is_403_and_may_not_see_is_404(session, finished_task):
    _, case_id = finished_task
    open_task = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case_id))
    with pytest.raises(Forbidden, match="bạn không giữ vai trò đó"):  # the province reads the case, not its minutes
        cases.claim_task(session, _user(session, "vks-quang-binh.tdkt"), open_task)
    with pytest.raises(NotFound, match="Không tìm thấy nhiệm vụ"):
        cases.claim_task(session, _user(session, "vks-qb-le-thuy.thuky"), open_task)
    with pytest.raises(NotFound, match="Không tìm thấy hồ sơ"):
        cases.read_case(session, _user(session, "vks-qb-le-thuy.canbo"), case_id)


def test_over_http_the_finished_task_answers_404_without_details(api, finished_task):
    task_id, _ = finished_task
    for method, url in (("get", f"/api/tasks/{task_id}"), ("post", f"/api/tasks/{task_id}/claim"),
                        ("post", f"/api/tasks/{task_id}/complete")):
        client = api("vks-qb-le-thuy.canbo")
        response = getattr(client, method)(url, **({"json": NOMINEES} if method == "post" else {}))
        assert response.status_code == 404, url
        assert response.get_json() == {"error": "not_found", "message": "Không tìm thấy nhiệm vụ."}
