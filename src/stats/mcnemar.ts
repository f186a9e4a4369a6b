/**
 * McNemar's test of two classifiers on the same rows, from the discordant counts: `b` rows A got right and B wrong,
 * `c` rows A got wrong and B right. Both tests as statsmodels' `mcnemar`: the exact binomial test (`exact=True`)
 * and the chi-square with continuity correction (`exact=False, correction=True`). No Node built-ins.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { erfc } from './normal.js';

/** McNemar's test of one pair of discordant counts. */
export interface McNemarResult {
  /** Rows A classified right and B wrong. */
  b: number;
  /** Rows A classified wrong and B right. */
  c: number;
  /** The chi-square statistic with continuity correction, (|b - c| - 1)^2 / (b + c); 0 when b + c = 0. */
  statistic: number;
  /** Its p-value: the chi-square survival function with 1 degree of freedom; 1 when b + c = 0. */
  pValue: number;
  /** The exact two-sided binomial p-value, min(1, 2 P(X <= min(b, c))) for X ~ Binomial(b + c, 1/2). */
  exactPValue: number;
}

const LN_2PI = Math.log(2 * Math.PI);
const [S0, S1, S2, S3, S4] = [1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188];

/** ln(n!) - ln(sqrt(2 pi n) (n / e)^n) for an integer n >= 1 (Loader's stirlerr). */
function stirlerr(n: number): number {
  if (n <= 15) {
    let lf = 0;
    for (let k = 2; k <= n; k++) lf += Math.log(k);
    return lf - (n + 0.5) * Math.log(n) + n - 0.5 * LN_2PI;
  }
  const nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** x ln(x / m) + m - x without cancellation (Loader's bd0). */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) >= 0.1 * (x + m)) return x * Math.log(x / m) + m - x;
  let v = (x - m) / (x + m);
  let s = (x - m) * v;
  let ej = 2 * x * v;
  v *= v;
  for (let j = 1; j < 1000; j++) {
    ej *= v;
    const next = s + ej / (2 * j + 1);
    if (next === s) return next;
    s = next;
  }
  return s;
}

/** ln P(X = k) for X ~ Binomial(n, 1/2), 0 < k < n, by Loader's saddle-point expansion (exact to ~1e-15 relative). */
function logHalfBinomialPmf(k: number, n: number): number {
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n / 2) - bd0(n - k, n / 2);
  return lc - 0.5 * (LN_2PI + Math.log(k) + Math.log1p(-k / n));
}

const TINY = 1e-300;

/** The continued fraction of the incomplete beta function I_x(a, b) (modified Lentz), for x < (a + 1) / (a + b + 2). */
function betaFraction(a: number, b: number, x: number): number {
  const [qab, qap, qam] = [a + b, a + 1, a - 1];
  let c = 1;
  let d = 1 - (qab * x) / qap;
  d = 1 / (Math.abs(d) < TINY ? TINY : d);
  let h = d;
  const step = (aa: number): number => {
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < TINY ? TINY : d);
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    return d * c;
  };
  // O(sqrt(max(a, b))) terms near the boundary: about 1e5 for b + c = 1e9.
  for (let m = 1; m <= 10_000_000; m++) {
    const m2 = 2 * m;
    h *= step((m * (b - m) * x) / ((qam + m2) * (a + m2)));
    const del = step((-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2)));
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  return h;
}

/**
 * The exact two-sided p-value of McNemar's test, min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2), as
 * statsmodels' `mcnemar(table, exact=True)` (scipy's `binom.cdf`). Computed as P(X = k) (in log space) times the
 * continued fraction of the regularized incomplete beta I_{1/2}(n - k, k + 1): relative error about 1e-13 up to
 * b + c = 1e9 and beyond, no sum over k terms; p-values below 1e-308 are 0.
 *
 * @example
 * mcnemarExactPValue(3, 9); // 0.14599609375
 */
export function mcnemarExactPValue(b: number, c: number): number {
  checkCounts(b, c);
  const n = b + c;
  const k = Math.min(b, c);
  if (2 * k + 1 >= n) return 1;
  if (k === 0) return Math.min(1, 2 ** (1 - n));
  // P(X <= k) = I_{1/2}(n - k, k + 1) = P(X = k) / 2 * fraction, so the two-sided value is P(X = k) * fraction.
  return Math.min(1, Math.exp(logHalfBinomialPmf(k, n) + Math.log(betaFraction(n - k, k + 1, 0.5))));
}

/**
 * The chi-square survival function with one degree of freedom, erfc(sqrt(x / 2)), as scipy's `chi2.sf(x, 1)`.
 *
 * @example
 * chiSquare1Sf(3.841458820694124); // 0.05
 */
export function chiSquare1Sf(x: number): number {
  return x > 0 ? erfc(Math.sqrt(x / 2)) : 1;
}

function checkCounts(b: number, c: number): void {
  for (const [name, v] of [['b', b], ['c', c]] as const) {
    if (!(Number.isSafeInteger(v) && v >= 0)) {
      throw new InputError(name, `McNemar's ${name} must be a count (an integer >= 0), got ${v}`, undefined, v);
    }
  }
}

/**
 * McNemar's test on the discordant counts `b` (A right, B wrong) and `c` (A wrong, B right): the chi-square with
 * continuity correction and the exact binomial p-value, as statsmodels' `mcnemar` with `exact=False,
 * correction=True` and `exact=True`. Where b + c = 0 statsmodels gives statistic inf and p-value 0 for the
 * chi-square (a division by zero); here the statistic is 0 and both p-values 1 (no discordant row: no evidence).
 * With b = c the corrected statistic is 1 / (b + c), as statsmodels computes it, not 0.
 *
 * @example
 * const t = mcnemar(135, 18);
 * t.statistic; // 87.947..., (|135 - 18| - 1)^2 / 153
 * t.exactPValue < 0.001; // true: the two classifiers differ
 */
export function mcnemar(b: number, c: number): McNemarResult {
  checkCounts(b, c);
  const n = b + c;
  const statistic = n === 0 ? 0 : (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, statistic, pValue: n === 0 ? 1 : chiSquare1Sf(statistic), exactPValue: mcnemarExactPValue(b, c) };
}
