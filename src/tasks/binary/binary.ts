import { InputError } from '../../core/errors.js';
import type { LabelArray, SampleWeights } from '../../core/types.js';
import { addInto } from '../../engine/accumulator.js';
import { orderKey } from '../../format/order-key.js';
import { fScore } from '../multiclass/metrics.js';
import { formatMultilabelBatch } from '../multilabel/multilabel.js';

/**
 * One batch of a binary task: N scores (higher = more positive) and N targets in {0, 1}; optional sample weights.
 * Scores (f32) and targets (u32) may be GPU buffers as in a multilabel batch (targets there checked on the GPU).
 */
export interface BinaryBatch {
  scores: Float32Array | GPUBuffer;
  targets: LabelArray | GPUBuffer;
  /** sklearn's `sample_weight`: one finite weight per row (negative allowed); absent: 1 per row. */
  weights?: SampleWeights | undefined;
  /** With GPU buffers: the rows to count (default: what the buffers hold). */
  rows?: number | undefined;
}

/**
 * Exact histogram counts of a threshold sweep. `thresholds` are distinct float32 values, ascending;
 * bin b in [0, K] holds the rows with thresholds[b - 1] <= score < thresholds[b] (NaN scores in bin 0).
 */
export interface SweepCounts {
  thresholds: Float32Array;
  pos: Float64Array;
  neg: Float64Array;
  /** True when some batch carried sample weights: bins hold sums of weights (unweighted rows weigh 1). */
  weighted?: boolean;
  /** Counts loaded from saved states (`ThresholdSweep.load`), added to the bins' by {@link sweepResult}. */
  loaded?: SweepResult;
}

/** TP and FP at every threshold, thresholds descending (sklearn's `_binary_clf_curve` order). */
export interface SweepResult {
  thresholds: number[];
  tps: number[];
  fps: number[];
  positives: number;
  negatives: number;
  /** True when the counts are sums of sample weights (sklearn's `sample_weight`). */
  weighted?: boolean;
}

/** ROC points, the first at threshold +Infinity (0, 0) as sklearn's `roc_curve(drop_intermediate=False)`. */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/**
 * Precision-recall points as sklearn 1.2's `precision_recall_curve`: thresholds ascending, then (precision 1, recall
 * 0).
 */
export interface PrCurve {
  precision: number[];
  recall: number[];
  thresholds: number[];
}

/** A 2 x 2 binary confusion matrix and its scores. */
export interface BinaryCounts {
  threshold: number;
  /** `[[TN, FP], [FN, TP]]`, as sklearn's `confusion_matrix(y, scores >= t)`. */
  matrix: [[number, number], [number, number]];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Sweep thresholds as distinct float32 values, ascending; NaN and an empty list are refused.
 *
 * @example
 * resolveSweepThresholds([0.5, 0.1, 0.5]); // Float32Array [0.1, 0.5] (as float32)
 */
export function resolveSweepThresholds(thresholds: ArrayLike<number>): Float32Array {
  const all = Float32Array.from(Array.from(thresholds));
  if (all.length === 0) {
    throw new InputError('thresholds', 'a threshold sweep needs at least one threshold', undefined, 0);
  }
  const bad = all.findIndex((t) => Number.isNaN(t));
  if (bad >= 0) throw new InputError('thresholds', `threshold ${bad} is NaN`, bad, NaN);
  const keys = Array.from(new Set(Array.from(all, orderKey))).sort((a, b) => a - b);
  const byKey = new Map(Array.from(all, (t) => [orderKey(t), t === 0 ? 0 : t] as const));
  return Float32Array.from(keys, (k) => byKey.get(k)!);
}

/** Validates a binary batch: float32 scores, 0/1 integer targets of the same length, sample weights. */
export function formatBinaryBatch(batch: BinaryBatch): BinaryBatch & { rows: number } {
  return formatMultilabelBatch(batch, 1, true);
}

/** Zeroed sweep counts for ascending distinct `thresholds`. */
export function emptySweepCounts(thresholds: Float32Array): SweepCounts {
  return { thresholds, pos: new Float64Array(thresholds.length + 1), neg: new Float64Array(thresholds.length + 1) };
}

/** Adds the bin counts `from` into `into` (the same thresholds). */
export function addSweepCounts(into: SweepCounts, from: SweepCounts): void {
  addInto(into.pos, from.pos);
  addInto(into.neg, from.neg);
  if (from.weighted) into.weighted = true;
  if (from.loaded) into.loaded = into.loaded ? addSweepResults(into.loaded, from.loaded) : from.loaded;
}

/** TP and FP at each threshold, thresholds descending, from the bin counts by a suffix sum. */
export function sweepResult(counts: SweepCounts): SweepResult {
  const k = counts.thresholds.length;
  const out: SweepResult = { thresholds: [], tps: [], fps: [], positives: 0, negatives: 0 };
  let tp = counts.pos[k]!;
  let fp = counts.neg[k]!;
  for (let i = k - 1; i >= 0; i--) {
    out.thresholds.push(counts.thresholds[i]!);
    out.tps.push(tp);
    out.fps.push(fp);
    tp += counts.pos[i]!;
    fp += counts.neg[i]!;
  }
  out.positives = tp;
  out.negatives = fp;
  if (counts.weighted) out.weighted = true;
  return counts.loaded ? addSweepResults(out, counts.loaded) : out;
}

/**
 * ROC points as sklearn's `roc_curve(drop_intermediate=False)` at the sweep's thresholds, (0, 0) first.
 *
 * @example
 * const { fpr, tpr } = rocCurve(sweepResult(counts));
 */
export function rocCurve(r: SweepResult): RocCurve {
  return { fpr: [0, ...r.fps.map((x) => x / r.negatives)], tpr: [0, ...r.tps.map((x) => x / r.positives)],
    thresholds: [Infinity, ...r.thresholds] };
}

/**
 * Precision-recall points as sklearn 1.2's `precision_recall_curve` at the sweep's thresholds, ascending.
 *
 * @example
 * const { precision, recall } = prCurve(sweepResult(counts));
 */
export function prCurve(r: SweepResult): PrCurve {
  const precision: number[] = [];
  const recall: number[] = [];
  const thresholds: number[] = [];
  for (let i = r.thresholds.length - 1; i >= 0; i--) {
    const ps = r.tps[i]! + r.fps[i]!;
    precision.push(ps === 0 ? 0 : r.tps[i]! / ps);
    recall.push(r.positives === 0 ? 1 : r.tps[i]! / r.positives);
    thresholds.push(r.thresholds[i]!);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds };
}

/**
 * The area under a curve by the trapezoidal rule, as `sklearn.metrics.auc` (x monotone either way).
 *
 * @example
 * auc([0, 0.5, 1], [0, 1, 1]); // 0.75
 */
export function auc(x: number[], y: number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  const decreasing = x.length > 1 && x[x.length - 1]! < x[0]!;
  return decreasing ? -area : area;
}

/**
 * Average precision from a PR curve, as sklearn's `average_precision_score`.
 *
 * @example
 * averagePrecision(prCurve(sweepResult(counts)));
 */
export function averagePrecision(pr: PrCurve): number {
  let s = 0;
  for (let i = 1; i < pr.recall.length; i++) s -= (pr.recall[i]! - pr.recall[i - 1]!) * pr.precision[i - 1]!;
  return s;
}

/**
 * The 2 x 2 matrix and scores at one of the sweep's thresholds.
 *
 * @example
 * binaryCounts(sweepResult(counts), 0.5).matrix; // [[tn, fp], [fn, tp]]
 */
export function binaryCounts(r: SweepResult, threshold: number): BinaryCounts {
  const t = Math.fround(threshold);
  const i = r.thresholds.findIndex((x) => x === t);
  if (i < 0) {
    throw new InputError('threshold', `threshold ${threshold} is not one of the sweep's thresholds`, undefined,
      threshold);
  }
  const [tp, fp] = [r.tps[i]!, r.fps[i]!];
  const fn = r.positives - tp;
  const tn = r.negatives - fp;
  const total = r.positives + r.negatives;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = r.positives === 0 ? 0 : tp / r.positives;
  return { threshold: t, matrix: [[tn, fp], [fn, tp]], accuracy: total === 0 ? 0 : (tp + tn) / total, precision, recall,
    f1: fScore(precision, recall) };
}

/** The sum of two sweep results over the same thresholds. */
function addSweepResults(a: SweepResult, b: SweepResult): SweepResult {
  return { thresholds: a.thresholds.slice(), tps: a.tps.map((x, i) => x + b.tps[i]!),
    fps: a.fps.map((x, i) => x + b.fps[i]!), positives: a.positives + b.positives, negatives: a.negatives + b.negatives,
    ...(a.weighted || b.weighted ? { weighted: true } : {}) };
}
