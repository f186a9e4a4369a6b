import { describe, expect, test } from 'vitest';
import { matrixIntervals } from '../../../src/tasks/multiclass/intervals.js';
import { createConfusionMatrix } from '../../../src/tasks/multiclass/matrix.js';
import { perClassIntervals } from '../../../src/tasks/per-class/intervals.js';
import { createPerClassMatrix } from '../../../src/tasks/per-class/matrix.js';
import { worstClasses } from '../../../src/tasks/per-class/per-class.js';
import { expectNearInterval } from '../../helpers/intervals.js';
import { rng } from '../../helpers/random.js';

const C = 5;

/** N rows: skewed true classes, predictions right 70 % of the time, else mostly class 0 (precision != recall). */
function rows(seed: number, n: number): { labels: Int32Array; preds: Int32Array } {
  const rand = rng(seed);
  const labels = new Int32Array(n);
  const preds = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.min(C - 1, Math.floor(rand() ** 1.5 * C));
    labels[i] = t;
    preds[i] = rand() < 0.7 ? t : rand() < 0.6 ? 0 : Math.floor(rand() * C);
  }
  return { labels, preds };
}

async function counted(seed: number, n: number) {
  const batch = rows(seed, n);
  const cm = createConfusionMatrix({ numClasses: C });
  const pc = createPerClassMatrix({ numClasses: C });
  await cm.update(batch);
  await pc.update(batch);
  return { dense: await cm.compute(), perClass: await pc.compute() };
}

describe('perClassIntervals', () => {
  test("gives each class's precision, recall and F1 the marginal intervals of the full matrix's bootstrap", async () => {
    const { dense, perClass } = await counted(1, 6000);
    const options = { level: 0.95, resamples: 4000, seed: 3 };
    const all = Array.from({ length: C }, (_, k) => k);
    const ours = perClassIntervals(perClass, options, all);
    const full = matrixIntervals(dense, { ...options, seed: 11 });
    expect(ours.classes).toEqual(all);
    for (let k = 0; k < C; k++) {
      for (const key of ['precision', 'recall', 'f1'] as const) {
        expectNearInterval(ours.perClass[k]![key], full.perClass[k]![key], `class ${k} ${key}`);
      }
      expect(ours.perClass[k]!.wilson).toEqual(full.perClass[k]!.wilson);
    }
    expectNearInterval(ours.accuracy, full.accuracy, 'accuracy');
    const p0 = ours.perClass[0]!;
    expect(p0.recall.low - p0.precision.high).toBeGreaterThan(0.05);
    expect(Object.keys(ours)).toEqual(['level', 'method', 'resamples', 'seed', 'accuracy', 'classes', 'perClass']);
  });

  test('is reproducible by seed; a class gets the same interval whichever other classes are drawn', async () => {
    const { perClass } = await counted(2, 3000);
    const options = { level: 0.9, resamples: 500, seed: 7 };
    const a = perClassIntervals(perClass, options);
    expect(JSON.stringify(perClassIntervals(perClass, options))).toBe(JSON.stringify(a));
    expect(a.classes).toEqual(worstClasses(perClass, 10));
    const other = perClassIntervals(perClass, { ...options, seed: 8 });
    expect(JSON.stringify(other.accuracy) + JSON.stringify(other.perClass)).not.toBe(
      JSON.stringify(a.accuracy) + JSON.stringify(a.perClass),
    );
    const k = a.classes[2]!;
    expect(perClassIntervals(perClass, options, [k]).perClass[0]).toEqual(a.perClass[2]);
    expect(perClassIntervals(perClass, options, []).accuracy).toEqual(a.accuracy);
  });

  test('contains the point estimates; empty counts give degenerate intervals, not NaN', async () => {
    const { perClass } = await counted(4, 2000);
    const ci = perClassIntervals(perClass, { level: 0.95, seed: 1 });
    expect(ci.accuracy.low).toBeLessThan(perClass.accuracy);
    expect(ci.accuracy.high).toBeGreaterThan(perClass.accuracy);
    ci.classes.forEach((k, i) => {
      expect(ci.perClass[i]!.recall.low).toBeLessThanOrEqual(perClass.perClass.recall[k]!);
      expect(ci.perClass[i]!.recall.high).toBeGreaterThanOrEqual(perClass.perClass.recall[k]!);
    });
    const empty = await createPerClassMatrix({ numClasses: 3 }).compute();
    const none = perClassIntervals(empty, { level: 0.95, resamples: 10 }, [0]);
    expect([none.accuracy, none.perClass[0]!.f1]).toEqual([{ low: 0, high: 0 }, { low: 0, high: 0 }]);
  });
});
