import { InputError } from '../../core/errors.js';
import type { WithTensors } from '../../core/types.js';
import { type AccumulatorOptions, type TaskCounter, type TaskMatrix, taskMatrix } from '../../engine/accumulator.js';
import { hasGpuInputs } from '../../engine/gpu-batch.js';
import type { TaskGpuOptions } from '../../engine/task-gpu.js';
import { requireOptions } from '../../format/validate.js';
import { type BinaryState, type BinaryStateMeta, binaryStateResult, createBinaryState,
  parseBinaryState } from '../../state/task-state.js';
import { addSweepCounts, emptySweepCounts, formatBinaryBatch, resolveSweepThresholds, sweepResult } from './binary.js';
import type { BinaryBatch, SweepCounts, SweepResult } from './binary.js';
import { sweepCpuUpdate } from './update-cpu.js';
import { createSweepGpuCounter } from './update-gpu.js';

/** Options of {@link createThresholdSweep}. */
export interface ThresholdSweepOptions extends TaskGpuOptions, AccumulatorOptions {
  /** The thresholds, any order; rounded to float32 and deduplicated. */
  thresholds: ArrayLike<number>;
}

/**
 * Binary counts at K thresholds, updated batch by batch: ROC and precision-recall points. `update`
 * takes scores and {0, 1} targets, with optional sample weights (one per row); `compute` gives TP
 * and FP at each threshold (descending) and the totals; `state` holds the matrix at
 * `meta.threshold` and, for a sweep, every threshold's counts (see `mergeBinaryStates`).
 */
export interface ThresholdSweep
  extends TaskMatrix<WithTensors<BinaryBatch>, SweepResult, BinaryState, BinaryStateMeta> {
  /** The distinct float32 thresholds, ascending. */
  readonly thresholds: Float32Array;
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
  const thresholds = resolveSweepThresholds(
    requireOptions(options, 'createThresholdSweep(options)', 'thresholds').thresholds,
  );
  const descending = Array.from(thresholds).reverse();
  const empty = (): SweepCounts => emptySweepCounts(thresholds);
  const load = (state: BinaryState): SweepCounts => {
    const { result } = binaryStateResult(parseBinaryState(state, 'state'));
    const theirs = result.thresholds;
    const i = theirs.length !== descending.length ?
      Math.min(theirs.length, descending.length) :
      theirs.findIndex((t, x) => t !== descending[x]);
    if (i >= 0) {
      const show = (ts: number[]): string =>
        `${ts.length} threshold${ts.length === 1 ? '' : 's'} [${ts.slice(0, 5).join(', ')}${
          ts.length > 5 ? ', ...' : ''
        }]`;
      throw new InputError('state',
        `the state holds counts at ${show(theirs)}, this sweep counts at ${show(descending)} (descending)`, i,
        theirs[i]);
    }
    return { ...empty(), loaded: result };
  };
  const gpu = (device: GPUDevice): TaskCounter<BinaryBatch, SweepCounts> =>
    createSweepGpuCounter(device, thresholds, options);
  const io = { format: formatBinaryBatch, result: sweepResult, state: createBinaryState, load, gpu,
    resident: hasGpuInputs, inputs: { widths: { scores: 1, targets: 1 }, inPlace: true } };
  return taskMatrix({ name: 'threshold sweep', empty, add: addSweepCounts, count: sweepCpuUpdate, ...io }, options, {
    thresholds,
  });
}
