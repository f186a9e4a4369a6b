import type { ConfusionMatrixResult } from '../../core/types.js';
import { sampleBinomial } from '../../stats/binomial.js';
import { bootstrapIntervals, checkCountCells, type IntervalMethod, intervalMethod,
  type IntervalOptions } from '../../stats/bootstrap.js';
import { type Interval, wilsonInterval } from '../../stats/interval.js';
import { metricsFromSums } from './metrics.js';

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
  checkCountCells(counts, result.weighted);
  const tp = new Float64Array(c);
  const support = new Float64Array(c);
  const predicted = new Float64Array(c);
  const total = result.total;
  const intervals = bootstrapIntervals(counts, method, SCALARS + 3 * c + (topK ? 1 : 0), (drawn, out, random) => {
    tp.fill(0);
    support.fill(0);
    predicted.fill(0);
    for (let t = 0; t < c; t++) {
      for (let p = 0; p < c; p++) {
        const v = drawn[t * c + p]!;
        support[t]! += v;
        predicted[p]! += v;
      }
      tp[t] = drawn[t * c + t]!;
    }
    const s = metricsFromSums(tp, support, predicted, false);
    out.set([s.accuracy, s.balancedAccuracy, s.kappa, s.mcc, s.macroAvg.precision, s.macroAvg.recall, s.macroAvg.f1,
      s.weightedAvg.precision, s.weightedAvg.recall, s.weightedAvg.f1, s.microAvg.precision, s.microAvg.recall,
      s.microAvg.f1]);
    for (let k = 0; k < c; k++) out.set([s.precision[k]!, s.recall[k]!, s.f1[k]!], SCALARS + 3 * k);
    if (topK) {
      const hits = topK.hits.reduce((a, b) => a + b, 0);
      out[SCALARS + 3 * c] = total === 0 ? 0 : sampleBinomial(random, total, hits / total) / total;
    }
  });
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

function rowColumnSums(counts: Float64Array, c: number): { rows: Float64Array; cols: Float64Array } {
  const rows = new Float64Array(c);
  const cols = new Float64Array(c);
  for (let i = 0; i < c * c; i++) {
    rows[Math.floor(i / c)]! += counts[i]!;
    cols[i % c]! += counts[i]!;
  }
  return { rows, cols };
}
