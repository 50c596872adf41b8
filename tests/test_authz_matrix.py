"""The authorization matrix: every route of the app × nine kinds of caller, the expected answer written down.

The routes come from `app.url_map`, so a route added without a row fails `test_every_route_has_a_row` with the
line to add. The objects all belong to VKSND TP Đồng Hới (Quảng Bình, tree 1): its case, open task, upload,
notification and API token, and the Quảng Bình campaign. Callers:

    anon    nobody signed in                      owner   vks-qb-dong-hoi.canbo (the case's staff)
    wrong   vks-qb-dong-hoi.hoidong (same unit,   sibl    vks-qb-ba-don.canbo (sibling district)
            not the open task's role)             parent  vks-quang-binh.tdkt (the receiving province)
    prov    vks-da-nang.tdkt (other province)     root    vkstc.tdkt (the supreme level)
    tree    so-tttt-thanh-hoa.tdkt (other tree)   admin   the administrator

Requests that change something are sent in a form that, once authorized, fails validation (an empty form, no
file), so each cell shows the permission decision and nothing moves; claim is released again after a success, and
withdrawing uses an upload of its own per caller. A cell is a status code; `3xx` means a redirect (the web pages
send anonymous callers to the sign-in page, and answer a form with a redirect and a flash).
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from processes import attachments, delegation, saved_filters, tokens
from processes.inbox import InboxFilter
from processes.db import unit_of_work
from processes.models import ApiToken, Notification, OpenTask, RoleAssignment, User
from processes.seeding import DEMO_PASSWORD
from tests.conftest import csrf_of
from tests.factories import start
from tests.test_documents import scanned_pdf

CALLERS = {
    "anon": None, "owner": "vks-qb-dong-hoi.canbo", "wrong": "vks-qb-dong-hoi.hoidong",
    "sibl": "vks-qb-ba-don.canbo", "parent": "vks-quang-binh.tdkt", "prov": "vks-da-nang.tdkt",
    "root": "vkstc.tdkt", "tree": "so-tttt-thanh-hoa.tdkt", "admin": "admin",
}

# method rule (as in the URL map)                                              anon owner wrong  sibl parent prov  root  tree admin
MATRIX = """
GET    /                                                                   3xx   200   200   200   200   200   200   200   200
GET    /admin/campaigns                                                    3xx   403   403   403   403   403   403   403   200
GET    /admin/campaigns/<int:campaign_id>                                  3xx   403   403   403   403   403   403   403   200
POST   /admin/campaigns/<int:campaign_id>                                  3xx   403   403   403   403   403   403   403   422
GET    /admin/campaigns/<int:campaign_id>.toml                             3xx   403   403   403   403   403   403   403   200
POST   /admin/campaigns/<int:campaign_id>/close                            3xx   403   403   403   403   403   403   403   3xx
GET    /admin/campaigns/<int:campaign_id>/copy                             3xx   403   403   403   403   403   403   403   200
POST   /admin/campaigns/<int:campaign_id>/copy                             3xx   403   403   403   403   403   403   403   3xx
POST   /admin/campaigns/<int:campaign_id>/reopen                           3xx   403   403   403   403   403   403   403   3xx
GET    /admin/campaigns/new                                                3xx   403   403   403   403   403   403   403   200
POST   /admin/campaigns/new                                                3xx   403   403   403   403   403   403   403   422
GET    /admin/roles                                                        3xx   403   403   403   403   403   403   403   200
POST   /admin/roles                                                        3xx   403   403   403   403   403   403   403   400
POST   /admin/roles/<code>/delete                                          3xx   403   403   403   403   403   403   403   404
GET    /api/attachments/<int:attachment_id>                                401   200   200   404   200   404   200   404   200
GET    /api/awards                                                         401   200   200   200   200   200   200   200   200
GET    /api/campaign-schema.json                                           401   200   200   200   200   200   200   200   200
GET    /api/campaigns                                                      401   200   200   200   200   200   200   200   200
POST   /api/campaigns                                                      401   403   403   403   403   403   403   403   422
GET    /api/campaigns/<int:campaign_id>                                    401   200   200   200   200   200   200   200   200
PUT    /api/campaigns/<int:campaign_id>                                    401   403   403   403   403   403   403   403   422
POST   /api/campaigns/<int:campaign_id>/close                              401   403   403   403   403   403   403   403   200
POST   /api/campaigns/<int:campaign_id>/copy                               401   403   403   403   403   403   403   403   409
POST   /api/campaigns/<int:campaign_id>/reopen                             401   403   403   403   403   403   403   403   200
POST   /api/cases                                                          401   409   403   403   403   403   403   403   409
GET    /api/cases/<int:case_id>                                            401   200   200   404   200   404   200   404   200
POST   /api/cases/<int:case_id>/attachments                                401   400   400   404   403   404   403   404   400
DELETE /api/cases/<int:case_id>/attachments/<int:attachment_id>            401   204   204   404   403   404   403   404   204
GET    /api/cases/<int:case_id>/documents                                  401   200   200   404   200   404   200   404   200
GET    /api/cases/<int:case_id>/documents/<code>                           401   400   400   404   400   404   400   404   400
GET    /api/cases/<int:case_id>/dossier.pdf                                401   200   200   404   200   404   200   404   200
GET    /api/cases/<int:case_id>/dossier.zip                                401   200   200   404   200   404   200   404   200
GET    /api/me                                                             401   200   200   200   200   200   200   200   200
GET    /api/notifications                                                  401   200   200   200   200   200   200   200   200
POST   /api/notifications/read                                             401   200   200   200   200   200   200   200   200
GET    /api/openapi.json                                                   200   200   200   200   200   200   200   200   200
GET    /supervision/campaigns/<int:campaign_id>/heatmap.json               3xx   403   403   403   200   404   200   404   200
GET    /supervision/campaigns/<int:campaign_id>/charts.json                3xx   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/heatmap                401   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/charts                 401   403   403   403   200   404   200   404   200
POST   /inbox/filters                                                      3xx   400   400   400   400   400   400   400   400
POST   /inbox/filters/<int:filter_id>/delete                               3xx   3xx   404   404   404   404   404   404   404
GET    /tasks/<int:task_id>/state                                          3xx   200   200   404   200   404   200   404   200
GET    /processes/<process_id>/waiting.json                                3xx   403   403   403   403   403   403   403   200
GET    /processes/forms/<name>.json                                        3xx   403   403   403   403   403   403   403   200
PUT    /processes/forms/<name>                                             3xx   403   403   403   403   403   403   403   400
POST   /processes/forms/preview                                            3xx   403   403   403   403   403   403   403   400
GET    /api/tasks                                                          401   200   200   200   200   200   200   200   200
GET    /api/tasks/<int:task_id>                                            401   200   200   404   200   404   200   404   200
POST   /api/tasks/<int:task_id>/claim                                      401   200   403   404   403   404   403   404   403
POST   /api/tasks/<int:task_id>/complete                                   401   422   403   404   403   404   403   404   403
POST   /api/tasks/<int:task_id>/release                                    401   409   403   404   403   404   403   404   200
GET    /attachments/<int:attachment_id>                                    3xx   200   200   404   200   404   200   404   200
GET    /awards                                                             3xx   200   200   200   200   200   200   200   200
GET    /campaigns                                                          3xx   200   200   200   200   200   200   200   200
POST   /cases                                                              3xx   409   403   403   403   403   403   403   409
GET    /cases                                                              3xx   200   200   200   200   200   200   200   200
GET    /cases/<int:case_id>                                                3xx   200   200   404   200   404   200   404   200
POST   /cases/<int:case_id>/attachments                                    3xx   400   400   404   403   404   403   404   400
POST   /cases/<int:case_id>/attachments/<int:attachment_id>/withdraw       3xx   3xx   3xx   404   403   404   403   404   3xx
GET    /cases/<int:case_id>/documents/<code>.pdf                           3xx   400   400   404   400   404   400   404   400
GET    /cases/<int:case_id>/dossier.pdf                                    3xx   200   200   404   200   404   200   404   200
GET    /cases/<int:case_id>/dossier.zip                                    3xx   200   200   404   200   404   200   404   200
POST   /cases/<int:case_id>/timers/retry                                   3xx   403   403   403   403   403   403   403   3xx
GET    /login                                                              200   3xx   3xx   3xx   3xx   3xx   3xx   3xx   3xx
POST   /login                                                              401   3xx   3xx   3xx   3xx   3xx   3xx   3xx   3xx
POST   /logout                                                             3xx   3xx   3xx   3xx   3xx   3xx   3xx   3xx   3xx
GET    /notifications                                                      3xx   200   200   200   200   200   200   200   200
POST   /notifications/<int:notification_id>/open                           3xx   3xx   404   404   404   404   404   404   404
POST   /notifications/read                                                 3xx   3xx   3xx   3xx   3xx   3xx   3xx   3xx   3xx
GET    /tasks/<int:task_id>                                                3xx   200   200   404   200   404   200   404   200
POST   /tasks/<int:task_id>                                                3xx   422   403   404   403   404   403   404   403
POST   /tasks/<int:task_id>/claim                                          3xx   3xx   403   404   403   404   403   404   403
POST   /tasks/<int:task_id>/release                                        3xx   409   403   404   403   404   403   404   3xx
GET    /supervision                                                        3xx   403   403   403   200   200   200   200   200
GET    /supervision/campaigns/<int:campaign_id>                            3xx   403   403   403   200   404   200   404   200
GET    /supervision/campaigns/<int:campaign_id>/units.<any(xlsx, csv):fmt> 3xx   403   403   403   200   404   200   404   200
GET    /supervision/campaigns/<int:campaign_id>/nominees.<any(xlsx, csv):fmt> 3xx   403   403   403   200   404   200   404   200
POST   /supervision/campaigns/<int:campaign_id>/actions                    3xx   403   403   403   3xx   404   3xx   404   3xx
GET    /processes                                                          3xx   403   403   403   403   403   403   403   200
POST   /processes                                                          3xx   403   403   403   403   403   403   403   400
GET    /processes/<process_id>                                             3xx   403   403   403   403   403   403   403   200
GET    /processes/<process_id>/versions/<int:number>.bpmn                  3xx   403   403   403   403   403   403   403   200
POST   /processes/<process_id>/upload                                      3xx   403   403   403   403   403   403   403   400
GET    /processes/<process_id>/edit                                        3xx   403   403   403   403   403   403   403   200
GET    /processes/<process_id>/compare                                     3xx   403   403   403   403   403   403   403   400
GET    /processes/<process_id>/draft                                       3xx   403   403   403   403   403   403   403   200
PUT    /processes/<process_id>/draft                                       3xx   403   403   403   403   403   403   403   400
POST   /processes/<process_id>/publish                                     3xx   403   403   403   403   403   403   403   400
GET    /cases/<int:case_id>/diagram.json                                   3xx   200   200   404   200   404   200   404   200
GET    /api/cases                                                          401   200   200   200   200   200   200   200   200
GET    /api/forms                                                          401   403   403   403   403   403   403   403   200
PUT    /api/forms/<name>                                                   401   403   403   403   403   403   403   403   400
GET    /api/supervision/campaigns                                          401   403   403   403   200   200   200   200   200
GET    /api/supervision/campaigns/<int:campaign_id>/units                  401   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/steps                  401   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/units.csv              401   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/units.xlsx             401   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/nominees.csv           401   403   403   403   200   404   200   404   200
GET    /api/supervision/campaigns/<int:campaign_id>/nominees.xlsx          401   403   403   403   200   404   200   404   200
POST   /api/supervision/actions                                            401   403   403   403   400   400   400   400   400
GET    /api/processes                                                      401   403   403   403   403   403   403   403   200
GET    /api/processes/<process_id>/versions                                401   403   403   403   403   403   403   403   200
GET    /api/processes/<process_id>/versions/<int:number>.bpmn              401   403   403   403   403   403   403   403   200
GET    /api/processes/<process_id>/draft                                   401   403   403   403   403   403   403   403   200
PUT    /api/processes/<process_id>/draft                                   401   403   403   403   403   403   403   403   400
POST   /api/processes/<process_id>/publish                                 401   403   403   403   403   403   403   403   409
GET    /api/editor/catalog                                                 401   403   403   403   403   403   403   403   200
GET    /api/cases/<int:case_id>/diagram                                    401   200   200   404   200   404   200   404   200
GET    /inbox/state                                                        3xx   200   200   200   200   200   200   200   200
POST   /inbox/bulk                                                         3xx   400   400   400   400   400   400   400   400
POST   /tasks/<int:task_id>/assign                                         3xx   400   403   404   403   404   403   404   400
POST   /cases/<int:case_id>/comments                                       3xx   422   422   404   422   404   422   404   422
GET    /cases/<int:case_id>/mentions                                       3xx   200   200   404   200   404   200   404   200
GET    /delegations                                                        3xx   200   200   200   200   200   200   200   200
POST   /delegations                                                        3xx   422   422   422   422   422   422   422   422
POST   /delegations/<int:delegation_id>/end                                3xx   3xx   404   404   404   404   404   404   404
POST   /api/tasks/<int:task_id>/assign                                     401   400   403   404   403   404   403   404   400
POST   /api/tasks/bulk                                                     401   400   400   400   400   400   400   400   400
GET    /api/delegations                                                    401   200   200   200   200   200   200   200   200
POST   /api/delegations                                                    401   422   422   422   422   422   422   422   422
POST   /api/delegations/<int:delegation_id>/end                            401   200   404   404   404   404   404   404   404
GET    /api/cases/<int:case_id>/comments                                   401   200   200   404   200   404   200   404   200
POST   /api/cases/<int:case_id>/comments                                   401   422   422   404   422   404   422   404   422
GET    /tokens                                                             3xx   200   200   200   200   200   200   200   200
POST   /tokens                                                             3xx   200   200   200   200   200   200   200   200
POST   /tokens/<int:token_id>/revoke                                       3xx   3xx   404   404   404   404   404   404   3xx
"""


def _rows() -> dict[tuple[str, str], list[str]]:
    rows = {}
    for line in MATRIX.strip().splitlines():
        method, *words = line.split()  # a rule may hold a space (`<any(xlsx, csv):fmt>`): the cells are the tail
        rule, cells = " ".join(words[:-len(CALLERS)]), words[-len(CALLERS):]
        assert rule.startswith("/") and not re.search(r"\s(\d{3}|3xx)\b", rule), \
            f"row {line.strip()}: not one rule and {len(CALLERS)} cells"
        rows[(method, rule)] = cells
    return rows


def _routes(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, rule.endpoint))
    return found


def test_every_route_has_a_row(app):
    rows = _rows()
    missing = [(m, r, e) for m, r, e in _routes(app) if (m, r) not in rows]
    listed = {(m, r) for m, r, _ in _routes(app)}
    stale = [key for key in rows if key not in listed]
    assert not missing, ("routes without a row in tests/test_authz_matrix.py MATRIX — add one line each "
                         "(cells: " + " ".join(CALLERS) + "):\n" + "\n".join(
                             f"{m:<4} {r:<62} ?    ?    ?    ?    ?    ?    ?    ?    ?     (endpoint {e})"
                             for m, r, e in missing))
    assert not stale, f"rows for routes that no longer exist: {stale}"


class _Caller:
    """One kind of caller: a signed-in web client (with its CSRF token) and an API token."""

    def __init__(self, app, session, username: str | None):
        self.app, self.username = app, username
        self.web = self._signed_in()
        self.csrf = csrf_of(self.web.get("/login")) if username is None else csrf_of(self.web.get("/tokens"))
        self.headers = {}
        if username is not None:
            user = session.scalar(select(User).where(User.username == username))
            self.headers = {"Authorization": f"Bearer {tokens.create(session, user, 'ma trận')}"}

    def _signed_in(self):
        client = self.app.test_client()
        if self.username is not None:
            response = client.post("/login", data={"username": self.username, "password": DEMO_PASSWORD,
                                                   "csrf_token": csrf_of(client.get("/login"))})
            assert response.status_code == 302, f"sign-in failed for {self.username}"
        return client


class _World:
    """The objects the routes point at, all of VKSND TP Đồng Hới."""

    def __init__(self, app, session):
        self.session, self.upload_dir = session, app.config["TDKT_UPLOAD_DIR"]
        self.owner = session.scalar(select(User).where(User.username == CALLERS["owner"]))
        case = start(session, "vks-qb-dong-hoi")
        self.case_id, self.unit_id, self.campaign_id = case.id, case.unit_id, case.campaign_id
        self.task_id = session.scalar(select(OpenTask.id).where(OpenTask.case_id == case.id))
        self.attachment_id = self.upload()
        with unit_of_work(session):  # a notice of the owner's own (the starter is not told of their own start)
            notice = Notification(user_id=self.owner.id, case_id=case.id, kind="task_assigned",
                                  message="Hồ sơ mới", link=f"/cases/{case.id}")
            session.add(notice)
        self.notification_id = notice.id
        tokens.create(session, self.owner, "để thu hồi")
        self.token_id = max(t.id for t in self.owner_tokens())
        self.filter_id = saved_filters.save_filter(session, self.owner, "Quá hạn", InboxFilter(due="overdue"))
        with unit_of_work(session):  # a colleague of the owner's role and unit, to delegate to
            colleague = User(username="vks-qb-dong-hoi.canbo2", full_name="Cán bộ thứ hai", password_hash="x",
                             unit_id=self.owner.unit_id)
            colleague.roles.append(RoleAssignment(unit_id=self.owner.unit_id, role="unit_staff"))
            session.add(colleague)
        self.delegation_id = delegation.create(session, self.owner, colleague.id, self.owner.unit_id, "unit_staff",
                                               delegation.today(), delegation.today()).id
        assert self.notification_id is not None and self.task_id is not None

    def owner_tokens(self):
        return self.session.scalars(select(ApiToken).where(ApiToken.user_id == self.owner.id))

    def upload(self) -> int:
        return attachments.upload(self.session, self.owner, self.case_id, "bien_ban", "bien-ban.pdf", PDF,
                                  self.upload_dir).id

    def url(self, rule: str, attachment_id: int | None = None) -> str:
        values = {"case_id": self.case_id, "task_id": self.task_id, "notification_id": self.notification_id,
                  "token_id": self.token_id, "campaign_id": self.campaign_id, "code": "to_trinh",
                  "attachment_id": attachment_id or self.attachment_id, "process_id": "tdkt_nomination",
                  "number": 1, "name": "head-submit-schema.json", "fmt": "csv",
                  "filter_id": self.filter_id, "delegation_id": self.delegation_id}
        return re.sub(r"<(?:[^<>]+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)


PDF = b""


def _ask(world: _World, caller: _Caller, method: str, rule: str) -> int:
    attachment_id = world.upload() if "withdraw" in rule or method == "DELETE" else None
    url = world.url(rule, attachment_id)
    if rule.startswith("/api/"):
        body = {}
        if rule == "/api/cases":
            body = {"campaign_id": world.campaign_id, "unit_id": world.unit_id}
        if rule == "/api/forms/<name>":  # `{}` is a valid schema (it would be saved): a list is not
            body = []
        if rule.endswith("/attachments") and method == "POST":
            response = caller.web.open(url, method=method, headers=caller.headers, data={"code": "bien_ban"},
                                       content_type="multipart/form-data")
        else:
            response = caller.web.open(url, method=method, headers=caller.headers,
                                       json=body if method in ("POST", "PUT") else None)
        if response.status_code == 200 and rule.endswith("/claim"):
            caller.web.post(url.replace("/claim", "/release"), headers=caller.headers)
        return response.status_code
    if method == "GET":
        return caller.web.get(url).status_code
    data = {"csrf_token": caller.csrf}
    client = caller.web
    if rule == "/logout":  # its own sign-in, so the caller's client stays signed in for the rows after it
        client = caller._signed_in()
        data = {"csrf_token": csrf_of(client.get("/login" if caller.username is None else "/tokens"))}
    if rule == "/cases":
        data.update(campaign_id=world.campaign_id, unit_id=world.unit_id)
    if rule == "/login":
        data.update(username="", password="")
    response = client.open(url, method=method, data=data)
    if response.status_code in (200, 302) and rule.endswith("/claim") and caller.username is not None:
        client.post(url.replace("/claim", "/release"), data={"csrf_token": caller.csrf})
    return response.status_code


def _cell(status: int) -> str:
    return "3xx" if 300 <= status < 400 else str(status)


def test_every_caller_gets_the_answer_in_the_matrix(app, session):
    global PDF
    PDF = PDF or scanned_pdf("biên bản")
    world = _World(app, session)
    callers = {name: _Caller(app, session, username) for name, username in CALLERS.items()}
    rows = _rows()
    observed, wrong = {}, []
    # signing out ends every session of the user (everywhere), so it is asked last
    for (method, rule), expected in sorted(rows.items(), key=lambda row: row[0][1] == "/logout"):
        got = [_cell(_ask(world, callers[name], method, rule)) for name in CALLERS]
        observed[(method, rule)] = got
        if got != expected:
            wrong.append(f"{method:<4} {rule:<62} " + "  ".join(f"{c:>3}" for c in got)
                         + "   expected " + " ".join(expected))
    assert not wrong, ("answers that differ from the matrix (observed row, then the row in MATRIX; cells: "
                       + " ".join(CALLERS) + "):\n" + "\n".join(wrong))


def test_a_route_added_without_a_row_is_named_in_the_failure(app):
    app.add_url_rule("/thu-nghiem/<int:case_id>/moi", "thu_nghiem", lambda case_id: "", methods=["POST"])
    with pytest.raises(AssertionError, match=r"POST /thu-nghiem/<int:case_id>/moi .*endpoint thu_nghiem"):
        test_every_route_has_a_row(app)
