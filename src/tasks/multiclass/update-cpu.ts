import type { FormattedBatch, LabelArray } from '../../core/types.js';

/**
 * Index of the largest of `logits[base .. base + numClasses)`: the first on ties (-0 equals +0),
 * and the first NaN when the row holds one. The same rule as shaders/argmax.wgsl, bit for bit.
 *
 * @example
 * argmaxRow(new Float32Array([1, 3, 3]), 0, 3); // 1
 * argmaxRow(new Float32Array([9, NaN]), 0, 2);  // 1
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

/**
 * Writes the argmax of each row of a row-major `rows x numClasses` matrix into `out`; float64
 * rows compare in double precision.
 *
 * @example
 * cpuArgmax(new Float32Array([0, 1, 1, 0]), 2); // Uint32Array [1, 0]
 */
export function cpuArgmax(logits: Float32Array | Float64Array, numClasses: number, out = new Uint32Array(logits.length / numClasses)): Uint32Array {
  for (let i = 0, base = 0; i < out.length; i++, base += numClasses) out[i] = argmaxRow(logits, base, numClasses);
  return out;
}

function labelAt(a: LabelArray, i: number): number {
  return Number(a[i]!);
}

/**
 * The CPU update: adds a validated batch into `counts` (row-major C x C, rows = true class).
 * It is the oracle every GPU result is checked against.
 *
 * @example
 * const counts = new Float64Array(4);
 * cpuUpdate(counts, formatBatch({ preds: new Uint8Array([1]), labels: new Uint8Array([0]) }, 2));
 * counts; // [0, 1, 0, 0]
 */
export function cpuUpdate(counts: Float64Array, batch: FormattedBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch;
  const bigLabels = typeof labels[0] === 'bigint';
  if (logits) {
    if (c === 1) {
      counts[0]! += rows;
      return;
    }
    for (let i = 0, base = 0; i < rows; i++, base += c) {
      const t = bigLabels ? labelAt(labels, i) : (labels[i] as number);
      counts[t * c + argmaxRow(logits, base, c)]! += 1;
    }
    return;
  }
  const p = preds!;
  const bigPreds = typeof p[0] === 'bigint';
  for (let i = 0; i < rows; i++) {
    const t = bigLabels ? labelAt(labels, i) : (labels[i] as number);
    const q = bigPreds ? labelAt(p, i) : (p[i] as number);
    counts[t * c + q]! += 1;
  }
}
