import type { FormattedBatch, SampleWeights } from '../../core/types.js';
import { argmaxRow } from './update-cpu.js';

/**
 * The CPU update with sample weights: adds each row's weight, in float64, to its (label, argmax or
 * prediction) cell of `counts`. The oracle of the GPU's fixed-point weighted kernels.
 *
 * @example
 * const counts = new Float64Array(4);
 * cpuUpdateWeighted(counts, { ...formatBatch({ preds: new Uint8Array([1, 1]), labels: new Uint8Array([0, 1]) }, 2), weights: new Float64Array([0.5, 2]) });
 * counts; // [0, 0.5, 0, 2]
 */
export function cpuUpdateWeighted(counts: Float64Array, batch: FormattedBatch & { weights: SampleWeights }): void {
  const { rows, numClasses: c, labels, logits, preds, weights } = batch;
  for (let i = 0, base = 0; i < rows; i++, base += c) {
    const t = Number(labels[i]);
    const p = logits ? argmaxRow(logits, base, c) : Number(preds![i]);
    counts[t * c + p]! += weights[i]!;
  }
}
