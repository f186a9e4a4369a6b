import { InputError } from '../../core/errors.js';
import type { WithTensors } from '../../core/types.js';
import { type AccumulatorOptions, addInto, type TaskMatrix, taskMatrix } from '../../engine/accumulator.js';
import type { TaskGpuOptions } from '../../engine/task-gpu.js';
import { classFields } from '../../engine/tensor-inputs.js';
import { requireOptions } from '../../format/validate.js';
import { type ComparisonPartState, comparisonSpec, createComparisonState } from '../../state/comparison-state.js';
import { parseWith } from '../../state/envelope.js';
import { type ComparisonBatch, comparisonCells, type ComparisonResult, comparisonResult, formatComparisonBatch,
  jointFits, validateComparisonClasses } from './compare.js';
import { compareCpuUpdate } from './update-cpu.js';
import { createComparisonGpuCounter } from './update-gpu.js';

/** Options of {@link createComparison}. */
export interface ComparisonOptions extends TaskGpuOptions, AccumulatorOptions {
  numClasses: number;
  /** Rows whose label is this value are skipped, for both models (torchmetrics' ignore_index; any integer). */
  ignoreIndex?: number | undefined;
  /**
   * Count the joint table (true, A, B): true, false, or 'auto' (the default): when C^3 <= 2^24 cells and, on a
   * device, they fit one storage binding. Otherwise both matrices and the per-class right/wrong table.
   */
  joint?: boolean | 'auto' | undefined;
}

/**
 * Two models' predictions on the same labels, counted together, batch by batch: `update` takes the labels and each
 * model's logits or predicted classes; `compute` gives the joint table (or both matrices and the right/wrong table),
 * both confusion matrices and McNemar's test. `state` and `load` save and add counts of the same setup.
 */
export interface Comparison
  extends TaskMatrix<WithTensors<ComparisonBatch>, ComparisonResult, ComparisonPartState, undefined> {
  readonly numClasses: number;
  /** Whether the joint table is counted (C^3 cells). */
  readonly joint: boolean;
}

const maxBinding = (device: GPUDevice | undefined): number =>
  device ? Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) : Infinity;

/**
 * Creates a comparison of two models on the GPU when given a device, else on the CPU: one pass counts both
 * models' predictions of every row (argmax rules of createConfusionMatrix: first maximum, first NaN, -0 equals +0;
 * float16/bfloat16 logits read as they are). Both paths give identical counts.
 *
 * @example
 * const cmp = createComparison({ numClasses: 10, device });
 * await cmp.update({ logits: logitsA, logitsB, labels }); // or preds / predsB: class indices
 * const r = await cmp.compute();
 * r.a.accuracy - r.b.accuracy; r.mcnemar.exactPValue; r.counts; // the joint table (when r.joint)
 * cmp.destroy();
 */
export function createComparison(options: ComparisonOptions): Comparison {
  const { numClasses, ignoreIndex, device } = requireOptions(options, 'createComparison(options)', 'numClasses');
  if (ignoreIndex !== undefined && !Number.isSafeInteger(ignoreIndex)) {
    throw new InputError('ignoreIndex', `ignoreIndex must be an integer, got ${ignoreIndex}`, undefined, ignoreIndex);
  }
  const wanted = options.joint ?? 'auto';
  if (wanted !== 'auto' && typeof wanted !== 'boolean') {
    throw new InputError('joint', `joint must be true, false or 'auto', got ${String(wanted)}`, undefined, wanted);
  }
  validateComparisonClasses(numClasses, wanted === true);
  const joint = wanted === 'auto' ? jointFits(numClasses, maxBinding(device)) : wanted;
  const cells = comparisonCells(numClasses, joint);
  const load = (value: ComparisonPartState): Float64Array => {
    const state = parseWith(comparisonSpec, value, 'state');
    const theirs = { numClasses: state.numClasses, joint: state.joint, ignoreIndex: state.options.ignoreIndex };
    const ours = { numClasses, joint, ignoreIndex };
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
      throw new InputError('state',
        `the state was counted with ${JSON.stringify(theirs)}, this comparison with ${JSON.stringify(ours)}`);
    }
    return Float64Array.from(joint ? state.counts! : [state.countsA!, state.countsB!, state.rightWrong!].flat());
  };
  const state = (r: ComparisonResult): ComparisonPartState => createComparisonState(r, { ignoreIndex });
  const spec = { name: 'comparison', empty: () => new Float64Array(cells), add: addInto,
    count: (into: Float64Array, batch: Parameters<typeof compareCpuUpdate>[1]) => compareCpuUpdate(into, batch, joint),
    gpu: (d: GPUDevice) => createComparisonGpuCounter(d, numClasses, joint, options),
    format: (batch: ComparisonBatch) => formatComparisonBatch(batch, numClasses, ignoreIndex),
    result: (counts: Float64Array) => comparisonResult(counts, numClasses, joint), state, load,
    inputs: { ...classFields(numClasses, false, true), halves: true } };
  return taskMatrix(spec, options, { numClasses, joint });
}
