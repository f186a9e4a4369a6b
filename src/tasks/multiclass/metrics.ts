/**
 * Classification metrics from row-major C x C counts (`counts[t * C + p]`), equal to scikit-learn 1.2.1's with
 * `zero_division=0` (see `test/fixtures/metrics/`). Pure functions; no Node built-ins.
 *
 * @module
 */
import { InputError } from '../../core/errors.js';
import { validateNumClasses } from '../../format/validate.js';

/** Figures for one class. */
export interface ClassMetrics {
  class: number;
  /** tp / predicted, 0 when nothing was predicted as this class. */
  precision: number;
  /** tp / support, 0 when the class never occurs as a true class. */
  recall: number;
  /** 2 p r / (p + r), 0 when p + r is 0. */
  f1: number;
  /** Samples whose true class is this one (row sum). */
  support: number;
  /** Samples predicted as this class (column sum). */
  predicted: number;
}

/** An average of the per-class figures; `support` is always the total sample count, as in sklearn's report. */
export interface Averages {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Everything {@link computeMetrics} derives from a confusion matrix. */
export interface Metrics {
  numClasses: number;
  total: number;
  correct: number;
  accuracy: number;
  balancedAccuracy: number;
  kappa: number;
  mcc: number;
  /** One entry per class 0..C-1, including classes absent from both y_true and y_pred (all 0s but the class). */
  perClass: ClassMetrics[];
  macroAvg: Averages;
  weightedAvg: Averages;
  microAvg: Averages;
  /** Classes that occur as a true or a predicted class; the macro average runs over these. */
  presentClasses: number;
}

/**
 * All metrics of a confusion matrix, as scikit-learn 1.2.1 (`zero_division=0`) computes them from the
 * y_true / y_pred it was counted from: per class `precision_recall_fscore_support(labels=range(C))`;
 * macro average over the classes present (true or predicted), as `classification_report` without
 * `labels=`; weighted by support; micro = accuracy; balanced accuracy over classes with support;
 * `cohen_kappa_score` and `matthews_corrcoef` from the row and column sums (exact BigInt arithmetic
 * for integer counts with total <= 2^53, else float64 on shares). Where sklearn gives nan (an empty
 * matrix, kappa with expected agreement 1), confmat gives 0. `nonzero` (a result's): ascending indices of cells
 * holding every nonzero count, the only cells read then.
 *
 * @example
 * const m = computeMetrics(new Float64Array([5, 1, 2, 2]), 2);
 * m.accuracy;             // 0.7
 * m.perClass[1]!.recall;  // 0.5
 */
export function computeMetrics(counts: Float64Array, numClasses: number, nonzero?: Uint32Array): Metrics {
  checkShape(counts, numClasses);
  const c = numClasses;
  const trueSum = new Float64Array(c);
  const predSum = new Float64Array(c);
  const diagonal = new Float64Array(c);
  let integral = true;
  eachCell(counts, c, nonzero, (t, p, v) => {
    integral &&= Number.isInteger(v);
    trueSum[t]! += v;
    predSum[p]! += v;
    if (t === p) diagonal[t] = v;
  });
  const { precision, recall, f1, ...s } = metricsFromSums(diagonal, trueSum, predSum, integral);
  const perClass = Array.from(precision, (p, k): ClassMetrics => {
    return { class: k, precision: p, recall: recall[k]!, f1: f1[k]!, support: trueSum[k]!, predicted: predSum[k]! };
  });
  return { numClasses: c, ...s, perClass };
}

/** What {@link metricsFromSums} derives from the O(C) sums: {@link Metrics} with per-class figures as arrays. */
export interface ClassSummary extends Omit<Metrics, 'numClasses' | 'perClass'> {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
}

/**
 * The metrics of {@link computeMetrics} from the diagonal `tp`, the row sums (`support`) and the column
 * sums (`predicted`) in O(C), so the per-class mode for huge C shares them with the dense matrix.
 *
 * @example
 * const s = metricsFromSums(new Float64Array([5, 2]), new Float64Array([6, 4]), new Float64Array([7, 3]));
 * s.accuracy; // 0.7
 */
export function metricsFromSums(tp: Float64Array, support: Float64Array, predicted: Float64Array,
  integral = true): ClassSummary {
  const c = tp.length;
  const [precision, recall, f1] = [new Float64Array(c), new Float64Array(c), new Float64Array(c)];
  const [macro, weighted] = [{ precision: 0, recall: 0, f1: 0 }, { precision: 0, recall: 0, f1: 0 }];
  const add = (x: typeof macro, p: number, r: number, f: number): void => {
    [x.precision, x.recall, x.f1] = [x.precision + p, x.recall + r, x.f1 + f];
  };
  let [total, correct, presentClasses, recallSum, supported] = [0, 0, 0, 0, 0];
  for (let k = 0; k < c; k++) {
    const [s, q, t] = [support[k]!, predicted[k]!, tp[k]!];
    const p = q > 0 ? t / q : 0;
    const r = s > 0 ? t / s : 0;
    const f = fScore(p, r);
    [precision[k], recall[k], f1[k]] = [p, r, f];
    total += s;
    correct += t;
    if (s > 0 || q > 0) {
      presentClasses++;
      add(macro, p, r, f);
    }
    if (s > 0) {
      supported++;
      recallSum += r;
      add(weighted, p * s, r * s, f * s);
    }
  }
  const mean = (sum: number, n: number): number => (n > 0 ? sum / n : 0);
  const avg = (x: typeof macro, n: number): Averages => ({ precision: mean(x.precision, n), recall: mean(x.recall, n),
    f1: mean(x.f1, n), support: total });
  const accuracy = mean(correct, total);
  return { precision, recall, f1, total, correct, accuracy, balancedAccuracy: mean(recallSum, supported),
    ...agreement(support, predicted, correct, total, integral), macroAvg: avg(macro, presentClasses),
    weightedAvg: avg(weighted, total),
    microAvg: { precision: accuracy, recall: accuracy, f1: fScore(accuracy, accuracy), support: total },
    presentClasses };
}

/** The normalization modes of sklearn's `confusion_matrix(normalize=...)`; 'none' copies the counts. */
export type Normalize = 'none' | 'true' | 'pred' | 'all';

/**
 * As sklearn's `confusion_matrix(normalize=...)` by rows ('true'), columns ('pred') or the total ('all');
 * a cell whose divisor is 0 becomes 0 (sklearn's `nan_to_num`); 'none' copies.
 *
 * @example
 * normalizeCounts(new Float64Array([3, 1, 0, 0]), 2, 'true'); // [0.75, 0.25, 0, 0]
 */
export function normalizeCounts(counts: Float64Array, numClasses: number, mode: Normalize): Float64Array {
  checkShape(counts, numClasses);
  const c = numClasses;
  const out = new Float64Array(c * c);
  if (mode === 'none') {
    out.set(counts);
    return out;
  }
  if (mode !== 'true' && mode !== 'pred' && mode !== 'all') {
    throw new InputError('normalize', `normalize must be 'none', 'true', 'pred' or 'all', got ${String(mode)}`,
      undefined, mode);
  }
  const divisors = new Float64Array(mode === 'all' ? 1 : c);
  const [rowStep, colStep] = mode === 'true' ? [1, 0] : mode === 'pred' ? [0, 1] : [0, 0];
  for (let t = 0, i = 0; t < c; t++) {
    for (let p = 0; p < c; p++, i++) divisors[t * rowStep + p * colStep]! += counts[i]!;
  }
  for (let t = 0, i = 0; t < c; t++) {
    for (let p = 0; p < c; p++, i++) {
      const d = divisors[t * rowStep + p * colStep]!;
      out[i] = d === 0 ? 0 : counts[i]! / d;
    }
  }
  return out;
}

/** One off-diagonal cell: `count` samples of class `true` predicted as `pred`. */
export interface Confusion {
  true: number;
  pred: number;
  count: number;
  /** count / support of the true class: the fraction of that class's samples lost to `pred`. */
  share: number;
}

/**
 * The k largest off-diagonal cells above 0, ties by true then predicted class ascending; one pass over the cells.
 *
 * @example
 * topConfusions(new Float64Array([5, 2, 0, 3, 4, 2, 0, 2, 6]), 3, 2);
 * // [{ true: 1, pred: 0, count: 3, share: 3 / 9 }, { true: 0, pred: 1, count: 2, share: 2 / 7 }]
 */
export function topConfusions(counts: Float64Array, numClasses: number, k: number, nonzero?: Uint32Array): Confusion[] {
  checkShape(counts, numClasses);
  const c = numClasses;
  const cells = (add: (key: number, count: number) => void): void =>
    eachCell(counts, c, nonzero, (t, p, v, i) => {
      if (v > 0 && p !== t) add(i, v);
    });
  const support = new Map<number, number>();
  return topKeys(cells, k).map(([i, count]) => {
    const t = Math.floor(i / c);
    let s = support.get(t);
    if (s === undefined) {
      s = 0;
      for (let p = 0; p < c; p++) s += counts[t * c + p]!;
      support.set(t, s);
    }
    return { true: t, pred: i - t * c, count, share: count / s };
  });
}

/**
 * The `k` largest [key, count] pairs above 0 that `each` yields (distinct keys): count descending, then key
 * ascending; k = Infinity: all. Up to 4096 kept in order as they come (O(k) memory), more sorted at the end.
 */
export function topKeys(each: (add: (key: number, count: number) => void) => void, k: number): [number, number][] {
  const limit = Math.floor(k);
  if (!(limit > 0)) return [];
  const before = (key: number, n: number, [k2, n2]: [number, number]): boolean => n > n2 || (n === n2 && key < k2);
  const bounded = limit <= 4096;
  const top: [number, number][] = [];
  each((key, count) => {
    if (!(count > 0) || (bounded && top.length === limit && !before(key, count, top[limit - 1]!))) return;
    if (!bounded) return void top.push([key, count]);
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(top[mid]![0], top[mid]![1], [key, count])) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, [key, count]);
    if (top.length > limit) top.pop();
  });
  return bounded ? top : top.sort((a, b) => (before(a[0], a[1], b) ? -1 : 1)).slice(0, limit);
}

/** Calls `f` for each nonzero cell in row-major order: those `nonzero` lists (ascending indices) when given. */
function eachCell(counts: Float64Array, c: number, nonzero: Uint32Array | undefined,
  f: (t: number, p: number, v: number, i: number) => void): void {
  if (nonzero) {
    for (const i of nonzero) {
      const v = counts[i]!;
      if (v === 0) continue;
      const t = Math.floor(i / c);
      f(t, i - t * c, v, i);
    }
    return;
  }
  for (let t = 0, i = 0; t < c; t++) {
    for (let p = 0; p < c; p++, i++) {
      const v = counts[i]!;
      if (v !== 0) f(t, p, v, i);
    }
  }
}

function checkShape(counts: Float64Array, numClasses: number): void {
  validateNumClasses(numClasses);
  if (counts.length !== numClasses * numClasses) {
    throw new InputError('counts',
      `counts must hold numClasses^2 = ${numClasses * numClasses} cells, got ${counts.length}`);
  }
}

/**
 * sklearn's F1, `2 p r / (p + r)` in the same order; 0 when p + r is 0.
 *
 * @example
 * fScore(0.5, 1); // 0.6666666666666666
 */
export function fScore(precision: number, recall: number): number {
  const denom = precision + recall;
  return denom === 0 ? 0 : (2 * precision * recall) / denom;
}

/** Cohen's kappa and MCC from the row and column sums, exactly (BigInt) when the counts are integers. */
function agreement(trueSum: Float64Array, predSum: Float64Array, correct: number, total: number,
  integral: boolean): { kappa: number; mcc: number } {
  if (total === 0) return { kappa: 0, mcc: 0 };
  if (integral && Number.isSafeInteger(total)) {
    const n = BigInt(total);
    let tp = 0n;
    let tt = 0n;
    let pp = 0n;
    for (let i = 0; i < trueSum.length; i++) {
      if (trueSum[i] === 0 && predSum[i] === 0) continue;
      const ti = BigInt(trueSum[i]!);
      const pi = BigInt(predSum[i]!);
      tp += ti * pi;
      tt += ti * ti;
      pp += pi * pi;
    }
    const covTP = BigInt(correct) * n - tp;
    const covTT = n * n - tt;
    const covPP = n * n - pp;
    const kappaDenom = n * n - tp;
    return { kappa: kappaDenom === 0n ? 0 : Number(covTP) / Number(kappaDenom),
      mcc: covTT === 0n || covPP === 0n ? 0 : Number(covTP) / Math.sqrt(Number(covTT) * Number(covPP)) };
  }
  let tp = 0;
  let tt = 0;
  let pp = 0;
  for (let i = 0; i < trueSum.length; i++) {
    const ti = trueSum[i]! / total;
    const pi = predSum[i]! / total;
    tp += ti * pi;
    tt += ti * ti;
    pp += pi * pi;
  }
  const covTP = correct / total - tp;
  const covTT = 1 - tt;
  const covPP = 1 - pp;
  return { kappa: 1 - tp === 0 ? 0 : covTP / (1 - tp),
    mcc: covTT * covPP === 0 ? 0 : covTP / Math.sqrt(covTT * covPP) };
}
