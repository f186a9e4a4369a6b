import { normalizeCounts } from '../tasks/multiclass/metrics.js';
import { colormapByName, relativeLuminance, rgbToHex } from './colormap.js';
import { escapeXml, jsonForScript, xmlName } from './escape.js';
import { colorLevels, defaultValueFormat, FONT_FAMILY, NEUTRAL, niceStep, niceTicks, shortLabels,
  tickDecimals } from './heatmap-scale.js';
import { checkMatrix, classNames, type HeatmapOptions, type NormalizeMode } from './heatmap-svg.js';

/** Options of {@link renderHeatmapHtml}: the heatmap's, plus a table shown beneath it and a subtitle. */
export interface HeatmapHtmlOptions extends HeatmapOptions {
  /** A table under the heatmap, e.g. a classification report; cells are escaped. */
  report?: { headers: string[]; rows: (string | number)[][] };
  subtitle?: string;
}

const HINT = 'Hover a cell, or focus the matrix and use the arrow keys (Home/End, Page Up/Down jump) to inspect it.';
const MODES: readonly NormalizeMode[] = ['none', 'true', 'pred', 'all'];
const MODE_LABELS: Record<NormalizeMode, string> = { none: 'Counts', true: 'Row (true)', pred: 'Column (pred)',
  all: 'All' };

/**
 * One self-contained HTML page (no network) with an interactive canvas heatmap: hover or arrow keys inspect a
 * cell, radio buttons switch normalization; an optional report table beneath.
 *
 * @example
 * writeFileSync('cm.html', renderHeatmapHtml(counts, 10, { classes, report: classificationReport(metrics, classes) }));
 */
export function renderHeatmapHtml(counts: Float64Array, numClasses: number, options: HeatmapHtmlOptions = {}): string {
  const c = checkMatrix(counts, numClasses);
  const names = classNames(options.classes, c);
  const mode = options.normalize ?? 'none';
  const cellTextOpt = options.cellText ?? 'auto';
  const showText = cellTextOpt === 'on' || (cellTextOpt === 'auto' && c <= 50);
  const cmap = colormapByName(options.colormap ?? 'viridis');
  const lut = Array.from({ length: 256 }, (_, i) => rgbToHex(cmap(i / 255)).slice(1)).join('');
  const text: Partial<Record<NormalizeMode, string[]>> = {};
  if (showText) {
    for (const m of MODES) {
      const values = normalizeCounts(counts, c, m);
      text[m] = Array.from(values, options.valueFormat ?? defaultValueFormat(m, values));
    }
  }
  const data = { n: c, classes: names, labels: shortLabels(names), counts: [], normalize: mode, lut,
    text: showText ? text : null, scale: options.scale ?? 'linear', diagonal: options.shadeDiagonal ?? true };
  const title = options.title ?? 'Confusion matrix';
  const ariaLabel = `Confusion matrix heatmap of ${c} classes, rows true label, columns predicted label`;
  const controls = MODES.map((m) =>
    `<label><input type="radio" name="normalize" value="${m}"${m === mode ? ' checked' : ''}> ${MODE_LABELS[m]}</label>`
  ).join('\n      ');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
  <h1>${escapeXml(title)}</h1>
${options.subtitle ? `  <p class="subtitle">${escapeXml(options.subtitle)}</p>\n` : ''}  <fieldset class="controls">
    <legend>Normalize</legend>
      ${controls}
  </fieldset>
  <p class="hint" id="cm-hint">${HINT}</p>
  <div class="plot">
    <canvas id="cm-canvas" tabindex="0" role="img" aria-describedby="cm-hint" aria-label="${ariaLabel}"></canvas>
    <div id="cm-tip" class="tip" role="tooltip" hidden></div>
  </div>
  <p id="cm-live" class="sr-only" aria-live="polite"></p>
${options.report ? reportTable(options.report) : ''}</main>
<script type="application/json" id="cm-data">${dataJson(data, counts)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** `jsonForScript` of the page's data with `counts` as its array, written from the typed array. */
function dataJson(data: { counts: number[] }, counts: Float64Array): string {
  const [head, tail, ...more] = jsonForScript(data).split('"counts":[]');
  let finite = true;
  for (const v of counts) finite &&= Number.isFinite(v);
  if (!finite || tail === undefined || more.length > 0) return jsonForScript({ ...data, counts: Array.from(counts) });
  return `${head!}"counts":[${counts.join(',')}]${tail}`;
}

function reportTable(report: { headers: string[]; rows: (string | number)[][] }): string {
  const numeric = (v: string | number): boolean => typeof v === 'number' || /^[-+]?[\d.,]+%?$/.test(v.trim());
  const cell = (v: string | number, i: number): string => {
    const s = xmlName(String(v));
    return i === 0 ? `<th scope="row">${s}</th>` : `<td${numeric(v) ? ' class="num"' : ''}>${s}</td>`;
  };
  const head = report.headers.map((h, i) => `<th scope="col"${i > 0 ? ' class="num"' : ''}>${xmlName(h)}</th>`).join(
    '',
  );
  const body = report.rows.map((row) => `      <tr>${row.map(cell).join('')}</tr>`).join('\n');
  return `  <table class="report">
    <thead><tr>${head}</tr></thead>
    <tbody>
${body}
    </tbody>
  </table>
`;
}

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #111; font: 15px/1.45 ${FONT_FAMILY}; }
main { padding: 20px 24px 40px; max-width: max-content; }
h1 { font-size: 1.35rem; font-weight: 600; margin: 0 0 4px; }
.subtitle { margin: 0 0 12px; color: #333; }
.controls { display: inline-flex; flex-wrap: wrap; gap: 4px 14px; border: 1px solid #767676; border-radius: 6px;
  padding: 6px 12px 8px; margin: 4px 0 6px; }
.controls legend { padding: 0 4px; font-weight: 600; }
.controls label { cursor: pointer; }
.controls input:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.hint { margin: 4px 0 8px; color: #444; font-size: 0.9rem; }
.plot { position: relative; width: max-content; }
#cm-canvas { display: block; border-radius: 2px; }
#cm-canvas:focus { outline: none; }
#cm-canvas:focus-visible { outline: 3px solid #0b57d0; outline-offset: 3px; }
.tip { position: absolute; pointer-events: none; background: #fff; color: #111; border: 1px solid #333;
  border-radius: 6px; padding: 6px 9px; font-size: 13px; line-height: 1.4; box-shadow: 0 2px 8px rgba(0,0,0,.25);
  white-space: nowrap; z-index: 2; }
.tip b { font-weight: 600; }
.tip table { border-collapse: collapse; }
.tip td { padding: 0 0 0 10px; text-align: right; font-variant-numeric: tabular-nums; }
.tip td:first-child { padding: 0; text-align: left; color: #333; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.report { border-collapse: collapse; margin-top: 24px; font-size: 14px; font-variant-numeric: tabular-nums; }
.report th, .report td { padding: 3px 12px; border-bottom: 1px solid #ddd; text-align: left; }
.report thead th { border-bottom: 2px solid #333; position: sticky; top: 0; background: #fff; }
.report .num { text-align: right; }
.report tbody tr:hover { background: #f2f2f2; }
`;

// The page shares the SVG's tick and contrast helpers: each is self-contained, so its source runs as it is.
const SCRIPT = `
(() => {
  'use strict';
  const nice = ${niceStep}, niceTicks = ${niceTicks}, decimals = ${tickDecimals}, luminance = ${relativeLuminance};
  const colorLevels = ${colorLevels}, NEUTRAL = ${JSON.stringify(NEUTRAL)};
  const D = JSON.parse(document.getElementById('cm-data').textContent);
  const C = D.n, counts = D.counts, FONT = ${JSON.stringify(FONT_FAMILY)};
  const canvas = document.getElementById('cm-canvas'), tip = document.getElementById('cm-tip');
  const live = document.getElementById('cm-live'), ctx = canvas.getContext('2d');
  const lut = Array.from({ length: 256 }, (_, i) => [0, 2, 4].map((k) => parseInt(D.lut.substr(i * 6 + k, 2), 16)));
  const rowSum = new Float64Array(C), colSum = new Float64Array(C);
  let total = 0, maxCount = 0;
  for (let t = 0; t < C; t++) for (let p = 0; p < C; p++) {
    const v = counts[t * C + p];
    rowSum[t] += v; colSum[p] += v; total += v; maxCount = Math.max(maxCount, v);
  }
  const wholeCounts = counts.every(Number.isInteger);
  const ink = (rgb) => { const l = luminance(rgb); return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000' : '#fff'; };
  const pct = (a, b) => (b === 0 ? '–' : (100 * a / b).toFixed(1) + '%');
  const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => '&#' + ch.charCodeAt(0) + ';');

  let mode = D.normalize, values, cl, focus = null, hover = null;
  const off = document.createElement('canvas'); off.width = off.height = C;
  function compute() {
    values = new Float64Array(C * C);
    for (let t = 0; t < C; t++) for (let p = 0; p < C; p++) {
      const i = t * C + p, d = mode === 'true' ? rowSum[t] : mode === 'pred' ? colSum[p] : mode === 'all' ? total : 1;
      const v = d === 0 ? 0 : counts[i] / d;
      values[i] = v;
    }
    const img = off.getContext('2d').createImageData(C, C);
    const share = (v, i) => (rowSum[Math.floor(i / C)] ? v / rowSum[Math.floor(i / C)] : 0);
    const rows = D.scale === 'row' && Float64Array.from(counts, share);
    cl = colorLevels(rows || values, C, D.scale === 'log', D.diagonal, Math.max(4, Math.min(8, Math.floor(M / 70))),
      D.scale !== 'row' && mode === 'none' && wholeCounts);
    for (let i = 0; i < C * C; i++) img.data.set([...color(i), 255], i * 4);
    off.getContext('2d').putImageData(img, 0, 0);
  }
  const color = (i) => (cl.levels[i] !== cl.levels[i] ? NEUTRAL : lut[Math.min(255, Math.floor(cl.levels[i] * 256))]);

  const fs = 13, axisFs = 14, pad = 16, tick = 4;
  ctx.font = fs + 'px ' + FONT;
  const width = (s) => ctx.measureText(s).width;
  let cell = C > 100 ? Math.max(1, Math.round(800 / C)) : Math.max(2, Math.round(640 / C)), cellFs = 0;
  if (D.text) {
    ctx.font = '8px ' + FONT;
    const w8 = Math.max(...Object.values(D.text).flat().map(width));
    cell = Math.min(110, Math.max(cell, Math.ceil(w8 + 8)));
    cellFs = Math.min(14, cell * 0.42, (cell - 6) * 8 / Math.max(w8, 1));
    ctx.font = fs + 'px ' + FONT;
  }
  const M = C * cell;
  const sparse = (gap) => {
    const s = nice(Math.ceil(gap / cell));
    return s === 1 ? 1 : nice(Math.ceil(Math.max(gap, 60) / cell));
  };
  const every = (k) => { const out = []; for (let i = 0; i < C; i += k) out.push(i); return out; };
  const yStep = sparse(fs * 1.4), yShown = every(yStep);
  const hStep = sparse(Math.max(...D.labels.map(width)) + 8), rotate = hStep > yStep;
  const xShown = every(rotate ? sparse(fs * 1.6) : hStep);
  const widest = (shown) => Math.max(...shown.map((i) => width(D.labels[i])));
  const yW = widest(yShown), xW = widest(xShown), my = pad;
  const mx = Math.ceil(Math.max(pad + axisFs + 10 + yW + 3 + tick, rotate ? pad + xW * Math.SQRT1_2 + fs : 0));
  const xLabelY = my + M + tick + 3;
  const xTitleY = xLabelY + (rotate ? xW * Math.SQRT1_2 + fs * 0.6 : fs) + 10 + axisFs * 0.8;
  const cbX = mx + M + Math.max(16, Math.round(M * 0.035)), cbW = Math.min(24, Math.max(12, Math.round(M * 0.045)));
  const cbLabelW = Math.max(width('0.00'), ...niceTicks(0, maxCount, 6, wholeCounts).map((v) => width(String(v))));
  const W = Math.ceil(cbX + cbW + tick + 3 + cbLabelW + pad), H = Math.ceil(xTitleY + axisFs * 0.3 + pad);
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
  canvas.style.width = W + 'px'; canvas.style.height = H + 'px';
  const align = (a, b) => { ctx.textAlign = a; ctx.textBaseline = b; };

  function draw() {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, mx, my, M, M);
    if (D.text) {
      const txt = D.text[mode];
      ctx.font = cellFs + 'px ' + FONT; align('center', 'middle');
      for (let t = 0; t < C; t++) for (let p = 0; p < C; p++) {
        ctx.fillStyle = ink(color(t * C + p));
        ctx.fillText(txt[t * C + p], mx + (p + 0.5) * cell, my + (t + 0.5) * cell + 0.5);
      }
    }
    ctx.strokeStyle = '#000'; ctx.lineWidth = 0.8; ctx.strokeRect(mx, my, M, M);
    ctx.font = fs + 'px ' + FONT; ctx.fillStyle = '#000'; ctx.beginPath();
    align('right', 'middle');
    for (const t of yShown) {
      const y = my + (t + 0.5) * cell;
      ctx.moveTo(mx - tick, y); ctx.lineTo(mx, y); ctx.fillText(D.labels[t], mx - tick - 3, y);
    }
    for (const p of xShown) {
      const x = mx + (p + 0.5) * cell;
      ctx.moveTo(x, my + M); ctx.lineTo(x, my + M + tick);
      ctx.save();
      if (rotate) {
        ctx.translate(x, xLabelY + fs * 0.3); ctx.rotate(-Math.PI / 4); align('right', 'middle');
        ctx.fillText(D.labels[p], 0, 0);
      } else { align('center', 'top'); ctx.fillText(D.labels[p], x, xLabelY); }
      ctx.restore();
    }
    const ticks = cl.ticks.map((k) => k.value), dec = decimals(ticks);
    for (let i = 0; i < M; i++) {
      const [r, g, b] = lut[Math.min(255, Math.floor((1 - (i + 0.5) / M) * 256))];
      ctx.fillStyle = 'rgb(' + r + ',' + g + ',' + b + ')'; ctx.fillRect(cbX, my + i, cbW, 1.2);
    }
    ctx.fillStyle = '#000'; align('left', 'middle');
    for (const v of ticks) {
      const y = my + M * (1 - cl.ticks[ticks.indexOf(v)].level);
      ctx.moveTo(cbX + cbW, y); ctx.lineTo(cbX + cbW + tick, y); ctx.fillText(v.toFixed(dec), cbX + cbW + tick + 3, y);
    }
    ctx.stroke(); ctx.strokeRect(cbX, my, cbW, M);
    ctx.font = axisFs + 'px ' + FONT; align('center', 'alphabetic');
    ctx.fillText('Predicted label', mx + M / 2, xTitleY);
    ctx.save(); ctx.translate(pad + axisFs * 0.8, my + M / 2); ctx.rotate(-Math.PI / 2);
    ctx.fillText('True label', 0, 0); ctx.restore();
    if (hover && !(focus && hover.t === focus.t && hover.p === focus.p)) ring(hover, false);
    if (focus && document.activeElement === canvas) ring(focus, true);
  }
  function ring({ t, p }, strong) {
    const s = Math.max(cell, 9), x = mx + (p + 0.5) * cell - s / 2, y = my + (t + 0.5) * cell - s / 2;
    ctx.lineWidth = strong ? 4 : 3; ctx.strokeStyle = '#fff'; ctx.strokeRect(x - 1, y - 1, s + 2, s + 2);
    ctx.lineWidth = strong ? 2 : 1.5; ctx.strokeStyle = '#000'; ctx.strokeRect(x - 1, y - 1, s + 2, s + 2);
  }
  const row = (k, v) => '<tr><td>' + k + '</td><td>' + v + '</td></tr>';
  function show(cellAt) {
    if (!cellAt) { tip.hidden = true; return; }
    const { t, p } = cellAt, n = counts[t * C + p];
    tip.innerHTML = '<table>' + row('True', '<b>' + esc(D.classes[t]) + '</b>') +
      row('Predicted', '<b>' + esc(D.classes[p]) + '</b>') + row('Count', n.toLocaleString('en-US')) +
      row('Row %', pct(n, rowSum[t])) + row('Column %', pct(n, colSum[p])) + '</table>';
    tip.hidden = false;
    const x = mx + (p + 1) * cell + 12, y = my + t * cell;
    tip.style.left = (x + tip.offsetWidth > W ? Math.max(0, mx + p * cell - tip.offsetWidth - 12) : x) + 'px';
    tip.style.top = Math.min(Math.max(0, y - tip.offsetHeight / 2), H - tip.offsetHeight) + 'px';
  }
  const describe = ({ t, p }) => {
    const n = counts[t * C + p];
    return 'True ' + D.classes[t] + ', predicted ' + D.classes[p] + ': ' + n + ', row ' + pct(n, rowSum[t]) +
      ', column ' + pct(n, colSum[p]);
  };
  function cellFromEvent(e) {
    const r = canvas.getBoundingClientRect();
    const p = Math.floor((e.clientX - r.left - mx) / cell), t = Math.floor((e.clientY - r.top - my) / cell);
    return t >= 0 && t < C && p >= 0 && p < C ? { t, p } : null;
  }
  const focused = () => (document.activeElement === canvas ? focus : null);
  const on = (type, f) => canvas.addEventListener(type, f);
  on('mousemove', (e) => { hover = cellFromEvent(e); draw(); show(hover || focused()); });
  on('mouseleave', () => { hover = null; draw(); show(focused()); });
  on('click', (e) => {
    const at = cellFromEvent(e);
    if (at) { focus = at; canvas.focus({ preventScroll: true }); draw(); }
  });
  on('focus', () => { focus = focus || { t: 0, p: 0 }; draw(); show(focus); live.textContent = describe(focus); });
  on('blur', () => { draw(); show(hover); });
  on('keydown', (e) => {
    if (!focus) return;
    const page = Math.max(1, Math.round(C / 10));
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
      PageUp: [-page, 0], PageDown: [page, 0], Home: [0, -C], End: [0, C] };
    if (e.key === 'Escape') { tip.hidden = true; return; }
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    focus = { t: Math.min(C - 1, Math.max(0, focus.t + m[0])), p: Math.min(C - 1, Math.max(0, focus.p + m[1])) };
    hover = null; draw(); show(focus); tip.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    live.textContent = describe(focus);
  });
  for (const input of document.querySelectorAll('input[name=normalize]')) {
    input.addEventListener('change', () => { mode = input.value; compute(); draw(); });
  }
  compute(); draw();
})();
`;
