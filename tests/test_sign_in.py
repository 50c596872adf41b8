"""Signing in: wrong passwords are throttled per account and per address (counted in the database, so every web
worker shares the count), and an unknown username costs the same password check as a known one. Both databases."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from processes import security, sign_in
from processes.errors import TooManyAttempts
from processes.models import LoginFailure
from processes.seeding import DEMO_PASSWORD
from tests.conftest import csrf_of

USER = "vks-qb-dong-hoi.canbo"


def post_login(client, username, password):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page)})


def test_an_account_is_throttled_after_repeated_wrong_passwords(app, session):
    client = app.test_client()
    for _ in range(sign_in.MAX_PER_ACCOUNT):
        response = post_login(client, USER, "sai mật khẩu")
        assert response.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(True)
    refused = post_login(app.test_client(), USER, DEMO_PASSWORD)  # even the right one, from anywhere, for a while
    assert refused.status_code == 429 and "Đăng nhập sai quá nhiều lần" in refused.get_data(as_text=True)
    assert post_login(app.test_client(), "vks-qb-le-thuy.canbo", DEMO_PASSWORD).status_code == 302  # others not


def test_a_success_clears_the_accounts_count(app, session):
    client = app.test_client()
    for _ in range(sign_in.MAX_PER_ACCOUNT - 1):
        post_login(client, USER, "sai")
    assert post_login(client, USER, DEMO_PASSWORD).status_code == 302
    assert session.scalars(select(LoginFailure.key).where(LoginFailure.key == f"user:{USER}")).all() == []


def test_an_address_is_throttled_across_accounts(session):
    for i in range(sign_in.MAX_PER_ADDRESS):
        assert sign_in.sign_in(session, f"khong-ton-tai-{i}", "x", "203.0.113.9") is None
    with pytest.raises(TooManyAttempts):
        sign_in.sign_in(session, USER, DEMO_PASSWORD, "203.0.113.9")
    assert sign_in.sign_in(session, USER, DEMO_PASSWORD, "203.0.113.10") is not None


def test_an_unknown_username_costs_a_password_check_too(session, monkeypatch):
    checked = []
    real = security.verify_password
    monkeypatch.setattr(sign_in, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    sign_in.sign_in(session, "khong-co-ai", "x", "198.51.100.1")
    sign_in.sign_in(session, USER, "x", "198.51.100.1")
    assert len(checked) == 2 and all(checked)  # a real hash checked both times, not a shortcut for the unknown name
