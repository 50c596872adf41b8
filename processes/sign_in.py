"""Signing in with a password: the same time spent whether the account exists or not, and a throttle per account
and per address, counted in the database so that several web workers on several machines share it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from . import clock
from .errors import TooManyAttempts
from .executor import Command, execute, system_only
from .models import LoginFailure, User
from .security import hash_password, verify_password

WINDOW = dt.timedelta(minutes=15)
MAX_PER_ACCOUNT = 10  # wrong passwords for one account within the window
MAX_PER_ADDRESS = 50  # wrong passwords from one address, whatever the account
_DUMMY_HASH: list[str] = []  # a hash of the configured method, checked when the account does not exist


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("no such account"))
    return _DUMMY_HASH[0]


class SignIn(Command):
    """Check a username and password; returns the user, or None. A failure is recorded for the throttle in the
    same transaction; a success clears the account's count."""
    name = "sign_in"

    def __init__(self, username: str, password: str, address: str):
        self.username, self.password, self.address = username, password, address or "?"
        self.keys = (f"user:{self.username.casefold()}"[:200], f"addr:{self.address}"[:200])

    def authorize(self, tx, target):
        system_only(tx)  # anyone may try: the throttle below is the guard
        since = clock.now() - WINDOW
        counts = dict(tx.session.execute(
            select(LoginFailure.key, func.count()).where(LoginFailure.key.in_(self.keys), LoginFailure.at > since)
            .group_by(LoginFailure.key)).all())
        if counts.get(self.keys[0], 0) >= MAX_PER_ACCOUNT or counts.get(self.keys[1], 0) >= MAX_PER_ADDRESS:
            raise TooManyAttempts(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {WINDOW.seconds // 60} phút.")

    def run(self, tx, target):
        user = tx.session.scalar(select(User).where(User.username == self.username))
        # An unknown name costs the same hash check as a known one: the time taken says nothing about who exists.
        valid = verify_password(user.password_hash if user is not None else _dummy_hash(), self.password)
        if user is not None and user.active and valid:
            tx.session.execute(delete(LoginFailure).where(LoginFailure.key == self.keys[0]))
            return user
        tx.session.execute(insert(LoginFailure), [{"key": key, "at": clock.now()} for key in self.keys])
        return None


def sign_in(session: Session, username: str, password: str, address: str) -> User | None:
    return execute(session, None, SignIn(username, password, address))
