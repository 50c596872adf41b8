// Two versions of a process side by side, their differences marked (bpmn-js-differ on the two documents'
// semantic models): removed on the left in red, added on the right in green, changed on both in amber, moved in
// blue. The two canvases pan and zoom together. Loaded only by the comparison page.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';

const root = document.getElementById('process-diff');

async function xmlOf(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${url}`);
  return (response.headers.get('Content-Type') || '').includes('json') ? JSON.parse(text).xml : text;
}

function item(text, kind, onClick) {
  const li = document.createElement('li');
  li.className = `list-group-item small diff-${kind}`;
  li.textContent = text;
  li.addEventListener('click', onClick);
  return li;
}

async function compare() {
  const status = root.querySelector('.diff-status');
  const left = new NavigatedViewer({ container: root.querySelector('.diff-left') });
  const right = new NavigatedViewer({ container: root.querySelector('.diff-right') });
  try {
    const [a, b] = await Promise.all([xmlOf(root.dataset.leftUrl), xmlOf(root.dataset.rightUrl)]);
    await left.importXML(a);
    await right.importXML(b);
  } catch (err) {
    status.textContent = `Không tải được sơ đồ: ${err.message}`;
    return;
  }
  const changes = diff(left.getDefinitions(), right.getDefinitions());
  const mark = (viewer, ids, cls) => ids.forEach((id) => {
    if (viewer.get('elementRegistry').get(id)) viewer.get('canvas').addMarker(id, cls);
  });
  mark(left, Object.keys(changes._removed), 'diff-removed');
  mark(right, Object.keys(changes._added), 'diff-added');
  mark(left, Object.keys(changes._changed), 'diff-changed');
  mark(right, Object.keys(changes._changed), 'diff-changed');
  mark(right, Object.keys(changes._layoutChanged).filter((id) => !changes._changed[id] && !changes._added[id]),
    'diff-moved');

  const focus = (id) => [left, right].forEach((v) => {
    const el = v.get('elementRegistry').get(id);
    if (el) { v.get('selection').select(el); v.get('canvas').scrollToElement(el); }
  });
  const name = (e) => (e && (e.name || e.id)) || '';
  const list = root.querySelector('.diff-list');
  Object.values(changes._added).forEach((e) => list.append(item(`Thêm: ${name(e)} (${e.$type})`, 'added', () => focus(e.id))));
  Object.values(changes._removed).forEach((e) => list.append(item(`Bỏ: ${name(e)} (${e.$type})`, 'removed', () => focus(e.id))));
  Object.entries(changes._changed).forEach(([id, c]) => {
    // bpmn-js-differ 3.2 hands the first document's value in `newValue` and the second's in `oldValue`
    // (ChangeHandler.changed(model, key, newValue, oldValue) is called with the delta's [a, b]); left → right here.
    const attrs = Object.entries(c.attrs).map(([k, v]) => `${k}: ${JSON.stringify(v.newValue)} → ${JSON.stringify(v.oldValue)}`);
    list.append(item(`Sửa: ${name(c.model)} — ${attrs.join('; ')}`, 'changed', () => focus(id)));
  });
  const moved = Object.keys(changes._layoutChanged).filter((id) => !changes._changed[id] && !changes._added[id]);
  if (moved.length) list.append(item(`Đổi vị trí: ${moved.length} phần tử`, 'moved', () => focus(moved[0])));
  const count = list.children.length;
  status.textContent = count ? `${Object.keys(changes._added).length} thêm, ${Object.keys(changes._removed).length} bỏ, `
    + `${Object.keys(changes._changed).length} sửa, ${moved.length} đổi vị trí.` : 'Hai phiên bản giống nhau.';

  // Pan and zoom together.
  let syncing = false;
  const follow = (from, to) => from.on('canvas.viewbox.changed', ({ viewbox }) => {
    if (syncing) return;
    syncing = true;
    to.get('canvas').viewbox(viewbox);
    syncing = false;
  });
  follow(left, right);
  follow(right, left);
  left.get('canvas').zoom('fit-viewport', 'auto');
  root.classList.add('diff-ready');
}

compare();
