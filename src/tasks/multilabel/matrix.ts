import { InputError } from '../../core/errors.js';
import {
  addMultilabelCounts,
  emptyMultilabelCounts,
  formatMultilabelBatch,
  multilabelResult,
  resolveLabelThresholds,
  validateNumLabels,
  type FormattedMultilabelBatch,
  type MultilabelBatch,
  type MultilabelCounts,
  type MultilabelResult,
} from './multilabel.js';
import { createAccumulator, cpuCounter, type AccumulatorOptions } from '../../engine/accumulator.js';
import { multilabelCpuUpdate } from './update-cpu.js';
import { createMultilabelGpuCounter } from './update-gpu.js';
import type { TaskGpuOptions } from '../../engine/task-gpu.js';
import { createMultilabelState, multilabelStateCounts, parseMultilabelState, thresholdValue, type MultilabelState, type MultilabelStateMeta } from '../../state/task-state.js';

/** Options of {@link createMultilabelMatrix}. */
export interface MultilabelMatrixOptions extends TaskGpuOptions, AccumulatorOptions {
  numLabels: number;
  /** A label is predicted when score >= threshold: one for all labels or one per label. Default 0.5 (probabilities; use 0 for logits). */
  threshold?: number | ArrayLike<number>;
}

/** L 2 x 2 confusion matrices of a multilabel task, updated batch by batch (torchmetrics-style). */
export interface MultilabelMatrix {
  /** Where counting runs now: 'gpu' can become 'cpu' after a device loss. */
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
 * bit for bit (thresholds compare float32 values, -0 equals +0, a NaN score predicts 0). A lost
 * device is recovered from like {@link createConfusionMatrix}'s: nothing accepted is lost.
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
  const acc = createAccumulator<FormattedMultilabelBatch, MultilabelCounts>(
    {
      name: 'multilabel matrix',
      empty: () => emptyMultilabelCounts(numLabels),
      add: addMultilabelCounts,
      cpu: () => cpuCounter(() => emptyMultilabelCounts(numLabels), (into, batch) => multilabelCpuUpdate(into, batch, thresholds)),
      gpu: (device) => createMultilabelGpuCounter(device, numLabels, thresholds, options),
    },
    options,
  );
  const compute = (): Promise<MultilabelResult> => acc.inTurn((counts) => multilabelResult(counts, thresholds));
  return {
    get backend() {
      return acc.backend;
    },
    numLabels,
    thresholds,
    update: (batch) => acc.update(() => formatMultilabelBatch(batch, numLabels)),
    compute,
    reset: () => acc.reset(),
    state: async (meta) => createMultilabelState(await compute(), meta),
    load: async (state) => {
      const s = parseMultilabelState(state, 'state');
      if (s.numLabels !== numLabels) throw new InputError('state', `the state counts ${s.numLabels} labels, this matrix ${numLabels}`, undefined, s.numLabels);
      const j = s.thresholds.findIndex((t, i) => thresholdValue(t) !== thresholds[i]);
      if (j >= 0) throw new InputError('state', `the state's threshold of label ${j} is ${thresholdValue(s.thresholds[j]!)}, this matrix's ${thresholds[j]}`, j, s.thresholds[j]);
      await acc.add(multilabelStateCounts(s));
    },
    destroy: () => acc.destroy(),
  };
}
