"""Saved inbox filters: kept on the server, for their owner or shared with everyone holding a role in a unit.

Two verbs (executor commands) and one read. A filter is the inbox's query string (`InboxFilter.args`), so what it
opens is exactly the filtered inbox; it shows each reader only the tasks they may see, whoever saved it.
"""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from .errors import Forbidden, InvalidInput, NotFound
from .executor import Command, execute
from .inbox import InboxFilter
from .models import SavedFilter, User
from .roles import role_label

MAX_PER_USER = 30
FILTER_NOT_FOUND = "Không tìm thấy bộ lọc."


def visible(session: Session, user: User) -> list[SavedFilter]:
    """My filters and those shared with a role I hold in its unit, by name."""
    shared = [and_(SavedFilter.shared_unit_id == r.unit_id, SavedFilter.shared_role == r.role) for r in user.roles]
    return list(session.scalars(select(SavedFilter).where(or_(SavedFilter.owner_id == user.id, *shared))
                                .options(joinedload(SavedFilter.owner)).order_by(SavedFilter.name, SavedFilter.id)))


def share_label(saved: SavedFilter, units: dict[int, str]) -> str:
    if not saved.shared_unit_id:
        return "Chỉ mình tôi"
    return f"{role_label(saved.shared_role)} — {units.get(saved.shared_unit_id, '')}"


class SaveFilter(Command):
    name = "save_filter"

    def __init__(self, name: str, chosen: InboxFilter, share_unit_id: int | None = None, share_role: str = ""):
        self.label, self.chosen = (name or "").strip(), chosen
        self.share_unit_id, self.share_role = share_unit_id, share_role or ""

    def authorize(self, tx, target):
        if self.share_unit_id and not tx.actor.holds(self.share_role, self.share_unit_id):
            raise Forbidden("Chỉ chia sẻ được bộ lọc với vai trò bạn đang giữ trong đơn vị của mình.")

    def run(self, tx, target):
        if not 1 <= len(self.label) <= 80:
            raise InvalidInput("Tên bộ lọc cần từ 1 đến 80 ký tự.")
        if self.chosen.empty:
            raise InvalidInput("Hãy chọn ít nhất một điều kiện lọc trước khi lưu.")
        mine = tx.session.scalar(select(func.count(SavedFilter.id)).where(SavedFilter.owner_id == tx.actor.id))
        if mine >= MAX_PER_USER:
            raise InvalidInput(f"Mỗi người lưu tối đa {MAX_PER_USER} bộ lọc; hãy xóa bớt bộ lọc cũ.")
        saved = SavedFilter(name=self.label, owner_id=tx.actor.id, query=urlencode(self.chosen.args()),
                            shared_unit_id=self.share_unit_id or None,
                            shared_role=self.share_role if self.share_unit_id else "")
        tx.session.add(saved)
        tx.session.flush()
        return saved.id


class DeleteFilter(Command):
    name = "delete_filter"

    def __init__(self, filter_id: int):
        self.filter_id = filter_id

    def target(self, tx):
        return tx.session.get(SavedFilter, self.filter_id)

    def authorize(self, tx, saved):
        readers = saved is not None and (saved.owner_id == tx.actor.id or (
            saved.shared_unit_id and tx.actor.holds(saved.shared_role, saved.shared_unit_id)))
        if not readers:
            raise NotFound(FILTER_NOT_FOUND)
        if saved.owner_id != tx.actor.id:
            raise Forbidden("Chỉ người lưu bộ lọc mới xóa được bộ lọc này.")

    def run(self, tx, saved):
        tx.session.delete(saved)
        return self.filter_id


def save_filter(session: Session, user: User, name: str, chosen: InboxFilter, share_unit_id: int | None = None,
                share_role: str = "") -> int:
    return execute(session, user, SaveFilter(name, chosen, share_unit_id, share_role))


def delete_filter(session: Session, user: User, filter_id: int) -> int:
    return execute(session, user, DeleteFilter(filter_id))
