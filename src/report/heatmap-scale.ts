/**
 * The heatmap's scale and label helpers, apart from the SVG writer (and its PNG encoder), so the demo page's canvas
 * heatmap loads them without fflate. Isomorphic; no dependencies.
 *
 * @module
 */
import { clipText } from './escape.js';

/** The font stack of every rendered heatmap. */
export const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';

/** The default number format: integers for whole counts, else up to 2 decimals; 2 decimals when normalized. */
export function defaultValueFormat(mode: 'none' | 'true' | 'pred' | 'all',
  values: ArrayLike<number>): (v: number) => string {
  if (mode !== 'none') return (v) => v.toFixed(2);
  let whole = true;
  for (let i = 0; i < values.length && whole; i++) whole = Number.isInteger(values[i]);
  return whole ? (v) => String(Math.round(v)) : (v) => String(Math.round(v * 100) / 100);
}

/** The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `n`. Self-contained: the HTML page embeds it. */
export function niceStep(n: number): number {
  if (n <= 1) return 1;
  for (let p = 1;; p *= 10) for (const m of [1, 2, 5]) if (m * p >= n) return m * p;
}

/**
 * About `target` round-number ticks within [lo, hi] (as matplotlib's MaxNLocator); `integer` keeps them whole.
 * Self-contained: the HTML page embeds it.
 */
export function niceTicks(lo: number, hi: number, target: number, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(integer ? 1 : 0,
    ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw && (!integer || Number.isInteger(m * mag))) ?? 10) * mag);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(Math.round(k * step * 1e9) / 1e9 + 0);
  }
  return out;
}

/** The decimals that write every tick exactly (at most 6). Self-contained: the HTML page embeds it. */
export function tickDecimals(ticks: number[]): number {
  let d = 0;
  for (const t of ticks) while (d < 6 && Math.abs(Math.round(t * 10 ** d) - t * 10 ** d) > 1e-6) d++;
  return d;
}

/** A class name cut to at most `max` (default 18) characters, the last one an ellipsis. */
export function truncateLabel(name: string, max = 18): string {
  return clipText(name, max);
}

/**
 * Axis labels of `names`, each at most `max` characters: cut at the end ({@link truncateLabel}), or, where that makes
 * two labels alike (names sharing a long prefix, as `n01440764_tench`-style ids do), cut in the middle so both ends
 * show.
 */
export function shortLabels(names: readonly string[], max = 18): string[] {
  const short = names.map((n) => truncateLabel(n, max));
  const uses = new Map<string, number>();
  for (const s of short) uses.set(s, (uses.get(s) ?? 0) + 1);
  return short.map((s, i) => {
    const chars = Array.from(names[i]!);
    if (uses.get(s)! < 2 || chars.length <= max) return s;
    const head = Math.ceil((max - 1) / 2);
    return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (max - 1 - head)).join('')}`;
  });
}

/** The grey of cells left out of the colour scale. */
export const NEUTRAL: [number, number, number] = [200, 200, 200];

/**
 * How colours follow the values: `'linear'`, `'log'` (zeros at the bottom colour, the smallest non-zero value just
 * above), or `'row'`: each true class's row shares (recall rows), whatever the values shown.
 */
export type ColorScale = 'linear' | 'log' | 'row';

/** The colour of every cell as a level in [0, 1] (NaN: a diagonal cell left out), and the colourbar's ticks. */
export interface ColorLevels {
  levels: Float64Array;
  ticks: { value: number; level: number }[];
}

/**
 * Colour levels of the C x C `values` (already normalized or row shares, see {@link ColorScale}): linear or log,
 * the range from every cell or, with `diagonal` false (tfjs-vis' `shadeDiagonal: false`), from the off-diagonal
 * cells only, the diagonal then NaN (drawn in a neutral shade). `symmetric` centres 0 (a diverging colormap).
 * About `target` colourbar ticks; `integer` keeps linear ticks whole. The HTML page embeds it (and `niceTicks`).
 */
export function colorLevels(values: ArrayLike<number>, n: number, log: boolean, diagonal = true, target = 6,
  integer = false, symmetric = false): ColorLevels {
  let lo = Infinity;
  let hi = -Infinity;
  let pos = Infinity;
  for (let i = 0; i < n * n; i++) {
    if (!diagonal && i % (n + 1) === 0) continue;
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v > 0 && v < pos) pos = v;
  }
  if (!(hi >= lo)) [lo, hi] = [0, 0];
  const levels = new Float64Array(n * n);
  const ticks: { value: number; level: number }[] = [];
  const clamp = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
  if (log && hi > 0) {
    const bottom = Math.log(pos / 2);
    const span = Math.log(hi) - bottom;
    const at = (v: number): number => (v > 0 ? clamp((Math.log(v) - bottom) / span) : 0);
    for (let i = 0; i < n * n; i++) levels[i] = at(values[i]!);
    const e0 = Math.floor(Math.log10(pos));
    const e1 = Math.ceil(Math.log10(hi));
    const mult = e1 - e0 <= 2 ? [1, 2, 5] : [1];
    for (let e = e0; e <= e1; e++) {
      for (const m of mult) {
        const v = Number((m * 10 ** e).toPrecision(1));
        if (v >= pos * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push({ value: v, level: at(v) });
      }
    }
    if (ticks.length === 0) ticks.push({ value: hi, level: 1 });
  } else {
    if (symmetric) [lo, hi] = [-(Math.max(-lo, hi) || 1), Math.max(-lo, hi) || 1];
    const at = (v: number): number => (hi > lo ? clamp((v - lo) / (hi - lo)) : 0);
    for (let i = 0; i < n * n; i++) levels[i] = at(values[i]!);
    if (hi > lo) { for (const v of niceTicks(lo, hi, target, integer)) ticks.push({ value: v, level: at(v) }); }
    if (ticks.length === 0) ticks.push({ value: lo, level: 0 });
  }
  if (!diagonal) { for (let i = 0; i < n * n; i += n + 1) levels[i] = NaN; }
  return { levels, ticks };
}
