import type { LabelArray } from '../../core/types.js';
import { addSampleRow, addSampleSums, emptySampleSums, type FormattedMultilabelBatch, type MultilabelCounts,
  sumWeights } from './multilabel.js';

/** The CPU multilabel update, oracle of multilabel.wgsl: label j is predicted when its score >= thresholds[j]. */
export function multilabelCpuUpdate(counts: MultilabelCounts, batch: FormattedMultilabelBatch,
  thresholds: Float32Array): void {
  const { rows, numLabels: l, weights } = batch;
  const [scores, targets] = [batch.scores as Float32Array, batch.targets as LabelArray];
  const big = typeof targets[0] === 'bigint';
  const samples = emptySampleSums(l);
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
      } else if (predicted) {
        fp++;
        counts.fp[j]! += w;
      } else if (actual) {
        fn++;
        counts.fn[j]! += w;
      }
    }
    addSampleRow(samples, tp, fp, fn, w);
  }
  counts.rows += weights ? sumWeights(weights) : rows;
  if (weights) counts.weighted = true;
  addSampleSums(counts.samples, samples);
}
