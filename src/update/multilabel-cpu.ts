import { addSampleRow, type FormattedMultilabelBatch, type MultilabelCounts } from '../core/multilabel.js';

/**
 * The CPU multilabel update, oracle of shaders/multilabel.wgsl: label j of a row is predicted when
 * its float32 score >= thresholds[j] (-0 equals +0; NaN is never >= anything, so it predicts 0).
 * The batch's "samples" sums are summed row by row, then added, as the GPU path does.
 *
 * @example
 * const counts = emptyMultilabelCounts(2);
 * multilabelCpuUpdate(counts, formatMultilabelBatch({ scores, targets }, 2), Float32Array.of(0.5, 0.5));
 */
export function multilabelCpuUpdate(counts: MultilabelCounts, batch: FormattedMultilabelBatch, thresholds: Float32Array): void {
  const { rows, numLabels: l, scores, targets } = batch;
  const big = typeof targets[0] === 'bigint';
  const samples = { precision: 0, recall: 0, f1: 0 };
  for (let i = 0, base = 0; i < rows; i++, base += l) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let j = 0; j < l; j++) {
      const predicted = scores[base + j]! >= thresholds[j]!;
      const actual = big ? targets[base + j] === 1n : targets[base + j] === 1;
      if (predicted && actual) {
        tp++;
        counts.tp[j]!++;
      } else if (predicted) {
        fp++;
        counts.fp[j]!++;
      } else if (actual) {
        fn++;
        counts.fn[j]!++;
      }
    }
    addSampleRow(samples, tp, fp, fn);
  }
  counts.rows += rows;
  counts.samples.precision += samples.precision;
  counts.samples.recall += samples.recall;
  counts.samples.f1 += samples.f1;
}
