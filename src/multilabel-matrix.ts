import { InputError } from './core/errors.js';
import { addMultilabelCounts, emptyMultilabelCounts, formatMultilabelBatch, multilabelResult, resolveLabelThresholds, validateNumLabels, type MultilabelBatch, type MultilabelResult } from './core/multilabel.js';
import { multilabelCpuUpdate } from './update/multilabel-cpu.js';
import { createMultilabelGpuCounter } from './update/multilabel-gpu.js';
import type { TaskGpuOptions } from './update/task-gpu.js';
import { createMultilabelState, multilabelStateCounts, parseMultilabelState, thresholdValue, type MultilabelState, type MultilabelStateMeta } from './core/task-state.js';

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
  /** Validates and counts a batch of row-major N x L scores and {0, 1} targets, with optional sample weights (one per row); a refused batch adds nothing. */
  update(batch: MultilabelBatch): Promise<void>;
  /** The matrices of every batch so far, as sklearn's `multilabel_confusion_matrix`. */
  compute(): Promise<MultilabelResult>;
  reset(): Promise<void>;
  /** The counts so far as a serializable state (see `mergeMultilabelStates`), with optional label names and shard set. */
  state(meta?: MultilabelStateMeta): Promise<MultilabelState>;
  /** Adds a saved state's counts (another shard, a previous run); refuses another L or other thresholds. */
  load(state: MultilabelState): Promise<void>;
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
  let saved = emptyMultilabelCounts(numLabels);
  const gpu = options.device ? createMultilabelGpuCounter(options.device, numLabels, thresholds, options) : undefined;
  let counts = emptyMultilabelCounts(numLabels);
  const compute = async (): Promise<MultilabelResult> => {
    const total = emptyMultilabelCounts(numLabels);
    addMultilabelCounts(total, gpu ? await gpu.read() : counts);
    addMultilabelCounts(total, saved);
    return multilabelResult(total, thresholds);
  };
  return {
    backend: gpu ? 'gpu' : 'cpu',
    numLabels,
    thresholds,
    update: async (batch) => {
      const formatted = formatMultilabelBatch(batch, numLabels);
      if (gpu) await gpu.update(formatted);
      else multilabelCpuUpdate(counts, formatted, thresholds);
    },
    compute,
    reset: async () => {
      saved = emptyMultilabelCounts(numLabels);
      if (gpu) await gpu.reset();
      else counts = emptyMultilabelCounts(numLabels);
    },
    state: async (meta) => createMultilabelState(await compute(), meta),
    load: async (state) => {
      const s = parseMultilabelState(state, 'state');
      if (s.numLabels !== numLabels) throw new InputError('state', `the state counts ${s.numLabels} labels, this matrix ${numLabels}`, undefined, s.numLabels);
      const j = s.thresholds.findIndex((t, i) => thresholdValue(t) !== thresholds[i]);
      if (j >= 0) throw new InputError('state', `the state's threshold of label ${j} is ${thresholdValue(s.thresholds[j]!)}, this matrix's ${thresholds[j]}`, j, s.thresholds[j]);
      addMultilabelCounts(saved, multilabelStateCounts(s));
    },
    destroy: () => gpu?.destroy(),
  };
}
