"""Saved inbox filters, on both databases: kept on the server, for their owner or shared with a role in a unit
(only a role the owner holds), seen by that role's holders and nobody else, deleted only by their owner."""
import html

import pytest
from sqlalchemy import select

from processes import saved_filters
from processes.errors import Forbidden, InvalidInput, NotFound
from processes.inbox import InboxFilter
from processes.models import SavedFilter, Unit
from tests.factories import start, user
from tests.test_inbox_filters import colleague

LATE = InboxFilter(due="overdue", who="unclaimed")


def unit_id(session, code):
    return session.scalar(select(Unit.id).where(Unit.code == code))


def test_a_filter_shared_with_a_role_is_seen_by_its_holders_only(app, session):
    staff, mate = user(session, "vks-qb-dong-hoi.canbo"), colleague(session)
    dong_hoi = unit_id(session, "vks-qb-dong-hoi")
    mine = saved_filters.save_filter(session, staff, "Chỉ của tôi", InboxFilter(who="mine"))
    shared = saved_filters.save_filter(session, staff, "Trễ hạn, chưa ai nhận", LATE, dong_hoi, "unit_staff")
    assert [f.id for f in saved_filters.visible(session, staff)] == [mine, shared]
    assert [f.id for f in saved_filters.visible(session, mate)] == [shared]
    assert saved_filters.visible(session, user(session, "vks-qb-dong-hoi.thuky")) == []  # another role
    assert saved_filters.visible(session, user(session, "vks-qb-le-thuy.canbo")) == []  # another unit
    assert session.get(SavedFilter, shared).query == "due=overdue&who=unclaimed"


def test_sharing_needs_the_role_and_saving_needs_a_name_and_a_condition(app, session):
    staff = user(session, "vks-qb-dong-hoi.canbo")
    with pytest.raises(Forbidden) as refused:
        saved_filters.save_filter(session, staff, "Của thư ký", LATE, unit_id(session, "vks-qb-dong-hoi"),
                                  "unit_secretary")
    assert refused.value.message == "Chỉ chia sẻ được bộ lọc với vai trò bạn đang giữ trong đơn vị của mình."
    with pytest.raises(InvalidInput) as refused:
        saved_filters.save_filter(session, staff, "  ", LATE)
    assert refused.value.message == "Tên bộ lọc cần từ 1 đến 80 ký tự."
    with pytest.raises(InvalidInput) as refused:
        saved_filters.save_filter(session, staff, "Tất cả", InboxFilter())
    assert refused.value.message == "Hãy chọn ít nhất một điều kiện lọc trước khi lưu."
    assert session.scalar(select(SavedFilter.id)) is None


def test_only_the_owner_deletes_and_others_learn_nothing(app, session):
    staff, mate = user(session, "vks-qb-dong-hoi.canbo"), colleague(session)
    shared = saved_filters.save_filter(session, staff, "Trễ hạn", LATE, unit_id(session, "vks-qb-dong-hoi"),
                                       "unit_staff")
    with pytest.raises(Forbidden):
        saved_filters.delete_filter(session, mate, shared)
    with pytest.raises(NotFound) as hidden:
        saved_filters.delete_filter(session, user(session, "vks-qb-le-thuy.canbo"), shared)
    assert hidden.value.message == "Không tìm thấy bộ lọc."
    saved_filters.delete_filter(session, staff, shared)
    assert saved_filters.visible(session, mate) == []


def test_saving_and_opening_a_filter_from_the_inbox_page(app, session, browser):
    start(session, "vks-qb-dong-hoi")
    staff = browser("vks-qb-dong-hoi.canbo")
    page = staff.get("/?who=unclaimed")
    assert "Lưu bộ lọc" in page.get_data(as_text=True)
    response = staff.post_form("/?who=unclaimed", "/inbox/filters", {
        "name": "Việc chưa ai nhận", "who": "unclaimed", "share": f"{unit_id(session, 'vks-qb-dong-hoi')}:unit_staff"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/?who=unclaimed")
    shown = html.unescape(staff.get("/").get_data(as_text=True))
    assert 'href="/?who=unclaimed"' in shown and "Việc chưa ai nhận" in shown
    assert "Cán bộ đơn vị — VKSND TP Đồng Hới" in shown
    refused = staff.post_form("/", "/inbox/filters", {"name": "Của thư ký", "who": "mine",
                                                     "share": f"{unit_id(session, 'vks-qb-dong-hoi')}:unit_secretary"})
    assert refused.status_code == 403
