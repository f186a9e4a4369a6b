import { addSampleRow, addSampleSums, emptySampleSums, sumWeights, type FormattedMultilabelBatch, type MultilabelCounts } from './multilabel.js';

/**
 * The CPU multilabel update, oracle of shaders/multilabel.wgsl: label j of a row is predicted when
 * its float32 score >= thresholds[j] (-0 equals +0; NaN is never >= anything, so it predicts 0).
 * The batch's exact "samples" sums are summed row by row, then added, as the GPU path does. With
 * sample weights each row adds its weight (float64) instead of 1, as sklearn's `sample_weight`.
 *
 * @example
 * const counts = emptyMultilabelCounts(2);
 * multilabelCpuUpdate(counts, formatMultilabelBatch({ scores, targets }, 2), Float32Array.of(0.5, 0.5));
 */
export function multilabelCpuUpdate(counts: MultilabelCounts, batch: FormattedMultilabelBatch, thresholds: Float32Array): void {
  const { rows, numLabels: l, scores, targets, weights } = batch;
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
  if (weights) {
    counts.rows += sumWeights(weights);
    counts.weighted = true;
  } else counts.rows += rows;
  addSampleSums(counts.samples, samples);
}
