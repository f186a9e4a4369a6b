// Fixed seeds; each chi-square is set for a false-alarm rate of 1e-4 (see helpers.ts), each moment check at 5 standard
// errors (about 6e-7 two-sided, normal approximation). Expected values: scipy (test/fixtures/stats).
import { describe, expect, it } from 'vitest';
import { logPmfRatio, multinomialSampler, sampleBinomial, sampleMultinomial,
  stirlingTail } from '../../src/stats/binomial.js';
import { createRandom, type Random } from '../../src/stats/random.js';
import { chiSquare, moments, statsFixture } from './helpers.js';

const draws = (seed: number, m: number, n: number, p: number): Float64Array => {
  const r = createRandom(seed);
  return Float64Array.from({ length: m }, () => sampleBinomial(r, n, p));
};

/** |mean - expected| within 5 standard errors; the variance within 5 of its standard errors (binomial kurtosis). */
function expectMoments(xs: Float64Array, n: number, p: number): void {
  const ref = Math.round(n * p);
  const { mean, variance } = moments(xs.map((x) => x - ref));
  const v = n * p * (1 - p);
  const m = xs.length;
  expect(Math.abs(mean + ref - n * p)).toBeLessThan(5 * Math.sqrt(v / m) + 1e-9);
  const kurtosisExcess = v === 0 ? 0 : (1 - 6 * p * (1 - p)) / v;
  expect(Math.abs(variance - v)).toBeLessThan(5 * v * Math.sqrt((2 + kurtosisExcess) / m) + 1e-9);
}

describe('sampleBinomial', () => {
  it.each(statsFixture.binomialPmf.map((c, i) => [c.n, c.p, i] as const))(
    'fits the exact pmf of Binomial(%d, %d) (chi-square over pooled bins)',
    (n, p, i) => {
      const { edges, prob } = statsFixture.binomialPmf[i]!;
      const m = 20_000;
      const observed = new Float64Array(prob.length);
      let outside = 0;
      for (const x of draws(100 + i, m, n, p)) {
        if (!(Number.isInteger(x) && x >= 0 && x <= n)) outside++;
        let bin = 0;
        while (bin + 1 < prob.length && x >= edges[bin + 1]!) bin++;
        observed[bin]!++;
      }
      expect(outside).toBe(0);
      const { stat, limit } = chiSquare(observed, prob.map((q) => q * m));
      expect(stat).toBeLessThan(limit);
    },
  );

  it.each([[1e6, 0.3], [1e9, 0.25], [100, 0.5]])('fits the pmf of Binomial(%d, %d) at 400,000 draws (BTRS power)',
    (n, p) => {
      // resolves deviations of about 0.3 % of a bin: widening BTRS's squeeze box by 0.03 fails here, not at 20,000
      const { edges, prob } = statsFixture.binomialPmf.find((c) => c.n === n && c.p === p)!;
      const m = 400_000;
      const observed = new Float64Array(prob.length);
      const r = createRandom(n);
      for (let i = 0; i < m; i++) {
        const x = sampleBinomial(r, n, p);
        let [lo, hi] = [0, prob.length - 1];
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (x >= edges[mid]!) lo = mid;
          else hi = mid - 1;
        }
        observed[lo]!++;
      }
      const { stat, limit } = chiSquare(observed, prob.map((q) => q * m));
      expect(stat).toBeLessThan(limit);
    });

  it.each([[1e9, 0.25], [1e9, 1e-8], [2 ** 52, 0.4], [2 ** 52, 0.6], [2 ** 53 - 1, 0.5], [2 ** 52, 1e-12], [12345, 0.5],
    [10, 0.9999]])('has the mean and variance of Binomial(%d, %d)', (n, p) => {
      expectMoments(draws(n % 1000, 20_000, n, p), n, p);
    });

  it('mirrors p > 1/2: the distribution of n - X(n, 1 - p)', () => {
    const [n, p, m] = [60, 0.85, 40_000];
    const hi = new Float64Array(n + 1);
    const lo = new Float64Array(n + 1);
    for (const x of draws(5, m, n, p)) hi[x]!++;
    for (const x of draws(6, m, n, 1 - p)) lo[n - x]!++;
    const keep = [...hi.keys()].filter((k) => hi[k]! + lo[k]! >= 20);
    // two-sample homogeneity: expected counts are the pooled means
    const obs = keep.flatMap((k) => [hi[k]!, lo[k]!]);
    const exp = keep.flatMap((k) => [(hi[k]! + lo[k]!) / 2, (hi[k]! + lo[k]!) / 2]);
    const { stat } = chiSquare(obs, exp);
    const limit = chiSquare(new Float64Array(keep.length + 1), new Float64Array(keep.length + 1).fill(1)).limit;
    expect(stat).toBeLessThan(limit);
  });

  it('takes the edges: n = 0, p = 0, p = 1, n = 1, and stays in [0, n]', () => {
    const r = createRandom(3);
    for (let i = 0; i < 1000; i++) {
      expect(sampleBinomial(r, 0, 0.5)).toBe(0);
      expect(sampleBinomial(r, 17, 0)).toBe(0);
      expect(sampleBinomial(r, 17, 1)).toBe(17);
      expect(sampleBinomial(r, 2 ** 53 - 1, 1)).toBe(2 ** 53 - 1);
      expect([0, 1]).toContain(sampleBinomial(r, 1, 0.5));
    }
    let outside = 0;
    for (const [n, p] of [[3, 0.999], [11, 0.95], [25, 0.4], [200, 0.05], [1e6, 0.9999999]] as const) {
      for (const x of draws(n, 5000, n, p)) if (!(Number.isInteger(x) && x >= 0 && x <= n)) outside++;
    }
    expect(outside).toBe(0);
  });

  it("computes BTRS's bound log(f(k) / f(m)) to 1e-6 up to n = 2^53 - 1 (mpmath at 60 digits)", () => {
    for (const [n, p, k, m, v] of statsFixture.logPmfRatio) {
      expect(Math.abs(logPmfRatio(n, p / (1 - p), k, m) - v), `${n} ${p} ${k}`).toBeLessThan(1e-6);
    }
  });

  it('matches the Stirling series tail to log-gamma computed at 50 digits (mpmath)', () => {
    // the table below 10 is exact; above, the series stops before 1 / (1680 (k + 1)^7), 3.1e-11 at k = 10
    for (const [k, v] of statsFixture.stirling) {
      expect(Math.abs(stirlingTail(k) - v)).toBeLessThan(k < 10 ? 1e-16 : 1 / (1680 * (k + 1) ** 7) + 1e-17);
    }
  });
});

type Sampler = (random: Random, counts: number[], out: Float64Array) => void;
const samplers: [string, Sampler][] = [
  ['sampleMultinomial', (random, counts, out) => sampleMultinomial(random, counts, out)],
  // prepared once per call here (the bootstrap prepares it once for all resamples; the draws are the same)
  ['multinomialSampler', (random, counts, out) => multinomialSampler(counts)(random, out)],
];

describe.each(samplers)('%s', (name, sample) => {
  // small cells (at most 16: drawn as a group by multinomialSampler), large ones, zeros; all small; all large
  const cases = [[0, 5, 1, 0, 120, 30, 2, 0, 40, 2], [3, 1, 0, 2, 1, 16, 0, 7], [0, 17, 300, 45, 0]];

  function drawMany(counts: number[], order: number[], seed: number, m: number): Float64Array[] {
    const r = createRandom(seed);
    const permuted = order.map((i) => counts[i]!);
    return Array.from({ length: m }, () => {
      const out = new Float64Array(counts.length);
      sample(r, permuted, out);
      const back = new Float64Array(counts.length);
      order.forEach((i, j) => (back[i] = out[j]!));
      return back;
    });
  }

  it.each(cases)('sums to n and keeps zero cells at zero (case %#)', (...counts) => {
    const total = counts.reduce((a, b) => a + b, 0);
    let bad = 0;
    for (const d of drawMany(counts, counts.map((_, i) => i), 9, 2000)) {
      if (d.reduce((a, b) => a + b, 0) !== total) bad++;
      if (counts.some((c, i) => c === 0 && d[i] !== 0)) bad++;
      if (d.some((x) => !Number.isInteger(x) || x < 0)) bad++;
    }
    expect(bad).toBe(0);
  });

  it.each(cases)('has binomial marginals and multinomial covariances, whatever the order (case %#)', (...counts) => {
    const total = counts.reduce((a, b) => a + b, 0);
    const m = 20_000;
    const n = counts.length;
    const orders = [counts.map((_, i) => i), counts.map((_, i) => (i * 3 + 1) % n), counts.map((_, i) => n - 1 - i)];
    const a = counts.indexOf(Math.max(...counts));
    const b = counts.indexOf(Math.min(...counts.filter((c) => c > 0)));
    orders.forEach((order, o) => {
      const d = drawMany(counts, order, 11 + o + name.length, m);
      for (let i = 0; i < n; i++) expectMoments(Float64Array.from(d, (x) => x[i]!), total, counts[i]! / total);
      // cov(Xa, Xb) = -n pa pb: its estimate's standard error is about sqrt(var_a var_b / m)
      const [pa, pb] = [counts[a]! / total, counts[b]! / total];
      let cov = 0;
      for (const x of d) cov += (x[a]! - total * pa) * (x[b]! - total * pb);
      cov /= m;
      const se = Math.sqrt((total * pa * (1 - pa) * total * pb * (1 - pb)) / m);
      expect(Math.abs(cov + total * pa * pb)).toBeLessThan(5 * se);
    });
  });
});

describe('sampleMultinomial with a given n', () => {
  it('sums to n and keeps zero cells at zero', () => {
    const counts = [0, 5, 1, 0, 120, 30, 2, 0, 40, 2];
    const r = createRandom(9);
    const out = new Float64Array(counts.length);
    let bad = 0;
    for (const n of [0, 1, 7, 1e9, 2 ** 52]) {
      for (let i = 0; i < 300; i++) {
        sampleMultinomial(r, counts, out, n);
        if (out.reduce((a, b) => a + b, 0) !== n) bad++;
        if (counts.some((c, k) => c === 0 && out[k] !== 0)) bad++;
      }
    }
    expect(bad).toBe(0);
  });
});
