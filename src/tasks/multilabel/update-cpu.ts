import type { LabelArray } from '../../core/types.js';
import { addSampleRow, addSampleSums, emptySampleSums, type FormattedMultilabelBatch, type MultilabelCounts,
  sumWeights } from './multilabel.js';
import { addRowOutcome, createOutcomeKeyBuilder } from './row-outcomes.js';

/** The CPU multilabel update, oracle of multilabel.wgsl: label j is predicted when its score >= thresholds[j]. */
export function multilabelCpuUpdate(counts: MultilabelCounts, batch: FormattedMultilabelBatch,
  thresholds: Float32Array): void {
  const { rows, numLabels: l, weights } = batch;
  const [scores, targets] = [batch.scores as Float32Array, batch.targets as LabelArray];
  const big = typeof targets[0] === 'bigint';
  const samples = emptySampleSums(l);
  const keys = counts.outcomes && !weights ? createOutcomeKeyBuilder() : undefined;
  for (let i = 0, base = 0; i < rows; i++, base += l) {
    const w = weights ? weights[i]! : 1;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let j = 0; j < l; j++) {
      const predicted = scores[base + j]! >= thresholds[j]!;
      const actual = big ? targets[base + j] === 1n : targets[base + j] === 1;
      if (predicted && actual) {
        tp++;
        counts.tp[j]! += w;
        keys?.add(j, 1);
      } else if (predicted) {
        fp++;
        counts.fp[j]! += w;
        keys?.add(j, 2);
      } else if (actual) {
        fn++;
        counts.fn[j]! += w;
        keys?.add(j, 3);
      }
    }
    addSampleRow(samples, tp, fp, fn, w);
    if (keys) counts.outcomes = addRowOutcome(counts.outcomes!, keys.key(), 1);
  }
  if (weights && counts.outcomes !== undefined) counts.outcomes = null;
  counts.rows += weights ? sumWeights(weights) : rows;
  if (weights) counts.weighted = true;
  addSampleSums(counts.samples, samples);
}
