// Statistical tests with fixed seeds (deterministic). False-alarm rates, for a correct bootstrap on a fresh seed:
// KS at 1e-3 per metric; coverage in [93 %, 97 %] of 1,000 intervals at 0.4 % per metric (2.9 binomial sd).
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { createState, mergeStates, parseState, stateResult } from '../../../src/state/state.js';
import { intervalMethod, MAX_RESAMPLES } from '../../../src/stats/bootstrap.js';
import { wilsonInterval } from '../../../src/stats/interval.js';
import { matrixDraws, matrixIntervals, type PrfIntervals,
  writeMetrics } from '../../../src/tasks/multiclass/intervals.js';
import { computeMetrics, fScore, metricsFromSums } from '../../../src/tasks/multiclass/metrics.js';
import { reduceCounts } from '../../../src/tasks/multiclass/reduce.js';
import { rng } from '../../helpers/random.js';
import { ksTwoSample, statsFixture } from '../../stats/helpers.js';

/** Counts of `rows` rows drawn from the C x C probabilities `probs` (row-major), by inversion on mulberry32. */
function drawMatrix(rand: () => number, probs: number[], rows: number): Float64Array {
  const counts = new Float64Array(probs.length);
  for (let i = 0; i < rows; i++) {
    let u = rand();
    let k = 0;
    while (k < probs.length - 1 && u >= probs[k]!) u -= probs[k++]!;
    counts[k]!++;
  }
  return counts;
}

/** To 10 decimals: the fixture holds 12, and statistics on a lattice must tie where they are equal. */
const round = (x: number): number => Math.round(x * 1e10) / 1e10;

describe('writeMetrics', () => {
  it("writes metricsFromSums' figures exactly, empty and absent classes included (300 random matrices)", () => {
    const rand = rng(5);
    for (let trial = 0; trial < 300; trial++) {
      const c = 1 + Math.floor(rand() * 7);
      const [tp, support, predicted] = [new Float64Array(c), new Float64Array(c), new Float64Array(c)];
      for (let t = 0; t < c; t++) {
        for (let p = 0; p < c; p++) {
          const v = rand() < 0.3 ? 0 : Math.floor(rand() * (trial % 3 === 0 ? 3 : 1000));
          support[t]! += v;
          predicted[p]! += v;
          if (t === p) tp[t] = v;
        }
      }
      const out = new Float64Array(13 + 3 * c);
      writeMetrics(tp, support, predicted, out);
      const s = metricsFromSums(tp, support, predicted, false);
      const prf = (a: { precision: number; recall: number; f1: number }): number[] => [a.precision, a.recall, a.f1];
      expect(Array.from(out)).toEqual([s.accuracy, s.balancedAccuracy, s.kappa, s.mcc, ...prf(s.macroAvg),
        ...prf(s.weightedAvg), ...prf(s.microAvg),
        ...Array.from({ length: c }, (_, k) => [s.precision[k]!, s.recall[k]!, s.f1[k]!]).flat()]);
    }
  });
});

describe('matrixIntervals', () => {
  it("draws accuracy, macro-F1 and MCC as numpy's row resampling does (two-sample KS, B = 2,000)", () => {
    const { numClasses, counts, accuracy, macroF1, mcc } = statsFixture.multiclass;
    const draws = matrixDraws(reduceCounts(Float64Array.from(counts), numClasses),
      intervalMethod({ level: 0.95, resamples: 2000, seed: 15 }));
    for (const [column, numpy] of [[0, accuracy], [6, macroF1], [3, mcc]] as const) {
      const { d, limit } = ksTwoSample(draws[column]!.map(round), numpy.map(round));
      expect(d, `column ${column}`).toBeLessThan(limit);
    }
  });

  it('covers the true accuracy, kappa and macro-F1 93 to 97 % of the time at 95 % (C = 3, N = 500, 1,000 runs)', () => {
    const probs = [0.25, 0.05, 0.03, 0.04, 0.22, 0.06, 0.02, 0.05, 0.28];
    const truth = computeMetrics(Float64Array.from(probs), 3);
    const rand = rng(2026);
    const hits = { accuracy: 0, kappa: 0, macroF1: 0 };
    const runs = 1000;
    for (let run = 0; run < runs; run++) {
      const ci = matrixIntervals(reduceCounts(drawMatrix(rand, probs, 500), 3), { level: 0.95, resamples: 1000,
        seed: run });
      const inside = (i: { low: number; high: number }, v: number): number => (i.low <= v && v <= i.high ? 1 : 0);
      hits.accuracy += inside(ci.accuracy, truth.accuracy);
      hits.kappa += inside(ci.kappa, truth.kappa);
      hits.macroF1 += inside(ci.macroAvg.f1, truth.macroAvg.f1);
    }
    expect(truth.accuracy).toBeCloseTo(0.75, 12);
    for (const [name, h] of Object.entries(hits)) {
      expect(h / runs, name).toBeGreaterThanOrEqual(0.93);
      expect(h / runs, name).toBeLessThanOrEqual(0.97);
    }
  });

  it("gives a merged state's counts the single run's intervals, for one seed", () => {
    const [c, rows] = [4, 3000];
    const rand = rng(99);
    const labels = Array.from({ length: rows }, () => Math.floor(rand() * c));
    const preds = labels.map((y) => (rand() < 0.7 ? y : Math.floor(rand() * c)));
    const count = (from: number, to: number): Float64Array => {
      const m = new Float64Array(c * c);
      for (let i = from; i < to; i++) m[labels[i]! * c + preds[i]!]!++;
      return m;
    };
    const shards = [[0, 800], [800, 2100], [2100, 3000]].map(([a, b]) =>
      parseState(JSON.parse(JSON.stringify(createState(reduceCounts(count(a!, b!), c)))), `shard-${a}.json`)
    );
    const options = { level: 0.9, resamples: 500, seed: 2 ** 40 + 3 };
    const merged = matrixIntervals(stateResult(mergeStates(shards)), options);
    expect(merged).toEqual(matrixIntervals(reduceCounts(count(0, rows), c), options));
    expect(merged.accuracy).not.toEqual(
      matrixIntervals(reduceCounts(count(0, rows), c), { ...options, seed: 3 }).accuracy,
    );
  });

  it('reports the method, per-class Wilson intervals, and top-k; point estimates fall inside', () => {
    const counts = Float64Array.from([50, 3, 2, 4, 40, 6, 1, 2, 30]);
    const result = { ...reduceCounts(counts, 3),
      topK: { k: 2, hits: Float64Array.from([54, 46, 33]), accuracy: 133 / 138 } };
    const ci = matrixIntervals(result, { level: 0.9, resamples: 400, seed: 1 });
    expect([ci.level, ci.method, ci.resamples, ci.seed]).toEqual([0.9, 'multinomial-bootstrap', 400, 1]);
    expect(ci.perClass[1]!.wilson.recall).toEqual(wilsonInterval(40, 50, 0.9));
    expect(ci.perClass[2]!.wilson.precision).toEqual(wilsonInterval(30, 38, 0.9));
    const m = computeMetrics(counts, 3);
    const inside = (i: { low: number; high: number }, v: number): boolean => i.low <= v && v <= i.high;
    expect(inside(ci.accuracy, m.accuracy) && inside(ci.kappa, m.kappa) && inside(ci.mcc, m.mcc)).toBe(true);
    expect(inside(ci.topK!, 133 / 138)).toBe(true);
    const micro: PrfIntervals = ci.microAvg;
    expect(micro.f1).toEqual(ci.accuracy);
    expect(fScore(1, 1)).toBe(1);
    expect(matrixIntervals(reduceCounts(counts, 3), { level: 0.9 }).topK).toBeUndefined();
  });

  it('refuses weighted counts, and a bad level, resample count or seed, naming the field', () => {
    const counts = Float64Array.from([5, 1, 2, 7]);
    const field = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof InputError ? e.field : 'not an InputError';
      }
      return undefined;
    };
    expect(field(() => matrixIntervals(reduceCounts(counts, 2, true), { level: 0.95 }))).toBe('sampleWeight');
    const fractional = { ...reduceCounts(counts, 2), counts: Float64Array.from([5, 1.5, 2, 7]) };
    expect(field(() => matrixIntervals(fractional, { level: 0.95 }))).toBe('counts');
    for (const level of [0, 1, 95, -0.5, NaN]) {
      expect(field(() => matrixIntervals(reduceCounts(counts, 2), { level }))).toBe('ci');
    }
    for (const resamples of [0, 1, 2.5, MAX_RESAMPLES + 1, NaN]) {
      expect(field(() => matrixIntervals(reduceCounts(counts, 2), { level: 0.95, resamples }))).toBe('bootstrap');
    }
    for (const seed of [-1, 0.5, 2 ** 53, NaN]) {
      expect(field(() => matrixIntervals(reduceCounts(counts, 2), { level: 0.95, seed }))).toBe('seed');
    }
  });
});
