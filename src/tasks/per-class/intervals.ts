import { bootstrapIntervals, checkCountCells, type IntervalMethod, intervalMethod,
  type IntervalOptions } from '../../stats/bootstrap.js';
import { type Interval, wilsonInterval } from '../../stats/interval.js';
import { MAX_SEED } from '../../stats/random.js';
import type { MatrixIntervals } from '../multiclass/intervals.js';
import { fScore } from '../multiclass/metrics.js';
import { type PerClassResult, worstClasses } from './per-class.js';

/** Intervals of one class's (or label's) precision, recall and F1, and Wilson intervals of precision and recall. */
export type ClassIntervals = MatrixIntervals['perClass'][number];

/** Confidence intervals of per-class mode (see {@link perClassIntervals}). */
export interface PerClassIntervals extends IntervalMethod {
  accuracy: Interval;
  /** The classes given intervals, in `perClass` order. */
  classes: number[];
  perClass: ClassIntervals[];
}

const STREAM_STEP = 0x9e3779b;

/** The seed of stream `k` (a class or a label): `seed + (k + 1) * 0x9e3779b` modulo 2^53, exactly. */
function streamSeed(seed: number, k: number): number {
  const step = (k + 1) * STREAM_STEP;
  return seed > MAX_SEED - step ? seed - (MAX_SEED + 1 - step) : seed + step;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/**
 * Intervals of the precision, recall and F1 of one 2 x 2 table (tp, fp, fn, tn) by the multinomial bootstrap over
 * its four cells (the exact row bootstrap of these three scores), drawn from stream `k` of the seed; with Wilson score
 * intervals of precision and recall.
 */
export function tableIntervals(cells: [number, number, number, number], method: IntervalMethod,
  k: number): ClassIntervals {
  const [tp, fp, fn] = cells;
  const [precision, recall, f1] = bootstrapIntervals(cells, { ...method, seed: streamSeed(method.seed, k) }, 3,
    (d, out) => {
      const p = ratio(d[0]!, d[0]! + d[1]!);
      const r = ratio(d[0]!, d[0]! + d[2]!);
      out[0] = p;
      out[1] = r;
      out[2] = fScore(p, r);
    }) as [Interval, Interval, Interval];
  return { precision, recall, f1,
    wilson: { precision: wilsonInterval(tp, tp + fp, method.level),
      recall: wilsonInterval(tp, tp + fn, method.level) } };
}

/**
 * Confidence intervals of per-class mode, exact where its counts allow: accuracy by Binomial(N, correct / N) (its
 * exact bootstrap distribution), and for each class of `classes` (default: the 10 worst by F1, those the report lists)
 * precision, recall and F1 by the multinomial bootstrap over the class's (tp, fp, fn, N - tp - fp - fn): exact
 * marginals, each class on its own stream of the seed, so a class's interval does not depend on which others are
 * drawn; with Wilson intervals of precision and recall. Macro / weighted averages, balanced accuracy, kappa and MCC
 * need the joint distribution across classes, which per-class counts do not hold: they get no interval. O(B x
 * classes) time.
 *
 * @example
 * const ci = perClassIntervals(await pc.compute(), { level: 0.95, seed: 7 });
 * ci.accuracy; ci.classes[0]; ci.perClass[0].recall; // { low, high }
 */
export function perClassIntervals(result: PerClassResult, options: IntervalOptions,
  classes: number[] = worstClasses(result, 10)): PerClassIntervals {
  const method = intervalMethod(options);
  const { total, correct, perClass: pc } = result;
  checkCountCells([correct, total - correct], false);
  const [accuracy] = bootstrapIntervals([correct, total - correct], method, 1, (d, out) => {
    out[0] = ratio(d[0]!, total);
  });
  const perClass = classes.map((k) => {
    const [tp, fp, fn] = [pc.tp[k]!, pc.fp[k]!, pc.fn[k]!];
    return tableIntervals([tp, fp, fn, total - tp - fp - fn], method, k);
  });
  return { ...method, accuracy: accuracy!, classes: [...classes], perClass };
}
