import { emptySweepCounts, formatBinaryBatch, resolveSweepThresholds, sweepResult, type BinaryBatch, type SweepResult } from './core/binary.js';
import { sweepCpuUpdate } from './update/sweep-cpu.js';
import { createSweepGpuCounter } from './update/sweep-gpu.js';
import type { TaskGpuOptions } from './update/task-gpu.js';

/** Options of {@link createThresholdSweep}. */
export interface ThresholdSweepOptions extends TaskGpuOptions {
  /** The thresholds, any order; rounded to float32 and deduplicated. */
  thresholds: ArrayLike<number>;
  /** Count on this WebGPU device; without one, on the CPU. */
  device?: GPUDevice | undefined;
}

/** Binary counts at K thresholds, updated batch by batch: ROC and precision-recall points. */
export interface ThresholdSweep {
  readonly backend: 'gpu' | 'cpu';
  /** The distinct float32 thresholds, ascending. */
  readonly thresholds: Float32Array;
  /** Validates and counts a batch of scores and {0, 1} targets; a refused batch adds nothing. */
  update(batch: BinaryBatch): Promise<void>;
  /** TP and FP at each threshold (descending) and the totals of positives and negatives. */
  compute(): Promise<SweepResult>;
  reset(): Promise<void>;
  destroy(): void;
}

/**
 * Creates a threshold sweep on the GPU when given a device, else on the CPU: each row is counted
 * once, in the bin of the thresholds its score reaches (score >= t, float32, NaN reaches none).
 *
 * @example
 * const sweep = createThresholdSweep({ thresholds: [0.1, 0.5, 0.9], device });
 * await sweep.update({ scores, targets });
 * const r = await sweep.compute();
 * auc(rocCurve(r).fpr, rocCurve(r).tpr);
 * sweep.destroy();
 */
export function createThresholdSweep(options: ThresholdSweepOptions): ThresholdSweep {
  const thresholds = resolveSweepThresholds(options.thresholds);
  if (options.device) {
    const gpu = createSweepGpuCounter(options.device, thresholds, options);
    return {
      backend: 'gpu',
      thresholds,
      update: async (batch) => gpu.update(formatBinaryBatch(batch)),
      compute: async () => sweepResult(await gpu.read()),
      reset: () => gpu.reset(),
      destroy: () => gpu.destroy(),
    };
  }
  let counts = emptySweepCounts(thresholds);
  return {
    backend: 'cpu',
    thresholds,
    update: async (batch) => sweepCpuUpdate(counts, formatBinaryBatch(batch)),
    compute: async () => sweepResult(counts),
    reset: async () => {
      counts = emptySweepCounts(thresholds);
    },
    destroy: () => undefined,
  };
}
