import {
  addPerClassCounts,
  emptyPerClassCounts,
  formatPerClassBatch,
  perClassResult,
  validatePerClassClasses,
  type FormattedPerClassBatch,
  type PerClassBatch,
  type PerClassCounts,
  type PerClassResult,
} from './per-class.js';
import { createAccumulator, cpuCounter, type AccumulatorOptions } from '../../engine/accumulator.js';
import { perClassCpuUpdate } from './update-cpu.js';
import { createPerClassGpuCounter, type PerClassGpuOptions } from './update-gpu.js';

/** Options of {@link createPerClassMatrix}. */
export interface PerClassMatrixOptions extends PerClassGpuOptions, AccumulatorOptions {
  /** C, up to 2^24. */
  numClasses: number;
  /** Rows labelled this value are skipped (torchmetrics' ignore_index; any integer). */
  ignoreIndex?: number | undefined;
}

/** Per-class counts for huge C, updated batch by batch: O(C) memory, never a C x C matrix. */
export interface PerClassMatrix {
  /** Where counting runs now: 'gpu' can become 'cpu' after a device loss. */
  readonly backend: 'gpu' | 'cpu';
  readonly numClasses: number;
  /** Validates and counts a batch of N x C float32 logits (or N predicted classes) and N labels; a refused batch adds nothing. */
  update(batch: PerClassBatch): Promise<void>;
  /** Per class TP, FP, FN, support and metrics, and the sparse off-diagonal pairs, of every batch so far. */
  compute(): Promise<PerClassResult>;
  reset(): Promise<void>;
  destroy(): void;
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
 * pc.destroy();
 */
export function createPerClassMatrix(options: PerClassMatrixOptions): PerClassMatrix {
  const { numClasses, ignoreIndex } = options;
  validatePerClassClasses(numClasses);
  if (ignoreIndex !== undefined && !Number.isSafeInteger(ignoreIndex)) throw new TypeError(`ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  const acc = createAccumulator<FormattedPerClassBatch, PerClassCounts>(
    {
      name: 'per-class matrix',
      empty: () => emptyPerClassCounts(numClasses),
      add: addPerClassCounts,
      cpu: () => cpuCounter(() => emptyPerClassCounts(numClasses), perClassCpuUpdate),
      gpu: (device) => createPerClassGpuCounter(device, numClasses, options),
    },
    options,
  );
  return {
    get backend() {
      return acc.backend;
    },
    numClasses,
    update: (batch) => acc.update(() => formatPerClassBatch(batch, numClasses, ignoreIndex)),
    compute: () => acc.inTurn(perClassResult),
    reset: () => acc.reset(),
    destroy: () => acc.destroy(),
  };
}
