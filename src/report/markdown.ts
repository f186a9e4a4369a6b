import { computeMetrics, normalizeCounts, type Normalize } from '../core/metrics.js';
import type { ConfusionMatrixResult } from '../core/types.js';
import { classificationReport, classNames, type ReportTable } from './classification-report.js';

const cell = (v: string | number): string => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Renders a {@link ReportTable} as a GitHub-flavoured Markdown table.
 *
 * @example
 * renderMarkdownTable({ headers: ['a', 'b'], rows: [[1, 2]] }); // "| a | b |\n|---|--:|\n| 1 | 2 |"
 */
export function renderMarkdownTable(table: ReportTable): string {
  const lines = [`| ${table.headers.map(cell).join(' | ')} |`, `|${table.headers.map((_, j) => (j === 0 ? '---' : '--:')).join('|')}|`];
  for (const r of table.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/**
 * The matrix and the classification report as Markdown, for a pull request or a notebook.
 *
 * @example
 * await writeFile('report.md', renderMarkdown(result, { classes }));
 */
export function renderMarkdown(result: ConfusionMatrixResult, options: { classes?: string[]; normalize?: Normalize } = {}): string {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const normalized = options.normalize && options.normalize !== 'none';
  const values = normalized ? normalizeCounts(result.counts, c, options.normalize!) : result.counts;
  const metrics = computeMetrics(result.counts, c);
  const matrix: ReportTable = {
    headers: ['true \\ predicted', ...names],
    rows: names.map((n, t) => [`**${n}**`, ...Array.from(values.subarray(t * c, (t + 1) * c), (v) => (normalized ? v.toFixed(4) : v))]),
  };
  return [
    `## Confusion matrix${normalized ? ` (normalized over ${options.normalize})` : ''}`,
    '',
    renderMarkdownTable(matrix),
    '',
    `${result.weighted ? `${result.total.toFixed(2)} (sum of sample weights)` : result.total.toLocaleString('en-US')} samples, accuracy ${metrics.accuracy.toFixed(4)}, balanced accuracy ${metrics.balancedAccuracy.toFixed(4)}, Cohen's kappa ${metrics.kappa.toFixed(4)}, MCC ${metrics.mcc.toFixed(4)}.`,
    '',
    '## Classification report',
    '',
    renderMarkdownTable(classificationReport(metrics, names)),
    '',
  ].join('\n');
}
