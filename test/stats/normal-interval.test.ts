// Expected values: scipy, statsmodels and numpy (test/fixtures/stats/make-stats-fixtures.py).
import { describe, expect, it } from 'vitest';
import { percentileInterval, wilsonInterval } from '../../src/stats/interval.js';
import { erfc, normalQuantile } from '../../src/stats/normal.js';
import { statsFixture } from './helpers.js';

const relative = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300));

describe('erfc and normalQuantile', () => {
  it('match scipy.special.erfc to 1e-14 relative over all four branches', () => {
    for (const [x, v] of statsFixture.erfc) expect(relative(erfc(x), v), `erfc(${x})`).toBeLessThan(1e-14);
    expect(erfc(NaN)).toBeNaN();
  });

  it('match scipy.stats.norm.ppf to 1e-14 relative (1e-300 .. 1 - 2^-53)', () => {
    for (const [p, v] of statsFixture.quantile) expect(relative(normalQuantile(p), v), `ppf(${p})`).toBeLessThan(1e-14);
    for (const bad of [0, 1, -0.1, NaN]) expect(() => normalQuantile(bad)).toThrow(RangeError);
  });
});

describe('intervals', () => {
  it("wilsonInterval matches statsmodels' proportion_confint(method='wilson') to 1e-12", () => {
    for (const [k, n, level, low, high] of statsFixture.wilson) {
      const w = wilsonInterval(k, n, level);
      expect(Math.abs(w.low - low), `${k}/${n} at ${level}`).toBeLessThan(1e-12);
      expect(Math.abs(w.high - high), `${k}/${n} at ${level}`).toBeLessThan(1e-12);
    }
    expect(wilsonInterval(0, 0, 0.95)).toEqual({ low: 0, high: 1 });
  });

  it('percentileInterval matches numpy.percentile (linear) to 1e-12, ties included', () => {
    for (const { values, level, low, high } of statsFixture.percentile) {
      const got = percentileInterval(Float64Array.from(values), level);
      expect(Math.abs(got.low - low)).toBeLessThan(1e-12);
      expect(Math.abs(got.high - high)).toBeLessThan(1e-12);
    }
  });

  it('percentileInterval leaves out NaN draws, and gives NaN when all are', () => {
    expect(percentileInterval(Float64Array.from([NaN, 3, 1, NaN, 2]), 0.5)).toEqual({ low: 1.5, high: 2.5 });
    expect(percentileInterval(Float64Array.from([NaN, NaN]), 0.9)).toEqual({ low: NaN, high: NaN });
  });

  it('refuses levels outside (0, 1)', () => {
    for (const bad of [0, 1, 1.5, -0.5, NaN]) {
      expect(() => percentileInterval(new Float64Array(3), bad)).toThrow(RangeError);
      expect(() => wilsonInterval(1, 2, bad)).toThrow(RangeError);
    }
  });
});
