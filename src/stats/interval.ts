import { normalQuantile } from './normal.js';

/** A two-sided confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

/** Refuses a confidence level outside (0, 1). */
export function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`the confidence level must be in (0, 1), got ${level}`);
}

/**
 * The central `level` interval of `values` (sorted in place): the (1 - level) / 2 and (1 + level) / 2 quantiles
 * with linear interpolation, as numpy.percentile's default.
 */
export function percentileInterval(values: Float64Array, level: number): Interval {
  checkLevel(level);
  values.sort();
  const at = (q: number): number => {
    const pos = q * (values.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, values.length - 1);
    return values[lo]! + (pos - lo) * (values[hi]! - values[lo]!);
  };
  return { low: at((1 - level) / 2), high: at((1 + level) / 2) };
}

/**
 * Wilson's score interval for `successes` out of `trials` at `level` (as statsmodels'
 * proportion_confint(method='wilson')); [0, 1] when there are no trials.
 */
export function wilsonInterval(successes: number, trials: number, level: number): Interval {
  checkLevel(level);
  if (trials === 0) return { low: 0, high: 1 };
  const z = normalQuantile((1 + level) / 2);
  const z2 = z * z;
  const p = successes / trials;
  const denom = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}
