"""Every API answer a test receives is held against webapp/api/openapi.json: the documented status for that path and
method, the content type, and the body's schema (openapi-core's werkzeug integration).

The conftest's `app` fixture gives the app a test client of class CheckedClient, so a drift between the document and
what the code answers fails the test that saw it, with the request, the answer and what did not match.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.deserializing.media_types.util import json_loads

import webapp.api

SPEC_PATH = Path(webapp.api.__file__).with_name("openapi.json")
NOT_CHECKED = {"/api/openapi.json"}  # the document itself
# JSON media types openapi-core does not know as JSON (it reads only application/json and application/vnd.api+json)
CONFIG = Config(extra_media_type_deserializers={"application/schema+json": json_loads})


@cache
def shipped_openapi() -> OpenAPI:
    """The shipped document, parsed and checked once per test process (building it is slow)."""
    return OpenAPI.from_dict(json.loads(SPEC_PATH.read_text(encoding="utf-8")), config=CONFIG)


class _AnsweredRequest(WerkzeugOpenAPIRequest):
    """The request as the response check needs it: method, path, headers. Its body was read by the app already."""

    @property
    def body(self):
        return None


def violations(openapi: OpenAPI, request, response) -> list[str]:
    """What in `response` (a werkzeug response to the werkzeug `request`) the document does not allow; [] if nothing."""
    return [_describe(error) for error in openapi.iter_response_errors(
        _AnsweredRequest(request), WerkzeugOpenAPIResponse(response))]


def check(openapi: OpenAPI, request, response) -> None:
    __tracebackhide__ = True
    problems = violations(openapi, request, response)
    if problems:
        data = response.get_data()
        body = _excerpt(data.decode()) if response.is_json or response.mimetype.startswith("text/") \
            else f"<{len(data)} bytes>"
        raise AssertionError(
            f"openapi.json does not describe the answer to {request.method} {request.full_path.rstrip('?')}: "
            f"{response.status_code} {response.mimetype}\n  - " + "\n  - ".join(problems) + f"\n  body: {body}")


def _describe(error: BaseException) -> str:
    """The error and, for a schema mismatch, each failing part of the body by its JSON path."""
    parts = [f"{type(error).__name__}: {_excerpt(str(error), 300)}"]
    seen = set()
    cause = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        for schema_error in getattr(cause, "schema_errors", ()) or ():
            for leaf in _leaves(schema_error):
                where = "/".join(str(p) for p in leaf.absolute_path) or "(body)"
                parts.append(f"{where}: {_excerpt(leaf.message, 300)}")
        cause = cause.__cause__ or cause.__context__
    return "\n    ".join(parts)


def _excerpt(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _leaves(schema_error):
    """jsonschema's innermost errors (a oneOf/anyOf failure says why each branch failed)."""
    if not schema_error.context:
        yield schema_error
        return
    for sub in schema_error.context:
        yield from _leaves(sub)


class CheckedClient(FlaskClient):
    """A Flask test client that checks each answer under /api/ against the OpenAPI document."""

    openapi: OpenAPI | None = None  # None: the shipped document

    def open(self, *args, **kwargs):
        __tracebackhide__ = True
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith("/api/") and request.path not in NOT_CHECKED:
            check(self.openapi or shipped_openapi(), request, response)
        return response
