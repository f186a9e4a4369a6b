import { bootstrapIntervals, checkCountCells, type IntervalMethod, intervalMethod,
  type IntervalOptions } from '../../stats/bootstrap.js';
import { type ClassSummary, metricsFromSums } from '../multiclass/metrics.js';

/** A difference B - A: its value on the counts and its bootstrap interval. */
export interface Difference {
  estimate: number;
  low: number;
  high: number;
}

/** Per-class differences B - A of precision, recall and F1. */
interface ClassDifference {
  precision: Difference;
  recall: Difference;
  f1: Difference;
}

/** What the per-class right/wrong table holds: the differences of accuracy, balanced accuracy and recall. */
export interface RecallDifferences extends IntervalMethod {
  /** 'joint': from the (true, A, B) table; 'right-wrong': from the per-class right/wrong table (C too large). */
  table: 'joint' | 'right-wrong';
  accuracy: Difference;
  balancedAccuracy: Difference;
  perClass: { recall: Difference }[];
}

/** Paired bootstrap intervals of every metric's difference B - A (see {@link pairedIntervals}). */
export interface PairedIntervals extends RecallDifferences {
  table: 'joint';
  kappa: Difference;
  mcc: Difference;
  macroPrecision: Difference;
  macroRecall: Difference;
  macroF1: Difference;
  weightedPrecision: Difference;
  weightedRecall: Difference;
  weightedF1: Difference;
  perClass: ClassDifference[];
}

const SCALARS = ['accuracy', 'balancedAccuracy', 'kappa', 'mcc', 'macroPrecision', 'macroRecall', 'macroF1',
  'weightedPrecision', 'weightedRecall', 'weightedF1'] as const;

/** The figures of {@link SCALARS}, then precision, recall and F1 per class, of one model's sums. */
function figures(s: ClassSummary, out: Float64Array, offset: number, sign: number): void {
  const scalars = [s.accuracy, s.balancedAccuracy, s.kappa, s.mcc, s.macroAvg.precision, s.macroAvg.recall,
    s.macroAvg.f1, s.weightedAvg.precision, s.weightedAvg.recall, s.weightedAvg.f1];
  for (let j = 0; j < scalars.length; j++) out[offset + j]! += sign * scalars[j]!;
  for (let k = 0; k < s.precision.length; k++) {
    const at = offset + SCALARS.length + 3 * k;
    out[at]! += sign * s.precision[k]!;
    out[at + 1]! += sign * s.recall[k]!;
    out[at + 2]! += sign * s.f1[k]!;
  }
}

interface Sums {
  tp: Float64Array;
  support: Float64Array;
  predicted: Float64Array;
}

function count(m: Sums, t: number, p: number, v: number): void {
  m.support[t]! += v;
  m.predicted[p]! += v;
  if (p === t) m.tp[t]! += v;
}

/** Writes the differences B - A of every figure of a joint table `(t * C + a) * C + b` into `out`. */
function differences(joint: ArrayLike<number>, c: number, out: Float64Array): void {
  const sums = Array.from({ length: 2 },
    () => ({ tp: new Float64Array(c), support: new Float64Array(c), predicted: new Float64Array(c) }));
  for (let t = 0; t < c; t++) {
    for (let a = 0; a < c; a++) {
      for (let b = 0; b < c; b++) {
        const v = joint[(t * c + a) * c + b]!;
        if (v === 0) continue;
        count(sums[0]!, t, a, v);
        count(sums[1]!, t, b, v);
      }
    }
  }
  out.fill(0);
  sums.forEach((m, i) => figures(metricsFromSums(m.tp, m.support, m.predicted, false), out, 0, i === 0 ? -1 : 1));
}

/**
 * The paired bootstrap of two models' metrics on the same rows from their joint table (true class, class A
 * predicted, class B predicted; `joint[(t * C + a) * C + b]`): a multinomial draw over its C^3 cells is a row
 * bootstrap of both models at once, so each resample's difference B - A keeps the pairing. Percentile intervals
 * of the differences of accuracy, balanced accuracy, kappa, MCC, macro and weighted P/R/F1 and per-class P/R/F1,
 * beside the differences on the counts.
 *
 * @example
 * const d = pairedIntervals((await cmp.compute()).counts!, 10, { level: 0.95, seed: 1 });
 * d.accuracy; // { estimate: 0.012, low: 0.004, high: 0.020 }
 */
export function pairedIntervals(joint: ArrayLike<number>, numClasses: number,
  options: IntervalOptions): PairedIntervals {
  const method = intervalMethod(options);
  const c = numClasses;
  checkCountCells(joint, false);
  const width = SCALARS.length + 3 * c;
  const estimate = new Float64Array(width);
  differences(joint, c, estimate);
  const intervals = bootstrapIntervals(joint, method, width, (drawn, out) => differences(drawn, c, out));
  const diff = (j: number): Difference => ({ estimate: estimate[j]!, ...intervals[j]! });
  const out = { ...method, table: 'joint' } as PairedIntervals;
  SCALARS.forEach((name, j) => (out[name] = diff(j)));
  out.perClass = Array.from({ length: c }, (_, k) => {
    const at = SCALARS.length + 3 * k;
    return { precision: diff(at), recall: diff(at + 1), f1: diff(at + 2) };
  });
  return out;
}

/** Accuracy, balanced accuracy and per-class recall of A and B from the right/wrong cells, B - A into `out`. */
function recallDifferences(cells: ArrayLike<number>, c: number, out: Float64Array): void {
  let [total, rightA, rightB, recallA, recallB, supported] = [0, 0, 0, 0, 0, 0];
  for (let t = 0; t < c; t++) {
    const [both, onlyA, onlyB, none] = [cells[4 * t]!, cells[4 * t + 1]!, cells[4 * t + 2]!, cells[4 * t + 3]!];
    const support = both + onlyA + onlyB + none;
    total += support;
    rightA += both + onlyA;
    rightB += both + onlyB;
    if (support > 0) {
      supported++;
      recallA += (both + onlyA) / support;
      recallB += (both + onlyB) / support;
    }
    out[2 + t] = support > 0 ? (onlyB - onlyA) / support : 0;
  }
  out[0] = total > 0 ? (rightB - rightA) / total : 0;
  out[1] = supported > 0 ? (recallB - recallA) / supported : 0;
}

/**
 * The paired bootstrap of what the per-class right/wrong table determines (`cells[4 t + k]`, k = 2 (A wrong) +
 * (B wrong)), for comparisons counted without the joint table: the differences of accuracy, balanced accuracy and
 * per-class recall, exactly as a row bootstrap gives them; precision, F1, kappa and MCC need the joint table.
 *
 * @example
 * rightWrongIntervals(result.rightWrong, result.numClasses, { level: 0.95 }).accuracy; // { estimate, low, high }
 */
export function rightWrongIntervals(cells: ArrayLike<number>, numClasses: number,
  options: IntervalOptions): RecallDifferences {
  const method = intervalMethod(options);
  const c = numClasses;
  checkCountCells(cells, false);
  const estimate = new Float64Array(2 + c);
  recallDifferences(cells, c, estimate);
  const intervals = bootstrapIntervals(cells, method, 2 + c, (drawn, out) => recallDifferences(drawn, c, out));
  const diff = (j: number): Difference => ({ estimate: estimate[j]!, ...intervals[j]! });
  return { ...method, table: 'right-wrong', accuracy: diff(0), balancedAccuracy: diff(1),
    perClass: Array.from({ length: c }, (_, k) => ({ recall: diff(2 + k) })) };
}
