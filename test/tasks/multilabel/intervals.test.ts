import { describe, expect, test } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { matrixIntervals } from '../../../src/tasks/multiclass/intervals.js';
import { createConfusionMatrix } from '../../../src/tasks/multiclass/matrix.js';
import { labelIntervals } from '../../../src/tasks/multilabel/intervals.js';
import { createMultilabelMatrix } from '../../../src/tasks/multilabel/matrix.js';
import { expectNearInterval } from '../../helpers/intervals.js';
import { rng } from '../../helpers/random.js';

const L = 4;

/** N x L scores and targets; label j positive with rate 0.2 + 0.15 j, scores noisy (precision != recall). */
function batch(seed: number, n: number, labels = L): { scores: Float32Array; targets: Int32Array } {
  const rand = rng(seed);
  const scores = new Float32Array(n * labels);
  const targets = new Int32Array(n * labels);
  for (let i = 0; i < n * labels; i++) {
    const y = rand() < 0.2 + 0.15 * (i % labels) ? 1 : 0;
    targets[i] = y;
    scores[i] = 0.35 * y + 0.75 * rand();
  }
  return { scores, targets };
}

describe('labelIntervals', () => {
  test("equal each label's intervals as a two-class matrix's (class 1 positive), the same marginals", async () => {
    const n = 5000;
    const data = batch(1, n);
    const ml = createMultilabelMatrix({ numLabels: L, threshold: 0.5 });
    await ml.update(data);
    const result = await ml.compute();
    const ci = labelIntervals(result, { level: 0.95, resamples: 4000, seed: 2 });
    expect(Object.keys(ci)).toEqual(['level', 'method', 'resamples', 'seed', 'perLabel', 'averagesNote']);
    expect(ci.perLabel).toHaveLength(L);
    for (let j = 0; j < L; j++) {
      const labels = new Int32Array(n);
      const preds = new Int32Array(n);
      for (let i = 0; i < n; i++) [labels[i], preds[i]] = [data.targets[i * L + j]!, +(data.scores[i * L + j]! >= 0.5)];
      const cm = createConfusionMatrix({ numClasses: 2 });
      await cm.update({ labels, preds });
      const full = matrixIntervals(await cm.compute(), { level: 0.95, resamples: 4000, seed: 5 }).perClass[1]!;
      for (const key of ['precision', 'recall', 'f1'] as const) {
        expectNearInterval(ci.perLabel[j]![key], full[key], `${j} ${key}`);
      }
      expect(ci.perLabel[j]!.wilson).toEqual(full.wilson);
    }
    const p = ci.perLabel[0]!;
    expect(p.recall.low - p.precision.high).toBeGreaterThan(0.05);
  });

  test('is reproducible by seed, each label on its own stream; sample weights are refused', async () => {
    const ml = createMultilabelMatrix({ numLabels: 2, threshold: 0.5 });
    const one = batch(3, 800, 1);
    const twice = { scores: new Float32Array(1600), targets: new Int32Array(1600) };
    for (let i = 0; i < 800; i++) {
      twice.scores.set([one.scores[i]!, one.scores[i]!], 2 * i);
      twice.targets.set([one.targets[i]!, one.targets[i]!], 2 * i);
    }
    await ml.update(twice);
    const result = await ml.compute();
    const options = { level: 0.9, resamples: 300, seed: 4 };
    const ci = labelIntervals(result, options);
    expect(JSON.stringify(labelIntervals(result, options))).toBe(JSON.stringify(ci));
    expect(ci.perLabel[0]!.wilson).toEqual(ci.perLabel[1]!.wilson);
    expect(ci.perLabel[0]!.f1).not.toEqual(ci.perLabel[1]!.f1);
    expect(labelIntervals(result, { ...options, seed: 5 }).perLabel[0]!.f1).not.toEqual(ci.perLabel[0]!.f1);
    const weighted = createMultilabelMatrix({ numLabels: 2, threshold: 0.5 });
    await weighted.update({ ...twice, weights: new Float32Array(800).fill(2) });
    const w = await weighted.compute();
    expect(() => labelIntervals(w, options)).toThrow(InputError);
    expect(() => labelIntervals(w, options)).toThrow(/confidence intervals need unweighted counts/);
  });
});
