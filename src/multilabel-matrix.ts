import { emptyMultilabelCounts, formatMultilabelBatch, multilabelResult, resolveLabelThresholds, validateNumLabels, type MultilabelBatch, type MultilabelResult } from './core/multilabel.js';
import { multilabelCpuUpdate } from './update/multilabel-cpu.js';
import { createMultilabelGpuCounter } from './update/multilabel-gpu.js';
import type { TaskGpuOptions } from './update/task-gpu.js';

/** Options of {@link createMultilabelMatrix}. */
export interface MultilabelMatrixOptions extends TaskGpuOptions {
  numLabels: number;
  /** A label is predicted when score >= threshold: one for all labels or one per label. Default 0.5 (probabilities; use 0 for logits). */
  threshold?: number | ArrayLike<number>;
  /** Count on this WebGPU device; without one, on the CPU. */
  device?: GPUDevice | undefined;
}

/** L 2 x 2 confusion matrices of a multilabel task, updated batch by batch (torchmetrics-style). */
export interface MultilabelMatrix {
  readonly backend: 'gpu' | 'cpu';
  readonly numLabels: number;
  /** The thresholds as float32, one per label. */
  readonly thresholds: Float32Array;
  /** Validates and counts a batch of row-major N x L scores and {0, 1} targets; a refused batch adds nothing. */
  update(batch: MultilabelBatch): Promise<void>;
  /** The matrices of every batch so far, as sklearn's `multilabel_confusion_matrix`. */
  compute(): Promise<MultilabelResult>;
  reset(): Promise<void>;
  destroy(): void;
}

/**
 * Creates a multilabel confusion matrix on the GPU when given a device, else on the CPU; both agree
 * bit for bit (thresholds compare float32 values, -0 equals +0, a NaN score predicts 0).
 *
 * @example
 * const ml = createMultilabelMatrix({ numLabels: 3, threshold: 0, device });
 * await ml.update({ scores: logits, targets });
 * const m = multilabelMetrics(await ml.compute());
 * ml.destroy();
 */
export function createMultilabelMatrix(options: MultilabelMatrixOptions): MultilabelMatrix {
  const numLabels = validateNumLabels(options.numLabels);
  const thresholds = resolveLabelThresholds(options.threshold ?? 0.5, numLabels);
  if (options.device) {
    const gpu = createMultilabelGpuCounter(options.device, numLabels, thresholds, options);
    return {
      backend: 'gpu',
      numLabels,
      thresholds,
      update: async (batch) => gpu.update(formatMultilabelBatch(batch, numLabels)),
      compute: async () => multilabelResult(await gpu.read(), thresholds),
      reset: () => gpu.reset(),
      destroy: () => gpu.destroy(),
    };
  }
  let counts = emptyMultilabelCounts(numLabels);
  return {
    backend: 'cpu',
    numLabels,
    thresholds,
    update: async (batch) => multilabelCpuUpdate(counts, formatMultilabelBatch(batch, numLabels), thresholds),
    compute: async () => multilabelResult(counts, thresholds),
    reset: async () => {
      counts = emptyMultilabelCounts(numLabels);
    },
    destroy: () => undefined,
  };
}
