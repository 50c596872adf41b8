"""Input that once answered 500: ids beyond the database's integers, huge page numbers and filters, JSON nested
1,000 deep, lone surrogates. Each is now a clear 4xx with a JSON message, on both databases."""
from __future__ import annotations

import pytest

BIG = 99999999999


@pytest.mark.parametrize("url, status", [
    (f"/api/tasks/{BIG}", 404), (f"/api/cases/{BIG}", 404), (f"/api/tasks/{BIG}/claim", 404),
    (f"/api/tasks?page={BIG}", 200), (f"/api/notifications?page={BIG}", 200),
    (f"/api/awards?page={BIG}", 200), (f"/api/awards?unit_id={BIG}", 404),
])
def test_numbers_beyond_the_database_are_not_a_500(api, url, status):
    client = api("vks-qb-dong-hoi.canbo")
    response = client.post(url) if url.endswith("/claim") else client.get(url)
    assert response.status_code in (status, 400), (url, response.status_code)
    body = response.get_json()
    assert body["items"] == [] if response.status_code == 200 else body["message"]  # an empty page, or why not


def test_bodies_that_cannot_be_stored_are_refused(api):
    client = api("vks-qb-dong-hoi.canbo")
    headers = {**client.headers, "Content-Type": "application/json"}
    started = client.post("/api/cases", json={"campaign_id": BIG, "unit_id": BIG})
    assert started.status_code in (400, 403, 404) and started.get_json()["message"]
    for body in ("[" * 1000 + "]" * 1000, '{"nominees": [{"name": "\\ud800"}]}'):
        response = client.client.post("/api/tasks/1/complete", data=body, headers=headers)
        assert 400 <= response.status_code < 500, (body[:20], response.status_code)
        assert response.get_json()["message"]


def test_a_page_with_a_huge_id_is_not_found(browser):
    assert browser("vks-qb-dong-hoi.canbo").get(f"/cases/{BIG}").status_code == 404
