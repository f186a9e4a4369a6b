/**
 * The demo's interactive heatmap on a `<canvas>`: one pixel per cell in an offscreen image scaled
 * up without smoothing, so 1000 classes draw as fast as 10. Hover or focus and arrow keys show a
 * cell's classes, count, row % and column %; normalization, colour scale and class order can change at any time.
 * Zoom (Ctrl+wheel or a pinch on a touchpad, drag a box, + / - / 0 keys, the zoom buttons) shows a block of classes
 * with their labels, and counts in the cells where they fit.
 *
 * @module
 */
import { type Rgb, textColorOn, viridis } from '../src/report/colormap.js';
import { colorLevels, type ColorScale, defaultValueFormat, FONT_FAMILY, NEUTRAL, niceStep, shortLabels,
  tickDecimals } from '../src/report/heatmap-scale.js';
import { type Normalize, normalizeCounts } from '../src/tasks/multiclass/metrics.js';
import { permuteCounts } from './reorder.js';

/** What the heatmap shows: row-major C x C counts (rows = true class) and the class names. */
export interface HeatmapData {
  counts: Float64Array;
  numClasses: number;
  classes: string[];
}

/**
 * The elements the heatmap draws into: the canvas, a tooltip box over it, a polite live region, and optionally a
 * box of zoom buttons (`data-zoom="in" | "out" | "reset"`).
 */
export interface HeatmapElements {
  canvas: HTMLCanvasElement;
  tip: HTMLElement;
  live: HTMLElement;
  zoom?: HTMLElement;
}

/** A heatmap bound to its elements. */
export interface Heatmap {
  show(data: HeatmapData): void;
  setNormalize(mode: Normalize): void;
  /** Rows and columns in this order of class indices; null for 0..C-1. */
  setOrder(order: readonly number[] | null): void;
  /** The class order drawn now. */
  order(): readonly number[];
  /** Colours linear, log or by row share; `diagonal` false leaves the diagonal out of the colour range. */
  setScale(scale: ColorScale, diagonal: boolean): void;
  /** Zooms to the block around the cell (true class, predicted class), selects it, focuses the canvas. */
  reveal(trueClass: number, predClass: number): void;
}

const LUT: Rgb[] = Array.from({ length: 256 }, (_, i) => viridis(i / 255));
const FS = 13;
const AXIS_FS = 14;
const PAD = 16;
const TICK = 4;

const MIN_ZOOM = 4;
const REVEAL = 20;

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);

interface Layout {
  cell: number;
  cellFs: number;
  mx: number;
  my: number;
  m: number;
  w: number;
  h: number;
  rotate: boolean;
  labelW: number;
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
export function createHeatmap({ canvas, tip, live, zoom }: HeatmapElements): Heatmap {
  const ctx = canvas.getContext('2d')!;
  const off = document.createElement('canvas');
  let data: HeatmapData | undefined;
  let mode: Normalize = 'none';
  let order: number[] = [];
  let view: Float64Array = new Float64Array(0);
  let values: Float64Array = new Float64Array(0);
  let format: (v: number) => string = String;
  let levels: Float64Array = new Float64Array(0);
  let ticks: { value: number; level: number }[] = [];
  let scale: ColorScale = 'linear';
  let diagonal = true;
  /** The block shown: rows r..r+k-1, columns c..c+k-1 (positions in the drawn order). */
  let z = { r: 0, c: 0, k: 0 };
  let rowSum = new Float64Array(0);
  let colSum = new Float64Array(0);
  let labels: string[] = [];
  let layout: Layout | undefined;
  let focus: { t: number; p: number } | null = null;
  let hover: { t: number; p: number } | null = null;

  const color = (l: number): Rgb => (Number.isNaN(l) ? NEUTRAL : LUT[Math.min(255, Math.floor(l * 256))]!);
  const width = (s: string): number => ctx.measureText(s).width;
  const c = (): number => data?.numClasses ?? 0;

  function recompute(): void {
    const n = c();
    view = permuteCounts(data!.counts, n, order);
    values = normalizeCounts(view, n, mode);
    format = defaultValueFormat(mode, values);
    const target = layout ? Math.max(4, Math.min(8, Math.floor(layout.m / 70))) : 6;
    const whole = scale === 'linear' && mode === 'none' && values.every(Number.isInteger);
    ({ levels, ticks } = colorLevels(scale === 'row' ? normalizeCounts(view, n, 'true') : values, n, scale === 'log',
      diagonal, target, whole));
    off.width = off.height = n;
    const octx = off.getContext('2d')!;
    const img = octx.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const rgb = color(levels[i]!);
      img.data[i * 4] = rgb[0];
      img.data[i * 4 + 1] = rgb[1];
      img.data[i * 4 + 2] = rgb[2];
      img.data[i * 4 + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
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
    const names = shortLabels(data!.classes);
    ctx.font = `${FS}px ${FONT_FAMILY}`;
    const yW = names.reduce((m, s) => Math.max(m, width(s)), 0);
    const xW = yW;
    const rotate = sparse(yW + 8) > sparse(FS * 1.4) || n > 50;
    const mx = Math.ceil(Math.max(PAD + AXIS_FS + 10 + yW + 3 + TICK, rotate ? PAD + xW * Math.SQRT1_2 + FS : 0));
    const my = PAD;
    const xLabelY = my + m + TICK + 3;
    const xTitleY = xLabelY + (rotate ? xW * Math.SQRT1_2 + FS * 0.6 : FS) + 10 + AXIS_FS * 0.8;
    const cbX = mx + m + Math.max(16, Math.round(m * 0.035));
    const cbW = Math.min(24, Math.max(12, Math.round(m * 0.045)));
    let maxCount = 0;
    for (const v of data!.counts) if (v > maxCount) maxCount = v;
    const cbLabelW = Math.max(width('0.00'), width(String(maxCount)) + 8, width('row share'));
    const w = Math.ceil(cbX + cbW + TICK + 3 + cbLabelW + PAD);
    const h = Math.ceil(xTitleY + AXIS_FS * 0.3 + PAD);
    return { cell, cellFs, mx, my, m, w, h, rotate, labelW: yW, xLabelY, xTitleY, cbX, cbW };
  }

  /** Label steps at `cell` px a class: rows, columns, and whether column labels turn (only where room was kept). */
  function steps(cell: number): { y: number; x: number; rotate: boolean } {
    const sparse = (gap: number): number => {
      const s = niceStep(Math.ceil(gap / cell));
      return s === 1 ? 1 : niceStep(Math.ceil(Math.max(gap, 60) / cell));
    };
    const y = sparse(FS * 1.4);
    const h = sparse(layout!.labelW + 8);
    const rotate = layout!.rotate && h > y;
    return { y, x: rotate ? sparse(FS * 1.6) : h, rotate };
  }

  /** The shown block's cell size in px. */
  const zc = (): number => layout!.m / z.k;
  const clampBlock = (k: number, r: number, col: number): void => {
    const n = c();
    const kk = Math.min(n, Math.max(Math.min(n, MIN_ZOOM), Math.round(k)));
    z = { k: kk, r: Math.min(n - kk, Math.max(0, Math.round(r))), c: Math.min(n - kk, Math.max(0, Math.round(col))) };
    Object.assign(canvas.dataset, { cell: String(zc()), row0: String(z.r), col0: String(z.c), k: String(z.k) });
  };
  /** Zooms by `factor` (> 1: in) keeping the position (t, p) where it is on screen. */
  function zoomAround(factor: number, t: number, p: number): void {
    const k = Math.max(Math.min(c(), MIN_ZOOM), Math.round(z.k / factor));
    clampBlock(k, t - ((t - z.r) * k) / z.k, p - ((p - z.c) * k) / z.k);
    redraw();
  }
  /** Pans the block so that the position (t, p) is inside it. */
  function follow({ t, p }: { t: number; p: number }): void {
    const r = t < z.r ? t : t >= z.r + z.k ? t - z.k + 1 : z.r;
    const col = p < z.c ? p : p >= z.c + z.k ? p - z.k + 1 : z.c;
    if (r !== z.r || col !== z.c) clampBlock(z.k, r, col);
  }
  const inBlock = ({ t, p }: { t: number; p: number }): boolean =>
    t >= z.r && t < z.r + z.k && p >= z.c && p < z.c + z.k;
  function redraw(): void {
    hover = null;
    draw();
    showTip(focus && document.activeElement === canvas && inBlock(focus) ? focus : null);
  }

  function resize(): void {
    layout = computeLayout();
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(layout.w * dpr);
    canvas.height = Math.round(layout.h * dpr);
    canvas.style.width = `${layout.w}px`;
    canvas.style.height = `${layout.h}px`;
    Object.assign(canvas.dataset, { mx: String(layout.mx), my: String(layout.my) });
    clampBlock(z.k || c(), z.r, z.c);
  }

  function ring(at: { t: number; p: number }, strong: boolean): void {
    if (!inBlock(at)) return;
    const { mx, my } = layout!;
    const cell = zc();
    const s = Math.max(cell, 9);
    const x = mx + (at.p - z.c + 0.5) * cell - s / 2;
    const y = my + (at.t - z.r + 0.5) * cell - s / 2;
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
    const { mx, my, m, w, h, xLabelY, xTitleY, cbX, cbW } = layout;
    const cell = zc();
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, z.c, z.r, z.k, z.k, mx, my, m, m);
    let cellFs = z.k === n ? layout.cellFs : 0;
    if (z.k < n && z.k <= 50) {
      ctx.font = `8px ${FONT_FAMILY}`;
      let w8 = 1;
      for (let t = z.r; t < z.r + z.k; t++) {
        for (let p = z.c; p < z.c + z.k; p++) w8 = Math.max(w8, width(format(values[t * n + p]!)));
      }
      cellFs = Math.min(14, cell * 0.42, ((cell - 6) * 8) / w8);
      if (cellFs < 6) cellFs = 0;
    }
    if (cellFs > 0 && z.k <= 50) {
      ctx.font = `${cellFs}px ${FONT_FAMILY}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let t = z.r; t < z.r + z.k; t++) {
        for (let p = z.c; p < z.c + z.k; p++) {
          ctx.fillStyle = textColorOn(color(levels[t * n + p]!));
          ctx.fillText(format(values[t * n + p]!), mx + (p - z.c + 0.5) * cell, my + (t - z.r + 0.5) * cell + 0.5);
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
    const st = steps(cell);
    for (let t = Math.ceil(z.r / st.y) * st.y; t < z.r + z.k; t += st.y) {
      const y = my + (t - z.r + 0.5) * cell;
      ctx.moveTo(mx - TICK, y);
      ctx.lineTo(mx, y);
      ctx.fillText(labels[t]!, mx - TICK - 3, y);
    }
    for (let p = Math.ceil(z.c / st.x) * st.x; p < z.c + z.k; p += st.x) {
      const x = mx + (p - z.c + 0.5) * cell;
      ctx.moveTo(x, my + m);
      ctx.lineTo(x, my + m + TICK);
      ctx.save();
      if (st.rotate) {
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
    const dec = tickDecimals(ticks.map((k) => k.value));
    for (let i = 0; i < m; i++) {
      const [r, g, b] = LUT[Math.min(255, Math.floor((1 - (i + 0.5) / m) * 256))]!;
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(cbX, my + i, cbW, 1.2);
    }
    ctx.fillStyle = '#000';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (const { value, level } of ticks) {
      const y = my + m * (1 - level);
      ctx.moveTo(cbX + cbW, y);
      ctx.lineTo(cbX + cbW + TICK, y);
      ctx.fillText(value.toFixed(dec), cbX + cbW + TICK + 3, y);
    }
    ctx.stroke();
    ctx.strokeRect(cbX, my, cbW, m);
    const caption = [scale === 'log' ? 'log' : scale === 'row' ? 'row share' : '', diagonal ? '' : 'diagonal:'].filter(
      Boolean,
    );
    ctx.textBaseline = 'top';
    caption.forEach((text, i) => ctx.fillText(text, cbX, my + m + TICK + i * FS * 1.3));
    if (!diagonal) {
      const y = my + m + TICK + (caption.length - 1) * FS * 1.3;
      const x = cbX + width('diagonal:') + 4;
      ctx.fillStyle = `rgb(${NEUTRAL.join(',')})`;
      ctx.fillRect(x, y, FS, FS);
      ctx.strokeRect(x, y, FS, FS);
      ctx.fillStyle = '#000';
    }
    ctx.font = `${AXIS_FS}px ${FONT_FAMILY}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    const zoomed = z.k < n ? ` (rows ${z.r + 1}–${z.r + z.k}, columns ${z.c + 1}–${z.c + z.k} of ${n})` : '';
    ctx.fillText(`Predicted label${zoomed ? ' (zoomed)' : ''}`, mx + m / 2, xTitleY);
    ctx.save();
    ctx.translate(PAD + AXIS_FS * 0.8, my + m / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText('True label', 0, 0);
    ctx.restore();
    if (box) {
      const [t0, t1] = [Math.min(box.a.t, box.b.t), Math.max(box.a.t, box.b.t)];
      const [p0, p1] = [Math.min(box.a.p, box.b.p), Math.max(box.a.p, box.b.p)];
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(mx + (p0 - z.c) * cell, my + (t0 - z.r) * cell, (p1 - p0 + 1) * cell, (t1 - t0 + 1) * cell);
      ctx.setLineDash([]);
    }
    canvas.setAttribute('aria-label',
      `Confusion matrix heatmap of ${n} classes: rows true label, columns predicted ` + `label${zoomed}`);
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
    const { mx, my, w, h } = layout;
    const cell = zc();
    const x = mx + (at.p - z.c + 1) * cell + 12;
    const y = my + (at.t - z.r) * cell;
    tip.style.left = `${x + tip.offsetWidth > w ? Math.max(0, mx + (at.p - z.c) * cell - tip.offsetWidth - 12) : x}px`;
    tip.style.top = `${Math.min(Math.max(0, y - tip.offsetHeight / 2), h - tip.offsetHeight)}px`;
  }

  function cellFromEvent(e: MouseEvent): { t: number; p: number } | null {
    if (!layout) return null;
    const r = canvas.getBoundingClientRect();
    const p = Math.floor((e.clientX - r.left - layout.mx) / zc());
    const t = Math.floor((e.clientY - r.top - layout.my) / zc());
    return t >= 0 && t < z.k && p >= 0 && p < z.k ? { t: t + z.r, p: p + z.c } : null;
  }

  canvas.addEventListener('mousemove', (e) => {
    hover = cellFromEvent(e);
    if (box && pressed && hover) box.b = hover;
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
  /** A box being dragged (from cell a to cell b): on release, the view zooms to it. */
  let box: { a: { t: number; p: number }; b: { t: number; p: number } } | null = null;
  let dragged = false;
  canvas.addEventListener('pointerdown', (e) => {
    pressed = cellFromEvent(e);
    dragged = false;
    box = pressed && e.pointerType === 'mouse' ? { a: pressed, b: pressed } : null;
  });
  canvas.addEventListener('pointerup', () => {
    if (box && (box.a.t !== box.b.t || box.a.p !== box.b.p)) {
      const k = Math.max(Math.abs(box.a.t - box.b.t), Math.abs(box.a.p - box.b.p)) + 1;
      clampBlock(k, Math.min(box.a.t, box.b.t), Math.min(box.a.p, box.b.p));
      dragged = true;
    }
    box = null;
    redraw();
  });
  canvas.addEventListener('wheel', (e) => {
    if (!(e.ctrlKey || e.metaKey) || !data) return;
    const at = cellFromEvent(e);
    if (!at) return;
    e.preventDefault();
    zoomAround(Math.exp(-e.deltaY / 200), at.t, at.p);
  }, { passive: false });
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
    if (!at || !data || dragged) return;
    if (document.activeElement !== canvas) canvas.focus({ preventScroll: true });
    select(at);
  });
  canvas.addEventListener('focus', () => {
    if (!data) return;
    const at = pressed ?? focus ?? { t: z.r, p: z.c };
    follow(at);
    select(at);
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
    const zoomKey = ({ '+': 2, '=': 2, '-': 0.5, _: 0.5 } as Record<string, number>)[e.key];
    if (zoomKey || e.key === '0') {
      e.preventDefault();
      if (zoomKey) zoomAround(zoomKey, focus.t, focus.p);
      else clampBlock(n, 0, 0);
      follow(focus);
      draw();
      showTip(focus);
      return;
    }
    const mv = moves[e.key];
    if (!mv) return;
    e.preventDefault();
    focus = { t: Math.min(n - 1, Math.max(0, focus.t + mv[0])), p: Math.min(n - 1, Math.max(0, focus.p + mv[1])) };
    follow(focus);
    hover = null;
    draw();
    showTip(focus);
    tip.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    live.textContent = describe(focus).line;
  });

  zoom?.addEventListener('click', (e) => {
    const kind = (e.target as HTMLElement).closest<HTMLElement>('[data-zoom]')?.dataset.zoom;
    if (!kind || !data) return;
    const at = focus && inBlock(focus) ? focus : { t: z.r + (z.k >> 1), p: z.c + (z.k >> 1) };
    if (kind === 'reset') clampBlock(c(), 0, 0);
    else zoomAround(kind === 'in' ? 2 : 0.5, at.t, at.p);
    redraw();
  });

  return { show(d) {
    data = d;
    const n = d.numClasses;
    z = { r: 0, c: 0, k: n };
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
    resize();
    recompute();
    draw();
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
  }, order: () => order, setScale(s, d) {
    [scale, diagonal] = [s, d];
    if (!data) return;
    recompute();
    redraw();
  }, reveal(trueClass, predClass) {
    if (!data) return;
    const n = c();
    const at = { t: order.indexOf(trueClass), p: order.indexOf(predClass) };
    const k = n > REVEAL * 2 ? REVEAL : n;
    const gap = Math.abs(at.t - at.p);
    const start = Math.min(at.t, at.p) - ((k - gap - 1) >> 1);
    if (gap < k) clampBlock(k, start, start);
    else clampBlock(k, at.t - (k >> 1), at.p - (k >> 1));
    focus = at;
    if (document.activeElement === canvas) select(at);
    else canvas.focus({ preventScroll: true });
    canvas.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  } };
}
