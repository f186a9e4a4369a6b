import { bootstrapColumns, checkCountCells, type IntervalMethod, intervalMethod,
  type IntervalOptions } from '../../stats/bootstrap.js';
import { type Interval, percentileInterval } from '../../stats/interval.js';
import { fScore } from '../multiclass/metrics.js';
import { type ClassIntervals, tableIntervals } from '../per-class/intervals.js';
import type { MultilabelResult } from './multilabel.js';
import { MAX_ROW_OUTCOMES, parseRowOutcomeKey, type RowOutcome } from './row-outcomes.js';

/** Intervals of an average's precision, recall and F1. */
export interface AverageIntervals {
  precision: Interval;
  recall: Interval;
  f1: Interval;
}

/** Confidence intervals of a multilabel task (see {@link labelIntervals}). */
export interface LabelIntervals extends IntervalMethod {
  /** Per label (label order): bootstrap intervals of precision, recall and F1, Wilson intervals of the first two. */
  perLabel: ClassIntervals[];
  /** The averages' intervals, when the result kept its row outcomes. */
  microAvg?: AverageIntervals;
  macroAvg?: AverageIntervals;
  weightedAvg?: AverageIntervals;
  samplesAvg?: AverageIntervals;
  /** Why the averages have no interval, when they have none. */
  averagesNote?: string;
}

const AVERAGES = ['microAvg', 'macroAvg', 'weightedAvg', 'samplesAvg'] as const;

/**
 * Confidence intervals of each label's precision, recall and F1 by the multinomial bootstrap over the label's 2 x 2
 * matrix (TP, FP, FN, TN): exactly the row bootstrap of that label's scores, each label on its own stream of the seed;
 * with Wilson intervals of precision and recall. The micro / macro / weighted / samples averages depend on the joint
 * distribution across labels: when the result kept its row outcomes (`createMultilabelMatrix({ rowOutcomes: true })`,
 * `confmat eval --task multilabel --ci`), a multinomial over the distinct rows gives them, again exactly the row
 * bootstrap (drawn from the seed's own stream; the labels use streams 0..L-1); otherwise they get no interval and
 * `averagesNote` says why. Counts with sample weights are refused (an
 * InputError). O(B x (L + distinct rows)) time.
 *
 * @example
 * const ci = labelIntervals(await ml.compute(), { level: 0.95, seed: 7 });
 * ci.perLabel[0].f1; // { low, high }
 * ci.macroAvg?.f1; // { low, high } with rowOutcomes: true
 */
export function labelIntervals(result: MultilabelResult, options: IntervalOptions): LabelIntervals {
  const method = intervalMethod(options);
  const cells = result.matrices.map(([[tn, fp], [fn, tp]]): [number, number, number, number] => [tp, fp, fn, tn]);
  checkCountCells(cells.flat(), result.weighted);
  const out: LabelIntervals = { ...method, perLabel: cells.map((c, j) => tableIntervals(c, method, j)) };
  const table = result.rowOutcomes;
  if (table === undefined || table === null) {
    out.averagesNote = table === null ?
      `the rows had more than ${MAX_ROW_OUTCOMES.toLocaleString('en-US')} distinct outcomes, too many to keep` :
      'the counts kept no row outcomes (eval keeps them with --ci or --shard; the API with rowOutcomes: true)';
    return out;
  }
  const drawn = averageDraws(result, method)!.map((v) => percentileInterval(v, method.level));
  AVERAGES.forEach((name, i) => {
    const [precision, recall, f1] = drawn.slice(3 * i, 3 * i + 3) as [Interval, Interval, Interval];
    out[name] = { precision, recall, f1 };
  });
  return out;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * The 12 averages (micro, macro, weighted, samples x precision, recall, F1) of `counts[p]` rows of outcome `rows[p]`,
 * as `multilabelMetrics` computes them (zero_division = 0), into `out`.
 */
export function outcomeAverages(rows: RowOutcome[], numLabels: number, counts: ArrayLike<number>,
  out: Float64Array): void {
  const [tp, fp, fn] = [new Float64Array(numLabels), new Float64Array(numLabels), new Float64Array(numLabels)];
  let [n, sp, sr, sf] = [0, 0, 0, 0];
  for (let p = 0; p < rows.length; p++) {
    const c = counts[p]!;
    if (c === 0) continue;
    const o = rows[p]!;
    n += c;
    for (const j of o.tp) tp[j]! += c;
    for (const j of o.fp) fp[j]! += c;
    for (const j of o.fn) fn[j]! += c;
    const t = o.tp.length;
    if (t === 0) continue;
    sp += (c * t) / (t + o.fp.length);
    sr += (c * t) / (t + o.fn.length);
    sf += (2 * c * t) / (2 * t + o.fp.length + o.fn.length);
  }
  let [stp, sfp, sfn, support, mp, mr, mf, wp, wr, wf] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let j = 0; j < numLabels; j++) {
    const [t, s] = [tp[j]!, tp[j]! + fn[j]!];
    const [p, r] = [ratio(t, t + fp[j]!), ratio(t, s)];
    const f = fScore(p, r);
    [stp, sfp, sfn, support] = [stp + t, sfp + fp[j]!, sfn + fn[j]!, support + s];
    [mp, mr, mf, wp, wr, wf] = [mp + p, mr + r, mf + f, wp + p * s, wr + r * s, wf + f * s];
  }
  const [microP, microR] = [ratio(stp, stp + sfp), ratio(stp, stp + sfn)];
  out.set([microP, microR, fScore(microP, microR), mp / numLabels, mr / numLabels, mf / numLabels, ratio(wp, support),
    ratio(wr, support), ratio(wf, support), ratio(sp, n), ratio(sr, n), ratio(sf, n)]);
}

/**
 * The draws behind the averages' intervals: 12 columns (micro, macro, weighted, samples x precision, recall, F1) of
 * `method.resamples` values, by the multinomial bootstrap over the result's distinct rows; undefined when it kept none.
 */
export function averageDraws(result: MultilabelResult, method: IntervalMethod): Float64Array[] | undefined {
  const table = result.rowOutcomes;
  if (table === undefined || table === null) return undefined;
  const keys = [...table.keys()].sort();
  const rows = keys.map((k) => parseRowOutcomeKey(k, result.numLabels));
  return bootstrapColumns(keys.map((k) => table.get(k)!), method, 12,
    (drawn, out) => outcomeAverages(rows, result.numLabels, drawn, out));
}
