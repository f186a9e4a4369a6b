// Fixed seeds (deterministic); KS at a false-alarm rate of 1e-3 per statistic for a correct bootstrap.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { intervalMethod } from '../../../src/stats/bootstrap.js';
import { sweepResult } from '../../../src/tasks/binary/binary.js';
import { sweepDraws, sweepIntervals } from '../../../src/tasks/binary/intervals.js';
import { ksTwoSample, statsFixture } from '../../stats/helpers.js';

const round = (x: number): number => Math.round(x * 1e10) / 1e10;
const sweep = (thresholds: number[], pos: number[], neg: number[], weighted = false) =>
  sweepResult({ thresholds: Float32Array.from(thresholds), pos: Float64Array.from(pos), neg: Float64Array.from(neg),
    ...(weighted ? { weighted } : {}) });

describe('sweepIntervals', () => {
  const { thresholds, pos, neg, rocAuc, averagePrecision } = statsFixture.binary;

  it("draws ROC AUC and AP as numpy's row resampling scored by sklearn (two-sample KS, B = 2,000)", () => {
    const draws = sweepDraws(sweep(thresholds, pos, neg), 0.5,
      intervalMethod({ level: 0.95, resamples: 2000, seed: 16 }));
    for (const [column, sklearn] of [[0, rocAuc], [1, averagePrecision]] as const) {
      const { d, limit } = ksTwoSample(draws[column]!.map(round), sklearn.map(round));
      expect(d, `column ${column}`).toBeLessThan(limit);
    }
  });

  it('brackets the point estimates (sklearn on the whole held-out half)', () => {
    const ci = sweepIntervals(sweep(thresholds, pos, neg), 0.5, { level: 0.95, resamples: 1000, seed: 4 });
    const { full } = statsFixture.binary;
    expect(ci.rocAuc.low).toBeLessThan(full.rocAuc);
    expect(ci.rocAuc.high).toBeGreaterThan(full.rocAuc);
    expect(ci.averagePrecision.low).toBeLessThan(full.averagePrecision);
    expect(ci.averagePrecision.high).toBeGreaterThan(full.averagePrecision);
  });

  it('returns NaN intervals of ROC AUC with no positives, and leaves out resamples that draw none', () => {
    const none = sweepIntervals(sweep([0.2, 0.5, 0.8], [0, 0, 0, 0], [3, 5, 2, 4]), 0.5, { level: 0.95, seed: 1 });
    expect(none.rocAuc).toEqual({ low: NaN, high: NaN });
    expect([none.precision, none.recall]).toEqual([{ low: 0, high: 0 }, { low: 0, high: 0 }]);
    expect(none.accuracy.low).toBeGreaterThan(0);
    // one positive among 15 rows: about 36 % of the resamples hold none (AUC undefined), left out
    const one = sweepIntervals(sweep([0.2, 0.5, 0.8], [0, 0, 0, 1], [3, 5, 2, 4]), 0.5, { level: 0.95, seed: 1 });
    expect(one.rocAuc.low).toBeGreaterThan(0);
    expect(Number.isFinite(one.rocAuc.high) && one.rocAuc.high > one.rocAuc.low).toBe(true);
  });

  it('refuses sums of sample weights and names the field of a bad option', () => {
    const r = sweep([0.5], [1, 2], [3, 4], true);
    expect(() => sweepIntervals(r, 0.5, { level: 0.95 })).toThrow(InputError);
    try {
      sweepIntervals(sweep([0.5], [1, 2], [3, 4]), 0.5, { level: 0.95, seed: -3 });
    } catch (e) {
      expect((e as InputError).field).toBe('seed');
    }
    expect.assertions(2);
  });
});
