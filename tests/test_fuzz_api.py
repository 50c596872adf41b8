"""Fuzzing the JSON API from its own description: schemathesis generates requests for every operation in
webapp/api/openapi.json (valid ones, and ones that break the schema), sent with the bearer tokens of a unit's staff
and of the administrator. Held: zero 5xx, and every answer — status, content type, headers, body — as described.

Bounded for the suite: `TDKT_FUZZ_EXAMPLES` examples per operation and mode (default 8), derandomized so a run is
repeatable; raise it to search longer (`TDKT_FUZZ_EXAMPLES=200 pytest tests/test_fuzz_api.py`).
"""
from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from processes import tokens
from processes.models import User

EXAMPLES = int(os.environ.get("TDKT_FUZZ_EXAMPLES", "8"))
DERANDOMIZE = os.environ.get("TDKT_FUZZ_RANDOM", "") == ""  # repeatable in CI; TDKT_FUZZ_RANDOM=1 explores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
CALLERS = ("vks-qb-dong-hoi.canbo", "admin")


def test_the_api_answers_every_generated_request_as_described(app, session):
    headers = {}
    for username in CALLERS:
        user = session.scalar(select(User).where(User.username == username))
        headers[username] = {"Authorization": f"Bearer {tokens.create(session, user, 'fuzz')}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures, sent, began = [], 0, time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seen, failed = [], []

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                for username in CALLERS:
                    seen.append(1)
                    try:
                        case.call_and_validate(headers=headers[username], checks=CHECKS)
                    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - first failure per operation and mode
                        if not failed:
                            failed.append(f"{operation.label} [{mode.value}, {username}]: {exc}")

            run()
            sent += len(seen)
            failures += failed
    took = time.monotonic() - began
    print(f"fuzzed {sent} requests in {took:.0f} s, {len(failures)} failing operations")
    assert not failures, "\n\n".join(failures[:20])
