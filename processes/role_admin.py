"""Administering the roles lanes name: add one, rename it or change its scope, remove one nobody uses. Verbs of the
executor; only administrators. Built-in roles (the shipped diagrams and the code name them) keep their code and
scope; their labels may change."""
from __future__ import annotations

import re

from lxml import etree
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from . import roles
from .access import check_admin
from .clock import now
from .errors import Conflict, InvalidInput, NotFound
from .executor import Command, Tx, execute
from .models import DiagramVersion, RoleAssignment, RoleDefinition, User
from .models.role import ROLE_SCOPES

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
SCOPE_LABELS = {"unit": "Đơn vị của hồ sơ", "provincial": "Cấp nhận hồ sơ (tỉnh)", "supreme": "Cấp cao nhất của hệ thống"}
ADMIN_ONLY = "Chỉ quản trị viên mới được quản lý vai trò."
BPMN_LANE = "{http://www.omg.org/spec/BPMN/20100524/MODEL}lane"


def list_roles(session: Session) -> list[RoleDefinition]:
    return list(session.scalars(select(RoleDefinition).order_by(RoleDefinition.builtin.desc(), RoleDefinition.id)))


def _checked(code: str, label: str, scope: str) -> tuple[str, str, str]:
    code, label, scope = (code or "").strip(), " ".join((label or "").split()), (scope or "").strip()
    problems = {}
    if not CODE.match(code):
        problems["code"] = "Mã vai trò gồm 2–40 ký tự: chữ thường không dấu, số và «_», bắt đầu bằng chữ."
    if not 2 <= len(label) <= 120:
        problems["label"] = "Tên vai trò dài từ 2 đến 120 ký tự."
    if scope not in ROLE_SCOPES:
        problems["scope"] = "Phạm vi phải là một trong: " + ", ".join(SCOPE_LABELS.values()) + "."
    if problems:
        raise InvalidInput("Vai trò chưa hợp lệ: " + " ".join(problems.values()))
    return code, label, scope


class SaveRole(Command):
    """Add a role, or change an existing one's label and (unless built in) scope."""
    name = "save_role"

    def __init__(self, code: str, label: str, scope: str):
        self.code, self.label, self.scope = code, label, scope  # checked once the actor may (refusals first)

    def target(self, tx: Tx) -> RoleDefinition | None:
        return tx.session.scalar(select(RoleDefinition).where(RoleDefinition.code == (self.code or "").strip())
                                 .with_for_update())

    def authorize(self, tx, role):
        check_admin(tx.actor, ADMIN_ONLY)

    def run(self, tx, role):
        self.code, self.label, self.scope = _checked(self.code, self.label, self.scope)
        taken = tx.session.scalar(select(RoleDefinition.code).where(
            func.lower(RoleDefinition.label) == self.label.lower(), RoleDefinition.code != self.code))
        if taken:
            raise Conflict(f"Tên «{self.label}» đã là tên của vai trò {taken}: một làn chỉ được chỉ đúng một vai trò.")
        if role is None:
            role = RoleDefinition(code=self.code, label=self.label, scope=self.scope, builtin=False, updated_at=now())
            tx.session.add(role)
        else:
            if role.builtin and self.scope != role.scope:
                raise Conflict(f"Vai trò có sẵn «{role.label}» giữ nguyên phạm vi: các sơ đồ đã xuất bản dựa vào nó.")
            role.label, role.scope, role.updated_at = self.label, self.scope, now()
        tx.session.flush()
        return role


class DeleteRole(Command):
    """Remove a role nobody holds and no published diagram's lane names."""
    name = "delete_role"

    def __init__(self, code: str):
        self.code = code

    def target(self, tx: Tx) -> RoleDefinition | None:
        return tx.session.scalar(select(RoleDefinition).where(RoleDefinition.code == self.code).with_for_update())

    def authorize(self, tx, role):
        check_admin(tx.actor, ADMIN_ONLY)
        if role is None:
            raise NotFound("Không tìm thấy vai trò.")

    def run(self, tx, role):
        if role.builtin:
            raise Conflict(f"«{role.label}» là vai trò có sẵn của hệ thống, không xoá được.")
        if tx.session.scalar(select(exists().where(RoleAssignment.role == role.code))):
            raise Conflict(f"Còn người dùng giữ vai trò «{role.label}»: gỡ vai trò của họ trước khi xoá.")
        named_by = _diagrams_naming(tx.session, role)
        if named_by:
            raise Conflict(f"Làn của sơ đồ {', '.join(named_by)} chỉ vai trò «{role.label}»: sửa sơ đồ trước khi xoá.")
        tx.session.delete(role)
        return role.code


def _diagrams_naming(session: Session, role: RoleDefinition) -> list[str]:
    """The published versions (process v.N) with a lane naming the role by its code or label."""
    names = {roles.lane_key(role.code), roles.lane_key(role.label)}
    found = []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    for row in session.execute(select(DiagramVersion.process_id, DiagramVersion.version, DiagramVersion.bpmn_xml)):
        root = etree.fromstring(row.bpmn_xml.encode("utf-8"), parser)
        if any(roles.lane_key(lane.get("name") or "") in names for lane in root.iter(BPMN_LANE)):
            found.append(f"{row.process_id} v{row.version}")
    return found


def save_role(session: Session, actor: User | None, code: str, label: str, scope: str) -> RoleDefinition:
    role = execute(session, actor, SaveRole(code, label, scope))
    roles.load(session)  # committed: this process sees the change at once, the others within REFRESH_SECONDS
    return role


def delete_role(session: Session, actor: User | None, code: str) -> str:
    code = execute(session, actor, DeleteRole(code))
    roles.load(session)
    return code
