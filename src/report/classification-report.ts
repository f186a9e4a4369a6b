import type { Interval } from '../stats/interval.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import type { Metrics } from '../tasks/multiclass/metrics.js';

/** A report as headers and rows of cells, shared by the text, Markdown and HTML outputs. */
export interface ReportTable {
  headers: string[];
  rows: (string | number)[][];
}

/** `v` as `f` writes it, followed by its interval when there is one: `0.8335 [0.8327, 0.8342]`. */
export function withInterval(v: number, interval: Interval | undefined, f: (x: number) => string): string {
  return interval ? `${f(v)} [${f(interval.low)}, ${f(interval.high)}]` : f(v);
}

/**
 * sklearn's `classification_report` as rows: one per class, then accuracy, macro avg and weighted avg; with
 * `intervals`, each score followed by its confidence interval.
 */
export function classificationReport(metrics: Metrics, classes: string[], digits = 4,
  intervals?: MatrixIntervals): ReportTable {
  const f = (v: number): string => v.toFixed(digits);
  const amount = (v: number): string | number => (Number.isInteger(v) ? v : v.toFixed(2));
  const row = (name: string, s: Metrics['macroAvg'],
    ci?: MatrixIntervals['macroAvg']): (string | number)[] => [name, withInterval(s.precision, ci?.precision, f),
    withInterval(s.recall, ci?.recall, f), withInterval(s.f1, ci?.f1, f), amount(s.support)];
  const rows = metrics.perClass.map((m) => row(classes[m.class] ?? String(m.class), m, intervals?.perClass[m.class]));
  rows.push(['accuracy', '', '', withInterval(metrics.accuracy, intervals?.accuracy, f), amount(metrics.total)]);
  rows.push(row('macro avg', metrics.macroAvg, intervals?.macroAvg),
    row('weighted avg', metrics.weightedAvg, intervals?.weightedAvg));
  return { headers: ['', 'precision', 'recall', 'f1-score', 'support'], rows };
}

/** Default class names '0'..'C-1', or the given names after checking their count. */
export function classNames(numClasses: number, names?: string[]): string[] {
  if (!names) return Array.from({ length: numClasses }, (_, i) => String(i));
  if (names.length !== numClasses) throw new RangeError(`${names.length} class names for ${numClasses} classes`);
  return names;
}
