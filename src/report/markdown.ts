import type { ConfusionMatrixResult } from '../core/types.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import { computeMetrics, type Normalize, normalizeCounts } from '../tasks/multiclass/metrics.js';
import { classificationReport, classNames, type ReportTable, withInterval } from './classification-report.js';
import { markdownText } from './escape.js';

const cell = (v: string | number): string => markdownText(String(v));

/** A Markdown table of cells that are Markdown already (text escaped with `markdownText`). */
export function markdownLines(headers: string[], rows: string[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map((_, j) => (j === 0 ? '---' : '--:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** A {@link ReportTable} as a GitHub-flavoured Markdown table, every cell escaped with `markdownText`. */
export function renderMarkdownTable(table: ReportTable): string {
  return markdownLines(table.headers.map(cell), table.rows.map((r) => r.map(cell)));
}

/**
 * The matrix and the classification report as Markdown, for a pull request or a notebook; with `intervals`
 * (`matrixIntervals`), each metric followed by its confidence interval.
 *
 * @example
 * await writeFile('report.md', renderMarkdown(result, { classes }));
 */
export function renderMarkdown(result: ConfusionMatrixResult,
  options: { classes?: string[]; normalize?: Normalize; intervals?: MatrixIntervals } = {}): string {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const normalized = options.normalize && options.normalize !== 'none';
  const values = normalized ? normalizeCounts(result.counts, c, options.normalize!) : result.counts;
  const metrics = computeMetrics(result.counts, c, result.nonzero);
  const row = (t: number): string => {
    const cells = values.subarray(t * c, (t + 1) * c);
    return normalized ? Array.from(cells, (v) => (v === 0 ? '0.0000' : v.toFixed(4))).join(' | ') : cells.join(' | ');
  };
  const matrix = markdownLines(['true \\ predicted', ...names.map(cell)],
    names.map((n, t) => [`**${cell(n)}**`, row(t)]));
  const total = result.weighted ?
    `${result.total.toFixed(2)} (sum of sample weights)` :
    result.total.toLocaleString('en-US');
  const ci = options.intervals;
  const f4 = (v: number): string => v.toFixed(4);
  const f = (v: number, key?: 'accuracy' | 'balancedAccuracy' | 'kappa' | 'mcc'): string =>
    withInterval(v, key && ci?.[key], f4);
  const how = ci ?
    ` Intervals: ${+(100 * ci.level).toFixed(6)}% confidence, multinomial bootstrap, ${ci.resamples} resamples, ` +
    `seed ${ci.seed}.` :
    '';
  const parts = [`## Confusion matrix${normalized ? ` (normalized over ${options.normalize})` : ''}`, matrix,
    `${total} samples, accuracy ${f(metrics.accuracy, 'accuracy')}, balanced accuracy ` +
    `${f(metrics.balancedAccuracy, 'balancedAccuracy')}, Cohen's kappa ${f(metrics.kappa, 'kappa')}, MCC ` +
    `${f(metrics.mcc, 'mcc')}.${how}`, '## Classification report',
    renderMarkdownTable(classificationReport(metrics, names, 4, ci))];
  return `${parts.join('\n\n')}\n`;
}
