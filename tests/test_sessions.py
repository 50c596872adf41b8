"""Logging out ends every session of the user — the session cookie and the remember-me cookie of this browser and of
any other — and two logins never share a remember-me cookie (a probe found old cookies still working after logout
and the same remember-me cookie on every login). On both databases."""
from __future__ import annotations

from sqlalchemy import update

from processes.db import unit_of_work
from processes.models import User
from processes.seeding import DEMO_PASSWORD
from tests.conftest import csrf_of

USER = "vks-qb-dong-hoi.canbo"


def login(app, remember=True):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"username": USER, "password": DEMO_PASSWORD, "remember": "y" if remember
                                           else "", "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    return client


def cookies(client) -> dict[str, str]:
    return {c.key: c.value for c in client._cookies.values()}


def signed_in(app, jar: dict[str, str]) -> bool:
    client = app.test_client()
    for name, value in jar.items():
        client.set_cookie(name, value)
    return client.get("/").status_code == 200  # the inbox; a signed-out browser is sent to the login page


def test_logout_ends_every_session_and_remember_me_cookie_of_the_user(app):
    laptop, phone = login(app), login(app)
    laptop_jar, phone_jar = cookies(laptop), cookies(phone)
    assert signed_in(app, laptop_jar) and signed_in(app, phone_jar)
    remember_only = {"remember_token": phone_jar["remember_token"]}
    assert signed_in(app, remember_only)  # the remember-me cookie alone signs in, before logout

    page = laptop.get("/")
    assert laptop.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 302

    assert not signed_in(app, laptop_jar)
    assert not signed_in(app, phone_jar)  # the other device too
    assert not signed_in(app, remember_only)
    assert signed_in(app, cookies(login(app)))  # and a new login works


def test_two_logins_never_share_a_remember_me_cookie(app):
    assert cookies(login(app))["remember_token"] != cookies(login(app))["remember_token"]


def test_deactivation_ends_the_sessions(app, session):
    jar = cookies(login(app))
    with unit_of_work(session):
        session.execute(update(User).where(User.username == USER).values(active=False))
    try:
        assert not signed_in(app, jar)
    finally:
        with unit_of_work(session):
            session.execute(update(User).where(User.username == USER).values(active=True))
