/**
 * Reports of a comparison of two models (`confmat compare`): JSON with both models' reports, McNemar's test, per-class
 * deltas and the largest changes of off-diagonal cells; a short side-by-side table. No Node built-ins.
 *
 * @module
 */
import type { McNemarResult } from '../stats/mcnemar.js';
import type { ComparisonResult } from '../tasks/compare/compare.js';
import type { Difference, PairedIntervals, RecallDifferences } from '../tasks/compare/paired-intervals.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import { computeMetrics, type Metrics } from '../tasks/multiclass/metrics.js';
import { classNames } from './classification-report.js';
import { visibleText } from './escape.js';
import { renderHeatmapSvg } from './heatmap-svg.js';
import { type BackendReport, type JsonReport, jsonReport, type JsonReportOptions } from './json.js';
import { alignColumns } from './table.js';

/** Precision, recall and F1 of one class for one model (or B - A). */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
}

/** One off-diagonal cell whose count changed: `a` and `b` rows of class `true` predicted `pred`, delta = b - a. */
export interface CellChange {
  true: string;
  pred: string;
  a: number;
  b: number;
  delta: number;
}

/** The JSON report of `confmat compare`. */
export interface ComparisonJson {
  /** Model A's report, shaped as `confmat eval`'s JSON report. */
  a: JsonReport;
  /** Model B's report. */
  b: JsonReport;
  /** True when the joint (true, A, B) table was counted; false: both matrices and the per-class right/wrong table. */
  joint: boolean;
  mcnemar: McNemarResult;
  perClass: { class: string; index: number; support: number; a: ClassScores; b: ClassScores; delta: ClassScores }[];
  /** The off-diagonal cells that changed most (largest |delta| first). */
  changes: CellChange[];
  /** With --ci: the paired bootstrap of each metric's difference B - A (class names in `perClass`). */
  difference?: Omit<RecallDifferences, 'perClass'> & Partial<Omit<PairedIntervals, 'perClass' | 'table'>> & {
    perClass: ({ class: string; recall: Difference } & Partial<Record<'precision' | 'f1', Difference>>)[];
  };
}

/** With --ci: the paired intervals of the differences, and each model's own intervals. */
export interface ComparisonIntervals {
  difference: PairedIntervals | RecallDifferences;
  a: MatrixIntervals;
  b: MatrixIntervals;
}

const scores = (m: Metrics, k: number): ClassScores => {
  const { precision, recall, f1 } = m.perClass[k]!;
  return { precision, recall, f1 };
};

/**
 * The `top` off-diagonal cells whose count changed most from A to B: largest |B - A| first, then by true and
 * predicted class; cells that did not change are left out.
 *
 * @example
 * largestChanges(result, ['cat', 'dog'], 10)[0]; // { true: 'cat', pred: 'dog', a: 12, b: 3, delta: -9 }
 */
function largestChanges(result: ComparisonResult, names: string[], top = 10): CellChange[] {
  const c = result.numClasses;
  const [a, b] = [result.a.counts, result.b.counts];
  const cells: number[] = [];
  for (let i = 0; i < c * c; i++) if (Math.floor(i / c) !== i % c && a[i] !== b[i]) cells.push(i);
  cells.sort((x, y) => Math.abs(b[y]! - a[y]!) - Math.abs(b[x]! - a[x]!) || x - y);
  return cells.slice(0, top).map((i) => ({ true: names[Math.floor(i / c)]!, pred: names[i % c]!, a: a[i]!, b: b[i]!,
    delta: b[i]! - a[i]! })
  );
}

/**
 * The JSON report of a comparison: `a` and `b` as `confmat eval` reports each model, McNemar's test, per-class P/R/F1
 * of both and their delta (B - A), and the largest changes of off-diagonal cells.
 *
 * @example
 * const report = comparisonJson(await cmp.compute(), { name: 'gpu', adapter: 'NVIDIA H200' });
 * report.mcnemar.exactPValue; report.perClass[3].delta.f1;
 */
export function comparisonJson(result: ComparisonResult, backend: BackendReport,
  options: Pick<JsonReportOptions, 'classes' | 'stateOptions'> & { top?: number; intervals?: ComparisonIntervals } =
    {}): ComparisonJson {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const [ma, mb] = [computeMetrics(result.a.counts, c), computeMetrics(result.b.counts, c)];
  const perClass = names.map((name, k) => {
    const [a, b] = [scores(ma, k), scores(mb, k)];
    const delta = { precision: b.precision - a.precision, recall: b.recall - a.recall, f1: b.f1 - a.f1 };
    return { class: name, index: k, support: ma.perClass[k]!.support, a, b, delta };
  });
  const report = { classes: options.classes, stateOptions: options.stateOptions };
  const ci = options.intervals;
  const { b, c: discordantC, statistic, pValue, exactPValue } = result.mcnemar;
  const out: ComparisonJson = { a: jsonReport(result.a, backend, { ...report, intervals: ci?.a }),
    b: jsonReport(result.b, backend, { ...report, intervals: ci?.b }), joint: result.joint,
    mcnemar: { b, c: discordantC, statistic, pValue, exactPValue }, perClass,
    changes: largestChanges(result, names, options.top ?? 10) };
  if (ci) {
    out.difference = { ...ci.difference, perClass: ci.difference.perClass.map((p, k) => ({ class: names[k]!, ...p })) };
  }
  return out;
}

const fixed = (x: number): string => x.toFixed(4);
const signed = (x: number): string => `${x > 0 ? '+' : x < 0 ? '-' : ' '}${Math.abs(x).toFixed(4)}`;
const pText = (p: number): string => (p >= 1e-4 ? p.toFixed(4) : p.toExponential(2));

/**
 * A short side-by-side summary of a comparison: the headline metrics of A and B and their delta, McNemar's test,
 * per-class F1 of both (largest |delta| first, `top` classes) and the largest changes of off-diagonal cells.
 *
 * @example
 * console.log(comparisonTable(await cmp.compute(), { classes: names }));
 */
export function comparisonTable(result: ComparisonResult,
  options: { classes?: string[] | undefined; top?: number; intervals?: ComparisonIntervals | undefined } = {}): string {
  const c = result.numClasses;
  const names = classNames(c, options.classes).map(visibleText);
  const top = options.top ?? 10;
  const [ma, mb] = [computeMetrics(result.a.counts, c), computeMetrics(result.b.counts, c)];
  const d = options.intervals?.difference as Partial<PairedIntervals> | undefined;
  const range = (x: Difference | undefined): string[] => (d ? [x ? `[${signed(x.low)}, ${signed(x.high)}]` : '-'] : []);
  const headline = (label: string, f: (m: Metrics) => number,
    x: Difference | undefined) => [label, fixed(f(ma)), fixed(f(mb)), signed(f(mb) - f(ma)), ...range(x)];
  const level = d ? [`${+(100 * d.level!).toFixed(4)}% CI of B - A`] : [];
  const out = [`${result.total.toLocaleString('en-US')} rows, ${c} classes`, '',
    ...alignColumns([['', 'A', 'B', 'B - A', ...level], headline('accuracy', (m) => m.accuracy, d?.accuracy),
      headline('balanced accuracy', (m) => m.balancedAccuracy, d?.balancedAccuracy),
      headline('macro F1', (m) => m.macroAvg.f1, d?.macroF1),
      headline('weighted F1', (m) => m.weightedAvg.f1, d?.weightedF1), headline('kappa', (m) => m.kappa, d?.kappa),
      headline('MCC', (m) => m.mcc, d?.mcc)], 'padEnd')];
  if (d) {
    const how = d.table === 'joint' ?
      'the joint table' :
      'the per-class right/wrong table (C too large for the joint one)';
    out.push(`[paired bootstrap over ${how}: ${d.resamples!.toLocaleString('en-US')} resamples, seed ${d.seed}]`);
  }
  const t = result.mcnemar;
  out.push('',
    `McNemar: b = ${t.b} (A right, B wrong), c = ${t.c} (A wrong, B right); chi-square ${t.statistic.toFixed(2)} (p = ${
      pText(t.pValue)
    }), exact p = ${pText(t.exactPValue)}`);
  const classes = names.map((_, k) => k).filter((k) =>
    ma.perClass[k]!.support > 0 || mb.perClass[k]!.predicted > 0 || ma.perClass[k]!.predicted > 0
  );
  const delta = (k: number) => mb.perClass[k]!.f1 - ma.perClass[k]!.f1;
  classes.sort((x, y) => Math.abs(delta(y)) - Math.abs(delta(x)) || x - y);
  const shown = classes.slice(0, top);
  out.push('', `Per class F1${classes.length > shown.length ? ` (the ${top} largest changes)` : ''}:`,
    ...alignColumns([['class', 'support', 'A', 'B', 'B - A', ...level],
      ...shown.map((
        k,
      ) => [names[k]!, String(ma.perClass[k]!.support), fixed(ma.perClass[k]!.f1), fixed(mb.perClass[k]!.f1),
        signed(delta(k)), ...range(d?.perClass?.[k]?.f1)]
      )], 'padEnd').map((l) => `  ${l}`));
  const changes = largestChanges(result, names, top);
  out.push('', 'Largest changes of confusions (true -> predicted, rows):');
  if (changes.length === 0) out.push('  none: both models confuse the same rows as often');
  else {
    out.push(
      ...alignColumns([['true -> predicted', 'A', 'B', 'B - A'],
        ...changes.map((
          x,
        ) => [`${x.true} -> ${x.pred}`, String(x.a), String(x.b), `${x.delta > 0 ? '+' : ''}${x.delta}`])], 'padEnd')
        .map((l) => `  ${l}`),
    );
  }
  return out.join('\n');
}

/**
 * The difference heatmap of a comparison: B's count minus A's in each cell (rows: true class, columns: predicted), on
 * the diverging `RdBu` colormap centred at 0: blue where B has more rows than A, red where fewer, grey where equal
 * (on the diagonal blue is B right more often; off it, B confusing more).
 *
 * @example
 * writeFileSync('diff.svg', comparisonHeatmapSvg(await cmp.compute(), { classes: names }));
 */
export function comparisonHeatmapSvg(result: ComparisonResult,
  options: { classes?: string[] | undefined } = {}): string {
  const [a, b] = [result.a.counts, result.b.counts];
  const diff = b.map((x, i) => x - a[i]!);
  return renderHeatmapSvg(diff, result.numClasses, { ...(options.classes && { classes: options.classes }),
    colormap: 'rdbu', title: 'B - A: change in rows per cell', valueFormat: (v) => (v > 0 ? `+${v}` : String(v)) });
}
