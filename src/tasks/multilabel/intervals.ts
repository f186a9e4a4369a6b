import { checkCountCells, type IntervalMethod, intervalMethod, type IntervalOptions } from '../../stats/bootstrap.js';
import { type ClassIntervals, tableIntervals } from '../per-class/intervals.js';
import type { MultilabelResult } from './multilabel.js';

/** Confidence intervals of a multilabel task (see {@link labelIntervals}). */
export interface LabelIntervals extends IntervalMethod {
  /** Per label (label order): bootstrap intervals of precision, recall and F1, Wilson intervals of the first two. */
  perLabel: ClassIntervals[];
}

/**
 * Confidence intervals of each label's precision, recall and F1 by the multinomial bootstrap over the label's 2 x 2
 * matrix (TP, FP, FN, TN): exactly the row bootstrap of that label's scores, each label on its own stream of the seed;
 * with Wilson intervals of precision and recall. The micro / macro / weighted / samples averages depend on the joint
 * distribution across labels, which the per-label matrices do not hold: they get no interval. Counts with sample
 * weights are refused (an InputError). O(B x L) time.
 *
 * @example
 * const ci = labelIntervals(await ml.compute(), { level: 0.95, seed: 7 });
 * ci.perLabel[0].f1; // { low, high }
 */
export function labelIntervals(result: MultilabelResult, options: IntervalOptions): LabelIntervals {
  const method = intervalMethod(options);
  const cells = result.matrices.map(([[tn, fp], [fn, tp]]): [number, number, number, number] => [tp, fp, fn, tn]);
  checkCountCells(cells.flat(), result.weighted);
  return { ...method, perLabel: cells.map((c, j) => tableIntervals(c, method, j)) };
}
