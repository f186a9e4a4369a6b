/**
 * The demo's interactive heatmap on a `<canvas>`: one pixel per cell in an offscreen image scaled
 * up without smoothing, so 1000 classes draw as fast as 10. Hover or focus and arrow keys show a
 * cell's classes, count, row % and column %; normalization and class order can change at any time.
 *
 * @module
 */
import { type Rgb, textColorOn, viridis } from '../src/report/colormap.js';
import { defaultValueFormat, FONT_FAMILY, niceStep, niceTicks, shortLabels } from '../src/report/heatmap-scale.js';
import { type Normalize, normalizeCounts } from '../src/tasks/multiclass/metrics.js';
import { permuteCounts } from './reorder.js';

/** What the heatmap shows: row-major C x C counts (rows = true class) and the class names. */
export interface HeatmapData {
  counts: Float64Array;
  numClasses: number;
  classes: string[];
}

/** The elements the heatmap draws into: the canvas, a tooltip box over it, a polite live region. */
export interface HeatmapElements {
  canvas: HTMLCanvasElement;
  tip: HTMLElement;
  live: HTMLElement;
}

/** A heatmap bound to its elements. */
export interface Heatmap {
  show(data: HeatmapData): void;
  setNormalize(mode: Normalize): void;
  /** Rows and columns in this order of class indices; null for 0..C-1. */
  setOrder(order: readonly number[] | null): void;
  /** The class order drawn now. */
  order(): readonly number[];
}

const LUT: Rgb[] = Array.from({ length: 256 }, (_, i) => viridis(i / 255));
const FS = 13;
const AXIS_FS = 14;
const PAD = 16;
const TICK = 4;

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);

function decimals(ticks: number[]): number {
  let d = 0;
  for (const t of ticks) while (d < 6 && Math.abs(Math.round(t * 10 ** d) - t * 10 ** d) > 1e-6) d++;
  return d;
}

interface Layout {
  cell: number;
  cellFs: number;
  mx: number;
  my: number;
  m: number;
  w: number;
  h: number;
  yShown: number[];
  xShown: number[];
  rotate: boolean;
  xLabelY: number;
  xTitleY: number;
  cbX: number;
  cbW: number;
}

/**
 * Binds a heatmap to its canvas, tooltip and live region; call `show()` with a matrix.
 *
 * @example
 * const hm = createHeatmap({ canvas, tip, live });
 * hm.show({ counts: result.counts, numClasses: 10, classes: names });
 * hm.setNormalize('true');
 */
export function createHeatmap({ canvas, tip, live }: HeatmapElements): Heatmap {
  const ctx = canvas.getContext('2d')!;
  const off = document.createElement('canvas');
  let data: HeatmapData | undefined;
  let mode: Normalize = 'none';
  let order: number[] = [];
  let view: Float64Array = new Float64Array(0);
  let values: Float64Array = new Float64Array(0);
  let texts: string[] | null = null;
  let vmin = 0;
  let vmax = 0;
  let rowSum = new Float64Array(0);
  let colSum = new Float64Array(0);
  let labels: string[] = [];
  let layout: Layout | undefined;
  let focus: { t: number; p: number } | null = null;
  let hover: { t: number; p: number } | null = null;

  const level = (v: number): number => (vmax > vmin ? (v - vmin) / (vmax - vmin) : 0);
  const color = (v: number): Rgb => LUT[Math.min(255, Math.floor(level(v) * 256))]!;
  const width = (s: string): number => ctx.measureText(s).width;
  const c = (): number => data?.numClasses ?? 0;

  function recompute(): void {
    const n = c();
    view = permuteCounts(data!.counts, n, order);
    values = normalizeCounts(view, n, mode);
    vmin = Infinity;
    vmax = -Infinity;
    for (const v of values) {
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
    }
    off.width = off.height = n;
    const octx = off.getContext('2d')!;
    const img = octx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const rgb = color(values[i]!);
      img.data[i * 4] = rgb[0];
      img.data[i * 4 + 1] = rgb[1];
      img.data[i * 4 + 2] = rgb[2];
      img.data[i * 4 + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    texts = n <= 50 ? Array.from(values, defaultValueFormat(mode, values)) : null;
    const short = shortLabels(data!.classes);
    labels = order.map((k) => short[k]!);
  }

  /** The layout at the natural cell size, or with cells shrunk so the figure fits the window's width (a phone). */
  function computeLayout(): Layout {
    const natural = layoutFor(Infinity);
    const room = document.documentElement.clientWidth - canvas.getBoundingClientRect().left - 16;
    if (room <= 0 || natural.w <= room) return natural;
    const fit = (l: Layout): Layout => layoutFor(Math.max(1, Math.floor((room - (l.w - l.m)) / c())));
    const first = fit(natural);
    const second = fit(first);
    return second.w <= room ? second : first;
  }

  function layoutFor(maxCell: number): Layout {
    const n = c();
    ctx.font = `${FS}px ${FONT_FAMILY}`;
    let cell = n > 100 ? Math.max(1, Math.round(800 / n)) : Math.max(2, Math.round(640 / n));
    let cellFs = 0;
    if (n <= 50) {
      ctx.font = `8px ${FONT_FAMILY}`;
      let w8 = 1;
      for (const m of ['none', 'true'] as const) {
        const vs = normalizeCounts(data!.counts, n, m);
        const f = defaultValueFormat(m, vs);
        for (const v of vs) w8 = Math.max(w8, width(f(v)));
      }
      cell = Math.min(110, maxCell, Math.max(cell, Math.ceil(w8 + 8)));
      cellFs = Math.min(14, cell * 0.42, ((cell - 6) * 8) / w8);
      if (cellFs < 6) cellFs = 0;
    } else {
      cell = Math.min(cell, maxCell);
      ctx.font = `${FS}px ${FONT_FAMILY}`;
    }
    const m = n * cell;
    const sparse = (gap: number): number => {
      const s = niceStep(Math.ceil(gap / cell));
      return s === 1 ? 1 : niceStep(Math.ceil(Math.max(gap, 60) / cell));
    };
    const every = (k: number): number[] => Array.from({ length: Math.ceil(n / k) }, (_, i) => i * k);
    const names = shortLabels(data!.classes);
    const yStep = sparse(FS * 1.4);
    const yW = names.reduce((m, s) => Math.max(m, width(s)), 0);
    const xW = yW;
    const hStep = sparse(yW + 8);
    const rotate = hStep > yStep;
    const yShown = every(yStep);
    const xShown = every(rotate ? sparse(FS * 1.6) : hStep);
    const mx = Math.ceil(Math.max(PAD + AXIS_FS + 10 + yW + 3 + TICK, rotate ? PAD + xW * Math.SQRT1_2 + FS : 0));
    const my = PAD;
    const xLabelY = my + m + TICK + 3;
    const xTitleY = xLabelY + (rotate ? xW * Math.SQRT1_2 + FS * 0.6 : FS) + 10 + AXIS_FS * 0.8;
    const cbX = mx + m + Math.max(16, Math.round(m * 0.035));
    const cbW = Math.min(24, Math.max(12, Math.round(m * 0.045)));
    let maxCount = 0;
    for (const v of data!.counts) if (v > maxCount) maxCount = v;
    const cbLabelW = Math.max(width('0.00'), width(String(maxCount)) + 8);
    const w = Math.ceil(cbX + cbW + TICK + 3 + cbLabelW + PAD);
    const h = Math.ceil(xTitleY + AXIS_FS * 0.3 + PAD);
    return { cell, cellFs, mx, my, m, w, h, yShown, xShown, rotate, xLabelY, xTitleY, cbX, cbW };
  }

  function resize(): void {
    layout = computeLayout();
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(layout.w * dpr);
    canvas.height = Math.round(layout.h * dpr);
    canvas.style.width = `${layout.w}px`;
    canvas.style.height = `${layout.h}px`;
    Object.assign(canvas.dataset, { cell: String(layout.cell), mx: String(layout.mx), my: String(layout.my) });
  }

  function ring({ t, p }: { t: number; p: number }, strong: boolean): void {
    const { cell, mx, my } = layout!;
    const s = Math.max(cell, 9);
    const x = mx + (p + 0.5) * cell - s / 2;
    const y = my + (t + 0.5) * cell - s / 2;
    ctx.lineWidth = strong ? 4 : 3;
    ctx.strokeStyle = '#fff';
    ctx.strokeRect(x - 1, y - 1, s + 2, s + 2);
    ctx.lineWidth = strong ? 2 : 1.5;
    ctx.strokeStyle = '#000';
    ctx.strokeRect(x - 1, y - 1, s + 2, s + 2);
  }

  function draw(): void {
    if (!data || !layout) return;
    const n = c();
    const { cell, cellFs, mx, my, m, w, h, yShown, xShown, rotate, xLabelY, xTitleY, cbX, cbW } = layout;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, mx, my, m, m);
    if (texts && cellFs > 0) {
      ctx.font = `${cellFs}px ${FONT_FAMILY}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let t = 0; t < n; t++) {
        for (let p = 0; p < n; p++) {
          ctx.fillStyle = textColorOn(color(values[t * n + p]!));
          ctx.fillText(texts[t * n + p]!, mx + (p + 0.5) * cell, my + (t + 0.5) * cell + 0.5);
        }
      }
    }
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 0.8;
    ctx.strokeRect(mx, my, m, m);
    ctx.font = `${FS}px ${FONT_FAMILY}`;
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of yShown) {
      const y = my + (t + 0.5) * cell;
      ctx.moveTo(mx - TICK, y);
      ctx.lineTo(mx, y);
      ctx.fillText(labels[t]!, mx - TICK - 3, y);
    }
    for (const p of xShown) {
      const x = mx + (p + 0.5) * cell;
      ctx.moveTo(x, my + m);
      ctx.lineTo(x, my + m + TICK);
      ctx.save();
      if (rotate) {
        ctx.translate(x, xLabelY + FS * 0.3);
        ctx.rotate(-Math.PI / 4);
        ctx.textAlign = 'right';
        ctx.fillText(labels[p]!, 0, 0);
      } else {
        ctx.textAlign = 'center';
        ctx.textBaseline = 'top';
        ctx.fillText(labels[p]!, x, xLabelY);
      }
      ctx.restore();
    }
    const whole = mode === 'none' && values.every(Number.isInteger);
    const ticks = niceTicks(vmin, vmax, Math.max(4, Math.min(8, Math.floor(m / 70))), whole);
    const dec = decimals(ticks);
    for (let i = 0; i < m; i++) {
      const [r, g, b] = LUT[Math.min(255, Math.floor((1 - (i + 0.5) / m) * 256))]!;
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(cbX, my + i, cbW, 1.2);
    }
    ctx.fillStyle = '#000';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (const v of ticks) {
      const y = my + m * (1 - level(v));
      ctx.moveTo(cbX + cbW, y);
      ctx.lineTo(cbX + cbW + TICK, y);
      ctx.fillText(v.toFixed(dec), cbX + cbW + TICK + 3, y);
    }
    ctx.stroke();
    ctx.strokeRect(cbX, my, cbW, m);
    ctx.font = `${AXIS_FS}px ${FONT_FAMILY}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('Predicted label', mx + m / 2, xTitleY);
    ctx.save();
    ctx.translate(PAD + AXIS_FS * 0.8, my + m / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText('True label', 0, 0);
    ctx.restore();
    if (hover && !(focus && hover.t === focus.t && hover.p === focus.p)) ring(hover, false);
    if (focus && document.activeElement === canvas) ring(focus, true);
  }

  function describe({ t, p }: { t: number; p: number }): { rows: [string, string][]; line: string } {
    const n = c();
    const count = view[t * n + p]!;
    const ti = order[t]!;
    const pi = order[p]!;
    const rows: [string, string][] = [['True', data!.classes[ti]!], ['Predicted', data!.classes[pi]!], ['Count',
      count.toLocaleString('en-US')], ['Row %', pct(count, rowSum[ti]!)], ['Column %', pct(count, colSum[pi]!)]];
    const line = `True ${rows[0]![1]}, predicted ${rows[1]![1]}: ${rows[2]![1]}, row ${rows[3]![1]}, column ${
      rows[4]![1]
    }`;
    return { rows, line };
  }

  function showTip(at: { t: number; p: number } | null): void {
    if (!at || !layout) {
      tip.hidden = true;
      return;
    }
    const table = document.createElement('table');
    for (const [k, v] of describe(at).rows) {
      const tr = table.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }
    tip.replaceChildren(table);
    tip.hidden = false;
    const { cell, mx, my, w, h } = layout;
    const x = mx + (at.p + 1) * cell + 12;
    const y = my + at.t * cell;
    tip.style.left = `${x + tip.offsetWidth > w ? Math.max(0, mx + at.p * cell - tip.offsetWidth - 12) : x}px`;
    tip.style.top = `${Math.min(Math.max(0, y - tip.offsetHeight / 2), h - tip.offsetHeight)}px`;
  }

  function cellFromEvent(e: MouseEvent): { t: number; p: number } | null {
    if (!layout) return null;
    const r = canvas.getBoundingClientRect();
    const p = Math.floor((e.clientX - r.left - layout.mx) / layout.cell);
    const t = Math.floor((e.clientY - r.top - layout.my) / layout.cell);
    return t >= 0 && t < c() && p >= 0 && p < c() ? { t, p } : null;
  }

  canvas.addEventListener('mousemove', (e) => {
    hover = cellFromEvent(e);
    draw();
    showTip(hover ?? (document.activeElement === canvas ? focus : null));
  });
  canvas.addEventListener('mouseleave', () => {
    hover = null;
    draw();
    showTip(document.activeElement === canvas ? focus : null);
  });
  // A press focuses the canvas before its click: the focus handler then takes the pressed cell, not (0, 0).
  let pressed: { t: number; p: number } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    pressed = cellFromEvent(e);
  });
  const select = (at: { t: number; p: number }): void => {
    focus = at;
    draw();
    showTip(focus);
    live.textContent = describe(focus).line;
    canvas.dispatchEvent(new CustomEvent('cellselect', { detail: { true: order[at.t]!, pred: order[at.p]! } }));
  };
  canvas.addEventListener('click', (e) => {
    const at = cellFromEvent(e) ?? pressed;
    pressed = null;
    if (!at || !data) return;
    if (document.activeElement !== canvas) canvas.focus({ preventScroll: true });
    select(at);
  });
  canvas.addEventListener('focus', () => {
    if (!data) return;
    select(pressed ?? focus ?? { t: 0, p: 0 });
  });
  canvas.addEventListener('blur', () => {
    draw();
    showTip(hover);
  });
  canvas.addEventListener('keydown', (e) => {
    if (!focus || !data) return;
    const n = c();
    const page = Math.max(1, Math.round(n / 10));
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1],
      ArrowRight: [0, 1], PageUp: [-page, 0], PageDown: [page, 0], Home: [0, -n], End: [0, n] };
    if (e.key === 'Escape') {
      tip.hidden = true;
      return;
    }
    if (e.key === 'Enter') return select(focus);
    const mv = moves[e.key];
    if (!mv) return;
    e.preventDefault();
    focus = { t: Math.min(n - 1, Math.max(0, focus.t + mv[0])), p: Math.min(n - 1, Math.max(0, focus.p + mv[1])) };
    hover = null;
    draw();
    showTip(focus);
    tip.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    live.textContent = describe(focus).line;
  });

  return { show(d) {
    data = d;
    const n = d.numClasses;
    order = Array.from({ length: n }, (_, i) => i);
    rowSum = new Float64Array(n);
    colSum = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      for (let p = 0; p < n; p++) {
        rowSum[t]! += d.counts[t * n + p]!;
        colSum[p]! += d.counts[t * n + p]!;
      }
    }
    focus = null;
    hover = null;
    tip.hidden = true;
    recompute();
    resize();
    draw();
    canvas.setAttribute('aria-label',
      `Confusion matrix heatmap of ${n} classes: rows true label, columns predicted label`);
  }, setNormalize(m) {
    mode = m;
    if (!data) return;
    recompute();
    draw();
    if (focus && document.activeElement === canvas) showTip(focus);
  }, setOrder(o) {
    if (!data) return;
    order = o ? o.slice() : Array.from({ length: c() }, (_, i) => i);
    recompute();
    draw();
    if (focus && document.activeElement === canvas) showTip(focus);
  }, order: () => order };
}
