import type { FormattedBatch } from '../../core/types.js';
import { argmaxRow } from '../multiclass/update-cpu.js';
import type { FormattedPerClassBatch, PerClassCounts } from './per-class.js';

/** The per-class CPU update, oracle of the GPU path: each row's argmax or prediction against its label. */
export function perClassCpuUpdate(counts: PerClassCounts, batch: FormattedPerClassBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch as FormattedBatch;
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
