import type { FormattedBatch, SampleWeights } from '../../core/types.js';
import { argmaxRow } from './update-cpu.js';

/** The CPU update with sample weights (float64), oracle of the GPU's fixed-point weighted kernels. */
export function cpuUpdateWeighted(counts: Float64Array, batch: FormattedBatch & { weights: SampleWeights }): void {
  const { rows, numClasses: c, labels, logits, preds, weights } = batch;
  for (let i = 0, base = 0; i < rows; i++, base += c) {
    const t = Number(labels[i]);
    const p = logits ? argmaxRow(logits, base, c) : Number(preds![i]);
    counts[t * c + p]! += weights[i]!;
  }
}
