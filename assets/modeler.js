// The process editor: bpmn-js's Modeler with its properties panel, a minimap and our own properties provider.
// The draft lives on the server: every edit is saved (debounced) with the revision it was based on, the answer
// carries the validator's problems, which are drawn on their elements; a save that finds another owner's newer
// draft never overwrites it silently.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import minimapModule from 'diagram-js-minimap';
import { diff } from 'bpmn-js-differ';

import tdktPropertiesModule from './tdkt/properties';
import translate from './tdkt/translate';
import { FORM, UI_FORM, getProperty, setProperty } from './tdkt/extensions';
import { requestJson } from './tdkt/http';

const SAVE_DELAY_MS = 800;
const root = document.getElementById('process-editor');
const $ = (sel) => root.querySelector(sel);
const catalog = JSON.parse(document.getElementById('editor-catalog').textContent);
const urls = { draft: root.dataset.draftUrl, publish: root.dataset.publishUrl, waiting: root.dataset.waitingUrl };
const csrf = root.dataset.csrf;

const modeler = new BpmnModeler({
  container: $('.diagram-canvas'),
  propertiesPanel: { parent: $('.editor-panel') },
  additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, minimapModule, tdktPropertiesModule,
    { translate: ['value', translate] }],
  tdktCatalog: catalog,
});
window.tdktModeler = modeler;  // for the browser tests and the curious; nothing else reads it

const state = { revision: 0, timer: null, saving: null, dirty: false, importing: false, problems: [], leaving: false };

function setStatus(text, kind = 'muted') {
  const el = $('.save-status');
  el.textContent = text;
  el.className = `save-status small text-${kind}`;
  root.dataset.revision = String(state.revision);
  root.dataset.saveState = kind === 'success' ? 'saved' : kind === 'danger' ? 'error' : kind === 'warning' ? 'conflict' : 'pending';
}

function timeNow() {
  return new Date().toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// Saves started while the page goes away ask the browser to finish them (keepalive; its body limit is 64 KB).
const KEEPALIVE_MAX = 60000;

function request(method, url, body, headers = {}) {
  return requestJson(method, url, { body, keepalive: state.leaving && !!body && body.length < KEEPALIVE_MAX,
                                    headers: { 'X-CSRFToken': csrf, ...headers } });
}

// --- problems on the diagram ----------------------------------------------------------------------------------------

function elementFor(problem) {
  const registry = modeler.get('elementRegistry');
  if (problem.element_id && registry.get(problem.element_id)) return registry.get(problem.element_id);
  // A problem that names no element id but quotes an element's name («…») is drawn on that element.
  const quoted = [...(problem.message || '').matchAll(/«([^»]+)»/g)].map((m) => m[1]);
  return registry.filter((e) => e.businessObject && e.type !== 'label'
    && quoted.includes(e.businessObject.name))[0] || null;
}

function showProblems(problems) {
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  overlays.remove({ type: 'tdkt-problem' });
  modeler.get('elementRegistry').forEach((e) => canvas.removeMarker(e, 'tdkt-problem'));
  state.problems = problems;
  const list = $('.problem-list');
  list.replaceChildren();
  const byElement = new Map();
  problems.forEach((p) => {
    const element = elementFor(p);
    const li = document.createElement('li');
    li.className = 'list-group-item list-group-item-danger small';
    li.textContent = (p.label ? `${p.label}: ` : '') + p.message;
    if (element) {
      li.dataset.elementId = element.id;
      li.addEventListener('click', () => {
        modeler.get('selection').select(element);
        canvas.scrollToElement(element);
      });
      byElement.set(element.id, [...(byElement.get(element.id) || []), p.message]);
    }
    list.appendChild(li);
  });
  byElement.forEach((messages, id) => {
    canvas.addMarker(id, 'tdkt-problem');
    const note = document.createElement('div');
    note.className = 'tdkt-problem-badge';
    note.dataset.elementId = id;
    note.textContent = messages.join(' · ');
    overlays.add(id, 'tdkt-problem', { position: { top: -6, left: 0 }, html: note });  // above, grown upwards
  });
  const ok = problems.length === 0;
  $('.validity').textContent = ok ? 'Sơ đồ hợp lệ: có thể xuất bản.' : `${problems.length} lỗi cần sửa trước khi xuất bản.`;
  $('.validity').className = `validity small fw-semibold text-${ok ? 'success' : 'danger'}`;
  $('.publish-button').disabled = !ok;
}

// --- loading and saving the draft ------------------------------------------------------------------------------------

async function open(doc) {
  state.importing = true;
  try {
    await modeler.importXML(doc.xml);
    modeler.get('canvas').zoom('fit-viewport', 'auto');
  } catch (err) {
    setStatus(`Không mở được sơ đồ: ${err.message}`, 'danger');
  } finally {
    state.importing = false;
  }
  state.revision = doc.revision;
  state.dirty = false;
  showProblems(doc.problems || []);
  describe(doc);
}

function describe(doc) {
  const from = doc.revision ? `Bản nháp (lần lưu ${doc.revision}${doc.saved_by ? `, ${doc.saved_by}` : ''})`
    : `Chưa có bản nháp: đang sửa phiên bản ${doc.base_version}`;
  $('.draft-source').textContent = from;
}

async function load() {
  const { ok, doc } = await request('GET', urls.draft);
  if (!ok) { setStatus(doc.message, 'danger'); return; }
  await open(doc);
  setStatus(doc.revision ? 'Đã mở bản nháp đã lưu.' : 'Mọi thay đổi được lưu tự động thành bản nháp.');
}

function scheduleSave() {
  if (state.importing) return;
  state.dirty = true;
  setStatus('Có thay đổi chưa lưu…');
  clearTimeout(state.timer);
  state.timer = setTimeout(save, SAVE_DELAY_MS);
}

async function save(force = false) {
  if (state.saving) { await state.saving; }
  if (!state.dirty && !force) return;
  state.saving = (async () => {
    const { xml } = await modeler.saveXML({ format: true });
    state.dirty = false;
    setStatus('Đang lưu…');
    const { status, ok, doc } = await request('PUT', urls.draft, xml,
      { 'Content-Type': 'application/xml', 'If-Match': `"${state.revision}"` });
    if (ok) {
      state.revision = doc.revision;
      showProblems(doc.problems);
      describe(doc);
      setStatus(`Đã lưu bản nháp lúc ${timeNow()}.`, 'success');
    } else if (status === 409) {
      state.dirty = true;
      conflict(doc);
    } else {
      state.dirty = true;
      setStatus(doc.message || 'Không lưu được bản nháp.', 'danger');
    }
  })();
  try { await state.saving; } finally { state.saving = null; }
}

// Another owner saved since this page loaded or last saved: say who and when, show where their draft differs
// from what is on screen (marked on the diagram, listed), and let the owner choose.
async function conflict(doc) {
  clearTimeout(state.timer);
  const box = $('.conflict');
  const theirs = doc.draft || {};
  box.querySelector('.conflict-text').textContent = doc.message;
  box.hidden = false;
  box.dataset.theirRevision = theirs.revision ?? '';
  setStatus('Chưa lưu: bản nháp đã được người khác thay đổi.', 'warning');
  await showTheirChanges();
}

async function showTheirChanges() {
  const list = $('.conflict-changes');
  list.replaceChildren();
  clearDiffMarkers();
  const { ok, doc } = await request('GET', urls.draft);
  if (!ok) return;
  const { rootElement } = await modeler.get('moddle').fromXML(doc.xml);
  const changes = diff(modeler.getDefinitions(), rootElement);
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  const lines = [];
  const note = (id, cls, text) => {
    if (registry.get(id)) canvas.addMarker(id, cls);
    lines.push(text);
  };
  const name = (e) => (e && (e.name || e.id)) || '';
  Object.values(changes._added).forEach((e) => lines.push(`Họ thêm: ${name(e)}`));
  Object.values(changes._removed).forEach((e) => note(e.id, 'diff-removed', `Họ không có: ${name(e)}`));
  Object.entries(changes._changed).forEach(([id, c]) => {
    // bpmn-js-differ 3.2 hands the first document's value (mine) in `newValue`, the second's (theirs) in `oldValue`
    const attrs = Object.entries(c.attrs).map(([k, v]) => `${k}: ${JSON.stringify(v.newValue)} → ${JSON.stringify(v.oldValue)}`);
    note(id, 'diff-changed', `Khác: ${name(c.model)}${attrs.length ? ` — ${attrs.join('; ')}` : ''}`);
  });
  const moved = Object.keys(changes._layoutChanged).filter((id) => !changes._changed[id]);
  moved.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, 'diff-moved'); });
  if (moved.length) lines.push(`Đổi vị trí: ${moved.length} phần tử`);
  lines.forEach((text) => {
    const li = document.createElement('li');
    li.textContent = text;
    list.appendChild(li);
  });
}

function clearDiffMarkers() {
  const canvas = modeler.get('canvas');
  modeler.get('elementRegistry').forEach((e) => ['diff-removed', 'diff-changed', 'diff-moved']
    .forEach((cls) => canvas.removeMarker(e, cls)));
}

$('.load-theirs').addEventListener('click', async () => {
  $('.conflict').hidden = true;
  await load();
  setStatus('Đã mở bản nháp của người kia; thay đổi của bạn chưa lưu đã bỏ.', 'muted');
});

$('.keep-mine').addEventListener('click', async () => {
  const box = $('.conflict');
  box.hidden = true;
  clearDiffMarkers();
  state.revision = parseInt(box.dataset.theirRevision || '0', 10);  // overwrite theirs, knowingly
  await save(true);
});

$('.download-draft').addEventListener('click', async () => {
  const { xml } = await modeler.saveXML({ format: true });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
  link.download = `${root.dataset.processId}-ban-nhap.bpmn`;
  link.click();
  URL.revokeObjectURL(link.href);
});

// --- running cases on each step ------------------------------------------------------------------------------------

// A badge under each step where running cases wait (an indexed count, asked on every open and after publishing);
// after a dry run, what publishing would do to them on that step.
function badge(id, type, cls, text, title) {
  if (!modeler.get('elementRegistry').get(id)) return;
  const el = document.createElement('div');
  el.className = cls;
  el.dataset.elementId = id;
  el.textContent = text;
  if (title) el.title = title;
  modeler.get('overlays').add(id, type, { position: { bottom: 4, left: 0 }, html: el });
}

async function showWaiting() {
  const { ok, doc } = await request('GET', urls.waiting);
  if (!ok) return;
  modeler.get('overlays').remove({ type: 'tdkt-waiting' });
  Object.entries(doc.waiting).forEach(([id, n]) => badge(id, 'tdkt-waiting', 'tdkt-waiting-badge', `${n} hồ sơ`,
    `${n} hồ sơ đang chạy chờ ở bước này`));
}

function showPlan(report) {
  modeler.get('overlays').remove({ type: 'tdkt-plan' });
  modeler.get('overlays').remove({ type: 'tdkt-waiting' });
  Object.entries(report.per_step || {}).forEach(([id, c]) => badge(id, 'tdkt-plan',
    `tdkt-waiting-badge${c.blocked ? ' tdkt-plan-blocked' : c.decide ? ' tdkt-plan-decide' : ' tdkt-plan-ok'}`,
    `${c.migrate} chuyển · ${c.decide} cần QĐ · ${c.blocked} chặn`));
}

// --- publishing: dry run first, then apply -------------------------------------------------------------------------

const dialog = $('.migration-dialog');

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function stepName(id) {
  const e = modeler.get('elementRegistry').get(id);
  return (e && e.businessObject.name) || id;
}

function showReport(doc) {
  const report = doc.migration;
  const n = report.cases.length;
  $('.migration-summary').textContent = n === 0
    ? `Không có hồ sơ nào đang chạy: xuất bản sẽ tạo phiên bản ${doc.version}.`
    : `${n} hồ sơ đang chạy ở phiên bản cũ. Nếu chuyển sang phiên bản ${doc.version}: ${report.counts.migrate} chuyển được, `
      + `${report.counts.decide} cần quyết định (giữ nguyên), ${report.counts.blocked} không chuyển được (giữ nguyên).`;
  const body = $('.migration-steps tbody');
  body.replaceChildren();
  Object.entries(report.per_step).forEach(([id, c]) => {
    const tr = document.createElement('tr');
    tr.dataset.step = id;
    [stepName(id), c.migrate, c.decide, c.blocked].forEach((v) => tr.appendChild(cell(String(v))));
    body.appendChild(tr);
  });
  $('.migration-steps').hidden = n === 0;
  const reasons = $('.migration-reasons');
  reasons.replaceChildren();
  report.cases.filter((c) => c.reasons.length).forEach((c) => {
    const li = document.createElement('li');
    li.textContent = `Hồ sơ #${c.case_id} (${c.unit}), ${c.verdict_label}: ${c.reasons.join('; ')}`;
    reasons.appendChild(li);
  });
  $('.publish-apply').hidden = report.counts.migrate === 0;
  dialog.hidden = false;
  showPlan(report);
}

function result(ok, text) {
  const el = $('.publish-result');
  el.hidden = false;
  el.className = `publish-result alert alert-${ok ? 'success' : 'danger'} mt-2`;
  el.textContent = text;
}

async function publish(migrate) {
  const note = $('.publish-note').value;
  return request('POST', urls.publish, JSON.stringify({ note, migrate, revision: state.revision }),
    { 'Content-Type': 'application/json' });
}

$('.publish-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearTimeout(state.timer);
  await save();
  if (state.dirty) return;  // the save failed or conflicts: nothing to publish yet
  const button = $('.publish-button');
  button.disabled = true;
  $('.publish-result').hidden = true;
  const { ok, doc } = await publish('dry_run');  // publishes nothing: what would happen to running cases
  if (ok) {
    showReport(doc);
  } else {
    result(false, doc.message);
    if (doc.problems) showProblems(doc.problems);
    button.disabled = state.problems.length > 0;
  }
});

async function confirmPublish(migrate) {
  dialog.querySelectorAll('button').forEach((b) => { b.disabled = true; });
  const { ok, doc } = await publish(migrate);
  dialog.querySelectorAll('button').forEach((b) => { b.disabled = false; });
  dialog.hidden = true;
  modeler.get('overlays').remove({ type: 'tdkt-plan' });
  if (ok) {
    const moved = migrate === 'apply' ? ` Đã chuyển ${doc.migration.migrated} hồ sơ sang phiên bản ${doc.version}`
      + (doc.migration.failed ? `; ${doc.migration.failed} hồ sơ lỗi, giữ phiên bản cũ.` : '.') : '';
    result(true, `Đã xuất bản phiên bản ${doc.version}.${moved}`);
    state.revision = doc.draft_revision;
    $('.publish-note').value = '';
  } else {
    result(false, doc.message);
    if (doc.problems) showProblems(doc.problems);
  }
  $('.publish-button').disabled = state.problems.length > 0;
  showWaiting();
}

$('.publish-apply').addEventListener('click', () => confirmPublish('apply'));
$('.publish-none').addEventListener('click', () => confirmPublish('none'));
$('.publish-cancel').addEventListener('click', () => {
  dialog.hidden = true;
  modeler.get('overlays').remove({ type: 'tdkt-plan' });
  $('.publish-button').disabled = state.problems.length > 0;
  showWaiting();
});

modeler.on('commandStack.changed', scheduleSave);

// The form editor (assets/form-editor.js, its own bundle) edits the form of the selected user task: tell it which.
function announceSelection() {
  const [element] = modeler.get('selection').get();
  const bo = element && element.type === 'bpmn:UserTask' ? element.businessObject : null;
  root.dispatchEvent(new CustomEvent('tdkt:task-selected', { detail: bo ? {
    id: bo.id, name: bo.name || bo.id, form: getProperty(bo, FORM), ui: getProperty(bo, UI_FORM) } : null }));
}
// The form editor created a form for a task: it is named on the task (through the command stack, so undo and the
// autosave see it) and listed among the forms the properties panel offers.
root.addEventListener('tdkt:form-created', (event) => {
  const { taskId, form } = event.detail;
  const element = modeler.get('elementRegistry').get(taskId);
  if (!catalog.forms.includes(form)) { catalog.forms.push(form); catalog.forms.sort(); }
  if (element) setProperty(element, modeler.get('injector'), FORM, form);
});
modeler.on('selection.changed', announceSelection);
modeler.on('commandStack.changed', announceSelection);
// Closing the tab loses nothing: a hidden page (tab switched, closed, phone locked) saves at once, and closing
// with a change still unsaved asks first.
document.addEventListener('visibilitychange', () => {
  state.leaving = document.visibilityState === 'hidden';
  if (state.leaving && state.dirty) { clearTimeout(state.timer); save(); }
});
window.addEventListener('beforeunload', (event) => {
  if (state.dirty || state.saving) { state.leaving = true; save(); event.preventDefault(); }
});

load().then(showWaiting);
