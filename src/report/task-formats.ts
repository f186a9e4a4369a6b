// CSV and Markdown reports of the multilabel and binary tasks.
import type { IntervalMethod } from '../stats/bootstrap.js';
import { auc, averagePrecision, prCurve, rocCurve, type SweepResult } from '../tasks/binary/binary.js';
import type { SweepIntervals } from '../tasks/binary/intervals.js';
import { fScore } from '../tasks/multiclass/metrics.js';
import type { LabelIntervals } from '../tasks/multilabel/intervals.js';
import { type LabelScores, multilabelMetrics, type MultilabelResult } from '../tasks/multilabel/multilabel.js';
import { withInterval } from './classification-report.js';
import { csvField } from './escape.js';
import { markdownLines, renderMarkdownTable } from './markdown.js';
import { intervalNote } from './table.js';

/** A number with 4 decimals (NaN and infinities as `String` writes them). */
export const f4 = (x: number): string => x.toFixed(4);
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * One CSV row per label (threshold, TN, FP, FN, TP, scores, support), then the four averages.
 *
 * @example
 * multilabelCsv(result, ['cat', 'dog']);
 * // "label,threshold,tn,fp,fn,tp,precision,recall,f1,support\ncat,0.5,..."
 */
export function multilabelCsv(result: MultilabelResult, labels: string[]): string {
  const { perLabel, averages } = multilabelRows(result, labels, (v) => v);
  const lines = [['label', 'threshold', 'tn', 'fp', 'fn', 'tp', 'precision', 'recall', 'f1', 'support'], ...perLabel,
    ...averages.map(([name, ...scores]) => [`${name} avg`, '', '', '', '', '', ...scores])];
  return `${lines.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

/**
 * The line under a multilabel report with intervals: how they were drawn, and why the averages have none when they
 * have none.
 *
 * @example
 * labelIntervalNote(labelIntervals(result, { level: 0.95 }));
 */
export function labelIntervalNote(ci: LabelIntervals): string {
  if (ci.averagesNote === undefined) return `${intervalNote(ci)} for each label and each average`;
  return `${intervalNote(ci)} for each label;\nthe micro, macro, weighted and samples averages get none: they need ` +
    `the joint counts across labels: ${ci.averagesNote}`;
}

/**
 * The label matrices and scores, then the averages, as Markdown tables; with `intervals` (`labelIntervals`), each
 * label's precision, recall and F1 followed by its confidence interval.
 *
 * @example
 * await writeFile('labels.md', multilabelMarkdown(result, names));
 */
export function multilabelMarkdown(result: MultilabelResult, labels: string[], intervals?: LabelIntervals): string {
  const { perLabel, averages } = multilabelRows(result, labels, f4, intervals);
  const scores = ['precision', 'recall', 'F1', 'support'];
  const parts = ['## Multilabel confusion matrices',
    `${result.rows.toLocaleString('en-US')} rows, ${result.numLabels} labels; ` +
    'a label is predicted when its score >= its threshold.',
    renderMarkdownTable({ headers: ['label', 'threshold', 'TN', 'FP', 'FN', 'TP', ...scores], rows: perLabel }),
    '## Averages', renderMarkdownTable({ headers: ['average', ...scores], rows: averages })];
  if (intervals) parts.push(labelIntervalNote(intervals));
  return `${parts.join('\n\n')}\n`;
}

type AverageName = 'microAvg' | 'macroAvg' | 'weightedAvg' | 'samplesAvg';

/** The multilabel averages in report order. */
export const AVERAGE_NAMES: readonly AverageName[] = ['microAvg', 'macroAvg', 'weightedAvg', 'samplesAvg'];

/**
 * Per label its name, threshold, TN, FP, FN, TP and scores, then each average's name and scores (`f` writes them;
 * with `ci`, a label's scores are followed by their intervals).
 */
function multilabelRows(result: MultilabelResult, labels: string[], f: (v: number) => string | number,
  ci?: LabelIntervals) {
  const m = multilabelMetrics(result);
  const scores = (s: LabelScores, j?: number | AverageName): (string | number)[] => {
    const iv = j === undefined ? undefined : typeof j === 'number' ? ci?.perLabel[j] : ci?.[j];
    const g = (v: number, key: 'precision' | 'recall' | 'f1') => (iv ? withInterval(v, iv[key], f4) : f(v));
    return [g(s.precision, 'precision'), g(s.recall, 'recall'), g(s.f1, 'f1'), s.support];
  };
  const averages = AVERAGE_NAMES.map((name) => [name.slice(0, -3), m[name], name] as const);
  const t = result.thresholds;
  const perLabel = m.perLabel.map((
    x,
  ) => [labels[x.index]!, t[x.index]!, x.tn, x.fp, x.fn, x.tp, ...scores(x, x.index)]);
  return { perLabel, averages: averages.map(([name, s, key]) => [name, ...scores(s, key)]) };
}

/** The counts and scores at descending threshold index i. */
function atIndex(r: SweepResult, i: number): (string | number)[] {
  const [tp, fp] = [r.tps[i]!, r.fps[i]!];
  const [fn, tn] = [r.positives - tp, r.negatives - fp];
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, r.positives);
  return [r.thresholds[i]!, tn, fp, fn, tp, ratio(tp + tn, r.positives + r.negatives), precision, recall,
    fScore(precision, recall), r.negatives === 0 ? '' : fp / r.negatives];
}

/**
 * One CSV row per threshold, descending (only `threshold` without a sweep): counts, scores and the FPR.
 *
 * @example
 * binaryCsv(result, 0.5, true); // "threshold,tn,fp,fn,tp,accuracy,precision,recall,f1,fpr\n..."
 */
export function binaryCsv(result: SweepResult, threshold: number, withSweep: boolean): string {
  const lines = [['threshold', 'tn', 'fp', 'fn', 'tp', 'accuracy', 'precision', 'recall', 'f1', 'fpr'].join(',')];
  const t = Math.fround(threshold);
  for (let i = 0; i < result.thresholds.length; i++) {
    if (withSweep || result.thresholds[i] === t) lines.push(atIndex(result, i).map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The 2 x 2 matrix at `threshold`, its scores and, with a sweep, ROC AUC and average precision, as Markdown;
 * with `intervals` (`sweepIntervals`), each score followed by its confidence interval.
 *
 * @example
 * await writeFile('binary.md', binaryMarkdown(result, 0.5, true));
 */
export function binaryMarkdown(result: SweepResult, threshold: number, withSweep: boolean,
  intervals?: SweepIntervals): string {
  const t = Math.fround(threshold);
  const i = result.thresholds.findIndex((x) => x === t);
  const [, tn, fp, fn, tp, accuracy, precision, recall, f1] = atIndex(result, i) as number[];
  const rows = [['**0**', tn!, fp!], ['**1**', fn!, tp!]].map((r) => r.map(String));
  const n = (v: number): string => v.toLocaleString('en-US');
  const ci = (v: number, key: keyof Omit<SweepIntervals, keyof IntervalMethod>): string =>
    withInterval(v, intervals?.[key], f4);
  const lines = [`## Confusion matrix at threshold ${t}`, markdownLines(['true \\ predicted', '0', '1'], rows),
    `${n(result.positives + result.negatives)} rows (${n(result.positives)} positive), predicted positive when ` +
    `score >= ${t}: accuracy ${ci(accuracy!, 'accuracy')}, precision ${ci(precision!, 'precision')}, recall ` +
    `${ci(recall!, 'recall')}, F1 ${ci(f1!, 'f1')}.`];
  if (withSweep) {
    const [roc, ap] = [rocCurve(result), averagePrecision(prCurve(result))];
    lines.push(
      `ROC AUC ${ci(auc(roc.fpr, roc.tpr), 'rocAuc')}, average precision ${ci(ap, 'averagePrecision')} ` +
        `over ${result.thresholds.length} thresholds.`,
    );
  }
  if (intervals) {
    lines.push(
      `Intervals: ${+(100 * intervals.level).toFixed(6)}% confidence, multinomial bootstrap, ` +
        `${intervals.resamples} resamples, seed ${intervals.seed}.`,
    );
  }
  return `${lines.join('\n\n')}\n`;
}
