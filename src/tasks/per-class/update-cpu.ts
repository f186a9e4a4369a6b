import type { FormattedPerClassBatch, PerClassCounts } from './per-class.js';
import { argmaxRow } from '../multiclass/update-cpu.js';

/**
 * The per-class CPU update, the oracle of the GPU path: each row's prediction (argmax with the
 * rules of src/tasks/multiclass/update-cpu.ts: first maximal index, first NaN) is counted against its label
 * into support, predicted, TP and the sparse off-diagonal pairs.
 *
 * @example
 * const counts = emptyPerClassCounts(50000);
 * perClassCpuUpdate(counts, formatPerClassBatch({ logits, labels }, 50000));
 */
export function perClassCpuUpdate(counts: PerClassCounts, batch: FormattedPerClassBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch;
  const { support, predicted, tp, pairs } = counts;
  for (let i = 0; i < rows; i++) {
    const t = Number(labels[i]!);
    const p = logits ? argmaxRow(logits, i * c, c) : Number(preds![i]!);
    support[t]! += 1;
    predicted[p]! += 1;
    if (p === t) tp[t]! += 1;
    else pairs.add(t * c + p);
  }
}
