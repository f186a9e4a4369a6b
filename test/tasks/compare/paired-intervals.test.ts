import { describe, expect, test } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { percentileInterval } from '../../../src/stats/interval.js';
import { createRandom } from '../../../src/stats/random.js';
import { pairedIntervals } from '../../../src/tasks/compare/paired-intervals.js';
import { computeMetrics } from '../../../src/tasks/multiclass/metrics.js';
import { rng } from '../../helpers/random.js';

/** N rows of (true, pred A, pred B) for C classes: A right 70 %, B agreeing with A on most rows and better. */
function pairedRows(seed: number, n: number, c: number): Int32Array {
  const rand = rng(seed);
  const rows = new Int32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const t = Math.floor(rand() * c);
    const a = rand() < 0.7 ? t : Math.floor(rand() * c);
    const b = rand() < 0.85 ? a : rand() < 0.7 ? t : Math.floor(rand() * c);
    rows.set([t, a, b], 3 * i);
  }
  return rows;
}

function jointOf(rows: Int32Array, c: number, pick?: Int32Array): Float64Array {
  const joint = new Float64Array(c * c * c);
  const n = rows.length / 3;
  for (let j = 0; j < n; j++) {
    const i = pick ? pick[j]! : j;
    joint[(rows[3 * i]! * c + rows[3 * i + 1]!) * c + rows[3 * i + 2]!]! += 1;
  }
  return joint;
}

function marginals(joint: Float64Array, c: number): [Float64Array, Float64Array] {
  const [ma, mb] = [new Float64Array(c * c), new Float64Array(c * c)];
  for (let t = 0; t < c; t++) {
    for (let a = 0; a < c; a++) {
      for (let b = 0; b < c; b++) {
        const v = joint[(t * c + a) * c + b]!;
        ma[t * c + a]! += v;
        mb[t * c + b]! += v;
      }
    }
  }
  return [ma, mb];
}

describe('pairedIntervals', () => {
  test('estimates are the differences B - A of computeMetrics on the two matrices', () => {
    const c = 4;
    const joint = jointOf(pairedRows(3, 500, c), c);
    const [a, b] = marginals(joint, c).map((m) => computeMetrics(m, c));
    const d = pairedIntervals(joint, c, { level: 0.9, resamples: 200, seed: 1 });
    expect(d.accuracy.estimate).toBeCloseTo(b!.accuracy - a!.accuracy, 12);
    expect(d.kappa.estimate).toBeCloseTo(b!.kappa - a!.kappa, 12);
    expect(d.mcc.estimate).toBeCloseTo(b!.mcc - a!.mcc, 12);
    expect(d.macroF1.estimate).toBeCloseTo(b!.macroAvg.f1 - a!.macroAvg.f1, 12);
    expect(d.weightedRecall.estimate).toBeCloseTo(b!.weightedAvg.recall - a!.weightedAvg.recall, 12);
    expect(d.perClass[2]!.precision.estimate).toBeCloseTo(b!.perClass[2]!.precision - a!.perClass[2]!.precision, 12);
    expect(d).toMatchObject({ level: 0.9, method: 'multinomial-bootstrap', resamples: 200, seed: 1 });
    for (const x of [d.accuracy, d.macroF1, d.kappa, d.perClass[0]!.f1]) {
      expect(x.low).toBeLessThanOrEqual(x.estimate);
      expect(x.high).toBeGreaterThanOrEqual(x.estimate);
    }
  });

  test('the intervals equal a row bootstrap of both models together (pairing kept)', () => {
    const c = 3;
    const n = 400;
    const rows = pairedRows(5, n, c);
    const joint = jointOf(rows, c);
    const resamples = 4000;
    const random = createRandom(99);
    const pick = new Int32Array(n);
    const [acc, f1] = [new Float64Array(resamples), new Float64Array(resamples)];
    for (let r = 0; r < resamples; r++) {
      for (let i = 0; i < n; i++) pick[i] = Math.floor(random.next() * n);
      const [a, b] = marginals(jointOf(rows, c, pick), c).map((m) => computeMetrics(m, c));
      acc[r] = b!.accuracy - a!.accuracy;
      f1[r] = b!.macroAvg.f1 - a!.macroAvg.f1;
    }
    const d = pairedIntervals(joint, c, { level: 0.95, resamples, seed: 7 });
    const rowAcc = percentileInterval(acc, 0.95);
    const rowF1 = percentileInterval(f1, 0.95);
    // The paired interval is ~0.04 wide here; resampling A and B apart would give ~0.13.
    expect(d.accuracy.high - d.accuracy.low).toBeLessThan(0.08);
    expect(Math.abs(d.accuracy.low - rowAcc.low)).toBeLessThan(0.008);
    expect(Math.abs(d.accuracy.high - rowAcc.high)).toBeLessThan(0.008);
    expect(Math.abs(d.macroF1.low - rowF1.low)).toBeLessThan(0.01);
    expect(Math.abs(d.macroF1.high - rowF1.high)).toBeLessThan(0.01);
  });

  test('the same seed gives the same intervals; bad options and counts are refused', () => {
    const c = 2;
    const joint = jointOf(pairedRows(8, 100, c), c);
    expect(pairedIntervals(joint, c, { level: 0.95, resamples: 50, seed: 3 })).toEqual(
      pairedIntervals(joint, c, { level: 0.95, resamples: 50, seed: 3 }),
    );
    expect(() => pairedIntervals(joint, c, { level: 1.5 })).toThrow(InputError);
    const half = joint.slice();
    half[0] = 0.5;
    expect(() => pairedIntervals(half, c, { level: 0.95 })).toThrow(/cell 0 holds 0.5/);
  });
});
