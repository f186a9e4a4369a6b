import type { ShardSet } from '../state/envelope.js';
import { createPerClassState } from '../state/per-class-state.js';
import type { Interval } from '../stats/interval.js';
import type { PerClassIntervals } from '../tasks/per-class/intervals.js';
import { type PerClassAverage, type PerClassResult, topPairs, worstClasses } from '../tasks/per-class/per-class.js';
import { withInterval } from './classification-report.js';
import { csvField, visibleText } from './escape.js';
import type { BackendReport } from './json.js';
import { renderMarkdownTable } from './markdown.js';
import { alignColumns, intervalNote } from './table.js';
import { f4 } from './task-formats.js';

/** Options of the per-class reports. */
export interface PerClassReportOptions {
  /** Class names (default: the indices). */
  classes?: string[] | undefined;
  /** How many confused pairs and worst classes to list. Default 10. */
  top?: number;
  /** Recorded in the JSON's `options` (ignore_index). */
  ignoreIndex?: number | undefined;
  /** Recorded in the JSON's `options`: the classes are the names of string labels. */
  stringLabels?: boolean | undefined;
  /** The shards the result holds (`--shard i/n`, `confmat merge`), recorded in the JSON. */
  shards?: ShardSet | undefined;
  /** With --ci: `perClassIntervals` of the same result (for the classes the report lists), written as `ci`. */
  intervals?: PerClassIntervals | undefined;
}

const nameOf = (classes: string[] | undefined, k: number): string => classes?.[k] ?? String(k);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/**
 * The `--per-class` JSON report: `mode: "per-class"`, the totals and metrics, per class arrays
 * (index = class), the top confused pairs (named as in the dense report) and every distinct
 * off-diagonal pair as parallel arrays, most frequent first. It is also the per-class state
 * (`parseAnyState` reads it; `options.shards` says which shards it holds), so `confmat merge` adds
 * reports up.
 *
 * @example
 * JSON.stringify(perClassJson(result, { name: 'gpu', adapter: 'SwiftShader' }, { shards: { count: 4, indices: [0] }
 * }));
 */
export function perClassJson(result: PerClassResult, backend: BackendReport,
  options: PerClassReportOptions = {}): object {
  const { classes, shards } = options;
  const state = createPerClassState(result, { classes, shards, ignoreIndex: options.ignoreIndex,
    stringLabels: options.stringLabels });
  const all = topPairs(result, options.top ?? 10);
  const arr = (a: Float64Array): number[] => Array.from(a);
  const pc = result.perClass;
  return { format: state.format, version: state.version, task: state.task, mode: 'per-class',
    numClasses: result.numClasses, ...(classes ? { classes } : {}), total: result.total, correct: result.correct,
    accuracy: result.accuracy, balancedAccuracy: result.balancedAccuracy, kappa: result.kappa, mcc: result.mcc,
    presentClasses: result.presentClasses, macroAvg: result.macroAvg, weightedAvg: result.weightedAvg,
    microAvg: result.microAvg,
    perClass: { ...state.perClass, precision: arr(pc.precision), recall: arr(pc.recall), f1: arr(pc.f1) },
    topConfusions: all.map((x) => ({ ...x, true: nameOf(classes, x.true), pred: nameOf(classes, x.pred) })),
    confusions: state.confusions, options: state.options, backend, ...(state.shards ? { shards: state.shards } : {}),
    ...(options.intervals && { ci: jsonIntervals(options.intervals, classes) }) };
}

/** The JSON `ci`: the method, accuracy and, per class drawn, its name and index beside its intervals. */
function jsonIntervals(ci: PerClassIntervals, classes: string[] | undefined): object {
  const { classes: drawn, perClass, ...rest } = ci;
  return { ...rest, perClass: perClass.map((p, i) => ({ class: nameOf(classes, drawn[i]!), index: drawn[i]!, ...p })) };
}

/** The line under a per-class table or Markdown report saying how its intervals were drawn and what they leave out. */
function perClassIntervalNote(ci: PerClassIntervals): string {
  return `${intervalNote(ci)} for accuracy and the classes listed;\nbalanced accuracy, kappa, MCC and the macro / ` +
    'weighted averages get none: they need the joint counts across classes, which per-class mode does not keep';
}

/**
 * A per-class report in one of the formats, ending with a newline: what `confmat eval --per-class`
 * and `confmat merge` of per-class parts write (the table ends with the backend).
 */
export function renderPerClassReport(format: 'json' | 'table' | 'csv' | 'markdown', result: PerClassResult,
  backend: BackendReport, options: PerClassReportOptions = {}): string {
  if (format === 'json') return `${JSON.stringify(perClassJson(result, backend, options))}\n`;
  if (format === 'csv') return perClassCsv(result, options);
  if (format === 'markdown') return perClassMarkdown(result, options);
  const where = `${backend.name.toUpperCase()}${backend.adapter ? `: ${backend.adapter}` : ''}`;
  return `${perClassTable(result, options)}\ncounted on the ${where}\n`;
}

/**
 * One row per class: index, name, TP, FP, FN, support, precision, recall, F1.
 *
 * @example
 * writeFileSync('classes.csv', perClassCsv(result));
 */
export function perClassCsv(result: PerClassResult, options: PerClassReportOptions = {}): string {
  const pc = result.perClass;
  const cols = [pc.tp, pc.fp, pc.fn, pc.support, pc.precision, pc.recall, pc.f1];
  const lines = ['index,class,tp,fp,fn,support,precision,recall,f1'];
  for (let k = 0; k < result.numClasses; k++) {
    lines.push([k, nameOf(options.classes, k), ...cols.map((a) => a[k]!)].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

interface Sections {
  summary: string[];
  averages: string[][];
  pairs: string[][];
  worst: string[][];
}

function sections(result: PerClassResult, options: PerClassReportOptions): Sections {
  const shown = (k: number): string => visibleText(nameOf(options.classes, k));
  const top = options.top ?? 10;
  const pc = result.perClass;
  const avg = (name: string, a: PerClassAverage) => [name, ...[a.precision, a.recall, a.f1].map(f4), String(a.support)];
  const [rates, amounts] = [[pc.precision, pc.recall, pc.f1], [pc.support, pc.tp, pc.fp, pc.fn]];
  const ci = options.intervals;
  const drawn = (k: number): Interval[] | undefined => {
    const p = ci?.perClass[ci.classes.indexOf(k)];
    return p && [p.precision, p.recall, p.f1];
  };
  const worst = (
    k: number,
  ) => [shown(k), ...rates.map((a, j) => withInterval(a[k]!, drawn(k)?.[j], f4)), ...amounts.map((a) => String(a[k]!))];
  return {
    summary: [
      `per-class mode: ${result.numClasses} classes, ${result.total} samples (${result.presentClasses} classes ` +
      `present, ${result.distinctPairs} distinct confused pairs)`,
      `accuracy ${withInterval(result.accuracy, ci?.accuracy, f4)}  balanced accuracy ` +
      `${f4(result.balancedAccuracy)}  kappa ${f4(result.kappa)}  MCC ${f4(result.mcc)}`,
    ],
    averages: [['', 'precision', 'recall', 'f1-score', 'support'], avg('macro avg', result.macroAvg),
      avg('weighted avg', result.weightedAvg), avg('micro avg', result.microAvg)],
    pairs: [['true', 'predicted', 'count', 'share of true'],
      ...topPairs(result, top).map((x) => [shown(x.true), shown(x.pred), String(x.count), pct(x.share)])],
    worst: [['class', 'precision', 'recall', 'f1-score', 'support', 'tp', 'fp', 'fn'],
      ...worstClasses(result, top).map(worst)],
  };
}

const aligned = (rows: string[][]): string => alignColumns(rows, 'padStart').join('\n');

/**
 * A plain-text report: totals, accuracy, balanced accuracy, kappa, MCC, the averages, the most
 * confused pairs and the worst classes by F1 (among those with support). Control and bidi
 * characters in names are shown as escapes (`\x1b`).
 *
 * @example
 * process.stdout.write(perClassTable(result, { top: 10 }));
 */
export function perClassTable(result: PerClassResult, options: PerClassReportOptions = {}): string {
  const s = sections(result, options);
  const parts = [s.summary.join('\n'), aligned(s.averages)];
  parts.push(s.pairs.length > 1 ? `most confused pairs\n${aligned(s.pairs)}` : 'no confused pairs');
  if (s.worst.length > 1) parts.push(`worst classes by F1\n${aligned(s.worst)}`);
  if (options.intervals) parts.push(perClassIntervalNote(options.intervals));
  return `${parts.join('\n\n')}\n`;
}

/**
 * The same sections as {@link perClassTable}, as Markdown tables.
 *
 * @example
 * writeFileSync('report.md', perClassMarkdown(result));
 */
export function perClassMarkdown(result: PerClassResult, options: PerClassReportOptions = {}): string {
  const s = sections(result, options);
  const table = ([headers, ...rows]: string[][]): string => renderMarkdownTable({ headers: headers!, rows });
  const parts = [s.summary.join('\n\n'), table(s.averages)];
  if (s.pairs.length > 1) parts.push(`**Most confused pairs**\n\n${table(s.pairs)}`);
  if (s.worst.length > 1) parts.push(`**Worst classes by F1**\n\n${table(s.worst)}`);
  if (options.intervals) parts.push(perClassIntervalNote(options.intervals));
  return `${parts.join('\n\n')}\n`;
}
