// CSV and Markdown reports of the multilabel and binary tasks.
import { auc, averagePrecision, prCurve, rocCurve, type SweepResult } from '../tasks/binary/binary.js';
import { fScore } from '../tasks/multiclass/metrics.js';
import { type LabelScores, multilabelMetrics, type MultilabelResult } from '../tasks/multilabel/multilabel.js';
import { csvField } from './escape.js';
import { markdownLines, renderMarkdownTable } from './markdown.js';

const f4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * One CSV row per label (threshold, TN, FP, FN, TP, scores, support), then the four averages.
 *
 * @example
 * multilabelCsv(result, ['cat', 'dog']);
 * // "label,threshold,tn,fp,fn,tp,precision,recall,f1,support\ncat,0.5,..."
 */
export function multilabelCsv(result: MultilabelResult, labels: string[]): string {
  const m = multilabelMetrics(result);
  const lines = [['label', 'threshold', 'tn', 'fp', 'fn', 'tp', 'precision', 'recall', 'f1', 'support'].join(',')];
  for (const x of m.perLabel) {
    lines.push(
      [labels[x.index]!, result.thresholds[x.index]!, x.tn, x.fp, x.fn, x.tp, x.precision, x.recall, x.f1, x.support]
        .map(csvField).join(','),
    );
  }
  const avg = (name: string, s: LabelScores): string =>
    [name, '', '', '', '', '', s.precision, s.recall, s.f1, s.support].map(csvField).join(',');
  lines.push(avg('micro avg', m.microAvg), avg('macro avg', m.macroAvg), avg('weighted avg', m.weightedAvg),
    avg('samples avg', m.samplesAvg));
  return `${lines.join('\n')}\n`;
}

/**
 * The label matrices and scores, then the averages, as Markdown tables.
 *
 * @example
 * await writeFile('labels.md', multilabelMarkdown(result, names));
 */
export function multilabelMarkdown(result: MultilabelResult, labels: string[]): string {
  const m = multilabelMetrics(result);
  const perLabel = { headers: ['label', 'threshold', 'TN', 'FP', 'FN', 'TP', 'precision', 'recall', 'F1', 'support'],
    rows: m.perLabel.map((
      x,
    ) => [labels[x.index]!, result.thresholds[x.index]!, x.tn, x.fp, x.fn, x.tp, f4(x.precision), f4(x.recall),
      f4(x.f1), x.support]
    ) };
  const avg = (name: string,
    s: LabelScores): (string | number)[] => [name, f4(s.precision), f4(s.recall), f4(s.f1), s.support];
  const averages = { headers: ['average', 'precision', 'recall', 'F1', 'support'],
    rows: [avg('micro', m.microAvg), avg('macro', m.macroAvg), avg('weighted', m.weightedAvg),
      avg('samples', m.samplesAvg)] };
  return `${
    ['## Multilabel confusion matrices',
      `${
        result.rows.toLocaleString('en-US')
      } rows, ${result.numLabels} labels; a label is predicted when its score >= its threshold.`,
      renderMarkdownTable(perLabel), '## Averages', renderMarkdownTable(averages)].join('\n\n')
  }\n`;
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
 * The 2 x 2 matrix at `threshold`, its scores and, with a sweep, ROC AUC and average precision, as Markdown.
 *
 * @example
 * await writeFile('binary.md', binaryMarkdown(result, 0.5, true));
 */
export function binaryMarkdown(result: SweepResult, threshold: number, withSweep: boolean): string {
  const t = Math.fround(threshold);
  const i = result.thresholds.findIndex((x) => x === t);
  const [, tn, fp, fn, tp, accuracy, precision, recall, f1] = atIndex(result, i) as number[];
  const matrix = markdownLines(['true \\ predicted', '0', '1'], [['**0**', String(tn!), String(fp!)], ['**1**',
    String(fn!), String(tp!)]]);
  const lines = [`## Confusion matrix at threshold ${t}`, matrix,
    `${(result.positives + result.negatives).toLocaleString('en-US')} rows (${
      result.positives.toLocaleString('en-US')
    } positive), predicted positive when score >= ${t}: accuracy ${f4(accuracy!)}, precision ${
      f4(precision!)
    }, recall ${f4(recall!)}, F1 ${f4(f1!)}.`];
  if (withSweep) {
    const roc = rocCurve(result);
    lines.push(
      `ROC AUC ${f4(auc(roc.fpr, roc.tpr))}, average precision ${
        f4(averagePrecision(prCurve(result)))
      } over ${result.thresholds.length} thresholds.`,
    );
  }
  return `${lines.join('\n\n')}\n`;
}
