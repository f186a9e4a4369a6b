import { InputError } from './errors.js';
import type { LabelArray } from './types.js';
import { isLabelArray } from './validate.js';

/** One batch of a multilabel task: row-major N x L scores and N x L targets in {0, 1}. */
export interface MultilabelBatch {
  scores: Float32Array;
  targets: LabelArray;
}

/** A batch that passed {@link formatMultilabelBatch}. */
export interface FormattedMultilabelBatch extends MultilabelBatch {
  rows: number;
  numLabels: number;
}

/**
 * Exact running counts of a multilabel task: per label TP/FP/FN (TN = rows - TP - FP - FN), and per
 * row sums of precision, recall and F1 for sklearn's "samples" average.
 */
export interface MultilabelCounts {
  numLabels: number;
  rows: number;
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  samples: { precision: number; recall: number; f1: number };
}

/** Per label 2 x 2 matrices as sklearn's `multilabel_confusion_matrix`: `[[TN, FP], [FN, TP]]`. */
export interface MultilabelResult {
  numLabels: number;
  rows: number;
  thresholds: number[];
  matrices: [[number, number], [number, number]][];
  /** Sums over rows of each row's precision, recall and F1 (zero_division = 0). */
  samples: { precision: number; recall: number; f1: number };
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

/**
 * Checks a label count: an integer in [1, 65536].
 *
 * @example
 * validateNumLabels(5); // 5
 */
export function validateNumLabels(numLabels: number): number {
  if (!Number.isSafeInteger(numLabels) || numLabels < 1 || numLabels > 65536) {
    throw new InputError('numLabels', `numLabels must be an integer in [1, 65536], got ${numLabels}`, undefined, numLabels);
  }
  return numLabels;
}

/**
 * Per label thresholds as float32: one number for every label, or one per label; NaN is refused.
 * A label is predicted when its score >= its threshold: 0 suits logits, 0.5 probabilities.
 *
 * @example
 * resolveLabelThresholds(0.5, 3); // Float32Array [0.5, 0.5, 0.5]
 */
export function resolveLabelThresholds(threshold: number | ArrayLike<number>, numLabels: number): Float32Array {
  const out = new Float32Array(numLabels);
  if (typeof threshold === 'number') out.fill(threshold);
  else {
    if (threshold.length !== numLabels) throw new InputError('threshold', `${threshold.length} thresholds given for ${numLabels} labels`, undefined, threshold.length);
    out.set(Array.from(threshold));
  }
  const bad = out.findIndex((t) => Number.isNaN(t));
  if (bad >= 0) throw new InputError('threshold', `threshold ${bad} is NaN`, bad, NaN);
  return out;
}

/**
 * The first value of `targets` that is neither 0 nor 1, or -1.
 *
 * @example
 * findNonBinary(new Uint8Array([0, 1, 2])); // 2
 */
export function findNonBinary(targets: LabelArray): number {
  for (let i = 0; i < targets.length; i++) {
    const v = targets[i]!;
    if (v !== 0 && v !== 1 && v !== 0n && v !== 1n) return i;
  }
  return -1;
}

/**
 * Validates a multilabel batch: float32 scores and integer targets of the same N x L size, targets 0 or 1.
 * A bad target is named by row, column and value (`index` = row).
 *
 * @example
 * formatMultilabelBatch({ scores: new Float32Array([0.2, 0.9]), targets: new Uint8Array([0, 1]) }, 2);
 */
export function formatMultilabelBatch(batch: MultilabelBatch, numLabels: number): FormattedMultilabelBatch {
  validateNumLabels(numLabels);
  const { scores, targets } = batch;
  if (!(scores instanceof Float32Array)) throw new InputError('scores', `scores must be a Float32Array, got ${(scores as object)?.constructor?.name ?? typeof scores}`);
  if (!isLabelArray(targets)) throw new InputError('targets', `targets must be an integer typed array, got ${(targets as object)?.constructor?.name ?? typeof targets}`);
  if (scores.length % numLabels !== 0) throw new InputError('scores', `scores hold ${scores.length} values, not a multiple of ${numLabels} labels`, undefined, scores.length);
  if (targets.length !== scores.length) throw new InputError('targets', `targets hold ${targets.length} values, scores ${scores.length}`, undefined, targets.length);
  const bad = findNonBinary(targets);
  if (bad >= 0) {
    const row = Math.floor(bad / numLabels);
    throw new InputError('targets', `row ${row}, column ${bad % numLabels}: target ${String(targets[bad])} is not 0 or 1`, row, targets[bad]);
  }
  return { rows: scores.length / numLabels, numLabels, scores, targets };
}

/**
 * Zeroed counts for `numLabels` labels.
 *
 * @example
 * const counts = emptyMultilabelCounts(3);
 */
export function emptyMultilabelCounts(numLabels: number): MultilabelCounts {
  const z = () => new Float64Array(numLabels);
  return { numLabels, rows: 0, tp: z(), fp: z(), fn: z(), samples: { precision: 0, recall: 0, f1: 0 } };
}

/**
 * sklearn's F-score from precision and recall (beta = 1, 0 when both are 0).
 *
 * @example
 * fScore(0.5, 1); // 0.6666666666666666
 */
export function fScore(precision: number, recall: number): number {
  const denom = precision + recall;
  return (2 * precision * recall) / (denom === 0 ? 1 : denom);
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Adds one row's TP, FP and FN over its labels to the "samples" sums.
 *
 * @example
 * addSampleRow(counts.samples, 1, 0, 1); // precision 1, recall 0.5
 */
export function addSampleRow(samples: MultilabelCounts['samples'], tp: number, fp: number, fn: number): void {
  const p = ratio(tp, tp + fp);
  const r = ratio(tp, tp + fn);
  samples.precision += p;
  samples.recall += r;
  samples.f1 += fScore(p, r);
}

/**
 * The result of some counts: sklearn's `multilabel_confusion_matrix` layout, `[[TN, FP], [FN, TP]]` per label.
 *
 * @example
 * multilabelResult(counts, thresholds).matrices[0]; // [[tn, fp], [fn, tp]]
 */
export function multilabelResult(counts: MultilabelCounts, thresholds: Float32Array): MultilabelResult {
  const matrices: MultilabelResult['matrices'] = [];
  for (let j = 0; j < counts.numLabels; j++) {
    const [tp, fp, fn] = [counts.tp[j]!, counts.fp[j]!, counts.fn[j]!];
    matrices.push([[counts.rows - tp - fp - fn, fp], [fn, tp]]);
  }
  return { numLabels: counts.numLabels, rows: counts.rows, thresholds: Array.from(thresholds), matrices, samples: { ...counts.samples } };
}

/**
 * Per label precision, recall, F1 and support, and micro, macro, weighted and samples averages, as
 * sklearn's `precision_recall_fscore_support(average=..., zero_division=0)`; averages carry the
 * total support.
 *
 * @example
 * const m = multilabelMetrics(result);
 * m.samplesAvg.f1; // f1_score(Y, P, average='samples', zero_division=0)
 */
export function multilabelMetrics(result: MultilabelResult): MultilabelMetrics {
  const perLabel = result.matrices.map(([[tn, fp], [fn, tp]], index) => {
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return { index, precision, recall, f1: fScore(precision, recall), support: tp + fn, tp, fp, fn, tn };
  });
  const sum = (f: (x: (typeof perLabel)[number]) => number): number => perLabel.reduce((s, x) => s + f(x), 0);
  const support = sum((x) => x.support);
  const [tp, fp, fn] = [sum((x) => x.tp), sum((x) => x.fp), sum((x) => x.fn)];
  const microP = ratio(tp, tp + fp);
  const microR = ratio(tp, tp + fn);
  const n = perLabel.length;
  const weighted = (f: (x: (typeof perLabel)[number]) => number): number => ratio(sum((x) => f(x) * x.support), support);
  const rows = result.rows;
  return {
    perLabel,
    microAvg: { precision: microP, recall: microR, f1: fScore(microP, microR), support },
    macroAvg: { precision: sum((x) => x.precision) / n, recall: sum((x) => x.recall) / n, f1: sum((x) => x.f1) / n, support },
    weightedAvg: { precision: weighted((x) => x.precision), recall: weighted((x) => x.recall), f1: weighted((x) => x.f1), support },
    samplesAvg: { precision: ratio(result.samples.precision, rows), recall: ratio(result.samples.recall, rows), f1: ratio(result.samples.f1, rows), support },
  };
}
