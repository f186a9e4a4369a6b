import type { FormattedBatch } from '../../core/types.js';

/**
 * Index of the largest of `logits[base .. base + numClasses)`: the first on ties, the first NaN if any (as
 * argmax.wgsl).
 *
 * @example
 * argmaxRow(new Float32Array([1, 3, 3]), 0, 3); // 1
 */
export function argmaxRow(logits: Float32Array | Float64Array, base: number, numClasses: number): number {
  let best = 0;
  let bestValue = logits[base]!;
  if (bestValue !== bestValue) return 0;
  for (let j = 1; j < numClasses; j++) {
    const v = logits[base + j]!;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    } else if (v !== v) {
      return j;
    }
  }
  return best;
}

/** Writes the argmax of each row of a row-major `rows x numClasses` matrix into `out`. */
export function cpuArgmax(logits: Float32Array | Float64Array, numClasses: number,
  out = new Uint32Array(logits.length / numClasses)): Uint32Array {
  for (let i = 0, base = 0; i < out.length; i++, base += numClasses) out[i] = argmaxRow(logits, base, numClasses);
  return out;
}

/** The CPU update, the oracle of every GPU result: adds a validated batch into `counts` (C x C, rows = true class). */
export function cpuUpdate(counts: Float64Array, batch: FormattedBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch;
  for (let i = 0, base = 0; i < rows; i++, base += c) {
    counts[Number(labels[i]!) * c + (logits ? argmaxRow(logits, base, c) : Number(preds![i]!))]! += 1;
  }
}
