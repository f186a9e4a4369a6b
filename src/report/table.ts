import type { ConfusionMatrixResult } from '../core/types.js';
import type { IntervalMethod } from '../stats/bootstrap.js';
import type { Interval } from '../stats/interval.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import { computeMetrics, type Metrics, type Normalize, normalizeCounts,
  topConfusions } from '../tasks/multiclass/metrics.js';
import { classificationReport, classNames, type ReportTable, withInterval } from './classification-report.js';
import { clipText, visibleText } from './escape.js';

/** Options of {@link renderTable}. */
export interface TableOptions {
  classes?: string[];
  /** Widest output in characters; a wider matrix gives way to the report and the top confusions. Default 160. */
  width?: number;
  /**
   * ANSI colours: a heat scale on each cell by its share of the row (the diagonal green, confusions red). Default
   * false.
   */
  color?: boolean;
  /** Show normalized values instead of counts (as sklearn's confusion_matrix(normalize=...)). */
  normalize?: Normalize;
  /** How many top confusions to list. Default 10. */
  top?: number;
  /** Confidence intervals (`matrixIntervals`): each metric printed as `0.8335 [0.8327, 0.8342]`. */
  intervals?: MatrixIntervals;
}

const pct = (num: number, den: number): string => (den === 0 ? '-' : `${((100 * num) / den).toFixed(1)}%`);
// Integers grouped by hand as en-US groups them: the first toLocaleString call costs ~12 ms of ICU set-up.
const grouped = (n: number): boolean => Number.isSafeInteger(n) && !Object.is(n, -0);
const thousands = (n: number): string =>
  grouped(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');
const percent = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** The line saying how the intervals in brackets were drawn. */
export function intervalNote(ci: IntervalMethod): string {
  const level = `${+(100 * ci.level).toFixed(6)}%`;
  return `[${level} confidence intervals: multinomial bootstrap, ${
    thousands(ci.resamples)
  } resamples, seed ${ci.seed}]`;
}

function heat(text: string, share: number, diagonal: boolean): string {
  if (share <= 0) return `\x1b[2m${text}\x1b[0m`;
  const level = Math.min(1, 0.15 + 0.85 * Math.sqrt(share));
  const [r, g, b] = diagonal ? [20, Math.round(60 + 120 * level), 60] : [Math.round(80 + 160 * level), 40, 40];
  return `\x1b[48;2;${r};${g};${b}m\x1b[38;2;255;255;255m${text}\x1b[0m`;
}

/** Rows of cells as aligned text: the first column padded at `first`, the others right-aligned two spaces apart. */
export function alignColumns(rows: string[][], first: 'padStart' | 'padEnd'): string[] {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) => r.map((v, j) => (j === 0 ? v[first](widths[0]!) : v.padStart(widths[j]! + 2))).join(''));
}

/** A {@link ReportTable} as aligned text, control and bidi characters in cells shown as escapes. */
function renderReportText(table: ReportTable): string {
  const cells = [table.headers, ...table.rows.map((r) => r.map(String))].map((r) => r.map(visibleText));
  const lines = alignColumns(cells, 'padEnd');
  return lines.map((line, i) => (i > 0 && cells[i]![0] === 'accuracy' ? `\n${line}` : line)).join('\n');
}

function matrixLines(result: ConfusionMatrixResult, names: string[], options: TableOptions, width: number): string[]
  | null {
  const { counts, numClasses: c } = result;
  const nameWidth = Math.max(4, ...names.map((n) => Math.min(n.length, 16)));
  if (nameWidth + 3 + 2 * c + 10 > width) return null;
  const values = options.normalize && options.normalize !== 'none' ?
    normalizeCounts(counts, c, options.normalize) :
    counts;
  const format = values === counts && !result.weighted ? (v: number) => String(v) : (v: number) => v.toFixed(2);
  const rowSums = Array.from({ length: c }, (_, t) => counts.subarray(t * c, (t + 1) * c).reduce((a, b) => a + b, 0));
  let cellWidth = 1;
  for (const v of values) cellWidth = Math.max(cellWidth, format(v).length);
  const headerNames = names.map((n) => clipText(n, Math.max(cellWidth, 10)));
  cellWidth = Math.max(cellWidth, ...headerNames.map((n) => n.length));
  if (nameWidth + 3 + c * (cellWidth + 1) + 10 > width) return null;
  const over = values === counts ? '' : ` (normalized over ${options.normalize})`;
  const lines = [`Confusion matrix${over}: rows are true classes, columns predicted`,
    `${'true'.padEnd(nameWidth)} | ${headerNames.map((n) => n.padStart(cellWidth)).join(' ')} | accuracy`,
    `${'-'.repeat(nameWidth)}-+-${'-'.repeat(c * (cellWidth + 1) - 1)}-+---------`];
  for (let t = 0; t < c; t++) {
    const cells: string[] = [];
    for (let p = 0; p < c; p++) {
      const text = format(values[t * c + p]!).padStart(cellWidth);
      cells.push(options.color ? heat(text, rowSums[t]! ? counts[t * c + p]! / rowSums[t]! : 0, t === p) : text);
    }
    const accuracy = pct(counts[t * c + t]!, rowSums[t]!).padStart(8);
    lines.push(`${clipText(names[t]!, 16).padEnd(nameWidth)} | ${cells.join(' ')} | ${accuracy}`);
  }
  return lines;
}

/**
 * The terminal report: the matrix with each row's accuracy (left out when wider than `width`), sklearn's
 * classification report, balanced accuracy, kappa, MCC and the most confused pairs; names shown escaped.
 *
 * @example
 * console.log(renderTable(await cm.compute(), { classes: ['cat', 'dog'], color: process.stdout.isTTY }));
 */
export function renderTable(result: ConfusionMatrixResult, options: TableOptions = {}): string {
  const c = result.numClasses;
  const names = classNames(c, options.classes).map(visibleText);
  const width = options.width ?? 160;
  const metrics: Metrics = computeMetrics(result.counts, c, result.nonzero);
  const wide = `(the ${c} x ${c} matrix is wider than ${width} columns: showing the report and the top confusions; `;
  const out = matrixLines(result, names, options, width) ?? [`${wide}--format csv or --plot give the whole matrix)`];
  const ci = options.intervals;
  const share = (num: number, interval?: Interval): string =>
    pct(num, result.total) +
    (interval && result.total > 0 ? ` [${percent(interval.low)}, ${percent(interval.high)}]` : '');
  const topK = result.topK ?
    `   top-${result.topK.k} accuracy: ${share(result.topK.hits.reduce((x, y) => x + y, 0), ci?.topK)}` :
    '';
  const samples = result.weighted ?
    `Sum of sample weights: ${result.total.toFixed(2)}` :
    `Number of test samples: ${thousands(result.total)}`;
  const f4 = (v: number): string => v.toFixed(4);
  const [balanced, kappa, mcc] = [withInterval(metrics.balancedAccuracy, ci?.balancedAccuracy, f4),
    withInterval(metrics.kappa, ci?.kappa, f4), withInterval(metrics.mcc, ci?.mcc, f4)];
  out.push('', `${samples}   accuracy: ${share(result.correct, ci?.accuracy)}${topK}`, '',
    renderReportText(classificationReport(metrics, names, 4, ci)), '',
    `balanced accuracy ${balanced}   Cohen's kappa ${kappa}   MCC ${mcc}`);
  if (ci) out.push(intervalNote(ci));
  const top = topConfusions(result.counts, c, options.top ?? 10, result.nonzero);
  if (top.length > 0) {
    out.push('', 'Most confused (true -> predicted):');
    const pairs = top.map((x) => `${names[x.true]} -> ${names[x.pred]}`);
    const w = Math.max(...pairs.map((s) => s.length));
    top.forEach((x, i) => {
      const share = `${(100 * x.share).toFixed(1)}%`.padStart(6);
      out.push(`  ${pairs[i]!.padEnd(w)}  ${thousands(x.count).padStart(12)}  ${share} of ${names[x.true]}`);
    });
  }
  return out.join('\n');
}
