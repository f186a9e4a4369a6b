import type { Metrics } from '../tasks/multiclass/metrics.js';

/** A report as headers and rows of cells, shared by the text, Markdown and HTML outputs. */
export interface ReportTable {
  headers: string[];
  rows: (string | number)[][];
}

/** sklearn's `classification_report` as rows: one per class, then accuracy, macro avg and weighted avg. */
export function classificationReport(metrics: Metrics, classes: string[], digits = 4): ReportTable {
  const f = (v: number): string => v.toFixed(digits);
  const amount = (v: number): string | number => (Number.isInteger(v) ? v : v.toFixed(2));
  const row = (name: string,
    s: Metrics['macroAvg']): (string | number)[] => [name, f(s.precision), f(s.recall), f(s.f1), amount(s.support)];
  const rows = metrics.perClass.map((m) => row(classes[m.class] ?? String(m.class), m));
  rows.push(['accuracy', '', '', f(metrics.accuracy), amount(metrics.total)]);
  rows.push(row('macro avg', metrics.macroAvg), row('weighted avg', metrics.weightedAvg));
  return { headers: ['', 'precision', 'recall', 'f1-score', 'support'], rows };
}

/** Default class names '0'..'C-1', or the given names after checking their count. */
export function classNames(numClasses: number, names?: string[]): string[] {
  if (!names) return Array.from({ length: numClasses }, (_, i) => String(i));
  if (names.length !== numClasses) throw new RangeError(`${names.length} class names for ${numClasses} classes`);
  return names;
}
