import type { LabelArray } from '../../core/types.js';
import { addSampleRow, addSampleSums, emptySampleSums, type FormattedMultilabelBatch, type MultilabelCounts,
  sumWeights } from './multilabel.js';
import { createOutcomeTally } from './row-outcomes.js';

/** The CPU multilabel update, oracle of multilabel.wgsl: label j is predicted when its score >= thresholds[j]. */
export function multilabelCpuUpdate(counts: MultilabelCounts, batch: FormattedMultilabelBatch,
  thresholds: Float32Array): void {
  const { rows, numLabels: l, weights } = batch;
  const [scores, targets] = [batch.scores as Float32Array, batch.targets as LabelArray];
  const big = typeof targets[0] === 'bigint';
  const samples = emptySampleSums(l);
  const tally = counts.outcomes && !weights ? createOutcomeTally(l) : undefined;
  const words = new Uint32Array(Math.ceil(l / 16));
  for (let i = 0, base = 0; i < rows; i++, base += l) {
    const w = weights ? weights[i]! : 1;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let word = 0;
    for (let j = 0; j < l; j++) {
      const predicted = scores[base + j]! >= thresholds[j]!;
      const actual = big ? targets[base + j] === 1n : targets[base + j] === 1;
      if (predicted && actual) {
        tp++;
        counts.tp[j]! += w;
        word |= 1 << (2 * (j & 15));
      } else if (predicted) {
        fp++;
        counts.fp[j]! += w;
        word |= 2 << (2 * (j & 15));
      } else if (actual) {
        fn++;
        counts.fn[j]! += w;
        word |= 3 << (2 * (j & 15));
      }
      if ((j & 15) === 15 || j === l - 1) {
        words[j >> 4] = word;
        word = 0;
      }
    }
    addSampleRow(samples, tp, fp, fn, w);
    tally?.add(words, 0);
  }
  if (tally) counts.outcomes = tally.flush(counts.outcomes!);
  if (weights && counts.outcomes !== undefined) counts.outcomes = null;
  counts.rows += weights ? sumWeights(weights) : rows;
  if (weights) counts.weighted = true;
  addSampleSums(counts.samples, samples);
}
