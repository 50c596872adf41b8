// The case page's diagram: bpmn-js's NavigatedViewer (read-only, pan and zoom) with the case's path, its current
// step(s), waiting timers and incidents marked. Loaded only by the case page.
import { drawReadOnly } from './tdkt/read-only';

import { inferPath } from './tdkt/path';
import { getJson } from './tdkt/http';

const MARK = { completed: 'tdkt-done', active: 'tdkt-active', timer: 'tdkt-timer', incident: 'tdkt-incident' };

function badge(text, kind) {
  const el = document.createElement('div');
  el.className = `tdkt-badge tdkt-badge-${kind}`;
  el.textContent = text;
  return el;
}

async function show(box) {
  const canvasBox = box.querySelector('.diagram-canvas');
  const status = box.querySelector('.diagram-status');
  let doc;
  try {
    doc = await getJson(box.dataset.diagramUrl);
  } catch (err) {
    status.textContent = `Không tải được sơ đồ: ${err.message}`;
    return;
  }
  const viewer = await drawReadOnly(canvasBox, doc.xml, status);
  if (!viewer) return;
  const canvas = viewer.get('canvas');
  const overlays = viewer.get('overlays');
  const registry = viewer.get('elementRegistry');
  const states = {};
  doc.elements.forEach((e) => { states[e.id] = e; });
  const path = inferPath(registry, states);
  // An expanded subprocess the path went through is outlined, not filled: its children carry their own marks.
  const container = (id) => registry.get(id).type === 'bpmn:SubProcess' && registry.get(id).collapsed === false;
  path.visited.forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, container(id) ? 'tdkt-inside' : MARK.completed);
  });
  path.flows.forEach((id) => canvas.addMarker(id, MARK.completed));
  doc.elements.forEach((e) => {
    if (!registry.get(e.id)) return;  // an element of the version the server knows but the drawing lacks
    if (e.state !== 'completed') {
      canvas.removeMarker(e.id, MARK.completed);
      canvas.removeMarker(e.id, 'tdkt-inside');
      canvas.addMarker(e.id, MARK[e.state]);
    }
    if (e.state === 'active' || e.state === 'timer' || e.state === 'incident') {
      const date = (e.detail.match(/(\d\d\/\d\d)\/\d{4}/) || [])[1] || '';
      const label = { active: 'Đang ở đây', timer: `⏱ ${date}`, incident: '⚠ Sự cố' }[e.state];
      overlays.add(e.id, e.state, { position: { bottom: -4, left: -4 }, html: badge(label, e.state) });
    }
    const el = registry.getGraphics(e.id);
    if (el && e.detail) {
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = e.detail;
      el.appendChild(title);
    }
  });
  canvas.zoom('fit-viewport', 'auto');
  box.classList.add('diagram-ready');
  status.textContent = `Sơ đồ «${doc.process_id}» phiên bản ${doc.version}.`;
}

document.querySelectorAll('[data-diagram-url]').forEach(show);
