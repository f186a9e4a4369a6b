import type { ConfusionMatrixResult } from '../../core/types.js';
import { sampleBinomial } from '../../stats/binomial.js';
import { bootstrapColumns, checkCountCells, type IntervalMethod, intervalMethod,
  type IntervalOptions } from '../../stats/bootstrap.js';
import { type Interval, percentileInterval, wilsonInterval } from '../../stats/interval.js';
import { fScore } from './metrics.js';

/** Intervals of precision, recall and F1. */
export interface PrfIntervals {
  precision: Interval;
  recall: Interval;
  f1: Interval;
}

/** Confidence intervals of every metric of a confusion matrix (see {@link matrixIntervals}). */
export interface MatrixIntervals extends IntervalMethod {
  accuracy: Interval;
  balancedAccuracy: Interval;
  kappa: Interval;
  mcc: Interval;
  macroAvg: PrfIntervals;
  weightedAvg: PrfIntervals;
  microAvg: PrfIntervals;
  /** With top-k counting: the interval of top-k accuracy. */
  topK?: Interval;
  /** Per class (class order): bootstrap intervals, and Wilson score intervals of precision and recall. */
  perClass: (PrfIntervals & { wilson: { precision: Interval; recall: Interval } })[];
}

const SCALARS = 13;

/**
 * Percentile intervals of every metric of a confusion matrix by the multinomial bootstrap: a draw of
 * Multinomial(N, counts / N) over the C x C cells is a row bootstrap of the N predictions, exactly in
 * distribution, at O(resamples x C^2) cost whatever N is, so a merged state gives the same intervals as one run.
 * Top-k accuracy draws Binomial(N, hits / N), its exact bootstrap distribution. Wilson score intervals of per-class
 * precision and recall come beside them. Counts with sample weights are refused (an InputError).
 *
 * @example
 * const ci = matrixIntervals(await cm.compute(), { level: 0.95, resamples: 1000, seed: 7 });
 * ci.accuracy; // { low: 0.8327, high: 0.8342 }
 */
export function matrixIntervals(result: ConfusionMatrixResult, options: IntervalOptions): MatrixIntervals {
  const method = intervalMethod(options);
  const { counts, numClasses: c, topK } = result;
  const intervals = matrixDraws(result, method).map((v) => percentileInterval(v, method.level));
  const prf = (i: number): PrfIntervals => ({ precision: intervals[i]!, recall: intervals[i + 1]!,
    f1: intervals[i + 2]! });
  const diag = (k: number): number => counts[k * c + k]!;
  const sums = rowColumnSums(counts, c);
  return { ...method, accuracy: intervals[0]!, balancedAccuracy: intervals[1]!, kappa: intervals[2]!,
    mcc: intervals[3]!, macroAvg: prf(4), weightedAvg: prf(7), microAvg: prf(10),
    ...(topK ? { topK: intervals[SCALARS + 3 * c]! } : {}),
    perClass: Array.from({ length: c },
      (_, k) => ({ ...prf(SCALARS + 3 * k),
        wilson: { precision: wilsonInterval(diag(k), sums.cols[k]!, method.level),
          recall: wilsonInterval(diag(k), sums.rows[k]!, method.level) } })) };
}

/**
 * The bootstrap draws behind {@link matrixIntervals}, one column per statistic: accuracy, balanced accuracy, kappa,
 * MCC, macro, weighted and micro P/R/F1, then P/R/F1 of each class, then top-k accuracy (see {@link writeMetrics}).
 */
export function matrixDraws(result: ConfusionMatrixResult, method: IntervalMethod): Float64Array[] {
  const { counts, numClasses: c, topK } = result;
  checkCountCells(counts, result.weighted);
  const tp = new Float64Array(c);
  const support = new Float64Array(c);
  const predicted = new Float64Array(c);
  let size = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) size++;
  const [nonzero, rows, cols] = [new Int32Array(size), new Int32Array(size), new Int32Array(size)];
  for (let t = 0, j = 0; t < c; t++) {
    for (let p = 0; p < c; p++) if (counts[t * c + p]! > 0) [nonzero[j], rows[j], cols[j++]] = [t * c + p, t, p];
  }
  const total = result.total;
  const hits = topK ? topK.hits.reduce((a, b) => a + b, 0) : 0;
  return bootstrapColumns(counts, method, SCALARS + 3 * c + (topK ? 1 : 0), (drawn, out, random) => {
    tp.fill(0);
    support.fill(0);
    predicted.fill(0);
    for (let j = 0; j < nonzero.length; j++) {
      const v = drawn[nonzero[j]!]!;
      const t = rows[j]!;
      const p = cols[j]!;
      support[t]! += v;
      predicted[p]! += v;
      if (t === p) tp[t] = v;
    }
    writeMetrics(tp, support, predicted, out);
    if (topK) out[SCALARS + 3 * c] = total === 0 ? 0 : sampleBinomial(random, total, hits / total) / total;
  });
}

/**
 * The figures of {@link metricsFromSums} (its float path) in the column order of {@link matrixDraws}, written into
 * `out` without allocating: the bootstrap calls it once per resample.
 */
export function writeMetrics(tp: Float64Array, support: Float64Array, predicted: Float64Array,
  out: Float64Array): void {
  const c = tp.length;
  let total = 0;
  for (let k = 0; k < c; k++) total += support[k]!;
  let [correct, present, supported, recallSum, pt, tt, pp] = [0, 0, 0, 0, 0, 0, 0];
  let [mp, mr, mf, wp, wr, wf] = [0, 0, 0, 0, 0, 0];
  for (let k = 0; k < c; k++) {
    const s = support[k]!;
    const q = predicted[k]!;
    const t = tp[k]!;
    const p = q > 0 ? t / q : 0;
    const r = s > 0 ? t / s : 0;
    const f = fScore(p, r);
    out[SCALARS + 3 * k] = p;
    out[SCALARS + 3 * k + 1] = r;
    out[SCALARS + 3 * k + 2] = f;
    correct += t;
    pt += (s / total) * (q / total);
    tt += (s / total) ** 2;
    pp += (q / total) ** 2;
    if (s > 0 || q > 0) {
      present++;
      mp += p;
      mr += r;
      mf += f;
    }
    if (s > 0) {
      supported++;
      recallSum += r;
      wp += p * s;
      wr += r * s;
      wf += f * s;
    }
  }
  const mean = (sum: number, n: number): number => (n > 0 ? sum / n : 0);
  const accuracy = mean(correct, total);
  const cov = correct / total - pt;
  const kappa = total === 0 || 1 - pt === 0 ? 0 : cov / (1 - pt);
  const mcc = total === 0 || (1 - tt) * (1 - pp) === 0 ? 0 : cov / Math.sqrt((1 - tt) * (1 - pp));
  out[0] = accuracy;
  out[1] = mean(recallSum, supported);
  out[2] = kappa;
  out[3] = mcc;
  out[4] = mean(mp, present);
  out[5] = mean(mr, present);
  out[6] = mean(mf, present);
  out[7] = mean(wp, total);
  out[8] = mean(wr, total);
  out[9] = mean(wf, total);
  out[10] = out[11] = accuracy;
  out[12] = fScore(accuracy, accuracy);
}

function rowColumnSums(counts: Float64Array, c: number): { rows: Float64Array; cols: Float64Array } {
  const rows = new Float64Array(c);
  const cols = new Float64Array(c);
  for (let i = 0; i < c * c; i++) {
    rows[Math.floor(i / c)]! += counts[i]!;
    cols[i % c]! += counts[i]!;
  }
  return { rows, cols };
}
