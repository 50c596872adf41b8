"""Roles are data: an administrator adds, renames and removes the roles lanes name; a lane naming an unknown role is
refused on the diagram; a role added by another process is found before a task is routed; nobody else may manage
them. Core verbs directly, the page over HTTP, on both databases; the page in Chromium."""
import os

import pytest
from lxml import etree
from sqlalchemy import select

from processes import diagram_validation, diagram_versions, role_admin, roles
from processes.errors import Conflict, Forbidden, InvalidInput, NotFound
from processes.models import RoleDefinition
from processes.workflows import BPMN_DIR
from tests.factories import shown, user
from tests.test_browser import live, login, page  # noqa: F401  (fixtures)

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SHOTS = os.environ.get("TDKT_SHOTS", "/tmp/tdkt-shots")


def nomination_with_lane(name: str) -> str:
    """The shipped nomination diagram with the unit head's lane renamed (a new version of the same process)."""
    root = etree.fromstring((BPMN_DIR / "nomination.bpmn").read_bytes())
    lane = next(l for l in root.iter(f"{BPMN}lane") if l.get("name") in ("Thủ trưởng đơn vị", "unit_head"))
    lane.set("name", name)
    return etree.tostring(root, encoding="unicode")


def test_the_built_in_roles_are_in_the_table(app, session):
    codes = [r.code for r in role_admin.list_roles(session)]
    assert codes[:6] == [r.code for r in roles.ROLES]


def test_an_administrator_adds_a_role_and_a_lane_may_name_it(app, session):
    admin = user(session, "admin")
    lane = "Lãnh đạo phụ trách TĐKT"
    assert any("không ứng với vai trò nào" in p.message for p in diagram_validation.check(nomination_with_lane(lane)))
    role_admin.save_role(session, admin, "lanh_dao_tdkt", lane, "unit")
    assert roles.role_for_lane(lane).code == "lanh_dao_tdkt" and roles.role_label("lanh_dao_tdkt") == lane
    assert diagram_validation.check(nomination_with_lane(lane)) == []
    version = diagram_versions.publish(session, nomination_with_lane(lane), user=admin, note="lane of a new role")
    assert version.version >= 2


def test_a_role_added_elsewhere_is_read_before_a_task_is_routed(app, session):
    session.add(RoleDefinition(code="van_thu", label="Văn thư đơn vị", scope="unit", builtin=False))
    session.commit()  # as another process would: this process's snapshot does not know it yet
    assert roles.role_for_lane("Văn thư đơn vị") is None
    assert roles.role_for_lane_in(session, "Văn thư đơn vị").code == "van_thu"


def test_refusals_say_why(app, session):
    admin = user(session, "admin")
    with pytest.raises(InvalidInput, match="Mã vai trò"):
        role_admin.save_role(session, admin, "Bad Code!", "Tên hợp lệ", "unit")
    with pytest.raises(InvalidInput, match="Phạm vi"):
        role_admin.save_role(session, admin, "ok_code", "Tên hợp lệ", "galaxy")
    with pytest.raises(Conflict, match="đã là tên của vai trò unit_head"):
        role_admin.save_role(session, admin, "ok_code", "thủ trưởng đơn vị", "unit")
    with pytest.raises(Conflict, match="giữ nguyên phạm vi"):
        role_admin.save_role(session, admin, "unit_head", "Thủ trưởng đơn vị", "supreme")
    role_admin.save_role(session, admin, "unit_head", "Thủ trưởng cơ quan, đơn vị", "unit")  # a label may change
    assert roles.role_label("unit_head") == "Thủ trưởng cơ quan, đơn vị"
    with pytest.raises(Conflict, match="vai trò có sẵn"):
        role_admin.delete_role(session, admin, "unit_staff")
    with pytest.raises(NotFound):
        role_admin.delete_role(session, admin, "no_such_role")


def test_a_role_in_use_is_not_removed(app, session):
    admin = user(session, "admin")
    role_admin.save_role(session, admin, "lanh_dao_tdkt", "Lãnh đạo phụ trách TĐKT", "unit")
    diagram_versions.publish(session, nomination_with_lane("lanh_dao_tdkt"), user=admin)
    with pytest.raises(Conflict, match="Làn của sơ đồ tdkt_nomination v"):
        role_admin.delete_role(session, admin, "lanh_dao_tdkt")
    role_admin.save_role(session, admin, "tam_thoi", "Vai trò tạm", "unit")
    assert role_admin.delete_role(session, admin, "tam_thoi") == "tam_thoi"
    assert session.scalar(select(RoleDefinition).where(RoleDefinition.code == "tam_thoi")) is None


def test_only_administrators_manage_roles(app, session):
    staff = user(session, "vks-qb-dong-hoi.canbo")
    with pytest.raises(Forbidden):
        role_admin.save_role(session, staff, "x_role", "Vai trò X", "unit")


def test_the_roles_page(app, session, browser):
    admin = browser("admin")
    page_html = admin.get("/admin/roles").get_data(as_text=True)
    assert "Thủ trưởng đơn vị" in page_html and "có sẵn" in page_html
    bad = admin.post_form("/admin/roles", "/admin/roles", {"code": "phong_tccb", "label": "x", "scope": "unit"})
    assert bad.status_code == 400
    text = shown(bad)
    assert "Tên vai trò dài từ 2 đến 120 ký tự." in text and 'value="phong_tccb"' in bad.get_data(as_text=True)
    ok = admin.post_form("/admin/roles", "/admin/roles",
                         {"code": "phong_tccb", "label": "Phòng Tổ chức cán bộ", "scope": "provincial"})
    assert ok.status_code == 302
    assert "Phòng Tổ chức cán bộ" in admin.get("/admin/roles").get_data(as_text=True)
    staff = browser("vks-qb-dong-hoi.canbo")
    denied = staff.get("/admin/roles")
    assert denied.status_code == 403 and "Chỉ quản trị viên mới được quản lý vai trò." in shown(denied)
    assert staff.post_form("/", "/admin/roles/unit_staff/delete", {}).status_code == 403


def test_the_roles_page_in_the_browser(page, session):  # noqa: F811
    login(page, "admin")
    page.goto(page.base + "/admin/roles")
    page.fill("#code", "van_thu")
    page.fill("#label", "Văn thư đơn vị")
    page.click("form.role-form button.btn-primary")
    page.wait_for_selector('tr[data-role="van_thu"]')
    assert "Đã lưu vai trò «Văn thư đơn vị» (van_thu)." in page.content()
    os.makedirs(SHOTS, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/roles-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
