"""People's sign-in sessions: ending all of a user's sessions at once (logout, a password change)."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, joinedload

from .errors import NotFound
from .executor import Command, execute
from .models import User


class EndSessions(Command):
    """Bump the user's session version: every session and remember-me cookie issued before stops working."""
    name = "end_sessions"

    def __init__(self, user_id: int):
        self.user_id = user_id

    def authorize(self, tx, target):
        if tx.actor is not None and tx.actor.id != self.user_id and not tx.actor.is_admin:
            raise NotFound("Không tìm thấy người dùng.")

    def run(self, tx, target):
        return tx.session.execute(update(User).where(User.id == self.user_id)
                                  .values(session_version=User.session_version + 1)
                                  .execution_options(synchronize_session=False)).rowcount


def end_sessions(session: Session, actor: User | None, user_id: int) -> None:
    execute(session, actor, EndSessions(user_id))


def session_matches(user: User, user_id_text: str) -> bool:
    """Whether an id Flask-Login kept (see User.get_id) belongs to the user's current sessions."""
    parts = user_id_text.split(".")
    return len(parts) == 3 and parts[1] == str(user.session_version)


def load_actor(session: Session, user_id: int) -> User | None:
    """A user with their role assignments in one statement, as every request loads its actor: the permission checks
    of a verb read the roles, and a second round trip for them costs more than the join."""
    return session.get(User, user_id, options=[joinedload(User.roles)])
