import { InputError } from '../../core/errors.js';
import { addSweepCounts, addSweepResults, emptySweepCounts, formatBinaryBatch, resolveSweepThresholds, sweepResult, type BinaryBatch, type SweepCounts, type SweepResult } from './binary.js';
import { createAccumulator, cpuCounter, type AccumulatorOptions } from '../../engine/accumulator.js';
import { sweepCpuUpdate } from './update-cpu.js';
import { createSweepGpuCounter } from './update-gpu.js';
import type { TaskGpuOptions } from '../../engine/task-gpu.js';
import { binaryStateResult, createBinaryState, parseBinaryState, type BinaryState, type BinaryStateMeta } from '../../state/task-state.js';

/** Options of {@link createThresholdSweep}. */
export interface ThresholdSweepOptions extends TaskGpuOptions, AccumulatorOptions {
  /** The thresholds, any order; rounded to float32 and deduplicated. */
  thresholds: ArrayLike<number>;
}

/** Binary counts at K thresholds, updated batch by batch: ROC and precision-recall points. */
export interface ThresholdSweep {
  readonly backend: 'gpu' | 'cpu';
  /** The distinct float32 thresholds, ascending. */
  readonly thresholds: Float32Array;
  /** Validates and counts a batch of scores and {0, 1} targets, with optional sample weights (one per row); a refused batch adds nothing. */
  update(batch: BinaryBatch): Promise<void>;
  /** TP and FP at each threshold (descending) and the totals of positives and negatives. */
  compute(): Promise<SweepResult>;
  reset(): Promise<void>;
  /** The counts so far as a serializable state (see `mergeBinaryStates`): the matrix at `meta.threshold` and, for a sweep, every threshold's counts. */
  state(meta?: BinaryStateMeta): Promise<BinaryState>;
  /** Adds a saved state's counts (another shard, a previous run); refuses a state of other thresholds. */
  load(state: BinaryState): Promise<void>;
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
  const descending = Array.from(thresholds).reverse();
  const zero = (): SweepResult => ({ thresholds: descending.slice(), tps: descending.map(() => 0), fps: descending.map(() => 0), positives: 0, negatives: 0 });
  let saved = zero();
  const acc = createAccumulator<BinaryBatch, SweepCounts>(
    {
      name: 'threshold sweep',
      empty: () => emptySweepCounts(thresholds),
      add: addSweepCounts,
      cpu: () => cpuCounter(() => emptySweepCounts(thresholds), sweepCpuUpdate),
      gpu: (device) => createSweepGpuCounter(device, thresholds, options),
    },
    options,
  );
  const compute = (): Promise<SweepResult> => acc.inTurn((counts) => addSweepResults(sweepResult(counts), saved));
  return {
    get backend() {
      return acc.backend;
    },
    thresholds,
    update: (batch) => acc.update(() => formatBinaryBatch(batch)),
    compute,
    reset: () =>
      acc.reset(() => {
        saved = zero();
      }),
    state: async (meta) => createBinaryState(await compute(), meta),
    load: async (state) => {
      const { result } = binaryStateResult(parseBinaryState(state, 'state'));
      const theirs = result.thresholds;
      const i = theirs.length !== descending.length ? Math.min(theirs.length, descending.length) : theirs.findIndex((t, x) => t !== descending[x]);
      if (i >= 0) {
        const show = (ts: number[]): string => `${ts.length} threshold${ts.length === 1 ? '' : 's'} [${ts.slice(0, 5).join(', ')}${ts.length > 5 ? ', ...' : ''}]`;
        throw new InputError('state', `the state holds counts at ${show(theirs)}, this sweep counts at ${show(descending)} (descending)`, i, theirs[i]);
      }
      await acc.inTurn(() => {
        saved = addSweepResults(saved, result);
      });
    },
    destroy: () => acc.destroy(),
  };
}
