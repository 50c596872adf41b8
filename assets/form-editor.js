// The form editor beside the diagram: the JSON-Schema form of the selected user task in CodeMirror 6, checked as
// you type against JSON Schema 2020-12's meta-schema (bundled: no request leaves the server), saved as a new draft
// revision of the form (the session twin of PUT /api/forms/{name}), with a live preview rendered by the server's
// own form renderer — exactly what staff will see. The modeler says which task is selected (tdkt:task-selected).
import { EditorView, basicSetup } from 'codemirror';
import { json, jsonLanguage, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter } from '@codemirror/lint';
import { handleRefresh, jsonCompletion, jsonSchemaLinter, stateExtensions } from 'codemirror-json-schema';
import metaSchema from './tdkt/json-schema-2020-12.json';
import { requestJson } from './tdkt/http';

const PREVIEW_DELAY_MS = 500;

// codemirror-json-schema's `jsonSchema()` without its hover tooltips: those pull in a Markdown highlighter (shiki)
// that would triple the bundle for a tooltip.
function jsonSchemaChecking(schema) {
  return [json(), linter(jsonParseLinter()), linter(jsonSchemaLinter(), { needsRefresh: handleRefresh }),
    jsonLanguage.data.of({ autocomplete: jsonCompletion() }), stateExtensions(schema)];
}
const root = document.getElementById('process-editor');
const box = root.querySelector('.form-editor');
const $ = (sel) => box.querySelector(sel);
const csrf = root.dataset.csrf;
const state = { form: '', ui: {}, saved: '', timer: null, loadId: 0, task: null };

function status(text, kind = 'muted') {
  $('.form-status').textContent = text;
  $('.form-status').className = `form-status small text-${kind}`;
  box.dataset.state = kind === 'success' ? 'saved' : kind === 'danger' ? 'error' : 'pending';
}

function call(method, url, body, type = 'application/json') {
  return requestJson(method, url, { body, headers: { 'X-CSRFToken': csrf, ...(body ? { 'Content-Type': type } : {}) } });
}

const formUrl = (name) => root.dataset.formUrl.replace('__name__', encodeURIComponent(name));

async function preview() {
  let schema;
  try { schema = JSON.parse(view.state.doc.toString()); } catch (e) { status('JSON chưa hợp lệ: chưa xem trước được.', 'danger'); return; }
  const { ok, doc } = await call('POST', root.dataset.previewUrl, JSON.stringify({ schema, ui: state.ui }));
  if (ok) {
    $('.form-preview').innerHTML = doc.html;  // rendered and escaped by the server's Jinja templates
    box.dataset.preview = 'ready';
  } else {
    $('.form-preview').textContent = doc.message;
    box.dataset.preview = 'error';
  }
}

// CodeMirror styles itself with a <style> element in a document, which the self-only CSP blocks; inside a shadow
// root it uses constructed style sheets (adoptedStyleSheets), which CSP allows. Tests' selectors pierce it.
const shadow = $('.form-code').attachShadow({ mode: 'open' });
const view = new EditorView({
  parent: shadow,
  root: shadow,
  extensions: [basicSetup, jsonSchemaChecking(metaSchema), lintGutter(), EditorView.lineWrapping,
    EditorView.updateListener.of((update) => {
      if (!update.docChanged || !state.form) return;
      const changed = view.state.doc.toString() !== state.saved;
      $('.form-save').disabled = !changed;
      if (changed) status('Có thay đổi chưa lưu.');
      clearTimeout(state.timer);
      box.dataset.preview = 'pending';
      state.timer = setTimeout(preview, PREVIEW_DELAY_MS);
    })],
});
window.tdktFormEditor = view;  // for the browser tests

async function open(task) {
  const loadId = ++state.loadId;
  state.task = task;
  box.hidden = false;
  $('.form-task').textContent = `«${task.name}»`;
  $('.form-name').textContent = task.form;
  state.form = '';
  status('Đang mở…');
  const [schema, ui] = await Promise.all([call('GET', formUrl(`${task.form}.json`)),
    task.ui ? call('GET', formUrl(`${task.ui}.json`)) : Promise.resolve({ ok: true, doc: { text: '{}' } })]);
  if (loadId !== state.loadId) return;  // another task was selected meanwhile
  if (!schema.ok) { status(schema.doc.message, 'danger'); return; }
  state.ui = ui.ok ? JSON.parse(ui.doc.text) : {};
  state.saved = JSON.stringify(JSON.parse(schema.doc.text), null, 2);  // stored compact; shown indented, in its order
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: state.saved } });
  state.form = task.form;
  $('.form-save').disabled = true;
  status(`Lần sửa ${schema.doc.revision} (${schema.doc.status === 'draft' ? 'nháp' : 'đã ghim'}).`);
  preview();
}

function mode(creating) {
  $('.form-new').hidden = !creating;
  $('.form-panes').hidden = creating;
  $('.form-save').hidden = creating;
}

// A user task without a form: offer to create one, named after the task (what the diagram will name).
function offerNew(task) {
  ++state.loadId;
  state.form = '';
  state.task = task;
  box.hidden = false;
  mode(true);
  $('.form-task').textContent = `«${task.name}»`;
  $('.form-name').textContent = '';
  $('.form-new-name').value = `${task.id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}-schema.json`;
  status('Chưa có biểu mẫu.');
  box.dataset.preview = 'none';
}

const starter = (title) => JSON.stringify({ type: 'object', title, required: ['ghi_chu'],
  properties: { ghi_chu: { type: 'string', title: 'Ghi chú', maxLength: 2000 } } }, null, 2);

$('.form-create').addEventListener('click', async () => {
  const name = $('.form-new-name').value.trim();
  const task = state.task;
  $('.form-create').disabled = true;
  status('Đang tạo…');
  const { ok, doc } = await call('PUT', formUrl(name), starter(task.name));
  $('.form-create').disabled = false;
  if (!ok) { status(doc.message, 'danger'); return; }
  // The modeler names it on the task (one command: undo and autosave see it); the selection event then opens it.
  root.dispatchEvent(new CustomEvent('tdkt:form-created', { detail: { taskId: task.id, form: name } }));
});

root.addEventListener('tdkt:task-selected', (event) => {
  const task = event.detail;
  if (!task) { box.hidden = true; state.form = ''; return; }
  if (!task.form) { if (box.hidden || state.form || !state.task || state.task.id !== task.id) offerNew(task); return; }
  mode(false);
  if (task.form !== state.form || box.hidden) open(task);
});

$('.form-save').addEventListener('click', async () => {
  const text = view.state.doc.toString();
  $('.form-save').disabled = true;
  status('Đang lưu…');
  const { ok, doc } = await call('PUT', formUrl(state.form), text);
  if (ok) {
    state.saved = text;
    status(`Đã lưu lần sửa ${doc.revision} (nháp): xuất bản sơ đồ để ghim nó.`, 'success');
  } else {
    $('.form-save').disabled = false;
    status(doc.message, 'danger');
  }
});
