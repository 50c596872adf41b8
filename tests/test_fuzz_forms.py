"""Hostile values in every web form: each POST and PUT route of the pages (from the URL map, so a new route is
probed the day it is added) gets every field name the pages render, filled with values that once broke apps like
this one — NUL bytes, numbers beyond the database's integers, NaN and infinities, impossible dates, 20,000
characters, invalid UTF-8, template and path tricks — and bodies of JSON that is not JSON or is nested 600 deep.
Sent by a unit's staff (who holds an open task and so sees its form) and by the administrator, with a valid CSRF
token (the check under test is what the view does with the values, not the token). Held: never a 5xx.

The JSON API is fuzzed from its own description (tests/test_fuzz_api.py); these are the routes that description
does not cover."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from processes.models import OpenTask
from tests.conftest import csrf_of
from tests.factories import start

VALUES = ("\x00", "9" * 30, "2147483648", "-1", "NaN", "1e309", "31/02/2024", "99/99/99999", "00/00/0000",
          "a" * 20_000, "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd", " ", "")
BODIES = (("application/x-www-form-urlencoded", None),  # every field as invalid UTF-8 and a NUL (built per route)
          ("application/json", "[" * 600 + "]" * 600), ("application/json", '{"a": NaN}'),
          ("application/json", "{not json"), ("application/json", '"\\ud800"'))
SKIPPED = {"/logout"}  # ends the session the rest of the probe runs in; its answer is a redirect whatever is sent


def _form_fields(client, pages: list[str]) -> set[str]:
    names = set()
    for page in pages:
        names |= set(re.findall(r'name="([^"]+)"', client.get(page).get_data(as_text=True)))
    return names - {"csrf_token"}


def _path(rule, ids: dict) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<[^>]*\b{arg}>", str(ids.get(arg, "x")), path)
    return path


# On the production database (its integers overflow where SQLite's do not); ~7 s a caller.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("username", ["vks-qb-dong-hoi.canbo", "admin"])
def test_hostile_form_values_never_answer_a_server_error(app, session, browser, username):
    case = start(session, "vks-qb-dong-hoi")
    task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
    ids = {"task_id": task_id, "case_id": case.id, "campaign_id": case.campaign_id, "process_id": "tdkt_nomination",
           "attachment_id": 1, "notification_id": 1, "filter_id": 1, "delegation_id": 1, "token_id": 1, "number": 1}
    user = browser(username)
    fields = _form_fields(user, ["/", f"/tasks/{task_id}", f"/cases/{case.id}", "/delegations", "/tokens",
                                 "/notifications", f"/supervision/campaigns/{case.campaign_id}", "/processes",
                                 "/admin/campaigns/new", f"/admin/campaigns/{case.campaign_id}", "/admin/roles"])
    assert "case_version" in fields or username == "admin"  # the open task's own form was read
    csrf = {"csrf_token": csrf_of(user.get("/"))}
    routes = [(method, rule) for rule in app.url_map.iter_rules() for method in sorted(rule.methods & {"POST", "PUT"})
              if not rule.rule.startswith("/api/") and rule.rule not in SKIPPED]
    answers, errors = Counter(), []
    for method, rule in routes:
        path = _path(rule, ids)
        sent = [dict(data={**dict.fromkeys(fields, value), **csrf}) for value in VALUES]
        for content_type, body in BODIES:
            if body is None:
                body = "&".join([f"{name}=%ED%A0%80%00" for name in sorted(fields)] + [f"csrf_token={csrf['csrf_token']}"])
            sent.append(dict(data=body, content_type=content_type, headers={"X-CSRFToken": csrf["csrf_token"]}))
        for request in sent:
            status = user.client.open(path, method=method, **request).status_code
            answers[status] += 1
            if status >= 500:
                errors.append((method, path, str(request.get("data"))[:60], status))
    assert not errors, errors[:10]
    assert len(routes) >= 30 and sum(answers.values()) == len(routes) * (len(VALUES) + len(BODIES))
    assert answers[400] + answers[422] > 0, answers  # the values were read, and refused somewhere
