// The supervision dashboard's charts (Chart.js, bundled; no CDN, nothing inline — the data comes from
// GET /supervision/campaigns/<id>/charts.json): submissions over time against the deadline, units per step, and on
// time vs late per unit (or per parent unit when there are many).
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip,
} from 'chart.js';
import { getJson } from './tdkt/http';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.animation = false; // a dashboard read at a glance; also keeps the canvas final when it first paints

const COLOURS = { on_time: '#198754', late: '#fd7e14', overdue: '#dc3545', pending: '#adb5bd' };
const OUTCOMES = ['on_time', 'late', 'overdue', 'pending']; // good to bad, the order of the stack and the legend
const WRAP = 20; // characters per line of an axis label: Chart.js gives a vertical axis at most half the width

// A long Vietnamese name on two lines (Chart.js draws an array as lines), the rest cut with an ellipsis.
export function wrap(text) {
  const lines = [''];
  text.split(' ').forEach((word) => {
    const last = lines[lines.length - 1];
    if (last && (last.length + word.length + 1) > WRAP) lines.push(word);
    else lines[lines.length - 1] = last ? `${last} ${word}` : word;
  });
  if (lines.length <= 2) return lines;
  return [lines[0], `${lines[1].slice(0, WRAP - 1)}…`];
}

// 2026-12-04 → 04/12/2026, the way Vietnamese documents write dates.
export function vnDate(iso) {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

// A dashed vertical line on the deadline's day, labelled, drawn after the datasets.
const deadlineLine = {
  id: 'svDeadline',
  afterDatasetsDraw(chart, _args, options) {
    if (options.index == null || options.index < 0) return;
    const { ctx, chartArea, scales } = chart;
    const x = scales.x.getPixelForValue(options.index);
    ctx.save();
    ctx.strokeStyle = '#dc3545';
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(x, chartArea.top);
    ctx.lineTo(x, chartArea.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#dc3545';
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.textAlign = x > chartArea.left + (chartArea.right - chartArea.left) / 2 ? 'right' : 'left';
    ctx.fillText(options.label, x + (ctx.textAlign === 'right' ? -4 : 4), chartArea.top + 12);
    ctx.restore();
  },
};

function submissions(canvas, doc) {
  const days = doc.submissions.days;
  const labels = days.map(vnDate);
  const index = doc.deadline ? days.indexOf(doc.deadline) : -1;
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'Đã nộp (cộng dồn)', data: doc.submissions.cumulative, borderColor: '#0d6efd',
          backgroundColor: 'rgba(13,110,253,.12)', fill: true, stepped: true, pointRadius: 0, spanGaps: false },
        { label: `Tổng số đơn vị (${doc.units})`, data: days.map(() => doc.units), borderColor: '#6c757d',
          borderDash: [4, 4], borderWidth: 1, pointRadius: 0, fill: false },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } },
        y: { beginAtZero: true, suggestedMax: doc.units, ticks: { precision: 0 }, title: { display: true, text: 'Số đơn vị' } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { callbacks: { afterTitle: (items) => {
          const n = doc.submissions.daily[items[0].dataIndex];
          return n ? `Nộp trong ngày: ${n}` : '';
        } } },
        svDeadline: { index, label: doc.deadline ? `Hạn nộp ${vnDate(doc.deadline)}` : '' },
      },
    },
    plugins: [deadlineLine],
  });
}

function steps(canvas, doc) {
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: doc.steps.map((s) => wrap(s.name)),
      datasets: [{ label: 'Số đơn vị', data: doc.steps.map((s) => s.units), backgroundColor: '#fd7e14' }],
    },
    options: {
      indexAxis: 'y', // long Vietnamese step names read across, also at 390 px
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => doc.steps[items[0].dataIndex].name } },
      },
      onClick: (_event, elements) => {
        const step = elements.length && doc.steps[elements[0].index].step;
        if (step) {
          const url = new URL(window.location.href);
          url.searchParams.set('step', step);
          url.searchParams.delete('page');
          window.location.assign(`${url.pathname}${url.search}#sv-list`);
        }
      },
    },
  });
}

function groups(canvas, doc) {
  const keys = OUTCOMES.filter((k) => k in doc.outcomes);
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: doc.groups.map((g) => wrap(g.label)),
      datasets: keys.map((k) => ({ label: doc.outcomes[k], data: doc.groups.map((g) => g[k]), backgroundColor: COLOURS[k] })),
    },
    options: {
      indexAxis: 'y',
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { callbacks: { title: (items) => doc.groups[items[0].dataIndex].label } },
      },
    },
  });
}

function empty(box, text) {
  const p = document.createElement('p');
  p.className = 'text-muted small mb-0 sv-chart-none';
  p.textContent = text;
  box.replaceChildren(p);
  box.classList.add('sv-chart-empty');
}

async function show(section) {
  const status = section.querySelector('.sv-charts-status');
  let doc;
  try {
    doc = await getJson(section.dataset.chartsUrl);
  } catch (err) {
    status.textContent = `Không tải được số liệu biểu đồ: ${err.message}`;
    return;
  }
  const box = (name) => section.querySelector(`[data-chart="${name}"]`);
  const canvas = (name) => box(name).querySelector('canvas');
  const made = {};
  if (doc.submissions.cumulative.some((n) => n)) made.submissions = submissions(canvas('submissions'), doc);
  else empty(box('submissions'), `Chưa đơn vị nào nộp hồ sơ${doc.deadline ? ` (hạn nộp ${vnDate(doc.deadline)})` : ''}.`);
  if (doc.steps.length) {
    box('steps').style.height = `${Math.max(160, 40 * doc.steps.length + 60)}px`;
    made.steps = steps(canvas('steps'), doc);
  } else empty(box('steps'), 'Chưa có hồ sơ nào đang ở một bước của quy trình.');
  if (doc.groups.length) {
    box('groups').style.height = `${Math.max(200, 34 * doc.groups.length + 100)}px`;
    made.groups = groups(canvas('groups'), doc);
  } else empty(box('groups'), 'Chưa có đơn vị nào.');
  section.querySelector('.sv-groups-title').textContent = doc.grouped_by === 'parent'
    ? 'Đúng hạn / trễ hạn theo đơn vị cấp trên' : 'Đúng hạn / trễ hạn theo đơn vị';
  section.classList.add('sv-charts-ready');
  status.textContent = '';
  section.svCharts = made; // for the browser test and the console
}

document.querySelectorAll('[data-charts-url]').forEach(show);
