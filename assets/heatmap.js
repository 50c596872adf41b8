// The supervision dashboard's heat map: the campaign's diagram (bpmn-js NavigatedViewer, read-only) with, on each
// step, how many supervised units sit there and how long (working days), coloured by the share of units. Clicking a
// step (or its badge, a plain link) opens the dashboard's unit list filtered to that step (`?step=`).
// Data: GET /supervision/campaigns/<id>/heatmap.json (the same counts as /api/supervision/campaigns/<id>/steps).
import { drawReadOnly } from './tdkt/read-only';
import { getJson } from './tdkt/http';

const LEVELS = 5;

// 1..LEVELS by the step's share of the busiest step: relative, so one campaign of 700 units and one of 12 both use
// the whole scale.
export function level(units, most) {
  if (!units || !most) return 0;
  return Math.max(1, Math.ceil((units / most) * LEVELS));
}

function stepUrl(step) {
  const url = new URL(window.location.href);
  url.searchParams.set('step', step);
  url.searchParams.delete('page');
  url.hash = 'sv-list';
  return url.pathname + url.search + url.hash;
}

function badge(item, lvl, stalled) {
  const link = document.createElement('a');
  link.className = `sv-heat-badge sv-heat-badge-${lvl}${stalled ? ' sv-heat-stalled' : ''}`;
  link.href = stepUrl(item.step);
  link.dataset.step = item.step;
  link.title = `${item.name}: ${item.units} đơn vị, trung bình ${item.avg_working_days} ngày làm việc ở bước, lâu nhất ${item.max_working_days} ngày — bấm để xem danh sách`;
  const count = document.createElement('strong');
  count.textContent = `${item.units} đv`;
  const days = document.createElement('span');
  days.textContent = ` · ${item.max_working_days} ngày`;
  link.append(count, days);
  return link;
}

// On a phone the whole diagram fitted is too small to read: show the busiest step at a readable scale instead
// (pan and pinch to see the rest).
function focus(canvas, element, canvasBox) {
  const scale = 0.75;
  const width = canvasBox.clientWidth / scale;
  const height = canvasBox.clientHeight / scale;
  canvas.viewbox({ x: element.x + element.width / 2 - width / 2, y: element.y + element.height / 2 - height / 2, width, height });
}

async function show(box) {
  const canvasBox = box.querySelector('.sv-heat-canvas');
  const status = box.querySelector('.sv-heat-status');
  const outside = box.querySelector('.sv-heat-outside');
  let doc;
  try {
    doc = await getJson(box.dataset.heatmapUrl);
  } catch (err) {
    status.textContent = `Không tải được bản đồ nhiệt: ${err.message}`;
    return;
  }
  if (!doc.diagram) {
    status.textContent = 'Phong trào chưa có sơ đồ quy trình được xuất bản.';
    return;
  }
  const viewer = await drawReadOnly(canvasBox, doc.diagram.xml, status);
  if (!viewer) return;
  const canvas = viewer.get('canvas');
  const overlays = viewer.get('overlays');
  const registry = viewer.get('elementRegistry');
  const most = Math.max(0, ...doc.items.map((i) => i.units));
  const drawn = {};
  const elsewhere = [];
  doc.items.forEach((item) => {
    if (!item.step || !registry.get(item.step)) { elsewhere.push(item); return; }
    const lvl = level(item.units, most);
    const stalled = item.max_working_days >= doc.stall_working_days;
    drawn[item.step] = item;
    canvas.addMarker(item.step, `sv-heat-${lvl}`);
    // scale.min 1: the badges stay readable when a large diagram is fitted into a phone's width
    overlays.add(item.step, 'sv-heat', { position: { top: -12, right: 14 }, scale: { min: 1 }, html: badge(item, lvl, stalled) });
  });
  const chosen = new URLSearchParams(window.location.search).get('step');
  if (chosen && drawn[chosen]) canvas.addMarker(chosen, 'sv-heat-chosen'); // the step the list is filtered to
  viewer.get('eventBus').on('element.click', (event) => {
    if (drawn[event.element.id]) window.location.assign(stepUrl(event.element.id));
  });
  elsewhere.forEach((item) => {
    const li = document.createElement('li');
    if (item.step) {
      const a = document.createElement('a');
      a.href = stepUrl(item.step);
      a.dataset.step = item.step;
      a.textContent = item.name;
      li.append(a);
    } else {
      li.append(item.name);
    }
    li.append(`: ${item.units} đơn vị, lâu nhất ${item.max_working_days} ngày làm việc`);
    outside.append(li);
  });
  outside.closest('.sv-heat-outside-box').hidden = elsewhere.length === 0;
  canvas.zoom('fit-viewport', 'auto');
  const busiest = doc.items.find((i) => drawn[i.step]);
  if (busiest && canvasBox.clientWidth < 600) focus(canvas, registry.get(busiest.step), canvasBox);
  box.classList.add('sv-heat-ready');
  const total = doc.items.reduce((sum, i) => sum + i.units, 0);
  status.textContent = total
    ? `Sơ đồ «${doc.diagram.process_id}» phiên bản ${doc.diagram.version}: ${total} hồ sơ đang ở ${doc.items.length} bước. Số trên mỗi bước: số đơn vị · số ngày làm việc lâu nhất; bấm vào bước để lọc danh sách.`
    : 'Chưa có đơn vị nào đang ở một bước của quy trình.';
}

document.querySelectorAll('[data-heatmap-url]').forEach(show);
