import type { ConfusionMatrixResult } from '../core/types.js';

/** Options of {@link renderTable}. */
export interface TableOptions {
  classes?: string[];
  /** Widest output in characters; wider matrices list per-class accuracy and the top confusions instead. Default 160. */
  width?: number;
}

const pct = (num: number, den: number): string => (den === 0 ? '-' : `${((100 * num) / den).toFixed(1)}%`);

/**
 * The matrix as plain text, rows = true class, with each row's accuracy (recall), the way Caffe's
 * confusion-matrix layer printed it during training.
 *
 * @example
 * console.log(renderTable(result, { classes: ['cat', 'dog'] }));
 */
export function renderTable(result: ConfusionMatrixResult, options: TableOptions = {}): string {
  const { counts, numClasses: c, total, correct } = result;
  const names = options.classes ?? Array.from({ length: c }, (_, i) => String(i));
  const rowSums = Array.from({ length: c }, (_, t) => counts.subarray(t * c, (t + 1) * c).reduce((a, b) => a + b, 0));
  const lines = [`Number of test samples: ${total.toLocaleString('en-US')}   accuracy: ${pct(correct, total)}`];
  const nameWidth = Math.max(4, ...names.map((n) => n.length));
  const cellWidth = Math.max(String(Math.max(0, ...counts)).length, ...names.map((n) => Math.min(n.length, 10))) + 1;
  const width = nameWidth + 3 + c * (cellWidth + 1) + 8;
  if (width <= (options.width ?? 160)) {
    lines.push(`rows: true class, columns: predicted class`);
    lines.push(`${'true'.padStart(nameWidth)} | ${names.map((n) => n.slice(0, 10).padStart(cellWidth)).join(' ')} | accuracy`);
    for (let t = 0; t < c; t++) {
      const cells = Array.from(counts.subarray(t * c, (t + 1) * c), (v) => String(v).padStart(cellWidth)).join(' ');
      lines.push(`${names[t]!.padStart(nameWidth)} | ${cells} | ${pct(counts[t * c + t]!, rowSums[t]!).padStart(8)}`);
    }
    return lines.join('\n');
  }
  lines.push(`(${c} classes are too wide to print as a matrix; per-class accuracy and the top confusions follow)`);
  for (let t = 0; t < c; t++) lines.push(`${names[t]!.padStart(nameWidth)}  ${pct(counts[t * c + t]!, rowSums[t]!).padStart(7)} of ${rowSums[t]}`);
  const pairs: [number, number, number][] = [];
  for (let t = 0; t < c; t++) for (let p = 0; p < c; p++) if (t !== p && counts[t * c + p]! > 0) pairs.push([t, p, counts[t * c + p]!]);
  pairs.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1]);
  lines.push('top confusions (true -> predicted: count):');
  for (const [t, p, n] of pairs.slice(0, 20)) lines.push(`  ${names[t]} -> ${names[p]}: ${n}`);
  return lines.join('\n');
}
