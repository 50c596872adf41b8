"""A process owner's work in a real browser (Debian's Chromium through Playwright, under the app's CSP): the form
editor beside the diagram on wide screens and under it on phones. Screenshots go to /tmp/shots-owner/."""
from pathlib import Path

from tests.test_browser import live, login, page  # noqa: F401  (fixtures)

SHOTS = Path("/tmp/shots-owner")
PID = "tdkt_nomination"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def box(page, selector) -> dict:
    return page.locator(selector).bounding_box()


def open_form_of(page, width, height, task="record_minutes"):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{page.base}/processes/{PID}/edit")
    page.wait_for_selector(f'.djs-element[data-element-id="{task}"]')
    page.wait_for_selector("#process-editor[data-save-state]")
    page.evaluate(f"window.tdktModeler.get('selection').select("
                  f"window.tdktModeler.get('elementRegistry').get('{task}'))")
    page.wait_for_selector('.form-editor[data-preview="ready"]')


def test_the_form_editor_sits_beside_the_diagram_on_wide_screens_and_under_it_on_phones(page):
    login(page, "quytrinh")
    open_form_of(page, 1366, 900)
    diagram, form = box(page, ".editor-layout"), box(page, ".form-editor")
    assert form["x"] >= diagram["x"] + diagram["width"] - 1  # to the right of the diagram and its panel…
    assert abs(form["y"] - diagram["y"]) < 2  # …on the same row
    assert diagram["width"] >= 700, diagram  # the diagram keeps room to work in
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing scrolls sideways
    code, preview = box(page, ".form-code"), box(page, ".form-preview")
    assert preview["y"] > code["y"]  # in the side pane the preview comes under the code
    shot(page, "form-editor-1366")

    open_form_of(page, 390, 844)
    diagram, form = box(page, ".editor-layout"), box(page, ".form-editor")
    assert form["y"] >= diagram["y"] + diagram["height"] - 1  # stacked under the diagram
    assert form["width"] <= 390 and page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".form-editor").scroll_into_view_if_needed()
    shot(page, "form-editor-390")

    # without a form to edit, the diagram takes the whole width again
    page.set_viewport_size({"width": 1366, "height": 900})
    page.evaluate("window.tdktModeler.get('selection').select("
                  "window.tdktModeler.get('elementRegistry').get('determine_level'))")
    page.wait_for_selector(".form-editor", state="hidden")
    assert box(page, ".editor-layout")["width"] > 1200


def test_a_camunda_modeler_file_reopens_in_the_editor_and_saves_back_with_everything_kept(page, session, api):
    """Camunda Modeler 5's file published here, opened in our editor, edited and saved: the draft keeps the same
    elements, the same diagram interchange and every extension (camunda:, modeler:, colours, ours)."""
    from lxml import etree
    from processes.models import ProcessDraft
    from sqlalchemy import select
    from tests.dot_xuat import CAMUNDA_BPMN, CAMUNDA_PID
    from tests.test_process_interop import extensions, put_draft, put_forms

    owner = api("quytrinh")
    put_forms(owner)
    assert put_draft(owner, CAMUNDA_PID, CAMUNDA_BPMN, 0).get_json()["valid"]
    assert owner.post(f"/api/processes/{CAMUNDA_PID}/publish",
                      json={"note": "", "migrate": "none", "revision": 1}).status_code == 201
    login(page, "quytrinh")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{page.base}/processes/{CAMUNDA_PID}/edit")
    page.wait_for_selector('.djs-element[data-element-id="propose"]')
    page.wait_for_selector("#process-editor[data-save-state]")
    assert "Sơ đồ hợp lệ" in page.inner_text(".validity")
    revision = int(page.get_attribute("#process-editor", "data-revision"))
    # an edit a person makes: the decision task moved a little to the right
    page.evaluate("""() => { const m = window.tdktModeler;
      m.get('modeling').moveElements([m.get('elementRegistry').get('decide')], { x: 20, y: 0 }); }""")
    page.wait_for_selector(f'#process-editor[data-save-state="saved"][data-revision="{revision + 1}"]')
    assert "Sơ đồ hợp lệ" in page.inner_text(".validity")
    shot(page, "camunda-file-in-editor")
    saved = session.scalar(select(ProcessDraft.bpmn_xml).where(ProcessDraft.process_id == CAMUNDA_PID))

    def inventory(xml):
        root = etree.fromstring(xml.encode("utf-8"))
        ids = sorted((e.tag, e.get("id")) for e in root.iter(etree.Element) if e.get("id"))
        di = sorted(e.get("bpmnElement") for e in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape",
                                                            "{http://www.omg.org/spec/BPMN/20100524/DI}BPMNEdge"))
        return ids, di

    assert inventory(saved) == inventory(CAMUNDA_BPMN)  # the same elements, each still drawn
    assert extensions(saved) == extensions(CAMUNDA_BPMN)  # camunda:, modeler:, bioc:, color:, spiffworkflow: kept
    assert 'exporter="Camunda Modeler" exporterVersion="5.31.0"' in saved  # bpmn-js leaves the exporter's name
    moved = etree.fromstring(saved.encode("utf-8")).xpath(
        "//bpmndi:BPMNShape[@bpmnElement='decide']/dc:Bounds/@x",
        namespaces={"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC"})
    assert moved == ["920"]
