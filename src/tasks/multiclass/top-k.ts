import type { LabelArray } from '../../core/types.js';

/** Sort key of f32 bits for top-k: order-preserving, -0 as +0, every NaN above +Inf. */
function rankKey(bits: number): number {
  if ((bits & 0x7fffffff) >>> 0 > 0x7f800000) return 0xffffffff;
  const b = bits === 0x80000000 ? 0 : bits;
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

/**
 * Adds per true class the rows whose label ranks among the `k` highest logits (weighted: their weights) into
 * `hits`, as sklearn's top_k_accuracy_score and argmax.wgsl's TOP_K: ties rank the higher index first, NaN highest.
 *
 * @example
 * cpuTopKHits(new Float32Array([1, 2, 2]), new Uint8Array([1]), 3, 1, hits); // no hit: class 2 ranks first
 */
export function cpuTopKHits(logits: Float32Array, labels: LabelArray, numClasses: number, k: number, hits: Float64Array,
  weights?: Float32Array | Float64Array): void {
  const bits = new Uint32Array(logits.buffer, logits.byteOffset, logits.length);
  for (let r = 0, base = 0; r < labels.length; r++, base += numClasses) {
    const label = Number(labels[r]);
    const own = rankKey(bits[base + label]!);
    let above = 0;
    for (let j = 0; j < numClasses; j++) {
      const key = rankKey(bits[base + j]!);
      if (key > own || (key === own && j > label)) above++;
    }
    if (above < k) hits[label]! += weights ? weights[r]! : 1;
  }
}
