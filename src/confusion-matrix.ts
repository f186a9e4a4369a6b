import { reduceCounts } from './core/reduce.js';
import type { Batch, ConfusionMatrixResult } from './core/types.js';
import { formatBatch, validateNumClasses } from './core/validate.js';
import type { GpuPlanOptions } from './gpu/chunk-plan.js';
import { cpuUpdate } from './update/cpu-update.js';
import { createGpuCounter } from './update/gpu-update.js';

/** Options of {@link createConfusionMatrix}: the class count, and a device to run on the GPU. */
export interface ConfusionMatrixOptions extends GpuPlanOptions {
  numClasses: number;
  /** Count on this WebGPU device; without one, counting runs on the CPU. */
  device?: GPUDevice | undefined;
}

/**
 * A stateful confusion matrix: `update()` with batches, `compute()` the counts at any time.
 * Rows are true classes, columns predicted classes.
 */
export interface ConfusionMatrix {
  readonly numClasses: number;
  /** Where counting runs. */
  readonly backend: 'gpu' | 'cpu';
  /** Validates the whole batch (nothing is counted if any of it is refused), then counts it. */
  update(batch: Batch): Promise<void>;
  /** The exact counts so far; counting may go on afterwards. */
  compute(): Promise<ConfusionMatrixResult>;
  /** Forgets every count. */
  reset(): Promise<void>;
  /** Frees the GPU buffers (a no-op on the CPU). */
  destroy(): void;
}

/**
 * Creates a confusion matrix that counts on `options.device` when given, else on the CPU.
 * Both paths give identical counts: ties go to the first maximal logit, a row with NaN to its first NaN.
 *
 * @example
 * const cm = createConfusionMatrix({ numClasses: 3, device });
 * await cm.update({ logits: new Float32Array([0.1, 2, 0.3]), labels: new Int32Array([1]) });
 * const { counts, accuracy } = await cm.compute(); // counts[1 * 3 + 1] === 1, accuracy === 1
 * cm.destroy();
 */
export function createConfusionMatrix(options: ConfusionMatrixOptions): ConfusionMatrix {
  const { numClasses, device } = options;
  validateNumClasses(numClasses);
  if (device) {
    const counter = createGpuCounter(device, numClasses, options);
    return {
      numClasses,
      backend: 'gpu',
      update: (batch) => counter.update(formatBatch(batch, numClasses)),
      compute: async () => reduceCounts(await counter.read(), numClasses),
      reset: () => counter.reset(),
      destroy: () => counter.destroy(),
    };
  }
  const counts = new Float64Array(numClasses * numClasses);
  return {
    numClasses,
    backend: 'cpu',
    update: async (batch) => cpuUpdate(counts, formatBatch(batch, numClasses)),
    compute: async () => reduceCounts(counts, numClasses),
    reset: async () => {
      counts.fill(0);
    },
    destroy: () => undefined,
  };
}

/**
 * One-shot: the confusion matrix of one batch, on `options.device` when given, else on the CPU.
 *
 * @example
 * const r = await confusionMatrix({ preds: new Uint8Array([0, 1, 1]), labels: new Uint8Array([0, 1, 0]) }, { numClasses: 2 });
 * r.counts; // Float64Array [1, 1, 0, 1]
 */
export async function confusionMatrix(batch: Batch, options: ConfusionMatrixOptions): Promise<ConfusionMatrixResult> {
  const cm = createConfusionMatrix(options);
  try {
    await cm.update(batch);
    return await cm.compute();
  } finally {
    cm.destroy();
  }
}
