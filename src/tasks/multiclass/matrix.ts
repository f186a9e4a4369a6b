import { InputError } from '../../core/errors.js';
import type { Batch, ConfusionMatrixResult, FormattedGpuBatch, GpuBatch, LabelArray,
  WithTensors } from '../../core/types.js';
import { type AccumulatorOptions, addInto, type TaskMatrix, taskMatrix,
  type TaskSpec } from '../../engine/accumulator.js';
import type { GpuPlanOptions } from '../../engine/chunk-plan.js';
import { formatGpuBatch, hasGpuInputs, isGpuBuffer } from '../../engine/gpu-batch.js';
import { classFields } from '../../engine/tensor-inputs.js';
import { cpuBatch, requireOptions, validateNumClasses } from '../../format/validate.js';
import { checkWeights } from '../../format/weights.js';
import { type ConfusionMatrixState, createState, parseState, type StateMeta } from '../../state/state.js';
import { reduceCounts } from './reduce.js';
import { dropIgnored } from './select.js';
import { cpuTopKHits } from './top-k.js';
import { cpuUpdateFast as cpuUpdate, cpuUpdateFastHalf } from './update-cpu-fast.js';
import { cpuUpdateWeighted } from './update-cpu-weighted.js';
import { createGpuCounter } from './update-gpu.js';

/** Options of {@link createConfusionMatrix}: the class count, and a device to run on the GPU. */
export interface ConfusionMatrixOptions extends GpuPlanOptions, AccumulatorOptions {
  numClasses: number;
  /**
   * Samples whose label is this value are skipped (torchmetrics' `ignore_index`; negative values
   * such as -100 too): dropped on the host from host arrays, skipped by the kernels in GPU buffers.
   */
  ignoreIndex?: number | undefined;
  /**
   * Also count top-k hits per true class in the same pass (sklearn's top_k_accuracy_score ranking);
   * the result then has `topK`. Needs logits: batches of predicted classes are refused.
   */
  topK?: number | undefined;
}

/**
 * A stateful confusion matrix: `update()` with batches, `compute()` the counts at any time; rows
 * are true classes, columns predicted classes. Batches may hold GPU buffers on the matrix's device
 * (zero-copy); `state()` and `load()` save and add counts (see `mergeStates`), refusing another C.
 */
export interface ConfusionMatrix
  extends TaskMatrix<WithTensors<Batch | GpuBatch>, ConfusionMatrixResult, ConfusionMatrixState, StateMeta> {
  readonly numClasses: number;
}

/** The exact totals of a confusion matrix: C x C counts, top-k hits per true class, whether weights were counted. */
interface MatrixCounts {
  counts: Float64Array;
  hits: Float64Array;
  weighted: boolean;
}

const addMatrixCounts = (into: MatrixCounts, from: MatrixCounts): void => {
  addInto(into.counts, from.counts);
  addInto(into.hits, from.hits);
  into.weighted ||= from.weighted;
};

/** The multiclass task for the {@link taskMatrix} engine: the CPU oracle's counting and the GPU counter. */
function matrixSpec(numClasses: number, topK: number,
  options: ConfusionMatrixOptions): TaskSpec<FormattedGpuBatch, MatrixCounts> {
  const empty = (): MatrixCounts => ({ counts: new Float64Array(numClasses * numClasses),
    hits: new Float64Array(topK > 0 ? numClasses : 0), weighted: false });
  return { name: 'confusion matrix', empty, add: addMatrixCounts,
    resident: (batch) => isGpuBuffer(batch.labels) || isGpuBuffer(batch.logits) || isGpuBuffer(batch.preds),
    count: (into, formatted) => {
      const { logits, logitsDtype, weights } = formatted;
      if (logits instanceof Uint16Array && logitsDtype && !weights && topK === 0) {
        return cpuUpdateFastHalf(into.counts, formatted.labels as LabelArray, numClasses, logits, logitsDtype);
      }
      const fb = cpuBatch(formatted);
      if (topK > 0 && !fb.logits) {
        throw new InputError('preds', 'top-k needs logits: a batch of predicted classes has no scores to rank');
      }
      if (fb.weights) cpuUpdateWeighted(into.counts, { ...fb, weights: fb.weights });
      else cpuUpdate(into.counts, fb);
      if (topK > 0) cpuTopKHits(fb.logits!, fb.labels, numClasses, topK, into.hits, fb.weights);
      into.weighted ||= fb.weights !== undefined;
    }, gpu: (device) => {
      const counter = createGpuCounter(device, numClasses, options);
      let weighted = false;
      return { update: async (batch) => {
        await counter.update(batch);
        weighted ||= batch.weights !== undefined;
      }, committed: () => ({ counts: counter.committed(), hits: counter.committedTopK(), weighted }),
        reset: async () => {
          await counter.reset();
          weighted = false;
        }, destroy: () => counter.destroy() };
    } };
}

/**
 * Creates a confusion matrix that counts on `options.device` when given, else on the CPU.
 * Both paths give identical counts: ties go to the first maximal logit, a row with NaN to its first NaN.
 * When the device is lost mid-stream, counting goes on on `options.recover`'s device or the CPU,
 * said on `options.warn`, with nothing lost or counted twice.
 *
 * @example
 * const cm = createConfusionMatrix({ numClasses: 3, device });
 * await cm.update({ logits: new Float32Array([0.1, 2, 0.3]), labels: new Int32Array([1]) });
 * const { counts, accuracy } = await cm.compute(); // counts[1 * 3 + 1] === 1, accuracy === 1
 * const saved = JSON.stringify(await cm.state()); // later: other.load(JSON.parse(saved))
 * cm.destroy();
 */
export function createConfusionMatrix(options: ConfusionMatrixOptions): ConfusionMatrix {
  const { numClasses } = requireOptions(options, 'createConfusionMatrix(options)', 'numClasses');
  validateNumClasses(numClasses);
  const { ignoreIndex } = options;
  if (ignoreIndex !== undefined && !Number.isSafeInteger(ignoreIndex)) {
    throw new InputError('ignoreIndex', `ignoreIndex must be an integer, got ${ignoreIndex}`, undefined, ignoreIndex);
  }
  const topK = options.topK ?? 0;
  if (!Number.isSafeInteger(topK) || topK < 0) {
    throw new InputError('topK', `topK must be an integer >= 0 (0: off), got ${topK}`, undefined, topK);
  }
  const result = (t: MatrixCounts): ConfusionMatrixResult => {
    const r = reduceCounts(t.counts, numClasses, t.weighted);
    if (topK > 0) {
      r.topK = { k: topK, hits: t.hits, accuracy: r.total === 0 ? 0 : t.hits.reduce((a, b) => a + b, 0) / r.total };
    }
    return r;
  };

  const format = (batch: Batch | GpuBatch): FormattedGpuBatch => {
    if (batch.weights !== undefined) checkWeights(batch.weights, batch.weights.length);
    if (ignoreIndex !== undefined && !hasGpuInputs(batch)) batch = dropIgnored(batch as Batch, ignoreIndex, numClasses);
    else if (ignoreIndex !== undefined && !isGpuBuffer(batch.labels)) {
      throw new InputError('labels',
        'ignoreIndex with logits or predictions in GPU buffers needs the labels in a GPU buffer too (skipped on ' +
          'the GPU), or all inputs on the host');
    }
    const formatted = formatGpuBatch(batch, numClasses);
    if (batch.weights !== undefined) formatted.weights = checkWeights(batch.weights, formatted.rows);
    return formatted;
  };

  const load = (state: ConfusionMatrixState): MatrixCounts => {
    const s = parseState(state, 'state');
    const o = s.options;
    if (s.numClasses !== numClasses) {
      throw new InputError('state', `the state counts ${s.numClasses} classes, this matrix ${numClasses}`, undefined,
        s.numClasses);
    }
    if (o.ignoreIndex !== ignoreIndex || (o.topK ?? 0) !== topK || o.classSubset !== undefined) {
      const ours = JSON.stringify({ numClasses, ignoreIndex, topK: topK || undefined });
      throw new InputError('state', `the state was counted with options ${JSON.stringify(o)}, this matrix with ${ours}`,
        undefined, o);
    }
    const hits = Float64Array.from(s.topKHits ?? new Float64Array(topK > 0 ? numClasses : 0));
    return { counts: Float64Array.from(s.counts), hits, weighted: o.sampleWeight === true };
  };

  const state = (r: ConfusionMatrixResult, meta?: StateMeta): ConfusionMatrixState =>
    createState(r, { ...meta, options: { ...meta?.options, ...(ignoreIndex !== undefined ? { ignoreIndex } : {}) } });
  const inputs = { ...classFields(numClasses, ignoreIndex === undefined), halves: true };
  return taskMatrix({ ...matrixSpec(numClasses, topK, options), inputs, format, result, state, load }, options, {
    numClasses,
  });
}

/**
 * One-shot: the confusion matrix of one batch, on `options.device` when given, else on the CPU.
 *
 * @example
 * const r = await confusionMatrix({ preds: new Uint8Array([0, 1, 1]), labels: new Uint8Array([0, 1, 0]) }, {
 * numClasses: 2 });
 * r.counts; // Float64Array [1, 1, 0, 1]
 */
export async function confusionMatrix(batch: WithTensors<Batch | GpuBatch>,
  options: ConfusionMatrixOptions): Promise<ConfusionMatrixResult> {
  const cm = createConfusionMatrix(requireOptions(options, 'confusionMatrix(batch, options)', 'numClasses'));
  try {
    await cm.update(batch);
    return await cm.compute();
  } finally {
    cm.destroy();
  }
}
