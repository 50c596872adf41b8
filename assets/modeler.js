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

const SAVE_DELAY_MS = 800;
const root = document.getElementById('process-editor');
const $ = (sel) => root.querySelector(sel);
const catalog = JSON.parse(document.getElementById('editor-catalog').textContent);
const urls = { draft: root.dataset.draftUrl, publish: root.dataset.publishUrl };
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

async function request(method, url, body, headers = {}) {
  const response = await fetch(url, {
    method, credentials: 'same-origin', body, keepalive: state.leaving && !!body && body.length < KEEPALIVE_MAX,
    headers: { Accept: 'application/json', 'X-CSRFToken': csrf, ...headers },
  });
  let doc = {};
  try { doc = await response.json(); } catch (e) { doc = { message: response.statusText }; }
  return { status: response.status, ok: response.ok, doc };
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

// --- publishing ---------------------------------------------------------------------------------------------------

$('.publish-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearTimeout(state.timer);
  await save();
  if (state.dirty) return;  // the save failed or conflicts: nothing to publish yet
  const button = $('.publish-button');
  button.disabled = true;
  const note = $('.publish-note').value;
  const { ok, doc } = await request('POST', urls.publish,
    JSON.stringify({ note, migrate: 'none', revision: state.revision }), { 'Content-Type': 'application/json' });
  const result = $('.publish-result');
  result.hidden = false;
  if (ok) {
    result.className = 'publish-result alert alert-success mt-2';
    result.textContent = `Đã xuất bản phiên bản ${doc.version}.`;
    state.revision = doc.draft_revision;
    $('.publish-note').value = '';
  } else {
    result.className = 'publish-result alert alert-danger mt-2';
    result.textContent = doc.message;
    if (doc.problems) showProblems(doc.problems);
  }
  button.disabled = state.problems.length > 0;
});

modeler.on('commandStack.changed', scheduleSave);
// Closing the tab loses nothing: a hidden page (tab switched, closed, phone locked) saves at once, and closing
// with a change still unsaved asks first.
document.addEventListener('visibilitychange', () => {
  state.leaving = document.visibilityState === 'hidden';
  if (state.leaving && state.dirty) { clearTimeout(state.timer); save(); }
});
window.addEventListener('beforeunload', (event) => {
  if (state.dirty || state.saving) { state.leaving = true; save(); event.preventDefault(); }
});

load();
