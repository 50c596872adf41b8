"""Publishing a diagram: malformed, hostile or unrunnable BPMN is refused with a clear error, nothing is written."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from processes import diagram_versions
from processes.diagram_versions import validate
from processes.engine.diagrams import load_diagram
from processes.engine.errors import DiagramInvalid
from processes.errors import DiagramError, Forbidden
from processes.forms import FORMS_DIR
from processes.models import DiagramVersion, User

SHIPPED = (Path(__file__).parent.parent / "bpmn" / "nomination.bpmn").read_text(encoding="utf-8")

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">&lol2;</bpmn:process></bpmn:definitions>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" name="&xxe;"/></bpmn:definitions>"""


@pytest.mark.parametrize("xml, words", [
    ("<not-closed", "XML hợp lệ"),
    (BILLION_LAUGHS, "DOCTYPE"),
    (XXE, "DOCTYPE"),
    ("<a>" + "x" * (3 * 1024 * 1024) + "</a>", "quá lớn"),
    ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:bogus/></bpmn:definitions>',
     "không hợp lệ"),
])
def test_bad_xml_is_refused(xml, words):
    with pytest.raises(DiagramError) as err:  # what publishing answers (422)
        validate(xml)
    assert words in err.value.message
    with pytest.raises(DiagramInvalid, match=words):  # the engine's own error, which knows nothing of HTTP
        load_diagram(xml, FORMS_DIR)


def test_unrunnable_diagram_lists_its_problems():
    xml = (SHIPPED.replace('value="register-nominees-schema.json"', 'value="missing-schema.json"')
           .replace('name="unit_council"', 'name="no_such_role"')
           .replace("receiving_level = dossier_level(nominees, award_levels)", "import os")
           .replace('name="tdktRules" value="acceptance"', 'name="tdktRules" value="acceptance,horoscope"', 1))
    with pytest.raises(DiagramError) as err:
        validate(xml)
    problems = " | ".join(err.value.details["problems"])
    assert "missing-schema.json" in problems
    assert "no_such_role" in problems
    assert "kịch bản" in problems
    assert "quy tắc không có: horoscope" in problems


def test_form_names_cannot_escape_the_forms_folder():
    xml = SHIPPED.replace('value="register-nominees-schema.json"', 'value="../pyproject.toml"')
    with pytest.raises(DiagramError, match="pyproject"):
        validate(xml)


def test_publishing_is_for_administrators_and_writes_nothing_on_error(session):
    staff = session.scalar(select(User).where(User.is_admin.is_(False)).limit(1))
    admin = session.scalar(select(User).where(User.is_admin.is_(True)))
    before = session.scalar(select(func.count()).select_from(DiagramVersion))
    with pytest.raises(Forbidden) as refused:
        diagram_versions.publish(session, SHIPPED, user=staff)
    assert refused.value.message == "Chỉ quản trị viên quy trình mới được xuất bản sơ đồ."
    with pytest.raises(DiagramError):
        diagram_versions.publish(session, "<broken", user=admin)
    assert session.scalar(select(func.count()).select_from(DiagramVersion)) == before
    version = diagram_versions.publish(session, SHIPPED.replace("Bắt đầu", "Bắt đầu hồ sơ"), user=admin)
    assert version.version == 2 and version.process_id == "tdkt_nomination"
