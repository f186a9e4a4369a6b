import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { type Averages, computeMetrics, type Confusion, type Metrics, type Normalize, normalizeCounts,
  topConfusions } from '../../../src/tasks/multiclass/metrics.js';
import { reduceCounts } from '../../../src/tasks/multiclass/reduce.js';
import { rng } from '../../helpers/random.js';

const dir = 'test/fixtures/metrics';

interface Expected {
  total: number;
  correct: number;
  accuracy: number;
  balancedAccuracy: number;
  kappa: number;
  mcc: number;
  presentClasses: number;
  perClass: Record<'precision' | 'recall' | 'f1' | 'support' | 'predicted', number[]>;
  macroAvg: Averages;
  weightedAvg: Averages;
  microAvg: Averages;
  normalized: Record<'true' | 'pred' | 'all', [number, number, number][]>;
  topConfusions: [number, number, number, number][];
}
interface Fixture {
  name: string;
  numClasses: number;
  y?: number[];
  p?: number[];
  matrix?: number[][];
  matrixSparse?: [number, number, number][];
  expected: Expected;
  nonFinite: Record<string, string>;
  sklearnVersion: string;
}

const fixtures: Fixture[] = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) =>
  JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture
);

function countsOf(f: Fixture): Float64Array {
  const c = f.numClasses;
  const counts = new Float64Array(c * c);
  if (f.y && f.p) {
    expect(f.y.length).toBe(f.p.length);
    f.y.forEach((t, i) => counts[t * c + f.p![i]!]!++);
  } else if (f.matrix) {
    f.matrix.forEach((row, t) => row.forEach((v, p) => (counts[t * c + p] = v)));
  } else {
    for (const [t, p, v] of f.matrixSparse!) counts[t * c + p] = v;
  }
  return counts;
}

function dense(cells: [number, number, number][], c: number): number[] {
  const out = new Array<number>(c * c).fill(0);
  for (const [t, p, v] of cells) out[t * c + p] = v;
  return out;
}

/** Relative 1e-9, or absolute 1e-12 near 0. */
function near(actual: number, expected: number): boolean {
  return Number.isFinite(actual) && Math.abs(actual - expected) <= Math.max(1e-9 * Math.abs(expected), 1e-12);
}

/** Paths (and values) where `actual` is not near `expected`; [] when all agree. */
function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, path: string): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) return [`${path}: length ${actual.length} != ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    if (!near(actual[i]!, expected[i]!)) out.push(`${path}[${i}]: ${actual[i]} != ${expected[i]}`);
  }
  return out;
}

function figureMismatches(m: Metrics, e: Expected): string[] {
  const out: string[] = [];
  for (const key of ['accuracy', 'balancedAccuracy', 'kappa', 'mcc'] as const) {
    out.push(...mismatches([m[key]], [e[key]], key));
  }
  for (const key of ['precision', 'recall', 'f1'] as const) {
    out.push(...mismatches(m.perClass.map((x) => x[key]), e.perClass[key], `perClass.${key}`));
  }
  for (const avg of ['macroAvg', 'weightedAvg', 'microAvg'] as const) {
    for (const key of ['precision', 'recall', 'f1'] as const) {
      out.push(...mismatches([m[avg][key]], [e[avg][key]], `${avg}.${key}`));
    }
  }
  return out;
}

describe('metrics fixtures (sklearn)', () => {
  it('has every case, all from one sklearn version', () => {
    const names = fixtures.map((f) => f.name);
    for (const name of ['sklearn-iris-logreg', 'sklearn-digits-mlp', 'sklearn-wine-logreg',
      'sklearn-breast-cancer-logreg', 'sklearn-c1000', 'never-true', 'never-predicted', 'never-either', 'ties-heavy',
      'one-class', 'two-classes', 'all-pred-one', 'perfect', 'all-wrong', 'random-100', 'empty', 'large-counts',
      'large-cancel']) {
      expect(names).toContain(name);
    }
    expect(new Set(fixtures.map((f) => f.sklearnVersion))).toEqual(new Set(['1.2.1']));
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const c = f.numClasses;
    const counts = countsOf(f);
    const m = computeMetrics(counts, c);
    const e = f.expected;

    it('counts, supports and present classes are exact', () => {
      expect(m.numClasses).toBe(c);
      expect(m.total).toBe(e.total);
      expect(m.correct).toBe(e.correct);
      expect(m.presentClasses).toBe(e.presentClasses);
      expect(m.perClass.map((x) => x.class)).toEqual(Array.from({ length: c }, (_, i) => i));
      expect(m.perClass.map((x) => x.support)).toEqual(e.perClass.support);
      expect(m.perClass.map((x) => x.predicted)).toEqual(e.perClass.predicted);
      for (const avg of [m.macroAvg, m.weightedAvg, m.microAvg]) expect(avg.support).toBe(e.total);
    });

    it('every figure equals sklearn to 1e-9', () => {
      expect(figureMismatches(m, e)).toEqual([]);
    });

    it('figures sklearn leaves non-finite are 0', () => {
      for (const path of Object.keys(f.nonFinite)) {
        const [a, b] = path.split('.') as [keyof Metrics, string?];
        const v = b === undefined ? m[a] : (m[a] as unknown as Record<string, number>)[b];
        expect(v, path).toBe(0);
      }
    });

    it.each(['true', 'pred', 'all'] as const)('normalizeCounts %s equals confusion_matrix(normalize=)', (mode) => {
      expect(mismatches(normalizeCounts(counts, c, mode), dense(e.normalized[mode], c), mode)).toEqual([]);
    });

    it('topConfusions order and shares', () => {
      const top = topConfusions(counts, c, 10);
      expect(top.map((x) => [x.true, x.pred, x.count])).toEqual(e.topConfusions.map(([t, p, n]) => [t, p, n]));
      expect(mismatches(top.map((x) => x.share), e.topConfusions.map((x) => x[3]), 'share')).toEqual([]);
    });
  });

  it('large-cancel: kappa and MCC (~5.6e-16) are exact, not float64 rounding noise', () => {
    const f = fixtures.find((x) => x.name === 'large-cancel')!;
    const m = computeMetrics(countsOf(f), f.numClasses);
    expect(f.expected.mcc).toBeGreaterThan(0);
    expect(f.expected.mcc).toBeLessThan(1e-14);
    expect(Math.abs(m.mcc - f.expected.mcc)).toBeLessThanOrEqual(1e-12 * f.expected.mcc);
    expect(Math.abs(m.kappa - f.expected.kappa)).toBeLessThanOrEqual(1e-12 * f.expected.kappa);
  });
});

describe('computeMetrics by hand', () => {
  it('2 classes [[5, 1], [2, 2]]', () => {
    const m = computeMetrics(Float64Array.of(5, 1, 2, 2), 2);
    const p0 = 5 / 7, r0 = 5 / 6, p1 = 2 / 3, r1 = 1 / 2;
    const f0 = 10 / 13, f1 = 4 / 7;
    expect(m.accuracy).toBe(0.7);
    expect(m.perClass).toEqual([{ class: 0, precision: p0, recall: r0, f1: expect.closeTo(f0, 15), support: 6,
      predicted: 7 }, { class: 1, precision: p1, recall: r1, f1: expect.closeTo(f1, 15), support: 4, predicted: 3 }]);
    expect(m.macroAvg.precision).toBeCloseTo((p0 + p1) / 2, 15);
    expect(m.macroAvg.f1).toBeCloseTo((f0 + f1) / 2, 15);
    expect(m.weightedAvg.precision).toBeCloseTo((p0 * 6 + p1 * 4) / 10, 15);
    expect(m.weightedAvg.recall).toBeCloseTo(0.7, 15);
    expect(m.microAvg).toEqual({ precision: 0.7, recall: 0.7, f1: expect.closeTo(0.7, 15), support: 10 });
    expect(m.balancedAccuracy).toBeCloseTo((r0 + r1) / 2, 15);
    // n = 10, correct = 7, t = [6, 4], p = [7, 3]: sum t_i p_i = 54, sum t^2 = 52, sum p^2 = 58
    expect(m.kappa).toBeCloseTo(16 / 46, 15);
    expect(m.mcc).toBeCloseTo(16 / Math.sqrt(48 * 42), 15);
    expect(m.presentClasses).toBe(2);
  });

  it('a never-predicted class counts in the macro average; an absent one does not', () => {
    // class 0: p 2/3, r 1, f1 0.8; class 1 never predicted: 0, 0, 0; class 2 absent.
    const m = computeMetrics(Float64Array.of(2, 0, 0, 1, 0, 0, 0, 0, 0), 3);
    expect(m.presentClasses).toBe(2);
    expect(m.perClass[2]).toEqual({ class: 2, precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 });
    expect(m.macroAvg.precision).toBeCloseTo(1 / 3, 15);
    expect(m.macroAvg.recall).toBeCloseTo(0.5, 15);
    expect(m.macroAvg.f1).toBeCloseTo(0.4, 15);
    expect(m.balancedAccuracy).toBeCloseTo(0.5, 15);
  });

  it('a predicted-only class counts in the macro average but not in balanced accuracy', () => {
    // [[1, 1], [0, 0]]: class 1 is predicted once, never true.
    const m = computeMetrics(Float64Array.of(1, 1, 0, 0), 2);
    expect(m.presentClasses).toBe(2);
    expect(m.macroAvg.recall).toBe(0.25);
    expect(m.macroAvg.precision).toBe(0.5);
    expect(m.balancedAccuracy).toBe(0.5);
    expect(m.weightedAvg.recall).toBe(0.5);
    expect(m.mcc).toBe(0); // all true labels one class
  });

  it('degenerate: empty, one class, all predictions one class', () => {
    const empty = computeMetrics(new Float64Array(9), 3);
    for (const v of [empty.accuracy, empty.balancedAccuracy, empty.kappa, empty.mcc, empty.macroAvg.f1,
      empty.weightedAvg.f1, empty.microAvg.f1]) {
      expect(v).toBe(0);
    }
    expect(empty.presentClasses).toBe(0);
    const one = computeMetrics(Float64Array.of(7), 1);
    expect([one.accuracy, one.balancedAccuracy, one.kappa, one.mcc, one.macroAvg.f1]).toEqual([1, 1, 0, 0, 1]);
    const allOne = computeMetrics(Float64Array.of(3, 0, 2, 0), 2);
    expect([allOne.accuracy, allOne.kappa, allOne.mcc, allOne.balancedAccuracy]).toEqual([0.6, 0, 0, 0.5]);
  });

  it('perfect and all-wrong classifiers', () => {
    const perfect = computeMetrics(Float64Array.of(4, 0, 0, 0, 5, 0, 0, 0, 6), 3);
    expect([perfect.accuracy, perfect.kappa, perfect.mcc, perfect.macroAvg.f1, perfect.weightedAvg.f1]).toEqual([1, 1,
      1, 1, 1]);
    const wrong = computeMetrics(Float64Array.of(0, 3, 3, 0), 2);
    expect([wrong.accuracy, wrong.kappa, wrong.mcc, wrong.macroAvg.f1]).toEqual([0, -1, -1, 0]);
  });

  it('fractional counts and totals above 2^53 take the float path, scale-free figures unchanged', () => {
    const r = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const c = 2 + Math.floor(r() * 6);
      const counts = Float64Array.from({ length: c * c }, () => Math.floor(r() * 50));
      const exact = computeMetrics(counts, c);
      for (const scale of [0.37, 2 ** 60]) {
        const scaled = computeMetrics(counts.map((v) => v * scale), c);
        for (const key of ['accuracy', 'balancedAccuracy', 'kappa', 'mcc'] as const) {
          expect(Math.abs(scaled[key] - exact[key]), `${key} x${scale}`).toBeLessThanOrEqual(1e-12);
        }
        expect(Math.abs(scaled.macroAvg.f1 - exact.macroAvg.f1)).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it('refuses a wrong shape', () => {
    expect(() => computeMetrics(new Float64Array(5), 2)).toThrow(InputError);
    expect(() => computeMetrics(new Float64Array(0), 0)).toThrow(InputError);
    expect(() => normalizeCounts(new Float64Array(3), 2, 'true')).toThrow(InputError);
    expect(() => normalizeCounts(new Float64Array(4), 2, 'rows' as Normalize)).toThrow(InputError);
    expect(() => topConfusions(new Float64Array(3), 2, 1)).toThrow(InputError);
  });

  it('uses no Node built-ins', () => {
    expect(readFileSync('src/tasks/multiclass/metrics.ts', 'utf8')).not.toMatch(/from ['"]node:|require\(/);
  });
});

describe('normalizeCounts', () => {
  // [[3, 1, 0], [0, 0, 0], [2, 0, 2]]: row 1 is empty.
  const m = Float64Array.of(3, 1, 0, 0, 0, 0, 2, 0, 2);
  it('each mode; an empty row or column gives 0', () => {
    expect(Array.from(normalizeCounts(m, 3, 'true'))).toEqual([0.75, 0.25, 0, 0, 0, 0, 0.5, 0, 0.5]);
    expect(Array.from(normalizeCounts(m, 3, 'pred'))).toEqual([0.6, 1, 0, 0, 0, 0, 0.4, 0, 1]);
    expect(Array.from(normalizeCounts(m, 3, 'all'))).toEqual([0.375, 0.125, 0, 0, 0, 0, 0.25, 0, 0.25]);
    expect(Array.from(normalizeCounts(new Float64Array(4), 2, 'all'))).toEqual([0, 0, 0, 0]);
    expect(Array.from(normalizeCounts(Float64Array.of(0, 0, 0, 5), 2, 'pred'))).toEqual([0, 0, 0, 1]);
  });
  it("'none' is a copy", () => {
    const out = normalizeCounts(m, 3, 'none');
    expect(out).not.toBe(m);
    expect(Array.from(out)).toEqual(Array.from(m));
  });
});

describe('topConfusions', () => {
  const sortReference = (counts: Float64Array, c: number, k: number): Confusion[] => {
    const cells: Confusion[] = [];
    for (let t = 0; t < c; t++) {
      let s = 0;
      for (let p = 0; p < c; p++) s += counts[t * c + p]!;
      for (let p = 0; p < c; p++) {
        const n = counts[t * c + p]!;
        if (t !== p && n > 0) cells.push({ true: t, pred: p, count: n, share: n / s });
      }
    }
    cells.sort((a, b) => b.count - a.count || a.true - b.true || a.pred - b.pred);
    return cells.slice(0, Math.max(0, Math.floor(k)));
  };

  it('orders by count, then true, then predicted class; skips the diagonal and zeros', () => {
    const m = Float64Array.of(5, 2, 0, 3, 4, 2, 0, 2, 6);
    expect(topConfusions(m, 3, 10)).toEqual([{ true: 1, pred: 0, count: 3, share: 3 / 9 }, { true: 0, pred: 1, count: 2,
      share: 2 / 7 }, { true: 1, pred: 2, count: 2, share: 2 / 9 }, { true: 2, pred: 1, count: 2, share: 2 / 8 }]);
    expect(topConfusions(m, 3, 2)).toEqual(topConfusions(m, 3, 10).slice(0, 2));
    expect(topConfusions(m, 3, 2.9)).toHaveLength(2);
    expect(topConfusions(m, 3, 0)).toEqual([]);
    expect(topConfusions(m, 3, -1)).toEqual([]);
    expect(topConfusions(Float64Array.of(9), 1, 5)).toEqual([]);
  });

  it('equals a full sort on random tie-heavy matrices for every k', () => {
    const r = rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const c = 1 + Math.floor(r() * 9);
      const counts = Float64Array.from({ length: c * c }, () => Math.floor(r() * 4));
      for (const k of [1, 2, 3, 5, 8, 100]) expect(topConfusions(counts, c, k)).toEqual(sortReference(counts, c, k));
    }
  });
});

describe('a result that lists its nonzero cells', () => {
  it.each([[1, 0], [2, 3], [7, 20], [300, 40], [64, 500]])(
    'metrics, top confusions and the reduction equal the whole walk, C = %i, %i samples',
    (c, n) => {
      const rand = rng(c * 31 + n);
      const counts = new Float64Array(c * c);
      for (let i = 0; i < n; i++) {
        const t = Math.floor(rand() * c);
        counts[t * c + (rand() < 0.4 ? t : Math.floor(rand() * c))]! += rand() < 0.2 ? 0.5 : 1;
      }
      const cells = [...counts.keys()].filter((i) => counts[i] !== 0);
      // a superset (zero cells listed too) is allowed, as a count that was dropped back to zero
      const listed = Uint32Array.from(new Set([...cells, 0, c * c - 1, Math.floor(c * c / 2)])).sort();
      expect(computeMetrics(counts, c, listed)).toEqual(computeMetrics(counts, c));
      for (const k of [1, 3, Infinity]) {
        expect(topConfusions(counts, c, k, listed)).toEqual(topConfusions(counts, c, k));
      }
      const [sparse, dense] = [reduceCounts(counts, c, true, false, listed), reduceCounts(counts, c, true)];
      expect({ ...sparse, nonzero: undefined }).toEqual({ ...dense, nonzero: undefined });
      expect(sparse.nonzero).toBe(listed);
    },
  );
});
