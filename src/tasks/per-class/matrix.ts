import { InputError } from '../../core/errors.js';
import type { WithTensors } from '../../core/types.js';
import { type AccumulatorOptions, type TaskCounter, type TaskMatrix, taskMatrix } from '../../engine/accumulator.js';
import { hasGpuInputs } from '../../engine/gpu-batch.js';
import { classFields } from '../../engine/tensor-inputs.js';
import { requireOptions } from '../../format/validate.js';
import { createPerClassState, parsePerClassState, perClassStateCounts } from '../../state/per-class-state.js';
import type { PerClassState, PerClassStateMeta } from '../../state/per-class-state.js';
import { addPerClassCounts, emptyPerClassCounts, formatPerClassBatch, perClassResult } from './per-class.js';
import { validatePerClassClasses } from './per-class.js';
import type { FormattedPerClassBatch, PerClassBatch, PerClassCounts, PerClassResult } from './per-class.js';
import { perClassCpuUpdate } from './update-cpu.js';
import { createPerClassGpuCounter, type PerClassGpuOptions } from './update-gpu.js';

/** Options of {@link createPerClassMatrix}. */
export interface PerClassMatrixOptions extends PerClassGpuOptions, AccumulatorOptions {
  /** C, up to 2^24. */
  numClasses: number;
  /** Rows labelled this value are skipped (torchmetrics' ignore_index; any integer). */
  ignoreIndex?: number | undefined;
}

/**
 * Per-class counts for huge C, updated batch by batch: O(C) memory, never a C x C matrix. `update`
 * takes N x C float32 logits (or N predicted classes) and N labels; `compute` gives per class TP,
 * FP, FN, support and metrics and the sparse off-diagonal pairs; `state` and `load` save and add
 * counts (see `mergeAnyStates`).
 */
export interface PerClassMatrix
  extends
    TaskMatrix<WithTensors<PerClassBatch>, PerClassResult, PerClassState, Omit<PerClassStateMeta, 'ignoreIndex'>> {
  readonly numClasses: number;
}

/**
 * Creates a per-class matrix for huge C (10^4 to 10^6 classes and more, up to 2^24), on the GPU when
 * given a device, else on the CPU; both agree exactly (argmax rules of the dense path: first
 * maximal index, first NaN, -0 equals +0). Per class TP, FP, FN and support plus the off-diagonal
 * pairs that occur, in O(C + pairs) memory: for when the C x C matrix does not fit.
 *
 * @example
 * const pc = createPerClassMatrix({ numClasses: 100000, device });
 * await pc.update({ logits, labels });   // Float32Array N x C, any integer array
 * const r = await pc.compute();
 * console.log(r.accuracy, r.macroAvg.f1, topPairs(r, 10));
 * const saved = JSON.stringify(await pc.state()); // later: other.load(JSON.parse(saved))
 * pc.destroy();
 */
export function createPerClassMatrix(options: PerClassMatrixOptions): PerClassMatrix {
  const { numClasses, ignoreIndex } = requireOptions(options, 'createPerClassMatrix(options)', 'numClasses');
  validatePerClassClasses(numClasses);
  const bad = ignoreIndex !== undefined && !Number.isSafeInteger(ignoreIndex);
  if (bad) throw new TypeError(`ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  const empty = (): PerClassCounts => emptyPerClassCounts(numClasses);
  const gpu = (device: GPUDevice): TaskCounter<FormattedPerClassBatch, PerClassCounts> =>
    createPerClassGpuCounter(device, numClasses, options);
  const load = (state: PerClassState): PerClassCounts => {
    const s = parsePerClassState(state, 'state');
    const theirs = { numClasses: s.numClasses, ignoreIndex: s.options.ignoreIndex };
    if (theirs.numClasses !== numClasses || theirs.ignoreIndex !== ignoreIndex) {
      const [a, b] = [JSON.stringify(theirs), JSON.stringify({ numClasses, ignoreIndex })];
      throw new InputError('state', `the state was counted with ${a}, this matrix with ${b}`, undefined, s.options);
    }
    return perClassStateCounts(s);
  };
  const task = { name: 'per-class matrix', empty, add: addPerClassCounts, count: perClassCpuUpdate, gpu, load,
    resident: hasGpuInputs };
  const format = (batch: PerClassBatch): FormattedPerClassBatch => formatPerClassBatch(batch, numClasses, ignoreIndex);
  const state = (r: PerClassResult, meta?: PerClassStateMeta): PerClassState =>
    createPerClassState(r, { ...meta, ignoreIndex });
  const inputs = classFields(numClasses, ignoreIndex === undefined);
  return taskMatrix({ ...task, inputs, format, result: perClassResult, state }, options, { numClasses });
}
