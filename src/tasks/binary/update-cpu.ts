import type { LabelArray } from '../../core/types.js';
import type { BinaryBatch, SweepCounts } from './binary.js';

/** The CPU sweep update, oracle of threshold-sweep.wgsl: each row to the bin of the thresholds <= its score. */
export function sweepCpuUpdate(counts: SweepCounts, batch: BinaryBatch): void {
  const { weights } = batch;
  const [scores, targets] = [batch.scores as Float32Array, batch.targets as LabelArray];
  const t = counts.thresholds;
  const k = t.length;
  const big = typeof targets[0] === 'bigint';
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    let lo = 0;
    if (s === s) {
      let hi = k;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (t[mid]! <= s) lo = mid + 1;
        else hi = mid;
      }
    }
    const positive = big ? targets[i] === 1n : targets[i] === 1;
    (positive ? counts.pos : counts.neg)[lo]! += weights ? weights[i]! : 1;
  }
  if (weights) counts.weighted = true;
}
