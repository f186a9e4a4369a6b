import type { FormattedBatch } from '../../core/types.js';
import { cpuArgmaxFast } from '../multiclass/update-cpu-fast.js';
import type { FormattedPerClassBatch, PerClassCounts } from './per-class.js';

/** Rows whose argmax is taken at once (their predictions: 256 KiB). */
const ROWS_PER_STEP = 1 << 16;

/**
 * The per-class CPU update, oracle of the GPU path: each row's argmax (the WebAssembly SIMD argmax, the rule of
 * argmaxRow) or prediction against its label.
 */
export function perClassCpuUpdate(counts: PerClassCounts, batch: FormattedPerClassBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch as FormattedBatch;
  const { support, predicted, tp, pairs } = counts;
  const step = logits ? new Uint32Array(Math.min(rows, ROWS_PER_STEP)) : undefined;
  for (let start = 0; start < rows; start += ROWS_PER_STEP) {
    const end = Math.min(rows, start + ROWS_PER_STEP);
    const argmax = logits ?
      cpuArgmaxFast(logits.subarray(start * c, end * c), c, step!.subarray(0, end - start)) :
      step;
    for (let i = start; i < end; i++) {
      const t = Number(labels[i]!);
      const p = argmax ? argmax[i - start]! : Number(preds![i]!);
      support[t]! += 1;
      predicted[p]! += 1;
      if (p === t) tp[t]! += 1;
      else pairs.add(t * c + p);
    }
  }
}
