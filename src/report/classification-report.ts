import type { Metrics } from '../tasks/multiclass/metrics.js';

/** A report as headers and rows of cells, shared by the text, Markdown and HTML outputs. */
export interface ReportTable {
  headers: string[];
  rows: (string | number)[][];
}

const fixed = (v: number, digits: number): string => v.toFixed(digits);

/**
 * sklearn's `classification_report` as rows: one per class, then accuracy, macro avg and
 * weighted avg, with `digits` decimals (sklearn's default is 2; confmat shows 4).
 *
 * @example
 * const { headers, rows } = classificationReport(computeMetrics(counts, 3), ['a', 'b', 'c']);
 */
export function classificationReport(metrics: Metrics, classes: string[], digits = 4): ReportTable {
  const amount = (v: number): string | number => (Number.isInteger(v) ? v : v.toFixed(2));
  const rows: (string | number)[][] = metrics.perClass.map((m) => [
    classes[m.class] ?? String(m.class),
    fixed(m.precision, digits),
    fixed(m.recall, digits),
    fixed(m.f1, digits),
    amount(m.support),
  ]);
  rows.push(['accuracy', '', '', fixed(metrics.accuracy, digits), amount(metrics.total)]);
  for (const [name, avg] of [
    ['macro avg', metrics.macroAvg],
    ['weighted avg', metrics.weightedAvg],
  ] as const) {
    rows.push([name, fixed(avg.precision, digits), fixed(avg.recall, digits), fixed(avg.f1, digits), amount(avg.support)]);
  }
  return { headers: ['', 'precision', 'recall', 'f1-score', 'support'], rows };
}

/**
 * Default class names '0'..'C-1', or the given names after checking their count.
 *
 * @example
 * classNames(3); // ['0', '1', '2']
 */
export function classNames(numClasses: number, names?: string[]): string[] {
  if (!names) return Array.from({ length: numClasses }, (_, i) => String(i));
  if (names.length !== numClasses) {
    throw new RangeError(`${names.length} class names for ${numClasses} classes`);
  }
  return names;
}
