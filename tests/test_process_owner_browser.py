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
        namespaces={"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
                    "dc": "http://www.omg.org/spec/DD/20100524/DC"})
    assert moved == ["920"]


# --- Proof by use: khen thưởng đột xuất, built in the browser by the process owner, run by a unit -------------------

DX = "tdkt_dot_xuat"
STEPS = [  # (id, name, lane, form) in the order the process runs them
    ("propose", "Đề xuất khen thưởng đột xuất", "unit_staff", "dx-proposal-schema.json"),
    ("council_vote", "Hội đồng TĐKT bỏ phiếu", "unit_council", "dx-vote-schema.json"),
    ("head_submit", "Thủ trưởng trình cấp trên", "unit_head", "dx-submit-schema.json"),
    ("decide", "Cấp trên quyết định khen thưởng", "provincial_reviewer", "dx-decision-schema.json"),
]


def modeler(page, script: str, arg=None):
    """The modeler's own API (window.tdktModeler), for what a mouse would drag: `m`, `reg`, `modeling` are bound."""
    return page.evaluate("([arg]) => { const m = window.tdktModeler, reg = m.get('elementRegistry'), "
                         "modeling = m.get('modeling'); " + script + " }", [arg])


def panel_field(page, group: str, selector: str):
    """A field of the properties panel, its group opened first (groups open collapsed)."""
    field = page.locator(f'[data-group-id="group-{group}"] {selector}')
    if not field.is_visible():
        page.click(f'[data-group-id="group-{group}"] .bio-properties-panel-group-header')
    return field


def saved_after(page, revision: int) -> int:
    """Wait for the autosave of the change just made (the revision after `revision`); returns it."""
    page.wait_for_selector(f'#process-editor[data-save-state="saved"][data-revision="{revision + 1}"]')
    return revision + 1


def revision_of(page) -> int:
    page.wait_for_selector('#process-editor[data-save-state="saved"], #process-editor[data-save-state="pending"]')
    return int(page.get_attribute("#process-editor", "data-revision"))


def selected_id(page) -> str:
    return modeler(page, "const s = m.get('selection').get(); return s.length === 1 ? s[0].id : null;")


def name_selected(page, element_id: str, name: str) -> None:
    """ID and name typed into the panel's general group, as an owner does."""
    panel_field(page, "general", "#bio-properties-panel-id").fill(element_id)
    page.keyboard.press("Tab")
    page.wait_for_selector(f'.djs-element[data-element-id="{element_id}"]')
    panel_field(page, "general", "#bio-properties-panel-name").fill(name)
    page.keyboard.press("Tab")


def click_element(page, element_id: str) -> None:
    """A click on the element, scrolled first clear of the palette (left) and with room for its context pad."""
    modeler(page, "m.get('canvas').scrollToElement(reg.get(arg), { top: 120, bottom: 120, left: 260, right: 260 });",
            element_id)
    page.click(f'.djs-element[data-element-id="{element_id}"] .djs-hit')
    if selected_id(page) != element_id:  # a click on a task's label can land on the pool under it
        modeler(page, "m.get('selection').select(reg.get(arg));", element_id)


def append_user_task(page, after: str, element_id: str, name: str) -> None:
    """The context pad of `after`: «append task» (its name typed straight on it, as bpmn-js opens the label editor on
    an appended task), then «change type» (the wrench) → user task; then its id in the panel."""
    click_element(page, after)
    page.click('.djs-context-pad [data-action="append.append-task"]')
    page.wait_for_selector(".djs-direct-editing-parent")
    page.keyboard.type(name)
    page.keyboard.press("Enter")  # ends the label editing (an open label editor would close the menu below)
    page.click('.djs-context-pad [data-action="replace"]')
    page.click('.djs-popup [data-id="replace-with-user-task"]')
    page.wait_for_selector(f'.djs-element.djs-shape text:has-text("{name.split()[0]}")')
    panel_field(page, "general", "#bio-properties-panel-id").fill(element_id)
    page.keyboard.press("Tab")
    page.wait_for_selector(f'.djs-element[data-element-id="{element_id}"]')
    assert modeler(page, "const b = reg.get(arg).businessObject; return [b.$type, b.name];", element_id) == \
        ["bpmn:UserTask", name]


def write_form(page, task_id: str, form: str) -> None:
    """The form editor beside the diagram: «create a form» for the selected task, its JSON Schema written in
    CodeMirror (through the editor's own view, window.tdktFormEditor: typing JSON key by key into CodeMirror's
    auto-closing brackets would test the keyboard, not us), previewed by the server, saved."""
    from tests.dot_xuat import FORMS, form_text
    click_element(page, task_id)
    page.wait_for_selector(".form-new:not([hidden])")
    page.fill(".form-new-name", form)
    page.click(".form-create")
    page.wait_for_selector(f'.form-editor .form-name:text-is("{form}")')
    page.wait_for_selector('.form-editor .form-status:has-text("Lần sửa 1")')
    page.evaluate("(text) => { const v = window.tdktFormEditor; "
                  "v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } }); }", form_text(form))
    first = next(iter(FORMS[form]["properties"].values()))["title"]
    page.wait_for_selector(f'.form-preview label:has-text("{first}")')
    page.click(".form-save")
    page.wait_for_selector('.form-editor[data-state="saved"]')


def do_task(page, username: str, task_name: str, fields: dict, selects: dict | None = None) -> None:
    """`username` signs in, opens the task from the inbox, fills its form and completes it."""
    page.context.clear_cookies()
    login(page, username)
    page.click(f'a.fw-semibold:text-is("{task_name}")')
    page.wait_for_url("**/tasks/*")
    page.wait_for_load_state("load")
    for name, value in fields.items():
        page.fill(f'[name="{name}"]', str(value))
    for name, value in (selects or {}).items():
        page.select_option(f'[name="{name}"]', value)
    page.click("button.submit-once")
    page.wait_for_url(page.base + "/")
    assert "Đã hoàn thành" in page.inner_text(".alert-success")


def test_proof_by_use_an_owner_builds_khen_thuong_dot_xuat_and_a_unit_runs_it_to_the_decision(page, session):
    import tomli_w
    from sqlalchemy import select

    from processes.models import Campaign, Case, DiagramVersion, FormRevision
    from tests.dot_xuat import ANSWERS, campaign_definition

    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "quytrinh")
    # 1. A new process, created on the process list
    page.goto(f"{page.base}/processes")
    page.fill("#process_id", DX)
    page.fill("#name", "Khen thưởng đột xuất")
    page.click("form.new-process button")
    page.wait_for_url(f"**/processes/{DX}/edit")
    page.wait_for_selector('.djs-element[data-element-id="start"]')
    revision = revision_of(page)

    # 2. A pool with four lanes (drawn with the modeler's API: dragging a pool open is what a mouse does best), the
    #    starter's flow and end event removed to draw our own
    modeler(page, """
      const root = m.get('canvas').getRootElement();
      modeling.removeElements([reg.get('flow_start'), reg.get('end')]);
      const pool = modeling.createShape({ type: 'bpmn:Participant' }, { x: 500, y: 300 }, root);
      modeling.resizeShape(pool, { x: 100, y: 40, width: 1100, height: 300 });
      modeling.splitLane(pool, 2);
      const lanes = () => reg.filter(e => e.type === 'bpmn:Lane').sort((a, b) => a.y - b.y);
      modeling.addLane(lanes()[1], 'bottom');
      modeling.addLane(lanes()[2], 'bottom');
      m.get('canvas').zoom('fit-viewport');""")
    revision = saved_after(page, revision)
    lanes = modeler(page, "return reg.filter(e => e.type === 'bpmn:Lane').sort((a, b) => a.y - b.y).map(e => e.id);")
    assert len(lanes) == 4
    # each lane names its role, picked in our own properties group
    for lane, (_, _, role, _) in zip(lanes, STEPS):
        modeler(page, "m.get('selection').select(reg.get(arg));", lane)
        panel_field(page, "tdkt", 'select[name="tdkt-role"]').select_option(role)
        page.wait_for_selector(f'.djs-element[data-element-id="{lane}"] text:has-text("{role}")')

    # 3. The four steps, appended one after the other with the context pad, each turned into a user task and named
    after = "start"
    for element_id, name, _, _ in STEPS:
        append_user_task(page, after, element_id, name)
        after = element_id
    # each into its lane (a vertical move the mouse would drag)
    modeler(page, """
      const lanes = reg.filter(e => e.type === 'bpmn:Lane').sort((a, b) => a.y - b.y);
      arg.forEach((id, i) => { const t = reg.get(id), lane = lanes[i];
        modeling.moveElements([t], { x: 0, y: lane.y + lane.height / 2 - (t.y + t.height / 2) }); });""",
             [s[0] for s in STEPS])
    # the decision: a non-interrupting timer on it, set in the panel's Timer group, and two ends
    modeler(page, """
      const d = reg.get('decide');
      const timer = modeling.createShape(
        { type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' },
        { x: d.x + d.width / 2, y: d.y + d.height }, d, { attach: true });
      modeling.updateProperties(timer,
        { id: 'decision_timer', name: 'Quá 10 ngày làm việc', cancelActivity: false });""")
    click_element(page, "decide")
    page.click('.djs-context-pad [data-action="append.end-event"]')
    name_selected(page, "decided", "Đã quyết định")
    click_element(page, "decision_timer")
    page.click('.djs-context-pad [data-action="append.end-event"]')
    name_selected(page, "overdue", "Đã báo quá hạn")
    page.wait_for_selector('#process-editor[data-save-state="saved"]')

    # 4. Not valid yet, and said on the faulty element: first the timer without a time (SpiffWorkflow cannot parse
    #    the diagram, so that is all it can say), then, with the time set, each step without a form
    page.wait_for_selector('.djs-element[data-element-id="decision_timer"].tdkt-problem')
    assert page.is_disabled(".publish-button")
    assert "Quá 10 ngày làm việc" in page.inner_text(".problem-list")
    modeler(page, "m.get('canvas').scrollToElement(reg.get('decision_timer'), "
                  "{ top: 150, bottom: 150, left: 300, right: 300 });")
    shot(page, "proof-1-timer-marked")

    modeler(page, "m.get('selection').select(reg.get('decision_timer'));")
    panel_field(page, "timer", "#bio-properties-panel-timerEventDefinitionType").select_option("timeDate")
    panel_field(page, "timer", "#bio-properties-panel-timerEventDefinitionValue").fill("working_days_after(10)")
    page.keyboard.press("Tab")
    page.wait_for_selector('.djs-element[data-element-id="decision_timer"].tdkt-problem', state="detached")
    page.wait_for_selector('.djs-element[data-element-id="propose"].tdkt-problem')
    assert page.locator(".djs-element.tdkt-problem").count() == 4  # the four steps, nothing else
    assert "biểu mẫu" in page.inner_text('.tdkt-problem-badge[data-element-id="propose"]').lower()
    modeler(page, "m.get('canvas').zoom('fit-viewport'); m.get('canvas').scroll({ dx: 120, dy: 0 });")
    shot(page, "proof-2-steps-without-forms-marked")

    # 5. The forms, written in the form editor beside the diagram
    for element_id, _, _, form in STEPS:
        write_form(page, element_id, form)
    page.wait_for_selector(".validity.text-success")
    assert page.locator(".tdkt-problem-badge").count() == 0
    modeler(page, "m.get('canvas').zoom('fit-viewport');")
    shot(page, "proof-3-diagram-valid")

    # 6. Published from the publish dialog (a dry run first: no case runs this process yet)
    page.fill(".publish-note",
              "Khen thưởng đột xuất: đơn vị đề xuất, hội đồng bỏ phiếu, thủ trưởng trình, cấp trên quyết định")
    page.click(".publish-button")
    page.wait_for_selector(".migration-dialog:not([hidden])")
    assert "Không có hồ sơ nào đang chạy: xuất bản sẽ tạo phiên bản 1." in page.inner_text(".migration-summary")
    page.click(".publish-none")
    page.wait_for_selector(".publish-result.alert-success")
    assert page.inner_text(".publish-result") == "Đã xuất bản phiên bản 1."
    version = session.scalar(select(DiagramVersion).where(DiagramVersion.process_id == DX))
    assert version.version == 1 and "working_days_after(10)" in version.bpmn_xml
    pinned = {r.name for r in session.scalars(select(FormRevision).where(FormRevision.name.like("dx-%"),
                                                                          FormRevision.status == "published"))}
    assert pinned == {s[3] for s in STEPS}

    # 7. The administrator binds it to a new campaign round of kind «đột xuất» (process_id in its definition)
    page.context.clear_cookies()
    login(page, "admin")
    page.goto(f"{page.base}/admin/campaigns/new")
    page.fill("#toml", tomli_w.dumps(campaign_definition(DX)))
    page.click("form button.btn-primary")
    page.wait_for_selector(".alert-success")
    assert "Đã tạo phong trào «qb-dot-xuat-2024»" in page.inner_text(".alert-success")
    campaign = session.scalar(select(Campaign).where(Campaign.code == "qb-dot-xuat-2024"))
    assert campaign.process_id == DX

    # 8. A unit runs a case through it, each step from its people's inbox, to the receiving level's decision
    page.context.clear_cookies()
    login(page, "vks-qb-dong-hoi.canbo")
    page.goto(f"{page.base}/campaigns")
    page.click('[data-campaign="qb-dot-xuat-2024"] button.submit-once')
    page.wait_for_url("**/cases/*")
    case_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.goto(page.base + "/")
    do_task(page, "vks-qb-dong-hoi.canbo", STEPS[0][1], ANSWERS["propose"])
    do_task(page, "vks-qb-dong-hoi.hoidong", STEPS[1][1], ANSWERS["council_vote"])
    do_task(page, "vks-qb-dong-hoi.thutruong", STEPS[2][1], ANSWERS["head_submit"])
    do_task(page, "vks-quang-binh.tdkt", STEPS[3][1], {"decision_ref": ANSWERS["decide"]["decision_ref"]},
            {"award_decision": ANSWERS["decide"]["award_decision"]})
    session.expire_all()
    case = session.get(Case, case_id)
    assert case.status == "completed" and case.diagram_version_id == version.id
    assert case.data["decision_ref"] == "345/QĐ-VKSQB" and case.data["votes_for"] == 7
    page.goto(f"{page.base}/cases/{case_id}")
    page.wait_for_selector(".case-diagram.diagram-ready")
    assert page.locator('.djs-element[data-element-id="decide"].tdkt-done').count() == 1
    page.locator(".case-diagram").scroll_into_view_if_needed()
    shot(page, "proof-4-case-decided")
