"""Personal API tokens: create (the plain token is returned once), revoke, authenticate."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from .clock import now
from .errors import NotFound
from .executor import Command, execute, system_only
from .models import ApiToken, User
from .security import new_token, token_digest

LAST_USED_GRANULARITY = dt.timedelta(minutes=10)


class CreateToken(Command):
    """A new personal token for `owner`: the plain token is returned once, only its digest is kept."""
    name = "create_token"

    def __init__(self, owner: User, label: str):
        self.owner, self.label = owner, label

    def authorize(self, tx, target):
        # the owner, an administrator, or the system (the CLI's `users token`)
        if tx.actor is not None and tx.actor.id != self.owner.id and not tx.actor.is_admin:
            raise NotFound("Không tìm thấy người dùng.")

    def run(self, tx, target):
        token = new_token()
        tx.session.add(ApiToken(user_id=self.owner.id, name=self.label[:120], token_hash=token_digest(token),
                                prefix=token[:12], created_at=now()))
        return token


def create(session: Session, user: User, name: str) -> str:
    return execute(session, user, CreateToken(user, name))


class RevokeToken(Command):
    name = "revoke_token"

    def __init__(self, token_id: int):
        self.token_id = token_id

    def target(self, tx):
        return tx.session.get(ApiToken, self.token_id, with_for_update=True)

    def authorize(self, tx, token):
        if token is None or (token.user_id != tx.actor.id and not tx.actor.is_admin):
            raise NotFound("Không tìm thấy token.")  # another's token: as if it did not exist

    def run(self, tx, token):
        token.revoked = True


def revoke(session: Session, user: User, token_id: int) -> None:
    execute(session, user, RevokeToken(token_id))


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The live token row for a bearer token (with its user and roles, one statement); None when unknown, revoked
    or its user deactivated. Recording its use is the caller's to schedule (`touch`), off the request's path."""
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == token_digest(token))
                          .options(joinedload(ApiToken.user).joinedload(User.roles))).unique().scalar_one_or_none()
    if row is None or row.revoked or not row.user.active:
        return None
    return row


def needs_touch(row: ApiToken) -> bool:
    """Use is recorded coarsely: a write on every API call would serialise readers behind the write lock."""
    return row.last_used_at is None or now() - row.last_used_at > LAST_USED_GRANULARITY


class TouchToken(Command):
    name = "touch_token"

    def __init__(self, token_id: int):
        self.token_id = token_id

    def authorize(self, tx, target):
        system_only(tx)

    def run(self, tx, target):
        tx.session.execute(update(ApiToken.__table__).where(ApiToken.__table__.c.id == self.token_id)
                           .values(last_used_at=now()))


def touch(session: Session, token_id: int) -> None:
    execute(session, None, TouchToken(token_id))
