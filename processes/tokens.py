"""Personal API tokens: create (the plain token is returned once), revoke, authenticate."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .clock import now
from .db import unit_of_work
from .errors import NotFound
from .models import ApiToken, User
from .security import new_token, token_digest

LAST_USED_GRANULARITY = dt.timedelta(minutes=10)


def create(session: Session, user: User, name: str) -> str:
    token = new_token()
    with unit_of_work(session):
        session.add(ApiToken(user_id=user.id, name=name[:120], token_hash=token_digest(token),
                             prefix=token[:12], created_at=now()))
    return token


def revoke(session: Session, user: User, token_id: int) -> None:
    with unit_of_work(session):
        token = session.get(ApiToken, token_id)
        if token is None or (token.user_id != user.id and not user.is_admin):
            raise NotFound("Không tìm thấy token.")
        token.revoked = True


def authenticate(session: Session, token: str) -> User | None:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == token_digest(token))  # one statement
                          .options(joinedload(ApiToken.user).joinedload(User.roles))).unique().scalar_one_or_none()
    if row is None or row.revoked or not row.user.active:
        return None
    # Record use coarsely: a write on every API call would serialise readers behind the database's write lock.
    if row.last_used_at is None or now() - row.last_used_at > LAST_USED_GRANULARITY:
        with unit_of_work(session):
            row.last_used_at = now()
    return row.user
