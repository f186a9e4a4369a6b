import type { Random } from './random.js';

/** Stirling's series tail of log(k!): log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2], exact below 10. */
function stirlingTail(k: number): number {
  if (k < 10) return STIRLING_SMALL[k]!;
  const kp1 = k + 1;
  const kp1sq = kp1 * kp1;
  return (1 / 12 - (1 / 360 - 1 / 1260 / kp1sq) / kp1sq) / kp1;
}

const STIRLING_SMALL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.0207906721037650,
  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
  0.00833056343336287];

/** Inversion by sequential search, for n p < 10 (p <= 1/2): expected n p + 1 steps. */
function binomialInversion(random: Random, n: number, p: number): number {
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  const r0 = Math.exp(n * Math.log1p(-p));
  for (;;) {
    let r = r0;
    let u = random.next();
    let x = 0;
    while (u > r) {
      u -= r;
      x++;
      if (x > n) break;
      r *= a / x - s;
    }
    if (x <= n) return x;
  }
}

/** Hörmann's BTRS (transformed rejection with squeeze, 1993), for n p >= 10 (p <= 1/2); as TensorFlow samples. */
function binomialBtrs(random: Random, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / q;
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  for (;;) {
    const u = random.next() - 0.5;
    let v = random.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound = (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) + (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
      (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) + stirlingTail(m) + stirlingTail(n - m) - stirlingTail(k) -
      stirlingTail(n - k);
    if (v <= bound) return k;
  }
}

/**
 * A draw from Binomial(n, p) for integer n in [0, 2^53) and p in [0, 1]: inversion below n min(p, 1-p) = 10,
 * BTRS above, exact in distribution up to floating point.
 */
export function sampleBinomial(random: Random, n: number, p: number): number {
  if (n === 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(random, n, 1 - p);
  return n * p < 10 ? binomialInversion(random, n, p) : binomialBtrs(random, n, p);
}

/**
 * Writes into `out` a draw from Multinomial(n, counts / sum(counts)) by conditional binomials over the nonzero
 * cells, with `n` = sum(counts) unless given: cells that are 0 stay 0. Counts must be integers with a sum below 2^53.
 */
export function sampleMultinomial(random: Random, counts: ArrayLike<number>, out: Float64Array, n?: number): void {
  let rest = 0;
  for (let i = 0; i < counts.length; i++) rest += counts[i]!;
  let left = n ?? rest;
  for (let i = 0; i < counts.length; i++) {
    const w = counts[i]!;
    if (w === 0 || left === 0) {
      out[i] = 0;
      continue;
    }
    const x = w >= rest ? left : sampleBinomial(random, left, w / rest);
    out[i] = x;
    left -= x;
    rest -= w;
  }
}
