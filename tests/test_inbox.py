"""The inbox: due order, overdue highlight, pagination, and what each person sees."""
import datetime as dt

import pytest
from sqlalchemy import select

from processes import clock
from processes.models import Campaign, Unit


@pytest.fixture
def frozen():
    previous = clock.set_clock(clock.FrozenClock(dt.datetime(2024, 9, 1, 3, 0)))  # 10:00 on 01/09/2024 in Việt Nam
    yield
    clock.set_clock(previous)


def _start(client, session, campaign_code, unit_code):
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    response = client.post("/api/cases", json={"campaign_id": campaign.id, "unit_id": unit.id})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_due_order_overdue_and_pages(app, session, api, browser, frozen):
    staff = api("vks-dn-hai-chau.canbo")
    later = _start(staff, session, "dn-cds-tong-ket-2025", "vks-dn-hai-chau")
    sooner = _start(staff, session, "dn-cds-so-ket-2024", "vks-dn-hai-chau")

    page1 = staff.get("/api/tasks?per_page=1").get_json()
    page2 = staff.get("/api/tasks?per_page=1&page=2").get_json()
    assert page1["total"] == 2 and page1["pages"] == 2
    assert page1["items"][0]["case_id"] == sooner["id"] and page1["items"][0]["overdue"] is True
    # "trước ngày 30/8/2024": the last day a dossier is received is 29/8
    assert page1["items"][0]["due_at"] == "2024-08-29T23:59:59+07:00"
    assert page2["items"][0]["case_id"] == later["id"] and page2["items"][0]["overdue"] is False

    html = browser("vks-dn-hai-chau.canbo").get("/").get_data(as_text=True)
    assert html.index(f"#{sooner['id']}") < html.index(f"#{later['id']}")
    assert html.count("Quá hạn") == 1 and "29/08/2024" in html and "29/08/2025" in html


def test_inbox_is_per_unit_and_role(app, session, api):
    _start(api("vks-dn-hai-chau.canbo"), session, "dn-cds-so-ket-2024", "vks-dn-hai-chau")
    assert api("vks-dn-hai-chau.canbo").get("/api/tasks").get_json()["total"] == 1
    assert api("vks-dn-son-tra.canbo").get("/api/tasks").get_json()["total"] == 0
    assert api("vks-dn-hai-chau.thuky").get("/api/tasks").get_json()["total"] == 0


def test_case_list_search_and_visibility(app, session, api, browser):
    _start(api("vks-dn-hai-chau.canbo"), session, "dn-cds-so-ket-2024", "vks-dn-hai-chau")
    _start(api("vks-qb-ba-don.canbo"), session, "qb-1532-2024", "vks-qb-ba-don")
    province = browser("vks-da-nang.tdkt").get("/cases").get_data(as_text=True)
    assert "VKSND quận Hải Châu" in province or "Hải Châu" in province
    assert "Ba Đồn" not in province
    found = browser("admin").get("/cases?q=Ba Đồn").get_data(as_text=True)
    assert "Ba Đồn" in found and "Hải Châu" not in found
    empty = browser("admin").get("/cases?q=khong-co-gi").get_data(as_text=True)
    assert "Không có hồ sơ nào khớp" in empty
