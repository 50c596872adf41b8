"""Diagrams from elsewhere and a process nobody shipped, over HTTP on both databases: a diagram drawn the
SpiffArena way (forms named by `spiffworkflow:property formJsonSchemaFilename`, lanes naming roles, a parallel
gateway, a timer) uploads, publishes, is bound to a new campaign by its definition's `process_id`, and a unit runs a
case through it to the receiving level's decision; a file as Camunda Modeler 5 saves it validates and publishes
with its extensions kept, and downloads as it was uploaded."""
from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree
from sqlalchemy import select

from processes import campaign_admin, clock, timer_worker
from processes.errors import ValidationFailed
from processes.models import Campaign, Case, CaseTimer, OpenTask, User
from processes.workdays import working_days_after
from tests.dot_xuat import (ANSWERS, CAMUNDA_BPMN, CAMUNDA_PID, FORMS, SPIFFARENA_BPMN, campaign_definition,
                             form_text)
from tests.factories import complete, start

SPIFF_PID = "tdkt_spiff_dot_xuat"


def put_draft(client, pid, xml, revision):
    return client.client.put(f"/api/processes/{pid}/draft", data=xml.encode("utf-8"),
                             headers={**client.headers, "Content-Type": "application/xml",
                                      "If-Match": f'"{revision}"'})


def put_forms(owner) -> None:
    for name in FORMS:
        response = owner.client.put(f"/api/forms/{name}", data=form_text(name).encode("utf-8"),
                                    headers={**owner.headers, "Content-Type": "application/json"})
        assert response.status_code in (200, 201), response.get_json()


def admin(session) -> User:
    return session.scalar(select(User).where(User.username == "admin"))


def open_rows(session, case) -> list[tuple[str, str, str]]:
    session.expire_all()
    return sorted((r.bpmn_id, r.role, r.unit.code) for r in session.scalars(
        select(OpenTask).where(OpenTask.case_id == case.id)))


def test_a_diagram_drawn_the_spiffarena_way_uploads_publishes_and_a_unit_runs_it_to_the_decision(app, session, api):
    owner = api("quytrinh")
    saved = put_draft(owner, SPIFF_PID, SPIFFARENA_BPMN, 0).get_json()
    assert saved["valid"] is False  # its forms are not on this server yet: said per task
    assert {p["element_id"] for p in saved["problems"]} == {"propose", "write_minutes", "council_vote",
                                                            "head_submit", "decide"}
    put_forms(owner)
    saved = put_draft(owner, SPIFF_PID, SPIFFARENA_BPMN, 1).get_json()
    assert (saved["valid"], saved["problems"]) == (True, [])
    published = owner.post(f"/api/processes/{SPIFF_PID}/publish",
                           json={"note": "Khen thưởng đột xuất (vẽ bằng SpiffArena)", "migrate": "none",
                                 "revision": 2})
    assert published.status_code == 201 and published.get_json()["version"] == 1
    assert owner.get(f"/api/processes/{SPIFF_PID}/versions/1.bpmn").get_data(as_text=True) == SPIFFARENA_BPMN

    campaign = campaign_admin.create_campaign(session, admin(session), campaign_definition(SPIFF_PID))
    assert (campaign.process_id, campaign.details["round"]) == (SPIFF_PID, "dot_xuat")
    case = start(session, "vks-qb-dong-hoi", campaign.code)
    assert case.diagram_version.process_id == SPIFF_PID
    assert open_rows(session, case) == [("propose", "unit_staff", "vks-qb-dong-hoi")]
    complete(session, case, "vks-qb-dong-hoi.canbo", ANSWERS["propose"])
    # the parallel gateway: the secretary and the council at once
    assert open_rows(session, case) == [("council_vote", "unit_council", "vks-qb-dong-hoi"),
                                        ("write_minutes", "unit_secretary", "vks-qb-dong-hoi")]
    complete(session, case, "vks-qb-dong-hoi.hoidong", ANSWERS["council_vote"], "council_vote")
    assert open_rows(session, case) == [("write_minutes", "unit_secretary", "vks-qb-dong-hoi")]  # the join waits
    complete(session, case, "vks-qb-dong-hoi.thuky", ANSWERS["write_minutes"], "write_minutes")
    complete(session, case, "vks-qb-dong-hoi.thutruong", ANSWERS["head_submit"])
    # the receiving level decides, within 10 working days: the boundary timer waits beside its task
    assert open_rows(session, case) == [("decide", "provincial_reviewer", "vks-quang-binh")]
    timer = session.scalar(select(CaseTimer).where(CaseTimer.case_id == case.id))
    expected = dt.datetime.fromisoformat(working_days_after(10)).astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert (timer.bpmn_id, timer.fire_at) == ("decision_timer", expected)
    complete(session, case, "vks-quang-binh.tdkt", ANSWERS["decide"])
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.status == "completed" and open_rows(session, case) == []
    assert session.scalar(select(CaseTimer).where(CaseTimer.case_id == case.id)) is None  # the timer went with it
    assert case.data["decision_ref"] == "345/QĐ-VKSQB" and case.data["votes_for"] == 7


def test_the_decision_timer_fires_after_ten_working_days(app, session, api):
    owner = api("quytrinh")
    put_forms(owner)
    put_draft(owner, SPIFF_PID, SPIFFARENA_BPMN, 0)
    owner.post(f"/api/processes/{SPIFF_PID}/publish", json={"note": "", "migrate": "none", "revision": 1})
    campaign = campaign_admin.create_campaign(session, admin(session), campaign_definition(SPIFF_PID))
    case = start(session, "vks-qb-le-thuy", campaign.code)
    for step, who in (("propose", "canbo"), ("council_vote", "hoidong"), ("write_minutes", "thuky"),
                      ("head_submit", "thutruong")):
        complete(session, case, f"vks-qb-le-thuy.{who}", ANSWERS[step], step)
    fire_at = session.scalar(select(CaseTimer.fire_at).where(CaseTimer.case_id == case.id))
    previous = clock.set_clock(clock.ShiftedClock(fire_at + dt.timedelta(seconds=1)))
    try:
        assert timer_worker.fire_due(session).fired == 1
    finally:
        clock.set_clock(previous)
    # non-interrupting: the decision still waits for the receiving level
    assert open_rows(session, case) == [("decide", "provincial_reviewer", "vks-quang-binh")]


def test_a_campaign_names_a_process_that_is_published(app, session):
    with pytest.raises(ValidationFailed) as refused:
        campaign_admin.validate(session, campaign_definition("khong_co_quy_trinh"))
    assert refused.value.field_errors == {"process_id": [
        "Quy trình «khong_co_quy_trinh» chưa có phiên bản nào được xuất bản; "
        "hãy xuất bản sơ đồ trước (mục Quy trình)."]}
    with pytest.raises(ValidationFailed) as bad:
        campaign_admin.validate(session, campaign_definition("có dấu"))
    assert "process_id" in bad.value.field_errors
    nomination = campaign_admin.validate(session, campaign_definition("tdkt_nomination"))
    assert nomination["process_id"] == "tdkt_nomination"
    qb = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    assert qb.process_id == "tdkt_nomination"  # a definition naming none runs the nomination


def extensions(xml: str) -> list[tuple]:
    """Every element and attribute of a namespace that is not BPMN's own (camunda:, modeler:, bioc:, color:,
    spiffworkflow:), where it sits (its parent's id), and what it says."""
    root = etree.fromstring(xml.encode("utf-8"))
    ours = ("http://www.omg.org/spec/BPMN/", "http://www.omg.org/spec/DD/", "http://www.w3.org/")
    found = []
    for element in root.iter(etree.Element):
        holder = next((e.get("id") for e in element.iterancestors() if e.get("id")), None)
        if not element.tag.startswith(tuple("{" + n for n in ours)):
            found.append(("element", holder, element.tag, dict(element.attrib), (element.text or "").strip()))
        for key, value in element.attrib.items():
            if key.startswith("{") and not key.startswith(tuple("{" + n for n in ours)):
                found.append(("attribute", element.get("id"), key, value))
    return sorted(found, key=repr)


def test_a_file_saved_by_camunda_modeler_validates_publishes_and_downloads_as_it_was(app, session, api):
    owner = api("quytrinh")
    put_forms(owner)
    saved = put_draft(owner, CAMUNDA_PID, CAMUNDA_BPMN, 0).get_json()
    assert (saved["valid"], saved["problems"]) == (True, [])
    published = owner.post(f"/api/processes/{CAMUNDA_PID}/publish",
                           json={"note": "Vẽ bằng Camunda Modeler 5", "migrate": "none", "revision": 1})
    assert published.status_code == 201
    downloaded = owner.get(f"/api/processes/{CAMUNDA_PID}/versions/1.bpmn").get_data(as_text=True)
    assert downloaded == CAMUNDA_BPMN  # byte for byte: the unknown extensions, the DI, the exporter's attributes
    kept = extensions(downloaded)
    assert ("attribute", "Definitions_dx", "{http://camunda.org/schema/modeler/1.0}executionPlatform",
            "Camunda Platform") in kept
    assert ("attribute", "propose", "{http://camunda.org/schema/1.0/bpmn}asyncBefore", "true") in kept
    assert ("element", "propose", "{http://camunda.org/schema/1.0/bpmn}property", {"name": "priority", "value": "high"},
            "") in kept
    # and it runs: the camunda: attributes mean nothing to our engine, the spiffworkflow: ones do
    campaign = campaign_admin.create_campaign(session, admin(session), campaign_definition(CAMUNDA_PID, "qb-dx-cm"))
    case = start(session, "vks-qb-dong-hoi", campaign.code)
    complete(session, case, "vks-qb-dong-hoi.canbo", ANSWERS["propose"])
    assert open_rows(session, case) == [("council_vote", "unit_council", "vks-qb-dong-hoi"),
                                        ("write_minutes", "unit_secretary", "vks-qb-dong-hoi")]
