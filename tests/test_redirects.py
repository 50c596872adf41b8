"""After login and in the administration, `next` may only name a path on this site (a probe got `/\\evil.example`
through: browsers read the backslash as a slash)."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_of
from processes.seeding import DEMO_PASSWORD
from webapp.redirects import same_site_path


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
                                    "/\\/evil.example", "javascript:alert(1)", "/ok\r\nLocation: //x", "", None])
def test_anything_but_a_same_site_path_falls_back(target):
    assert same_site_path(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/cases/7", "/admin/campaigns?q=qb&page=2", "/awards#top"])
def test_same_site_paths_pass(target):
    assert same_site_path(target, "/home") == target


def test_login_does_not_bounce_to_another_site(app):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login?next=/%5Cevil.example", data={
        "username": "vks-qb-dong-hoi.canbo", "password": DEMO_PASSWORD, "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
