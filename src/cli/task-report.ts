import { withInterval } from '../report/classification-report.js';
import { escapeXml, visibleText, xmlName } from '../report/escape.js';
import { shortLabels } from '../report/heatmap-scale.js';
import { r2, svgStart } from '../report/heatmap-svg.js';
import type { BackendReport } from '../report/json.js';
import { maxChartRows } from '../report/plot-size.js';
import { intervalNote } from '../report/table.js';
import { AVERAGE_NAMES, binaryCsv, binaryMarkdown, f4, labelIntervalNote, multilabelCsv,
  multilabelMarkdown } from '../report/task-formats.js';
import type { ShardSet } from '../state/state.js';
import { createBinaryState, createMultilabelState } from '../state/task-state.js';
import type { Interval } from '../stats/interval.js';
import { auc, averagePrecision, binaryCounts, prCurve, rocCurve, type SweepResult } from '../tasks/binary/binary.js';
import type { SweepIntervals } from '../tasks/binary/intervals.js';
import type { AverageIntervals, LabelIntervals } from '../tasks/multilabel/intervals.js';
import { type LabelScores, multilabelMetrics, type MultilabelResult } from '../tasks/multilabel/multilabel.js';
import { plotData } from './inputs.js';
import type { OutputFormat } from './render.js';

/** What a multilabel or binary report shows. */
export type ScoreReport = { task: 'multilabel'; result: MultilabelResult; labels: string[];
  intervals?: LabelIntervals | undefined } | { task: 'binary'; result: SweepResult; threshold: number; sweep: boolean;
  intervals?: SweepIntervals | undefined };

/** The `--task multilabel` JSON report, also its serialized state (`parseMultilabelState` reads it). */
export function multilabelJson(result: MultilabelResult, labels: string[], backend: BackendReport, shards?: ShardSet,
  intervals?: LabelIntervals): object {
  const m = multilabelMetrics(result);
  const state = createMultilabelState(result, { labels, shards });
  return { format: state.format, version: state.version, task: 'multilabel', numLabels: result.numLabels, labels,
    rows: result.rows, thresholds: state.thresholds, matrices: result.matrices,
    perLabel: m.perLabel.map((x) => ({ label: labels[x.index], ...x })), microAvg: m.microAvg, macroAvg: m.macroAvg,
    weightedAvg: m.weightedAvg, samplesAvg: m.samplesAvg, sampleSums: state.sampleSums,
    ...(state.rowOutcomes !== undefined && { rowOutcomes: state.rowOutcomes }), backend, options: state.options,
    ...(state.shards ? { shards: state.shards } : {}),
    ...(intervals &&
      { ci: { ...intervals, perLabel: intervals.perLabel.map((p, j) => ({ label: labels[j], ...p })) } }) };
}

/** The `--task binary` JSON report (the matrix at `threshold`; with a sweep, its curves), also its state. */
export function binaryJson(result: SweepResult, threshold: number, withSweep: boolean, backend: BackendReport,
  shards?: ShardSet, intervals?: SweepIntervals): object {
  const at = binaryCounts(result, threshold);
  const state = createBinaryState(result, { threshold, sweep: withSweep, shards });
  const out: Record<string, unknown> = { format: state.format, version: state.version, task: 'binary',
    rows: result.positives + result.negatives, positives: result.positives, negatives: result.negatives, ...at,
    threshold: state.threshold };
  if (withSweep) {
    const [roc, pr] = [rocCurve(result), prCurve(result)];
    out.sweep = { thresholds: state.sweep!.thresholds, tps: result.tps, fps: result.fps,
      roc: { fpr: roc.fpr, tpr: roc.tpr }, pr: { precision: pr.precision, recall: pr.recall },
      rocAuc: auc(roc.fpr, roc.tpr), averagePrecision: averagePrecision(pr) };
  }
  return { ...out, backend, options: state.options, ...(state.shards ? { shards: state.shards } : {}),
    ...(intervals && { ci: binaryIntervals(intervals, withSweep) }) };
}

/** The intervals a binary report shows: ROC AUC and average precision only with a sweep. */
function binaryIntervals(ci: SweepIntervals, withSweep: boolean): Partial<SweepIntervals> {
  const { rocAuc: _roc, averagePrecision: _ap, ...rest } = ci;
  return withSweep ? ci : rest;
}

/** A multilabel or binary report in one of the formats, ending with a newline. */
export function renderScoreReport(format: OutputFormat, r: ScoreReport, backend: BackendReport,
  shards?: ShardSet): string {
  if (format === 'json') {
    const json = r.task === 'multilabel' ?
      multilabelJson(r.result, r.labels, backend, shards, r.intervals) :
      binaryJson(r.result, r.threshold, r.sweep, backend, shards, r.intervals);
    return `${JSON.stringify(json, null, 2)}\n`;
  }
  if (r.task === 'multilabel') {
    return { csv: multilabelCsv, markdown: multilabelMarkdown, table: multilabelTable }[format](r.result, r.labels,
      r.intervals);
  }
  if (format === 'table') return binaryTable(r.result, r.threshold, r.sweep, r.intervals);
  if (format === 'markdown') return binaryMarkdown(r.result, r.threshold, r.sweep, r.intervals);
  return binaryCsv(r.result, r.threshold, r.sweep);
}

/** The --plot chart of a multilabel or binary report, for `path` (.svg or .png). */
export function scorePlot(path: string, r: ScoreReport): Promise<string | Uint8Array> {
  return plotData(path, r.task === 'multilabel' ? multilabelSvg(r.result, r.labels) : binarySvg(r.result));
}

const ci4 = (v: number, interval?: Interval): string => withInterval(v, interval, f4);

/** Counts as integers, or sums of sample weights with two decimals. */
const amountText = (weighted: boolean | undefined) => (v: number): string => (weighted ? v.toFixed(2) : String(v));
const weightNote = 'sum of sample weights; counts are sums of weights';

/**
 * A plain-text table: per label TP/FP/FN/TN, precision, recall, F1, support, then the four averages; with
 * `intervals`, each label's scores followed by their confidence intervals.
 */
export function multilabelTable(result: MultilabelResult, names: string[], intervals?: LabelIntervals): string {
  const m = multilabelMetrics(result);
  const labels = names.map(visibleText);
  const w = Math.max(13, ...labels.map((l) => l.length));
  const n = amountText(result.weighted);
  const scores = (s: LabelScores,
    iv?: AverageIntervals): string[] => [ci4(s.precision, iv?.precision), ci4(s.recall, iv?.recall), ci4(s.f1, iv?.f1),
    n(s.support)];
  const cells = [['tp', 'fp', 'fn', 'tn', 'precision', 'recall', 'f1', 'support'],
    ...m.perLabel.map((x) => [x.tp, x.fp, x.fn, x.tn].map(n).concat(scores(x, intervals?.perLabel[x.index])))];
  const avgs = AVERAGE_NAMES.map((k) =>
    [`${k.slice(0, -3)} avg`, ['', '', '', '', ...scores(m[k], intervals?.[k])]] as const
  );
  const all = intervals ? [...cells, ...avgs.map((a) => a[1])] : [];
  const widths = cells[0]!.map((_, j) => Math.max(9, ...all.map((r) => r[j]!.length + 1)));
  const line = (name: string, row: readonly string[]): string =>
    `${name.padStart(w)}  ${row.map((c, j) => c.padStart(widths[j]!)).join(' ')}`;
  const rows = [line('', cells[0]!), ...m.perLabel.map((x, i) => line(labels[x.index]!, cells[i + 1]!)), '',
    ...avgs.map(([name, row]) => line(name, row))];
  const title = result.weighted ? `${n(result.rows)} (${weightNote})` : `${result.rows} rows`;
  const note = intervals ? `\n${labelIntervalNote(intervals)}\n` : '';
  return `${title}, ${result.numLabels} labels, predicted when score >= threshold\n\n${rows.join('\n')}\n${note}`;
}

/** A plain-text summary of a binary task: the matrix at the threshold and, with a sweep, the AUCs. */
function binaryTable(result: SweepResult, threshold: number, withSweep: boolean, ci?: SweepIntervals): string {
  const at = binaryCounts(result, threshold);
  const [[tn, fp], [fn, tp]] = at.matrix;
  const n = amountText(result.weighted);
  const w = Math.max(8, ...[tn, fp, fn, tp].map((v) => n(v).length));
  const rows = result.positives + result.negatives;
  const total = result.weighted ?
    `${n(rows)} (${weightNote}; ${n(result.positives)} positive)` :
    `${rows} rows (${result.positives} positive)`;
  const line = (cells: string[]): string =>
    `${cells[0]!.padStart(10)} ${cells.slice(1).map((c) => c.padStart(w)).join(' ')}`;
  const lines = [`${total}, predicted positive when score >= ${at.threshold}`, '', line(['', 'pred 0', 'pred 1']),
    line(['true 0', n(tn), n(fp)]), line(['true 1', n(fn), n(tp)]), '',
    `accuracy ${ci4(at.accuracy, ci?.accuracy)}  precision ${ci4(at.precision, ci?.precision)}  recall ` +
    `${ci4(at.recall, ci?.recall)}  f1 ${ci4(at.f1, ci?.f1)}`];
  if (withSweep) {
    const roc = rocCurve(result);
    const ap = averagePrecision(prCurve(result));
    lines.push(
      `ROC AUC ${ci4(auc(roc.fpr, roc.tpr), ci?.rocAuc)}  average precision ${ci4(ap, ci?.averagePrecision)}  ` +
        `(${result.thresholds.length} thresholds)`,
    );
  }
  if (ci) lines.push('', intervalNote(ci));
  return `${lines.join('\n')}\n`;
}

/** Longest label name the multilabel charts show; longer ones end in an ellipsis (the whole name in a tooltip). */
const CHART_LABEL_CHARS = 30;

/**
 * Small multiples of L labels: per label a 2 x 2 matrix shaded by share of rows, and bars of
 * precision, recall and F1. At most as many labels as fit in `MAX_PLOT_SIDE` px are drawn (the
 * first ones, in label order), with a note saying how many of L, so the image stays within the plot budget.
 */
export function multilabelSvg(result: MultilabelResult, names: string[]): string {
  const m = multilabelMetrics(result);
  const [rowH, cell, barW] = [44, 20, 260];
  const capped = maxChartRows(rowH, 72 + 18 + 20) < result.numLabels;
  const top = capped ? 90 : 72;
  const drawn = m.perLabel.slice(0, maxChartRows(rowH, top + 20));
  const full = drawn.map((x) => visibleText(names[x.index]!));
  const labels = shortLabels(full, CHART_LABEL_CHARS);
  const nameW = Math.min(220, 16 + 7 * Math.max(5, ...labels.map((l) => l.length)));
  const barX = nameW + 2 * cell + 30;
  const width = barX + barW + 70;
  const total = result.weighted ? (result.rows > 0 ? result.rows : 1) : Math.max(1, result.rows);
  const shown = (n: number): string =>
    n >= 1000 ? `${Math.round(n / 100) / 10}k` : String(result.weighted ? Math.round(n * 10) / 10 : n);
  const rows = result.weighted ? `${r2(result.rows)} total sample weight` : `${result.rows} rows`;
  const label = 'Multilabel confusion matrices';
  const legend = BARS.map((b, k) => `<tspan fill="${COLORS[k]}">■ ${b}</tspan>`).join(' ');
  const out = [
    ...svgStart(width, top + rowH * drawn.length + 20, ' font-size="12"', label,
      `${label} (${rows}, ${result.numLabels} labels)`),
    `<text x="8" y="42" font-size="11" fill="#333">cells: [[TN, FP], [FN, TP]], shaded by share of rows</text>`,
    `<text x="8" y="20" font-size="11">${legend}</text>`,
  ];
  if (capped) {
    out.push(
      `<text x="8" y="62" font-size="11" font-weight="bold" fill="#b00">showing the first ${drawn.length} of ` +
        `${result.numLabels} labels; the text reports list them all</text>`,
    );
  }
  const tick = (t: number): string =>
    `<text x="${r2(barX + t * barW)}" y="${top - 8}" font-size="10" text-anchor="middle" fill="#666">${t}</text>`;
  out.push(...[0, 0.5, 1].map(tick));
  drawn.forEach((x, i) => {
    const y = top + i * rowH;
    const tip = labels[i] === full[i] ? '' : `<title>${xmlName(full[i]!)}</title>`;
    out.push(`<text x="${nameW - 8}" y="${y + cell + 4}" text-anchor="end">${xmlName(labels[i]!)}${tip}</text>`);
    [x.tn, x.fp, x.fn, x.tp].forEach((n, k) => {
      const share = Math.min(1, Math.max(0, n / total));
      const [cx, cy] = [nameW + (k % 2) * cell, y + Math.floor(k / 2) * cell];
      out.push(
        `<rect x="${cx}" y="${cy}" width="${cell}" height="${cell}" fill="${k % 3 === 0 ? '#08306b' : '#67000d'}"` +
          ` fill-opacity="${r2(0.08 + 0.92 * share)}" stroke="#fff"><title>${CELLS[k]} ${n}</title></rect>`,
      );
      if (n > 0) {
        out.push(
          `<text x="${cx + cell / 2}" y="${cy + cell / 2 + 3}" font-size="8" text-anchor="middle"` +
            ` fill="${share > 0.5 ? '#fff' : '#000'}">${shown(n)}</text>`,
        );
      }
    });
    [x.precision, x.recall, x.f1].forEach((v, k) => {
      out.push(
        `<rect x="${barX}" y="${y + 4 + k * 12}" width="${r2(v * barW)}" height="10" fill="${COLORS[k]}">` +
          `<title>${BARS[k]} ${f4(v)}</title></rect>`,
      );
    });
    out.push(`<text x="${barX + barW + 6}" y="${y + 26}" font-size="11" fill="#333">F1 ${f4(x.f1)}</text>`,
      `<line x1="${barX}" x2="${barX + barW}" y1="${y + rowH - 4}" y2="${y + rowH - 4}" stroke="#eee"/>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const CELLS = ['TN', 'FP', 'FN', 'TP'];
const BARS = ['precision', 'recall', 'F1'];
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c'];

/** ROC and precision-recall curves side by side, with their areas. */
function binarySvg(result: SweepResult): string {
  const [roc, pr] = [rocCurve(result), prCurve(result)];
  const [size, pad] = [300, 50];
  const panel = (x0: number, title: string, xs: number[], ys: number[], xl: string, yl: string): string[] => {
    const pts = xs.map((x, i) => [x, ys[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const px = (x: number): number => r2(x0 + x * size);
    const py = (y: number): number => r2(pad + (1 - y) * size);
    const [cx, cy] = [x0 + size / 2, pad + size / 2];
    const o = [`<text x="${cx}" y="${pad - 14}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
      `<rect x="${x0}" y="${pad}" width="${size}" height="${size}" fill="none" stroke="#444"/>`,
      `<text x="${cx}" y="${pad + size + 34}" text-anchor="middle">${xl}</text>`,
      `<text x="${x0 - 34}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${x0 - 34} ${cy})">${yl}</text>`];
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      o.push(
        `<line x1="${px(t)}" x2="${px(t)}" y1="${pad}" y2="${pad + size}" stroke="#eee"/><line x1="${x0}"` +
          ` x2="${x0 + size}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`,
        `<text x="${px(t)}" y="${pad + size + 16}" font-size="10" text-anchor="middle">${t}</text><text` +
          ` x="${x0 - 6}" y="${r2(pad + (1 - t) * size + 3)}" font-size="10" text-anchor="end">${t}</text>`,
      );
    }
    const points = pts.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
    return [...o, `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${points}"/>`];
  };
  const rocAuc = auc(roc.fpr, roc.tpr);
  const ap = averagePrecision(pr);
  return [
    ...svgStart(2 * (size + pad) + pad + 20, size + 2 * pad + 30, ' font-size="12"', 'ROC and precision-recall curves',
      `ROC (AUC ${f4(rocAuc)}) and precision-recall (AP ${f4(ap)}) curves, ${result.thresholds.length} thresholds`),
    `<line x1="${pad}" y1="${pad + size}" x2="${pad + size}" y2="${pad}" stroke="#bbb" stroke-dasharray="4 4"/>`,
    ...panel(pad, `ROC, AUC = ${f4(rocAuc)}`, roc.fpr, roc.tpr, 'false positive rate', 'true positive rate'),
    ...panel(2 * pad + size + 20, `Precision-recall, AP = ${f4(ap)}`, pr.recall, pr.precision, 'recall', 'precision'),
    '</svg>',
    '',
  ].join('\n');
}
