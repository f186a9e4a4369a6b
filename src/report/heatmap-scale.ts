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
