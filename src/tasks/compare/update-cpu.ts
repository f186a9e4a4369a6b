import { cpuArgmaxFast, cpuArgmaxHalfFast } from '../multiclass/update-cpu-fast.js';
import type { FormattedComparisonBatch, ModelInput } from './compare.js';

/**
 * A model's prediction per row: its classes, or the argmax of its logits (16-bit ones widened exactly in the module) on
 * WebAssembly SIMD, bit for bit the oracle's rule (argmaxRow; test/tasks/multiclass checks the two equal).
 */
function predictions(m: ModelInput, c: number): ArrayLike<number | bigint> {
  if (m.preds) return m.preds;
  return m.half ? cpuArgmaxHalfFast(m.logits as Uint16Array, m.half, c) : cpuArgmaxFast(m.logits as Float32Array, c);
}

/**
 * The comparison's CPU update, oracle of shaders/compare.wgsl: each row (labels of C or more skipped) into the joint
 * table, or into both matrices and the per-class right/wrong table (see compare.wgsl for the layout).
 */
export function compareCpuUpdate(counts: Float64Array, batch: FormattedComparisonBatch, joint: boolean): void {
  const { rows, numClasses: c, labels } = batch;
  const [pa, pb] = [predictions(batch.a, c), predictions(batch.b, c)];
  for (let i = 0; i < rows; i++) {
    const t = Number(labels[i]!);
    if (t >= c) continue;
    const [a, b] = [Number(pa[i]!), Number(pb[i]!)];
    if (joint) {
      counts[(t * c + a) * c + b]! += 1;
    } else {
      counts[t * c + a]! += 1;
      counts[c * c + t * c + b]! += 1;
      counts[2 * c * c + 4 * t + (a === t ? 0 : 2) + (b === t ? 0 : 1)]! += 1;
    }
  }
}
