import { bootstrapIntervals, checkCountCells, type IntervalMethod, intervalMethod,
  type IntervalOptions } from '../../stats/bootstrap.js';
import type { Interval } from '../../stats/interval.js';
import { auc, averagePrecision, binaryCounts, prCurve, rocCurve, type SweepResult } from './binary.js';

/** Confidence intervals of a threshold sweep's scores (see {@link sweepIntervals}). */
export interface SweepIntervals extends IntervalMethod {
  rocAuc: Interval;
  averagePrecision: Interval;
  /** At the report's threshold. */
  accuracy: Interval;
  precision: Interval;
  recall: Interval;
  f1: Interval;
}

/** The sweep's rows per (score bin, label) cell: positives then negatives of each bin, thresholds descending. */
function binCells(r: SweepResult): Float64Array {
  const k = r.thresholds.length;
  const cells = new Float64Array(2 * (k + 1));
  for (let i = 0; i <= k; i++) {
    cells[2 * i] = (i < k ? r.tps[i]! : r.positives) - (i > 0 ? r.tps[i - 1]! : 0);
    cells[2 * i + 1] = (i < k ? r.fps[i]! : r.negatives) - (i > 0 ? r.fps[i - 1]! : 0);
  }
  return cells;
}

/**
 * Percentile intervals of ROC AUC, average precision and the scores at `threshold` by the multinomial bootstrap
 * over the (score bin, label) cells of the sweep: exactly the row bootstrap of the scores as the sweep sees them.
 * Sums of sample weights are refused (an InputError).
 *
 * @example
 * const ci = sweepIntervals(sweepResult(counts), 0.5, { level: 0.95, seed: 1 });
 * ci.rocAuc; // { low, high }
 */
export function sweepIntervals(result: SweepResult, threshold: number, options: IntervalOptions): SweepIntervals {
  const method = intervalMethod(options);
  const cells = binCells(result);
  checkCountCells(cells, result.weighted);
  const k = result.thresholds.length;
  const drawn: SweepResult = { thresholds: result.thresholds, tps: new Array<number>(k).fill(0),
    fps: new Array<number>(k).fill(0), positives: 0, negatives: 0 };
  const [rocAuc, ap, accuracy, precision, recall, f1] = bootstrapIntervals(cells, method, 6, (d, out) => {
    let [tp, fp] = [0, 0];
    for (let i = 0; i < k; i++) {
      tp += d[2 * i]!;
      fp += d[2 * i + 1]!;
      drawn.tps[i] = tp;
      drawn.fps[i] = fp;
    }
    drawn.positives = tp + d[2 * k]!;
    drawn.negatives = fp + d[2 * k + 1]!;
    const roc = rocCurve(drawn);
    const at = binaryCounts(drawn, threshold);
    out.set([auc(roc.fpr, roc.tpr), averagePrecision(prCurve(drawn)), at.accuracy, at.precision, at.recall, at.f1]);
  }) as [Interval, Interval, Interval, Interval, Interval, Interval];
  return { ...method, rocAuc, averagePrecision: ap, accuracy, precision, recall, f1 };
}
