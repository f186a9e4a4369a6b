import { readFileSync } from 'node:fs';

/** The fixture written by test/fixtures/stats/make-stats-fixtures.py. */
export const statsFixture = JSON.parse(
  readFileSync(new URL('../fixtures/stats/stats.json', import.meta.url), 'utf8'),
) as StatsFixture;

export interface StatsFixture {
  random: [number, number[]][];
  erfc: [number, number][];
  quantile: [number, number][];
  wilson: [number, number, number, number, number][];
  percentile: { values: number[]; level: number; low: number; high: number }[];
  stirling: [number, number][];
  logPmfRatio: [number, number, number, number, number][];
  binomialPmf: { n: number; p: number; edges: number[]; prob: number[]; mean: number; variance: number }[];
  multiclass: { numClasses: number; counts: number[]; accuracy: number[]; macroF1: number[]; mcc: number[] };
  binary: { thresholds: number[]; pos: number[]; neg: number[]; rocAuc: number[]; averagePrecision: number[];
    full: { rocAuc: number; averagePrecision: number } };
}

/**
 * Pearson's statistic and whether it passes at a false-alarm rate of 1e-4: the 1 - 1e-4 chi-square quantile by
 * Wilson-Hilferty (z = 3.719; slightly conservative at 1 and 2 degrees of freedom).
 */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): { stat: number; limit: number } {
  let stat = 0;
  for (let i = 0; i < observed.length; i++) stat += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  const df = observed.length - 1;
  const a = 2 / (9 * df);
  return { stat, limit: df * (1 - a + 3.719 * Math.sqrt(a)) ** 3 };
}

/**
 * The two-sample Kolmogorov-Smirnov distance and its limit at a false-alarm rate of 1e-3 (c = 1.949, the asymptotic
 * quantile; ties in discrete statistics make the test conservative).
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): { d: number; limit: number } {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let [i, j, d] = [0, 0, 0];
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return { d, limit: 1.949 * Math.sqrt((x.length + y.length) / (x.length * y.length)) };
}

/** Mean and unbiased variance. */
export function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i]!;
  mean /= xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - mean) ** 2;
  return { mean, variance: ss / (xs.length - 1) };
}
