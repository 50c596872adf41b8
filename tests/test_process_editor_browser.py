"""The diagrams in a real browser (Debian's Chromium through Playwright), under the app's Content-Security-Policy
(the `page` fixture fails a test on any violation): the case page's diagram, and a process owner editing,
validating and publishing the nomination process. Screenshots go to /tmp/shots-modeler/."""
from pathlib import Path

from sqlalchemy import func, select

from processes.models import DiagramVersion, ProcessDraft
from tests.factories import complete, registered, start
from tests.test_browser import live, login, page  # noqa: F401  (fixtures)

SHOTS = Path("/tmp/shots-modeler")
PID = "tdkt_nomination"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def marked(page, element_id, marker):
    return page.locator(f'.djs-element[data-element-id="{element_id}"].{marker}').count() == 1


def test_case_page_draws_the_path_taken_and_the_current_step(page, session):
    case = start(session, "vks-qb-dong-hoi")
    complete(session, case, "vks-qb-dong-hoi.canbo", {"nominees": [registered(
        {"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc"})]})
    login(page, "vks-qb-dong-hoi.thuky")
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto(f"{page.base}/cases/{case.id}")
    page.wait_for_selector(".case-diagram.diagram-ready")
    assert marked(page, "register_nominees", "tdkt-done")
    assert marked(page, "record_minutes", "tdkt-active")
    assert marked(page, "start", "tdkt-done") and marked(page, "flow_register_done", "tdkt-done")
    assert not marked(page, "council_review", "tdkt-done")
    assert page.locator(".djs-element.tdkt-timer").count() >= 1  # the unit's deadline timers wait
    assert page.locator(".tdkt-badge-active").inner_text() == "Đang ở đây"
    assert page.locator(".case-diagram .bjs-powered-by").is_visible()  # the bpmn.io watermark stays
    assert "phiên bản 1" in page.inner_text(".case-diagram .diagram-status")
    page.locator(".case-diagram").scroll_into_view_if_needed()
    shot(page, "case-diagram")
    # the modeler's bundle is not loaded where nobody edits
    assert not [r for r in page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
                if "modeler" in r]


def test_case_diagram_at_phone_width(page, session):
    case = start(session, "vks-qb-dong-hoi")
    login(page, "vks-qb-dong-hoi.canbo")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/cases/{case.id}")
    page.wait_for_selector(".case-diagram.diagram-ready")
    assert marked(page, "register_nominees", "tdkt-active")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".case-diagram").scroll_into_view_if_needed()
    shot(page, "case-diagram-390")


def open_editor(page, username="quytrinh"):
    login(page, username)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{page.base}/processes/{PID}/edit")
    page.wait_for_selector('.djs-element[data-element-id="record_minutes"]')
    page.wait_for_selector("#process-editor[data-save-state]")  # the draft (or the newest version) is open


def saved(page, revision):
    # selectors, not wait_for_function: the page's CSP forbids the eval Playwright's predicates need
    page.wait_for_selector(f'#process-editor[data-save-state="saved"][data-revision="{revision}"]')


def test_owner_adds_a_task_the_draft_survives_a_reload_an_error_is_marked_and_publishing_makes_v2(page, session):
    open_editor(page)
    assert page.locator(".bjs-powered-by").is_visible()
    assert page.locator(".djs-minimap").count() == 1
    assert "Sơ đồ hợp lệ" in page.inner_text(".validity")

    # Insert a task between "Lập biên bản" and the council, with the modeling API the palette and context pad use.
    page.evaluate("""() => {
      const m = window.tdktModeler, reg = m.get('elementRegistry'), modeling = m.get('modeling');
      const minutes = reg.get('record_minutes'), council = reg.get('council_review');
      const task = modeling.createShape({ type: 'bpmn:Task' },
        { x: minutes.x + minutes.width / 2, y: minutes.y + 130 }, minutes.parent);
      modeling.updateLabel(task, 'Thẩm định nội bộ');
      modeling.reconnectEnd(reg.get('flow_minutes_done'), task, { x: task.x, y: task.y + task.height / 2 });
      modeling.connect(task, council, { type: 'bpmn:SequenceFlow' });
    }""")
    saved(page, 1)  # the four commands run in one tick: one debounced save
    assert "Sơ đồ hợp lệ" in page.inner_text(".validity"), page.inner_text(".problem-list")
    draft = session.scalar(select(ProcessDraft).where(ProcessDraft.process_id == PID))
    assert "Thẩm định nội bộ" in draft.bpmn_xml
    assert 'name="formJsonSchemaFilename" value="record-minutes-schema.json"' in draft.bpmn_xml  # extensions kept

    page.reload()
    page.wait_for_selector('.djs-element[data-element-id="record_minutes"]')
    page.wait_for_selector('.draft-source:has-text("lần lưu 1")')
    assert page.evaluate("""() => window.tdktModeler.get('elementRegistry')
        .filter(e => e.businessObject && e.businessObject.name === 'Thẩm định nội bộ').length""") == 1

    # An unknown rule on the provincial check, typed in our own properties group: marked on that element.
    page.click('.djs-element[data-element-id="provincial_check"]')
    rules = page.locator('[data-group-id="group-tdkt"] input[name="tdkt-rules"]')
    if not rules.is_visible():  # groups open collapsed
        page.click('[data-group-id="group-tdkt"] .bio-properties-panel-group-header')
    rules.fill("acceptance,khong_co")
    saved(page, 2)
    page.wait_for_selector('.djs-element[data-element-id="provincial_check"].tdkt-problem')
    badge = page.locator('.tdkt-problem-badge[data-element-id="provincial_check"]')
    assert "quy tắc không có: khong_co" in badge.inner_text()
    assert page.is_disabled(".publish-button")
    page.evaluate("window.tdktModeler.get('canvas').scrollToElement("
                  "window.tdktModeler.get('elementRegistry').get('provincial_check'))")
    shot(page, "editor-problem-marker")

    rules.fill("acceptance")
    saved(page, 3)
    page.wait_for_selector(".tdkt-problem-badge", state="detached")
    assert page.is_enabled(".publish-button")
    page.fill(".publish-note", "Thêm bước thẩm định nội bộ")
    page.click(".publish-button")  # a dry run first: no case runs, so only "publish" is offered
    page.wait_for_selector(".migration-dialog:not([hidden])")
    assert "Không có hồ sơ nào đang chạy: xuất bản sẽ tạo phiên bản 2." in page.inner_text(".migration-summary")
    assert session.scalar(select(func.count()).select_from(DiagramVersion)
                          .where(DiagramVersion.process_id == PID)) == 1  # the dry run published nothing
    page.click(".publish-none")
    page.wait_for_selector(".publish-result.alert-success")
    assert page.inner_text(".publish-result") == "Đã xuất bản phiên bản 2."
    shot(page, "editor-published")
    version = session.scalar(select(DiagramVersion).where(DiagramVersion.process_id == PID,
                                                          DiagramVersion.version == 2))
    assert version.note == "Thêm bước thẩm định nội bộ" and "Thẩm định nội bộ" in version.bpmn_xml


def test_a_conflicting_save_is_never_silent(page, session):
    open_editor(page)
    # Another owner saves meanwhile (through the core, as their own browser would through the same verb).
    from processes import process_drafts
    from tests.factories import user
    xml = session.scalar(select(DiagramVersion.bpmn_xml).where(DiagramVersion.process_id == PID))
    process_drafts.save_draft(session, user(session, "admin"), PID,
                              xml.replace('name="Lập biên bản họp bình xét"', 'name="Biên bản (bản của admin)"'), 0)
    page.evaluate("""() => {
      const m = window.tdktModeler;
      m.get('modeling').updateLabel(m.get('elementRegistry').get('council_review'), 'Hội đồng xem xét (của tôi)');
    }""")
    page.wait_for_selector(".conflict:not([hidden])")
    assert "Quản trị hệ thống đã lưu bản nháp này" in page.inner_text(".conflict-text")
    # where their draft differs from mine is listed and marked on the diagram
    page.wait_for_selector('.djs-element[data-element-id="council_review"].diff-changed')
    changes = page.inner_text(".conflict-changes")
    assert 'Khác: Hội đồng TĐKT xem xét — name: "Hội đồng xem xét (của tôi)" → "Hội đồng TĐKT xem xét"' in changes
    assert 'Khác: Biên bản (bản của admin) — name: "Lập biên bản họp bình xét" → "Biên bản (bản của admin)"' \
        in changes  # mine → theirs, named as theirs
    shot(page, "editor-conflict")
    page.click(".load-theirs")
    page.wait_for_selector('.draft-source:has-text("lần lưu 1")')
    assert page.evaluate("window.tdktModeler.get('elementRegistry').get('record_minutes').businessObject.name") \
        == "Biên bản (bản của admin)"
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 1


def test_a_non_owner_gets_403_on_the_editor(page):
    login(page, "vks-qb-dong-hoi.canbo")
    response = page.goto(f"{page.base}/processes/{PID}/edit")
    assert response.status == 403
    assert "Chỉ chủ quy trình hoặc quản trị viên mới được sửa và xuất bản sơ đồ." in page.inner_text("main")


def test_extension_elements_the_editor_does_not_know_survive_an_edit(page, session):
    from processes import process_drafts
    from tests.factories import user
    xml = session.scalar(select(DiagramVersion.bpmn_xml).where(DiagramVersion.process_id == PID))
    foreign = ('<spiffworkflow:preScript>chu_thich = "giữ nguyên"</spiffworkflow:preScript>'
               '<ext:hint xmlns:ext="urn:example:ext" level="2"><ext:item>một</ext:item></ext:hint>')
    # after the properties of "register_nominees", whatever they list
    task = xml.index('id="register_nominees"')
    end = xml.index("</spiffworkflow:properties>", task) + len("</spiffworkflow:properties>")
    xml = xml[:end] + foreign + xml[end:]
    assert foreign in xml
    process_drafts.save_draft(session, user(session, "quytrinh"), PID, xml, 0)
    open_editor(page)
    assert page.locator('.djs-palette [aria-label="Thêm nhiệm vụ"]').count() == 1  # the chrome speaks Vietnamese
    page.evaluate("""() => {
      const m = window.tdktModeler;
      m.get('modeling').updateLabel(m.get('elementRegistry').get('register_nominees'), 'Đăng ký danh sách (sửa)');
    }""")
    saved(page, 2)
    draft = session.scalar(select(ProcessDraft.bpmn_xml).where(ProcessDraft.process_id == PID))
    assert 'name="Đăng ký danh sách (sửa)"' in draft
    assert '<spiffworkflow:preScript>chu_thich = "giữ nguyên"</spiffworkflow:preScript>' in draft
    assert 'level="2"' in draft and "<ext:item>một</ext:item>" in draft
    assert 'value="register-nominees-schema.json"' in draft


def test_two_versions_compared_side_by_side(page, session):
    from processes import process_drafts
    from tests.factories import user
    owner = user(session, "quytrinh")
    xml = session.scalar(select(DiagramVersion.bpmn_xml).where(DiagramVersion.process_id == PID))
    changed = xml.replace('name="Lập biên bản họp bình xét"', 'name="Lập biên bản họp (mới)"')
    process_drafts.save_draft(session, owner, PID, changed, 0)
    process_drafts.publish_draft(session, owner, PID, "đổi tên")  # migrate="none"
    login(page, "quytrinh")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{page.base}/processes/{PID}")
    page.click("text=So với v1")
    page.wait_for_selector("#process-diff.diff-ready")
    assert page.locator('.diff-right .djs-element[data-element-id="record_minutes"].diff-changed').count() == 1
    assert page.locator('.diff-left .djs-element[data-element-id="record_minutes"].diff-changed').count() == 1
    assert 'Sửa: Lập biên bản họp (mới) — name: "Lập biên bản họp bình xét" → "Lập biên bản họp (mới)"' in \
        page.inner_text(".diff-list")
    assert page.inner_text(".diff-status") == "0 thêm, 0 bỏ, 1 sửa, 0 đổi vị trí."
    shot(page, "compare-versions")


def test_the_editor_at_phone_width(page):
    login(page, "quytrinh")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base}/processes/{PID}/edit")
    page.wait_for_selector("#process-editor[data-save-state]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".editor-panel").is_visible() and page.locator(".publish-button").count() == 1
    shot(page, "editor-390")


def test_our_properties_group_shows_what_the_engine_reads(page):
    open_editor(page)

    def select(element_id):
        page.evaluate(f"window.tdktModeler.get('selection').select("
                      f"window.tdktModeler.get('elementRegistry').get('{element_id}'))")

    select("record_minutes")
    assert page.input_value('[data-group-id="group-tdkt"] select[name="tdkt-form"]') == "record-minutes-schema.json"
    assert page.input_value('[data-group-id="group-tdkt"] select[name="tdkt-ui-form"]') == \
        "record-minutes-uischema.json"
    forms = page.locator('select[name="tdkt-form"] option').all_inner_texts()
    assert "check-dossier-schema.json" in forms and not [f for f in forms if "uischema" in f]
    select("submit_dossier")
    assert page.input_value('input[name="tdkt-rules"]') == "dossier,documents"
    select("lane_unit_secretary")
    assert page.input_value('select[name="tdkt-role"]') == "unit_secretary"
    assert "Thư ký đơn vị (unit_secretary)" in page.locator('select[name="tdkt-role"] option').all_inner_texts()
    select("determine_level")
    assert page.input_value('textarea[name="tdkt-script"]') == \
        "receiving_level = dossier_level(nominees, award_levels)\nupper_nominees = upper_part(nominees, award_levels)"
    select("flow_council_return")
    assert page.input_value('textarea[name="tdkt-condition"]') == \
        "council_decision == 'return' and return_to != 'nominees'"
    select("reminder_timer")  # timers: bpmn.io's own Timer group, in Vietnamese
    assert page.locator('[data-group-id="group-timer"]').count() == 1
    assert "Hẹn giờ" in page.inner_text('[data-group-id="group-timer"] .bio-properties-panel-group-header')
    assert page.input_value('[data-group-id="group-timer"] [name$="timerEventDefinitionValue"]') == "reminder_at"


def test_process_list_and_versions_pages(page, session):
    from processes import process_drafts
    from tests.factories import user
    xml = session.scalar(select(DiagramVersion.bpmn_xml).where(DiagramVersion.process_id == PID))
    process_drafts.save_draft(session, user(session, "admin"), PID, xml.replace("Trả lại", "Trả về"), 0)
    login(page, "quytrinh")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.click("nav >> text=Quy trình")
    row = page.locator('tr[data-process="tdkt_nomination"]')
    assert "v1" in row.inner_text() and "Có thay đổi chưa xuất bản" in row.inner_text()
    assert "Quản trị hệ thống" in row.inner_text()
    shot(page, "process-list")
    row.locator("a.fw-semibold").click()
    page.wait_for_selector('[data-version="1"]')
    assert page.locator("a.compare-draft").inner_text() == "So bản nháp với v1"
    shot(page, "process-versions")


def test_owner_adds_a_step_publishes_with_migration_and_a_waiting_case_moves_onto_it(page, session):
    from processes.models import Case
    case = start(session, "vks-qb-dong-hoi")  # waits at "Đăng ký danh sách" on version 1
    open_editor(page)
    page.wait_for_selector('.tdkt-waiting-badge[data-element-id="register_nominees"]')
    assert page.inner_text('.tdkt-waiting-badge[data-element-id="register_nominees"]') == "1 hồ sơ"
    # A user task in the unit staff's lane, after the registration, drawn with the modeling API the palette uses.
    page.evaluate("""() => {
      const m = window.tdktModeler, reg = m.get('elementRegistry'), modeling = m.get('modeling');
      const register = reg.get('register_nominees');
      const task = modeling.createShape({ type: 'bpmn:UserTask' }, { x: 640, y: 150 }, register.parent);
      modeling.updateLabel(task, 'Rà soát danh sách');
      modeling.reconnectEnd(reg.get('flow_register_done'), task, { x: task.x, y: task.y + task.height / 2 });
      modeling.connect(task, reg.get('merge_minutes'), { type: 'bpmn:SequenceFlow' });
      m.get('selection').select(task);
    }""")
    form = page.locator('[data-group-id="group-tdkt"] select[name="tdkt-form"]')
    if not form.is_visible():
        page.click('[data-group-id="group-tdkt"] .bio-properties-panel-group-header')
    form.select_option("register-nominees-schema.json")  # an existing form, picked from the registry
    page.wait_for_selector('#process-editor[data-save-state="saved"]')
    page.wait_for_selector(".validity.text-success")
    page.fill(".publish-note", "Thêm bước rà soát danh sách")
    page.click(".publish-button")
    page.wait_for_selector(".migration-dialog:not([hidden])")
    summary = page.inner_text(".migration-summary")
    assert "1 hồ sơ đang chạy ở phiên bản cũ. Nếu chuyển sang phiên bản 2: 1 chuyển được" in summary
    row = page.locator('.migration-steps tr[data-step="register_nominees"]').inner_text()
    assert "Đăng ký danh sách đề nghị khen thưởng" in row
    assert page.inner_text('.tdkt-waiting-badge[data-element-id="register_nominees"]') == "1 chuyển · 0 cần QĐ · 0 chặn"
    assert session.scalar(select(func.count()).select_from(DiagramVersion)
                          .where(DiagramVersion.process_id == PID)) == 1  # the dry run published nothing
    page.locator(".migration-dialog").scroll_into_view_if_needed()
    shot(page, "editor-migration-dry-run")
    page.click(".publish-apply")
    page.wait_for_selector(".publish-result.alert-success")
    assert page.inner_text(".publish-result") == \
        "Đã xuất bản phiên bản 2. Đã chuyển 1 hồ sơ sang phiên bản 2."
    shot(page, "editor-migration-applied")
    session.expire_all()
    v2 = session.scalar(select(DiagramVersion).where(DiagramVersion.process_id == PID, DiagramVersion.version == 2))
    assert session.get(Case, case.id).diagram_version_id == v2.id
    # the case goes on on version 2: after the registration, the new step waits in the unit staff's inbox
    complete(session, session.get(Case, case.id), "vks-qb-dong-hoi.canbo", {"nominees": [registered(
        {"kind": "individual", "name": "Trần Thị Thủy", "award_form": "bang_khen_vkstc"})]})
    page.context.clear_cookies()
    login(page, "vks-qb-dong-hoi.canbo")
    assert "Rà soát danh sách" in page.inner_text("main")
    shot(page, "inbox-new-step")


def test_the_form_of_a_user_task_is_edited_beside_the_diagram_checked_and_previewed(page, session):
    from processes.models import FormRevision
    open_editor(page)
    page.evaluate("window.tdktModeler.get('selection').select("
                  "window.tdktModeler.get('elementRegistry').get('record_minutes'))")
    page.wait_for_selector('.form-editor[data-preview="ready"]')
    assert page.inner_text(".form-name") == "record-minutes-schema.json"
    preview = page.locator(".form-preview")
    assert preview.locator('[data-field="meeting_place"] label').count() == 1  # the server's renderer drew it
    assert "Ngày họp" in preview.inner_text()
    # A wrong keyword value is marked by the JSON-Schema check (the 2020-12 meta-schema, bundled)
    page.evaluate("""() => {
      const v = window.tdktFormEditor, text = v.state.doc.toString();
      const at = text.indexOf('"title": "Ngày họp"');
      v.dispatch({ changes: { from: at, to: at + '"title": "Ngày họp"'.length,
                              insert: '"title": "Ngày họp (dd/mm/yyyy)", "minLength": "mười"' } });
    }""")
    page.wait_for_selector(".form-code .cm-lintRange-error")
    page.wait_for_selector('.form-editor[data-preview="error"]')  # the server refuses it too, and says why
    assert "Biểu mẫu không phải JSON Schema hợp lệ" in page.inner_text(".form-preview")
    page.evaluate("""() => {
      const v = window.tdktFormEditor, text = v.state.doc.toString();
      const at = text.indexOf(', "minLength": "mười"');
      v.dispatch({ changes: { from: at, to: at + ', "minLength": "mười"'.length, insert: '' } });
    }""")
    page.wait_for_selector(".form-code .cm-lintRange-error", state="detached")
    page.wait_for_selector('.form-preview label:has-text("Ngày họp (dd/mm/yyyy)")')
    page.locator(".form-editor").scroll_into_view_if_needed()
    shot(page, "form-editor")
    page.click(".form-save")
    page.wait_for_selector('.form-editor[data-state="saved"]')
    latest = session.scalars(select(FormRevision).where(FormRevision.name == "record-minutes-schema.json")
                             .order_by(FormRevision.revision.desc())).first()
    assert latest.status == "draft" and "Ngày họp (dd/mm/yyyy)" in latest.document
    # a task without a form (a script) closes the form editor
    page.evaluate("window.tdktModeler.get('selection').select("
                  "window.tdktModeler.get('elementRegistry').get('determine_level'))")
    page.wait_for_selector(".form-editor", state="hidden")
