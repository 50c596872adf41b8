"""processes/contracts.py against the shipped diagrams and the schema: every id, message and rule the code names
exists where the code expects it, and the status columns refuse values the code does not know."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from processes.contracts import (RULES_PROPERTY, CaseKind, CaseStatus, DataKey, EmailStatus, Message, Process, Rule,
                                 TaskId, TimerStatus)
from processes import cases
from processes.models import Campaign, CaseTimer, Notification, User
from processes.rules import CHECKS

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


@pytest.fixture(scope="module")
def diagrams():
    return {path.name: etree.parse(str(path)) for path in sorted(BPMN.glob("*.bpmn"))}


def _all(diagrams, xpath):
    return {value for tree in diagrams.values() for value in tree.xpath(xpath, namespaces=NS)}


def test_every_process_the_code_starts_is_shipped(diagrams):
    shipped = _all(diagrams, "//bpmn:process/@id")
    assert {p.value for p in Process} <= shipped


def test_every_task_id_the_code_names_is_a_user_task(diagrams):
    user_tasks = _all(diagrams, "//bpmn:userTask/@id")
    assert {t.value for t in TaskId} <= user_tasks, {t.value for t in TaskId} - user_tasks


def test_every_message_the_code_handles_is_in_a_diagram_and_every_thrown_one_is_known(diagrams):
    in_diagrams = _all(diagrams, "//bpmn:message/@name")
    assert {m.value for m in Message} == in_diagrams


def test_rules_named_by_diagrams_are_the_contract_and_each_has_a_check(diagrams):
    named = {name.strip() for value in _all(
        diagrams, f"//spiffworkflow:property[@name='{RULES_PROPERTY}']/@value") for name in value.split(",")}
    assert named, "the shipped diagrams name their rules"
    assert named <= {r.value for r in Rule}
    assert set(CHECKS) == {r.value for r in Rule}


def test_data_keys_the_timers_read_are_used_by_the_diagrams(diagrams):
    expressions = " ".join(_all(diagrams, "//bpmn:timeDate/text() | //bpmn:timeDuration/text() | //bpmn:timeCycle/text()"
                                          " | //bpmn:conditionExpression/text() | //bpmn:script/text()"))
    for key in (DataKey.DEADLINE_AT, DataKey.REMINDER_AT, DataKey.REVIEW_WORKING_DAYS, DataKey.AWARD_LEVELS):
        assert key.value in expressions, key


def test_status_columns_refuse_unknown_values(session):
    """The CHECK constraints of migration 0005 hold exactly the contract's values, on both databases."""
    staff = session.scalar(select(User).where(User.username == "vks-qb-dong-hoi.canbo"))
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-1532-2024"))
    case = cases.start_case(session, staff, campaign.id, staff.unit_id)
    columns = [("cases", "status", CaseStatus), ("cases", "kind", CaseKind), ("case_timers", "status", TimerStatus)]
    for table, column, enum in columns:
        where = "id" if table == "cases" else "case_id"
        for value in enum:  # every value the code knows is accepted …
            session.execute(text(f"UPDATE {table} SET {column} = :v WHERE {where} = :c"), {"v": value.value, "c": case.id})
        session.rollback()
        with pytest.raises(IntegrityError):  # … and nothing else
            session.execute(text(f"UPDATE {table} SET {column} = 'bogus' WHERE {where} = :c"), {"c": case.id})
        session.rollback()
    assert session.scalar(select(func.count()).select_from(CaseTimer).where(CaseTimer.case_id == case.id)) > 0
    session.execute(insert(Notification).values(user_id=staff.id, kind="x", message="x", email_status="pending"))
    session.rollback()
    with pytest.raises(IntegrityError):
        session.execute(insert(Notification).values(user_id=staff.id, kind="x", message="x", email_status="bogus"))
    session.rollback()
    assert {s.value for s in EmailStatus} >= {"", "pending", "sent", "failed", "no_address"}
