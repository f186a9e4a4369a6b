import type { ConfusionMatrixResult } from '../core/types.js';
import { computeMetrics, type Normalize, normalizeCounts } from '../tasks/multiclass/metrics.js';
import { classificationReport, classNames, type ReportTable } from './classification-report.js';
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
 * The matrix and the classification report as Markdown, for a pull request or a notebook.
 *
 * @example
 * await writeFile('report.md', renderMarkdown(result, { classes }));
 */
export function renderMarkdown(result: ConfusionMatrixResult,
  options: { classes?: string[]; normalize?: Normalize } = {}): string {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const normalized = options.normalize && options.normalize !== 'none';
  const values = normalized ? normalizeCounts(result.counts, c, options.normalize!) : result.counts;
  const metrics = computeMetrics(result.counts, c);
  const row = (t: number): string[] =>
    Array.from(values.subarray(t * c, (t + 1) * c), (v) => (normalized ? v.toFixed(4) : String(v)));
  const matrix = markdownLines(['true \\ predicted', ...names.map(cell)],
    names.map((n, t) => [`**${cell(n)}**`, ...row(t)]));
  const total = result.weighted ?
    `${result.total.toFixed(2)} (sum of sample weights)` :
    result.total.toLocaleString('en-US');
  const f = (v: number): string => v.toFixed(4);
  const parts = [`## Confusion matrix${normalized ? ` (normalized over ${options.normalize})` : ''}`, matrix,
    `${total} samples, accuracy ${f(metrics.accuracy)}, balanced accuracy ${f(metrics.balancedAccuracy)}, ` +
    `Cohen's kappa ${f(metrics.kappa)}, MCC ${f(metrics.mcc)}.`, '## Classification report',
    renderMarkdownTable(classificationReport(metrics, names))];
  return `${parts.join('\n\n')}\n`;
}
