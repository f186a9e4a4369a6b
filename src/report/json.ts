import type { ConfusionMatrixResult } from '../core/types.js';
import { type ShardSet, STATE_FORMAT, STATE_VERSION, type StateOptions } from '../state/state.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import { type Averages, computeMetrics, type Confusion, type Normalize, normalizeCounts,
  topConfusions } from '../tasks/multiclass/metrics.js';
import { classNames } from './classification-report.js';

/** The backend a result came from, as JSON reports it (`'mixed'`: merged parts counted on different backends). */
export interface BackendReport {
  name: 'gpu' | 'cpu' | 'mixed';
  adapter: string | null;
  /** CPU worker threads that ran argmax, when more than one (--threads). */
  threads?: number;
}

/** The JSON report of `confmat eval --format json`; also a serialized state that `parseState` reads. */
export interface JsonReport {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  numClasses: number;
  classes: string[];
  /** matrix[true][predicted] = count. */
  matrix: number[][];
  total: number;
  correct: number;
  accuracy: number;
  balancedAccuracy: number;
  /** With --top-k K: sklearn's top_k_accuracy_score and the hits per true class (class order). */
  topK?: { k: number; accuracy: number; hits: number[] };
  kappa: number;
  mcc: number;
  perClass: { class: string; index: number; precision: number; recall: number; f1: number; support: number }[];
  macroAvg: Averages;
  weightedAvg: Averages;
  microAvg: Averages;
  topConfusions: (Omit<Confusion, 'true' | 'pred'> & { true: string; pred: string })[];
  /** Present with --normalize: the matrix normalized as sklearn's confusion_matrix(normalize=...). */
  normalized?: { mode: Exclude<Normalize, 'none'>; matrix: number[][] };
  backend: BackendReport;
  /** The options that change counting (see `ConfusionMatrixState`). */
  options: StateOptions;
  /** Sharded runs: the shards of an n-way split counted here. */
  shards?: ShardSet;
  /** With --ci: the confidence interval of every metric (`parseState` ignores it; merge draws them anew). */
  ci?: JsonIntervals;
}

/** The `ci` of a {@link JsonReport}: {@link MatrixIntervals} with each class's name in `perClass`. */
export type JsonIntervals = Omit<MatrixIntervals, 'perClass'> & {
  perClass: ({ class: string } & MatrixIntervals['perClass'][number])[];
};

/** Options of {@link jsonReport}. */
export interface JsonReportOptions {
  classes?: string[];
  normalize?: Normalize;
  /** How many top confusions to list. Default 10. */
  top?: number;
  /** The shards the result holds (`confmat eval --shard`, `confmat merge`). */
  shards?: ShardSet | undefined;
  /** Counting options to record beside C (ignoreIndex, classSubset); topK comes from the result. */
  stateOptions?: Omit<StateOptions, 'numClasses' | 'topK'> | undefined;
  /** Confidence intervals of the metrics (`matrixIntervals` of the same result), written as `ci`. */
  intervals?: MatrixIntervals | undefined;
}

function rows(values: Float64Array, c: number): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < c; t++) {
    const row: number[] = [];
    for (let p = t * c; p < (t + 1) * c; p++) row.push(values[p]!);
    out.push(row);
  }
  return out;
}

/** `JSON.stringify(rows(values, c))`, written from the typed array (JSON and `join` agree on finite numbers). */
function matrixJson(values: Float64Array, c: number): string {
  for (const v of values) if (!Number.isFinite(v)) return JSON.stringify(rows(values, c));
  const out: string[] = [];
  for (let t = 0; t < c; t++) out.push(`[${values.subarray(t * c, (t + 1) * c).join(',')}]`);
  return `[${out.join(',')}]`;
}

/**
 * Builds the JSON report of a result: the matrix, the metrics sklearn reports, the top confusions.
 *
 * @example
 * JSON.stringify(jsonReport(result, { name: 'cpu', adapter: null }, { classes: ['cat', 'dog'] }));
 */
export function jsonReport(result: ConfusionMatrixResult, backend: BackendReport,
  options: JsonReportOptions = {}): JsonReport {
  return buildReport(result, backend, options, (values) => rows(values, result.numClasses));
}

/** `JSON.stringify(jsonReport(...))`, its matrices written straight from the typed arrays. */
export function renderJson(result: ConfusionMatrixResult, backend: BackendReport,
  options: JsonReportOptions = {}): string {
  const matrices: Float64Array[] = [];
  const parts = JSON.stringify(buildReport(result, backend, options, (values) => {
    matrices.push(values);
    return [];
  })).split('"matrix":[]');
  if (parts.length !== matrices.length + 1) return JSON.stringify(jsonReport(result, backend, options));
  return parts.reduce((text, part, i) => `${text}"matrix":${matrixJson(matrices[i - 1]!, result.numClasses)}${part}`);
}

function buildReport(result: ConfusionMatrixResult, backend: BackendReport, options: JsonReportOptions,
  matrix: (values: Float64Array) => number[][]): JsonReport {
  const c = result.numClasses;
  const names = classNames(c, options.classes);
  const m = computeMetrics(result.counts, c, result.nonzero);
  const report: JsonReport = { format: STATE_FORMAT, version: STATE_VERSION, numClasses: c, classes: names,
    matrix: matrix(result.counts), total: result.total, correct: result.correct, accuracy: m.accuracy,
    balancedAccuracy: m.balancedAccuracy,
    ...(result.topK ?
      { topK: { k: result.topK.k, accuracy: result.topK.accuracy, hits: Array.from(result.topK.hits) } } :
      {}), kappa: m.kappa, mcc: m.mcc,
    perClass: m.perClass.map((p) => ({ class: names[p.class]!, index: p.class, precision: p.precision, recall: p.recall,
      f1: p.f1, support: p.support })
    ), macroAvg: m.macroAvg, weightedAvg: m.weightedAvg, microAvg: m.microAvg,
    topConfusions: topConfusions(result.counts, c, options.top ?? 10, result.nonzero).map((x) => ({ ...x,
      true: names[x.true]!, pred: names[x.pred]! })
    ), backend,
    options: { ...options.stateOptions, numClasses: c, ...(result.topK ? { topK: result.topK.k } : {}),
      ...(result.weighted ? { sampleWeight: true } : {}) } };
  const shards = options.shards;
  if (shards !== undefined) report.shards = { count: shards.count, indices: shards.indices.slice() };
  if (options.normalize && options.normalize !== 'none') {
    report.normalized = { mode: options.normalize,
      matrix: matrix(normalizeCounts(result.counts, c, options.normalize)) };
  }
  const ci = options.intervals;
  if (ci) report.ci = { ...ci, perClass: ci.perClass.map((p, k) => ({ class: names[k]!, ...p })) };
  return report;
}
