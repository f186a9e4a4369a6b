import { InputError } from '../../core/errors.js';
import type { LabelArray, SampleWeights } from '../../core/types.js';
import { addInto } from '../../engine/accumulator.js';
import { gpuRows, isGpuBuffer } from '../../engine/gpu-batch.js';
import { isLabelArray } from '../../format/validate.js';
import { checkWeights } from '../../format/weights.js';
import { fScore } from '../multiclass/metrics.js';
import { copyRowOutcomes, mergeRowOutcomes, type RowOutcomes } from './row-outcomes.js';

/**
 * One batch of a multilabel task: row-major N x L scores and N x L targets in {0, 1}; optional sample weights, one per
 * row. Scores (f32) and targets (u32) may be GPU buffers of the matrix's device, read in place; targets in a buffer
 * are checked on the GPU: one that is not 0 or 1 refuses the batch.
 */
export interface MultilabelBatch {
  scores: Float32Array | GPUBuffer;
  targets: LabelArray | GPUBuffer;
  /** sklearn's `sample_weight`: one finite weight per row (negative allowed); absent: 1 per row. */
  weights?: SampleWeights | undefined;
  /** With GPU buffers: the rows to count (default: what the buffers hold). */
  rows?: number | undefined;
}

/** A batch that passed {@link formatMultilabelBatch} (weights, when given, are checked: finite, one per row). */
export interface FormattedMultilabelBatch extends MultilabelBatch {
  rows: number;
  numLabels: number;
  weights?: SampleWeights;
}

/**
 * The exact sums of sklearn's "samples" average: index d sums the numerators (TP; 2TP for F1, times
 * the weight when weighted) of the rows whose denominator (TP + FP, TP + FN, 2TP + FP + FN) is d.
 */
export interface SampleSums {
  /** Length L + 1: [d] sums TP over rows with TP + FP = d. */
  precision: Float64Array;
  /** Length L + 1: [d] sums TP over rows with TP + FN = d. */
  recall: Float64Array;
  /** Length 2L + 1: [d] sums 2TP over rows with 2TP + FP + FN = d. */
  f1: Float64Array;
}

/** Exact running counts of a multilabel task: per label TP, FP, FN and the samples sums. */
export interface MultilabelCounts {
  numLabels: number;
  /** Rows counted; with sample weights the sum of their weights (sklearn's `sum(sample_weight)`). */
  rows: number;
  /** True when some batch carried sample weights (unweighted rows weigh 1). */
  weighted?: boolean;
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  samples: SampleSums;
  /** The distinct rows' outcomes (see {@link RowOutcomes}); absent when not kept. */
  outcomes?: RowOutcomes;
}

type Matrix2 = [[number, number], [number, number]];

/** Per label 2 x 2 matrices as sklearn's `multilabel_confusion_matrix`: `[[TN, FP], [FN, TP]]`. */
export interface MultilabelResult {
  numLabels: number;
  /** Rows counted; with sample weights the sum of their weights. */
  rows: number;
  /** True when counts are sums of sample weights (sklearn's `sample_weight`). */
  weighted?: boolean;
  thresholds: number[];
  matrices: Matrix2[];
  /** Sums over rows of each row's precision, recall and F1 (zero_division = 0), from `sampleSums`. */
  samples: { precision: number; recall: number; f1: number };
  /** The exact sums behind `samples` (see {@link SampleSums}); states save and merge these. */
  sampleSums: SampleSums;
  /** The distinct rows' outcomes, when kept (`rowOutcomes: true`): the intervals of the averages need them. */
  rowOutcomes?: RowOutcomes;
}

/** Precision, recall, F1 and support of one label or one average. */
export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** sklearn's `precision_recall_fscore_support(zero_division=0)` per label and with each average. */
export interface MultilabelMetrics {
  perLabel: (LabelScores & { index: number; tp: number; fp: number; fn: number; tn: number })[];
  microAvg: LabelScores;
  macroAvg: LabelScores;
  weightedAvg: LabelScores;
  samplesAvg: LabelScores;
}

/** Checks a label count: an integer in [1, 65536]. */
export function validateNumLabels(numLabels: number): number {
  if (!Number.isSafeInteger(numLabels) || numLabels < 1 || numLabels > 65536) {
    throw new InputError('numLabels', `numLabels must be an integer in [1, 65536], got ${numLabels}`, undefined,
      numLabels);
  }
  return numLabels;
}

/** Per label float32 thresholds from one number or one per label; NaN is refused. */
export function resolveLabelThresholds(threshold: number | ArrayLike<number>, numLabels: number): Float32Array {
  const out = new Float32Array(numLabels);
  if (typeof threshold === 'number') out.fill(threshold);
  else {
    if (threshold.length !== numLabels) {
      throw new InputError('threshold', `${threshold.length} thresholds given for ${numLabels} labels`, undefined,
        threshold.length);
    }
    out.set(Array.from(threshold));
  }
  const bad = out.findIndex((t) => Number.isNaN(t));
  if (bad >= 0) throw new InputError('threshold', `threshold ${bad} is NaN`, bad, NaN);
  return out;
}

/**
 * The refusal of target `index` (row-major, `numLabels` per row), not 0 or 1: named by index when `binary`, else by
 * row and column; `value` undefined when a GPU buffer could not be read back.
 */
export function targetError(index: number, numLabels: number, binary: boolean,
  value: number | bigint | undefined): InputError {
  const row = Math.floor(index / numLabels);
  const at = binary ? `index ${index}` : `row ${row}, column ${index % numLabels}`;
  const int32 = typeof value === 'number' && value > 0x7fffffff ? ` (as int32: ${value | 0})` : '';
  const shown = value === undefined ? 'a target' : `target ${String(value)}${int32}`;
  return new InputError('targets', `${at}: ${shown} is not 0 or 1`, row, value);
}

/**
 * Validates a multilabel batch: float32 scores and integer 0/1 targets of the same N x L size; `binary`: a binary
 * task's batch (L = 1), whose bad targets are named by index.
 */
export function formatMultilabelBatch(batch: MultilabelBatch, numLabels: number,
  binary = false): FormattedMultilabelBatch {
  validateNumLabels(numLabels);
  const { scores, targets } = batch;
  const typeName = (x: unknown): string => (x as object)?.constructor?.name ?? typeof x;
  if (!(scores instanceof Float32Array || isGpuBuffer(scores))) {
    throw new InputError('scores', `scores must be a Float32Array or a GPUBuffer, got ${typeName(scores)}`);
  }
  if (!(isLabelArray(targets) || isGpuBuffer(targets))) {
    throw new InputError('targets', `targets must be an integer typed array or a GPUBuffer, got ${typeName(targets)}`);
  }
  if (isGpuBuffer(targets) && batch.weights !== undefined) {
    throw new InputError('weights',
      'sample weights need the targets on the host: the weighted kernels read both from one upload');
  }
  const resident = isGpuBuffer(scores) || isGpuBuffer(targets);
  const inputs: [string, unknown, number][] = [['targets', targets, numLabels], ['scores', scores, numLabels]];
  const rows = resident ? gpuRows(inputs, batch.rows) : Math.floor((scores as Float32Array).length / numLabels);
  for (const [field, x] of resident ? inputs : inputs.reverse()) {
    const length = (x as ArrayLike<unknown>).length;
    if (isGpuBuffer(x) || length === rows * numLabels) continue;
    const why = resident ?
      `expected ${rows * numLabels} for ${rows} rows` :
      field === 'scores' ?
      `not a multiple of ${numLabels} labels` :
      `scores ${(scores as Float32Array).length}`;
    throw new InputError(field, `${field} hold ${length} values, ${why}`, undefined, length);
  }
  let bad = -1;
  for (let i = 0; !isGpuBuffer(targets) && i < targets.length && bad < 0; i++) {
    const v = targets[i]!;
    if (v !== 0 && v !== 1 && v !== 0n && v !== 1n) bad = i;
  }
  if (bad >= 0) throw targetError(bad, numLabels, binary, (targets as LabelArray)[bad]);
  const out: FormattedMultilabelBatch = { rows, numLabels, scores, targets };
  if (batch.weights !== undefined) out.weights = checkWeights(batch.weights, rows);
  return out;
}

/** The sum of a batch's weights in row order (float64), as both backends add it. */
export function sumWeights(weights: SampleWeights): number {
  let s = 0;
  for (let i = 0; i < weights.length; i++) s += weights[i]!;
  return s;
}

/** Zeroed counts for `numLabels` labels; `outcomes`: with an empty table of row outcomes. */
export function emptyMultilabelCounts(numLabels: number, outcomes = false): MultilabelCounts {
  const z = () => new Float64Array(numLabels);
  const counts: MultilabelCounts = { numLabels, rows: 0, tp: z(), fp: z(), fn: z(),
    samples: emptySampleSums(numLabels) };
  if (outcomes) counts.outcomes = new Map();
  return counts;
}

/** Zeroed {@link SampleSums} for `numLabels` labels. */
export function emptySampleSums(numLabels: number): SampleSums {
  const z = (n: number): Float64Array => new Float64Array(n);
  return { precision: z(numLabels + 1), recall: z(numLabels + 1), f1: z(2 * numLabels + 1) };
}

/** Adds `from` into `into` (same label count), exactly. */
export function addSampleSums(into: SampleSums, from: SampleSums): void {
  for (const k of ['precision', 'recall', 'f1'] as const) addInto(into[k], from[k]);
}

/** Adds counts into `into` (same label count), exactly. */
export function addMultilabelCounts(into: MultilabelCounts, from: MultilabelCounts): void {
  into.rows += from.rows;
  if (from.weighted) into.weighted = true;
  for (const k of ['tp', 'fp', 'fn'] as const) addInto(into[k], from[k]);
  addSampleSums(into.samples, from.samples);
  if (into.outcomes === undefined) return;
  if (from.outcomes === undefined) delete into.outcomes;
  else into.outcomes = mergeRowOutcomes(into.outcomes, from.outcomes);
}

/** The float sums of row precision, recall and F1: numerators[d] / d summed in ascending d. */
function sampleTotals(s: SampleSums): { precision: number; recall: number; f1: number } {
  const total = (a: Float64Array): number => {
    let t = 0;
    for (let d = 1; d < a.length; d++) if (a[d] !== 0) t += a[d]! / d;
    return t;
  };
  return { precision: total(s.precision), recall: total(s.recall), f1: total(s.f1) };
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Adds one row's TP, FP and FN over its labels (weighted by `weight`) to the exact "samples" sums.
 *
 * @example
 * addSampleRow(counts.samples, 1, 0, 1); // precision 1/1, recall 1/2, F1 2/3
 */
export function addSampleRow(samples: SampleSums, tp: number, fp: number, fn: number, weight = 1): void {
  if (tp === 0 || weight === 0) return;
  const n = weight * tp;
  samples.precision[tp + fp]! += n;
  samples.recall[tp + fn]! += n;
  samples.f1[2 * tp + fp + fn]! += 2 * n;
}

/** The result of some counts, `[[TN, FP], [FN, TP]]` per label. */
export function multilabelResult(counts: MultilabelCounts, thresholds: Float32Array): MultilabelResult {
  const { numLabels, rows, tp, fp, fn, samples: s } = counts;
  const matrices = Array.from(tp, (t, j): Matrix2 => [[rows - t - fp[j]! - fn[j]!, fp[j]!], [fn[j]!, t]]);
  const sampleSums = { precision: s.precision.slice(), recall: s.recall.slice(), f1: s.f1.slice() };
  const [weighted, samples] = [counts.weighted ? { weighted: true } : {}, sampleTotals(s)];
  const outcomes = counts.outcomes === undefined ? {} : { rowOutcomes: copyRowOutcomes(counts.outcomes) };
  return { numLabels, rows, ...weighted, thresholds: Array.from(thresholds), matrices, samples, sampleSums,
    ...outcomes };
}

/**
 * Per label scores and micro, macro, weighted and samples averages, as sklearn's
 * `precision_recall_fscore_support(average=..., zero_division=0)`; averages carry the total support.
 *
 * @example
 * multilabelMetrics(result).samplesAvg.f1; // f1_score(Y, P, average='samples', zero_division=0)
 */
export function multilabelMetrics(result: MultilabelResult): MultilabelMetrics {
  const perLabel = result.matrices.map(([[tn, fp], [fn, tp]], index) => {
    return { index, ...labelScores(tp, fp, fn), support: tp + fn, tp, fp, fn, tn };
  });
  const sum = (f: (x: (typeof perLabel)[number]) => number): number => perLabel.reduce((s, x) => s + f(x), 0);
  const support = sum((x) => x.support);
  const avg = (f: (key: 'precision' | 'recall' | 'f1') => number): LabelScores => ({ precision: f('precision'),
    recall: f('recall'), f1: f('f1'), support });
  const { rows, samples } = result;
  return { perLabel, microAvg: { ...labelScores(sum((x) => x.tp), sum((x) => x.fp), sum((x) => x.fn)), support },
    macroAvg: avg((k) => sum((x) => x[k]) / perLabel.length),
    weightedAvg: avg((k) => ratio(sum((x) => x[k] * x.support), support)),
    samplesAvg: avg((k) => ratio(samples[k], rows)) };
}

/** Precision, recall and F1 of a 2 x 2 matrix, 0 where sklearn divides by zero (`zero_division=0`). */
function labelScores(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const [precision, recall] = [ratio(tp, tp + fp), ratio(tp, tp + fn)];
  return { precision, recall, f1: fScore(precision, recall) };
}
