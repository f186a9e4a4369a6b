import { InputError } from '../../core/errors.js';
import type { WithTensors } from '../../core/types.js';
import { type AccumulatorOptions, type TaskMatrix, taskMatrix } from '../../engine/accumulator.js';
import { hasGpuInputs } from '../../engine/gpu-batch.js';
import type { TaskGpuOptions } from '../../engine/task-gpu.js';
import { requireOptions } from '../../format/validate.js';
import { createMultilabelState, multilabelStateCounts, parseMultilabelState,
  thresholdValue } from '../../state/task-state.js';
import type { MultilabelState, MultilabelStateMeta } from '../../state/task-state.js';
import { addMultilabelCounts, emptyMultilabelCounts, formatMultilabelBatch, multilabelResult } from './multilabel.js';
import { type FormattedMultilabelBatch, type MultilabelBatch, type MultilabelCounts, type MultilabelResult,
  resolveLabelThresholds, validateNumLabels } from './multilabel.js';
import { multilabelCpuUpdate } from './update-cpu.js';
import { createMultilabelGpuCounter } from './update-gpu.js';

/** Options of {@link createMultilabelMatrix}. */
export interface MultilabelMatrixOptions extends TaskGpuOptions, AccumulatorOptions {
  numLabels: number;
  /**
   * A label is predicted when score >= threshold: one for all labels or one per label. Default 0.5 (probabilities; use
   * 0 for logits).
   */
  threshold?: number | ArrayLike<number>;
  /**
   * Keep the table of distinct row outcomes (which labels each row counts as TP, FP, FN; at most 65,536 distinct),
   * which the intervals of the micro, macro, weighted and samples averages need (`labelIntervals`). Default false.
   */
  rowOutcomes?: boolean;
}

/**
 * L 2 x 2 confusion matrices of a multilabel task, updated batch by batch (torchmetrics-style):
 * `update` takes row-major N x L scores and {0, 1} targets, with optional sample weights (one per
 * row); `compute` gives the matrices as sklearn's `multilabel_confusion_matrix`; `state` and `load`
 * save and add counts (see `mergeMultilabelStates`), refusing another L or other thresholds.
 */
export interface MultilabelMatrix
  extends TaskMatrix<WithTensors<MultilabelBatch>, MultilabelResult, MultilabelState, MultilabelStateMeta> {
  readonly numLabels: number;
  /** The thresholds as float32, one per label. */
  readonly thresholds: Float32Array;
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
  const numLabels = validateNumLabels(
    requireOptions(options, 'createMultilabelMatrix(options)', 'numLabels').numLabels,
  );
  const thresholds = resolveLabelThresholds(options.threshold ?? 0.5, numLabels);
  const keep = options.rowOutcomes === true;
  const empty = (): MultilabelCounts => emptyMultilabelCounts(numLabels, keep);
  const count = (into: MultilabelCounts, batch: FormattedMultilabelBatch): void =>
    multilabelCpuUpdate(into, batch, thresholds);
  const load = (state: MultilabelState): MultilabelCounts => {
    const s = parseMultilabelState(state, 'state');
    if (s.numLabels !== numLabels) {
      throw new InputError('state', `the state counts ${s.numLabels} labels, this matrix ${numLabels}`, undefined,
        s.numLabels);
    }
    const j = s.thresholds.findIndex((t, i) => thresholdValue(t) !== thresholds[i]);
    if (j >= 0) {
      throw new InputError('state',
        `the state's threshold of label ${j} is ${thresholdValue(s.thresholds[j]!)}, this matrix's ${thresholds[j]}`, j,
        s.thresholds[j]);
    }
    return multilabelStateCounts(s);
  };
  return taskMatrix({ name: 'multilabel matrix', empty, add: addMultilabelCounts, count, resident: hasGpuInputs,
    inputs: { widths: { scores: numLabels, targets: numLabels }, inPlace: true },
    gpu: (device: GPUDevice) => createMultilabelGpuCounter(device, numLabels, thresholds, options, keep),
    format: (batch: MultilabelBatch) => formatMultilabelBatch(batch, numLabels),
    result: (counts: MultilabelCounts) => multilabelResult(counts, thresholds), state: createMultilabelState, load },
    options, { numLabels, thresholds });
}
