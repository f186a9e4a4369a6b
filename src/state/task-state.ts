/**
 * Serialized states of the multilabel and binary tasks, in the `confmat-state` format (version 1)
 * of the multiclass matrix (src/state/state.ts), told apart by `task` (absent: multiclass). They hold
 * exact integer counts only, so states merge associatively and commutatively, and shards counted
 * anywhere add up to the single run's report bit for bit. States of sample weights
 * (`options.sampleWeight: true`) hold float64 sums of weights instead: they merge within float64
 * rounding, and never with unweighted states. Isomorphic: no Node imports.
 *
 * @module
 */
import { binaryCounts, type SweepResult } from '../tasks/binary/binary.js';
import { InputError } from '../core/errors.js';
import { emptyMultilabelCounts, multilabelResult, validateNumLabels, type MultilabelCounts, type MultilabelResult, type SampleSums } from '../tasks/multilabel/multilabel.js';
import { canonical, checkNames, checkStateHeader, count, isObject, mergeStates, parseState, readShards, refuse, show, STATE_FORMAT, STATE_VERSION, type ConfusionMatrixState, type ShardSet } from './state.js';

/** A 2 x 2 matrix as sklearn writes it: `[[TN, FP], [FN, TP]]`. */
export type Matrix2 = [[number, number], [number, number]];

/** A float32 threshold as JSON holds it: a number, or `"Infinity"` / `"-Infinity"` (JSON has no infinities). */
export type JsonThreshold = number | 'Infinity' | '-Infinity';

/** {@link SampleSums} as JSON: `[denominator, numerator sum]` pairs, ascending, zeros left out. */
export interface SampleSumsJson {
  precision: [number, number][];
  recall: [number, number][];
  f1: [number, number][];
}

/**
 * The state of a multilabel task: L 2 x 2 matrices, the per label thresholds, the exact sums of the
 * samples average. `confmat eval --task multilabel --format json` writes it (with the metrics).
 *
 * @example
 * const s: MultilabelState = { format: 'confmat-state', version: 1, task: 'multilabel', numLabels: 1, rows: 2, thresholds: [0.5],
 *   matrices: [[[1, 0], [0, 1]]], sampleSums: { precision: [[1, 1]], recall: [[1, 1]], f1: [[2, 2]] }, options: { numLabels: 1 } };
 */
export interface MultilabelState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  task: 'multilabel';
  numLabels: number;
  /** Label names, one per label; absent means `"0"`..`"L-1"`. */
  labels?: string[];
  rows: number;
  /** One float32 threshold per label. */
  thresholds: JsonThreshold[];
  /** Per label `[[TN, FP], [FN, TP]]`, exact integers (sums of weights with `options.sampleWeight`). */
  matrices: Matrix2[];
  sampleSums: SampleSumsJson;
  /** `sampleWeight: true`: counts, `rows` and sample sums are sums of sample weights. */
  options: { numLabels: number; sampleWeight?: true };
  shards?: ShardSet;
}

/**
 * The state of a binary task: the 2 x 2 matrix at `threshold` and, for a sweep, TP and FP at every
 * threshold (descending). `confmat eval --task binary --format json` writes it (with the metrics).
 *
 * @example
 * const s: BinaryState = { format: 'confmat-state', version: 1, task: 'binary', threshold: 0.5, positives: 3, negatives: 5, matrix: [[4, 1], [1, 2]], options: {} };
 */
export interface BinaryState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  task: 'binary';
  /** The threshold of `matrix` (float32); one of the sweep's. */
  threshold: JsonThreshold;
  positives: number;
  negatives: number;
  /** `[[TN, FP], [FN, TP]]` at `threshold`. */
  matrix: Matrix2;
  /** Present for a sweep: thresholds descending, distinct float32, and TP and FP at each. */
  sweep?: { thresholds: JsonThreshold[]; tps: number[]; fps: number[] };
  /** Counting options beyond the thresholds: `sampleWeight: true` when counts are sums of sample weights (an unknown option is refused). */
  options: { sampleWeight?: true };
  shards?: ShardSet;
}

/** A state of any task. */
export type AnyState = ConfusionMatrixState | MultilabelState | BinaryState;

/** The tasks a state can hold. */
export type StateTask = 'multiclass' | 'multilabel' | 'binary';

/** What {@link createMultilabelState} records beside the counts. */
export interface MultilabelStateMeta {
  labels?: string[] | undefined;
  shards?: ShardSet | undefined;
}

/** What {@link createBinaryState} records beside the counts. */
export interface BinaryStateMeta {
  /** The threshold of the 2 x 2 matrix, one of the sweep's; default: the sweep's only threshold. */
  threshold?: number | undefined;
  /** Whether the state keeps every threshold's counts (a sweep); default: more than one threshold. */
  sweep?: boolean | undefined;
  shards?: ShardSet | undefined;
}

/**
 * The task of a state.
 *
 * @example
 * stateTask(parseAnyState(json, 'part-0.json')); // 'multilabel'
 */
export function stateTask(state: AnyState): StateTask {
  return state.task ?? 'multiclass';
}

/**
 * A float32 threshold as JSON holds it (infinities as strings, -0 as 0).
 *
 * @example
 * thresholdJson(Infinity); // "Infinity"
 */
export function thresholdJson(t: number): JsonThreshold {
  if (t === Infinity) return 'Infinity';
  if (t === -Infinity) return '-Infinity';
  return t === 0 ? 0 : t;
}

/**
 * The number a {@link JsonThreshold} stands for.
 *
 * @example
 * thresholdValue('-Infinity'); // -Infinity
 */
export function thresholdValue(t: JsonThreshold): number {
  return t === 'Infinity' ? Infinity : t === '-Infinity' ? -Infinity : t;
}

function readThreshold(file: string, path: string, v: unknown): JsonThreshold {
  if (v === 'Infinity' || v === '-Infinity') return v;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.fround(v) !== v) {
    refuse(file, path, `threshold must be a float32 number, "Infinity" or "-Infinity", got ${show(v)}`, v);
  }
  return v === 0 ? 0 : v;
}

type Check = (file: string, path: string, v: unknown) => number;

/** Checks a sum of sample weights: any finite number. */
function amount(file: string, path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(file, path, `a sum of sample weights must be a finite number, got ${show(v)}`, v);
  return v;
}

/** Whether two sums of sample weights agree within float64 rounding (1e-9 of the magnitudes summed). */
function near(a: number, b: number, ...terms: number[]): boolean {
  const scale = [a, b, ...terms].reduce((s, x) => s + Math.abs(x), 0);
  return Math.abs(a - b) <= 1e-9 * scale;
}

/** Reads `options.sampleWeight`: true (counts are sums of weights) or absent. */
function readWeighted(file: string, options: Record<string, unknown>): boolean {
  const w = options.sampleWeight;
  if (w !== undefined && w !== true) refuse(file, '$.options.sampleWeight', `must be true when present, got ${show(w)}`, w);
  return w === true;
}

function readMatrix2(file: string, path: string, v: unknown, check: Check = count): Matrix2 {
  const ok = Array.isArray(v) && v.length === 2 && v.every((r) => Array.isArray(r) && r.length === 2);
  if (!ok) refuse(file, path, `must be [[TN, FP], [FN, TP]], got ${show(v)}`, v);
  const m = v as unknown[][];
  return [
    [check(file, `${path}[0][0]`, m[0]![0]), check(file, `${path}[0][1]`, m[0]![1])],
    [check(file, `${path}[1][0]`, m[1]![0]), check(file, `${path}[1][1]`, m[1]![1])],
  ];
}

function readNames(file: string, path: string, v: unknown, n: number, what: string): string[] {
  if (!Array.isArray(v)) refuse(file, path, `must be an array of ${n} ${what} names, got ${show(v)}`, v);
  if (v.length !== n) refuse(file, path, `holds ${v.length} ${what} names for ${n} ${what}s`, v.length);
  return checkNames(file, path, v, what);
}

function readOptions(file: string, v: unknown, known: string[]): Record<string, unknown> {
  if (!isObject(v)) refuse(file, '$.options', `must be an object of counting options, got ${show(v)}`, v);
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) refuse(file, `$.options.${key}`, `option not known to this confmat (state version ${STATE_VERSION}); it would change what is counted`, v[key]);
  }
  return v;
}

const safeSum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function readSampleSums(file: string, v: unknown, numLabels: number, check: Check): SampleSumsJson {
  if (!isObject(v)) refuse(file, '$.sampleSums', `must be {"precision": [...], "recall": [...], "f1": [...]}, got ${show(v)}`, v);
  const out = {} as SampleSumsJson;
  for (const key of ['precision', 'recall', 'f1'] as const) {
    const path = `$.sampleSums.${key}`;
    const max = key === 'f1' ? 2 * numLabels : numLabels;
    const pairs = v[key];
    if (!Array.isArray(pairs)) refuse(file, path, `must be an array of [denominator, numerator] pairs, got ${show(pairs)}`, pairs);
    if (pairs.length > max) refuse(file, path, `holds ${pairs.length} pairs, more than the ${max} denominators there are`, pairs.length);
    out[key] = pairs.map((p: unknown, i): [number, number] => {
      if (!Array.isArray(p) || p.length !== 2) refuse(file, `${path}[${i}]`, `must be a [denominator, numerator] pair, got ${show(p)}`, p);
      const d = p[0] as unknown;
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1 || d > max) refuse(file, `${path}[${i}][0]`, `denominator must be an integer in [1, ${max}], got ${show(d)}`, d);
      if (i > 0 && d <= (pairs[i - 1] as number[])[0]!) refuse(file, `${path}[${i}][0]`, `denominators must be ascending and distinct: ${d} follows ${show((pairs[i - 1] as number[])[0])}`, d);
      return [d, check(file, `${path}[${i}][1]`, p[1])];
    });
  }
  return out;
}

/**
 * Checks a parsed JSON value and returns it as a multilabel state: a bare state or the report of
 * `confmat eval --task multilabel --format json` (its metrics are ignored). Every matrix must add up
 * to `rows`, and the samples sums to the TP counts.
 *
 * @throws InputError (field `'state'`) naming the file, the JSON path and the value, e.g.
 *   `part-2.json: $.matrices[1]: TN + FP + FN + TP = 99, but rows is 100 (edited or corrupt file?)`
 * @example
 * const s = parseMultilabelState(JSON.parse(readFileSync('part-0.json', 'utf8')), 'part-0.json');
 */
export function parseMultilabelState(value: unknown, file: string): MultilabelState {
  const v = checkStateHeader(file, value);
  if (v.task !== 'multilabel') refuse(file, '$.task', `expected "multilabel", got ${show(v.task)}`, v.task);
  const l = v.numLabels;
  if (typeof l !== 'number' || !Number.isSafeInteger(l) || l < 1 || l > 65536) refuse(file, '$.numLabels', `must be an integer in [1, 65536], got ${show(l)}`, l);
  const options = readOptions(file, v.options, ['numLabels', 'sampleWeight']);
  if (options.numLabels !== l) refuse(file, '$.options.numLabels', `must equal numLabels ${l}, got ${show(options.numLabels)}`, options.numLabels);
  const weighted = readWeighted(file, options);
  const check = weighted ? amount : count;
  const rows = check(file, '$.rows', v.rows);
  const t = v.thresholds;
  if (!Array.isArray(t) || t.length !== l) refuse(file, '$.thresholds', `must hold ${l} thresholds, one per label, got ${show(t)}`, t);
  const thresholds = t.map((x: unknown, j) => readThreshold(file, `$.thresholds[${j}]`, x));
  const m = v.matrices;
  if (!Array.isArray(m) || m.length !== l) refuse(file, '$.matrices', `must hold ${l} 2 x 2 matrices, got ${show(m)}`, m);
  let tp = 0;
  const matrices = m.map((x: unknown, j) => {
    const mat = readMatrix2(file, `$.matrices[${j}]`, x, check);
    const sum = mat[0][0] + mat[0][1] + mat[1][0] + mat[1][1];
    if (weighted ? !near(sum, rows, ...mat.flat()) : sum !== rows) refuse(file, `$.matrices[${j}]`, `TN + FP + FN + TP = ${sum}, but rows is ${rows} (edited or corrupt file?)`, sum);
    tp += mat[1][1];
    return mat;
  });
  const sampleSums = readSampleSums(file, v.sampleSums, l, check);
  // With weights, rows add w x TP to the sums and the device rounds each weight to fixed point for the
  // matrices: the two agree only within rounding that depends on the weights' spread, so not checked.
  if (!weighted) for (const [key, want] of [['precision', tp], ['recall', tp], ['f1', 2 * tp]] as const) {
    const got = safeSum(sampleSums[key].map((p) => p[1]));
    if (got !== want) refuse(file, `$.sampleSums.${key}`, `numerators add up to ${got}, but the matrices hold ${want === tp ? '' : '2 x '}${tp} TP (edited or corrupt file?)`, got);
  }
  const state: MultilabelState = { format: STATE_FORMAT, version: STATE_VERSION, task: 'multilabel', numLabels: l, rows, thresholds, matrices, sampleSums, options: weighted ? { numLabels: l, sampleWeight: true } : { numLabels: l } };
  if (v.labels !== undefined) state.labels = readNames(file, '$.labels', v.labels, l, 'label');
  if (v.shards !== undefined) state.shards = readShards(file, v.shards);
  return state;
}

function readCurve(file: string, path: string, v: unknown, k: number, limit: number, what: string, weighted: boolean): number[] {
  if (!Array.isArray(v) || v.length !== k) refuse(file, path, `must hold ${k} counts, one per threshold, got ${show(v)}`, v);
  // Sums of weights (negative ones allowed) need not stay below the total or rise as thresholds fall.
  if (weighted) return v.map((x: unknown, i) => amount(file, `${path}[${i}]`, x));
  return v.map((x: unknown, i) => {
    const c = count(file, `${path}[${i}]`, x);
    if (c > limit) refuse(file, `${path}[${i}]`, `${c} exceeds the ${limit} ${what} (edited or corrupt file?)`, c);
    if (i > 0 && c < (v[i - 1] as number)) refuse(file, `${path}[${i}]`, `${c} is below ${show(v[i - 1])} at a higher threshold: counts must not fall as thresholds fall`, c);
    return c;
  });
}

/**
 * Checks a parsed JSON value and returns it as a binary state: a bare state or the report of
 * `confmat eval --task binary --format json` (its metrics and curves are ignored). The matrix must
 * agree with `positives`, `negatives` and, for a sweep, with the sweep's counts at `threshold`.
 *
 * @throws InputError (field `'state'`) naming the file, the JSON path and the value
 * @example
 * const s = parseBinaryState(JSON.parse(readFileSync('part-0.json', 'utf8')), 'part-0.json');
 */
export function parseBinaryState(value: unknown, file: string): BinaryState {
  const v = checkStateHeader(file, value);
  if (v.task !== 'binary') refuse(file, '$.task', `expected "binary", got ${show(v.task)}`, v.task);
  const weighted = readWeighted(file, readOptions(file, v.options, ['sampleWeight']));
  const check = weighted ? amount : count;
  const threshold = readThreshold(file, '$.threshold', v.threshold);
  const positives = check(file, '$.positives', v.positives);
  const negatives = check(file, '$.negatives', v.negatives);
  if (!weighted && !Number.isSafeInteger(positives + negatives)) refuse(file, '$', `positives and negatives add up to more than 2^53 - 1`, positives + negatives);
  if (v.rows !== undefined && v.rows !== positives + negatives) refuse(file, '$.rows', `is ${show(v.rows)} but positives and negatives add up to ${positives + negatives} (edited or corrupt file?)`, v.rows);
  const matrix = readMatrix2(file, '$.matrix', v.matrix, check);
  const agrees = (a: number, b: number, total: number): boolean => (weighted ? near(a + b, total, a, b) : a + b === total);
  if (!agrees(matrix[0][0], matrix[0][1], negatives)) refuse(file, '$.matrix', `TN + FP = ${matrix[0][0] + matrix[0][1]}, but negatives is ${negatives} (edited or corrupt file?)`, matrix);
  if (!agrees(matrix[1][0], matrix[1][1], positives)) refuse(file, '$.matrix', `FN + TP = ${matrix[1][0] + matrix[1][1]}, but positives is ${positives} (edited or corrupt file?)`, matrix);
  const state: BinaryState = { format: STATE_FORMAT, version: STATE_VERSION, task: 'binary', threshold, positives, negatives, matrix, options: weighted ? { sampleWeight: true } : {} };
  if (v.sweep !== undefined) {
    const s = v.sweep;
    if (!isObject(s)) refuse(file, '$.sweep', `must be {"thresholds": [...], "tps": [...], "fps": [...]}, got ${show(s)}`, s);
    const ts = s.thresholds;
    if (!Array.isArray(ts) || ts.length === 0) refuse(file, '$.sweep.thresholds', `must be a non-empty array of thresholds, got ${show(ts)}`, ts);
    const thresholds = ts.map((x: unknown, i) => {
      const t = readThreshold(file, `$.sweep.thresholds[${i}]`, x);
      if (i > 0 && !(thresholdValue(t) < thresholdValue(ts[i - 1] as JsonThreshold))) refuse(file, `$.sweep.thresholds[${i}]`, `thresholds must be distinct and descending: ${show(x)} follows ${show(ts[i - 1])}`, x);
      return t;
    });
    const tps = readCurve(file, '$.sweep.tps', s.tps, thresholds.length, positives, 'positives', weighted);
    const fps = readCurve(file, '$.sweep.fps', s.fps, thresholds.length, negatives, 'negatives', weighted);
    const at = thresholds.findIndex((t) => t === threshold);
    if (at < 0) refuse(file, '$.threshold', `${show(threshold)} is not one of the sweep's thresholds`, threshold);
    if (tps[at] !== matrix[1][1] || fps[at] !== matrix[0][1]) refuse(file, '$.matrix', `TP ${matrix[1][1]} and FP ${matrix[0][1]} differ from the sweep's ${tps[at]} and ${fps[at]} at threshold ${show(threshold)} (edited or corrupt file?)`, matrix);
    state.sweep = { thresholds, tps, fps };
  }
  if (v.shards !== undefined) state.shards = readShards(file, v.shards);
  return state;
}

/**
 * Checks a parsed JSON value as a state of any task (`task` absent or `"multiclass"`: see
 * `parseState`; `"multilabel"`, `"binary"`).
 *
 * @throws InputError (field `'state'`) naming the file, the JSON path and the value
 * @example
 * const s = parseAnyState(JSON.parse(readFileSync('part-0.json', 'utf8')), 'part-0.json');
 */
export function parseAnyState(value: unknown, file: string): AnyState {
  const task = isObject(value) ? value.task : undefined;
  if (task === undefined || task === 'multiclass') return parseState(value, file);
  checkStateHeader(file, value);
  if (task === 'multilabel') return parseMultilabelState(value, file);
  if (task === 'binary') return parseBinaryState(value, file);
  return refuse(file, '$.task', `unknown task ${show(task)}; this confmat reads multiclass, multilabel and binary states`, task);
}

function toPairs(a: Float64Array): [number, number][] {
  const out: [number, number][] = [];
  for (let d = 1; d < a.length; d++) if (a[d] !== 0) out.push([d, a[d]!]);
  return out;
}

/**
 * The state of a multilabel result (see `createMultilabelMatrix(...).compute()`), checked as
 * {@link parseMultilabelState} checks a file.
 *
 * @example
 * const state = createMultilabelState(await ml.compute(), { labels: ['cat', 'dog'], shards: { count: 4, indices: [1] } });
 */
export function createMultilabelState(result: MultilabelResult, meta: MultilabelStateMeta = {}): MultilabelState {
  const value: Record<string, unknown> = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    task: 'multilabel',
    numLabels: result.numLabels,
    rows: result.rows,
    thresholds: result.thresholds.map(thresholdJson),
    matrices: result.matrices,
    sampleSums: { precision: toPairs(result.sampleSums.precision), recall: toPairs(result.sampleSums.recall), f1: toPairs(result.sampleSums.f1) },
    options: result.weighted ? { numLabels: result.numLabels, sampleWeight: true } : { numLabels: result.numLabels },
  };
  if (meta.labels !== undefined) value.labels = meta.labels;
  if (meta.shards !== undefined) value.shards = meta.shards;
  return parseMultilabelState(value, 'state');
}

/**
 * The state of a sweep's result (see `createThresholdSweep(...).compute()`): the 2 x 2 matrix at
 * `meta.threshold` and, for a sweep, the counts at every threshold.
 *
 * @throws InputError when `meta.threshold` is not one of the sweep's thresholds, or is left out
 *   for a sweep of more than one
 * @example
 * const state = createBinaryState(await sweep.compute(), { threshold: 0.5 });
 */
export function createBinaryState(result: SweepResult, meta: BinaryStateMeta = {}): BinaryState {
  const k = result.thresholds.length;
  if (meta.threshold === undefined && k !== 1) throw new InputError('threshold', `a state of a sweep of ${k} thresholds needs the threshold of its 2 x 2 matrix (meta.threshold), one of them`);
  const t = meta.threshold ?? result.thresholds[0]!;
  const value: Record<string, unknown> = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    task: 'binary',
    threshold: thresholdJson(Math.fround(t)),
    positives: result.positives,
    negatives: result.negatives,
    matrix: binaryCounts(result, t).matrix,
    options: result.weighted ? { sampleWeight: true } : {},
  };
  if (meta.sweep ?? k > 1) value.sweep = { thresholds: result.thresholds.map(thresholdJson), tps: result.tps, fps: result.fps };
  if (meta.shards !== undefined) value.shards = meta.shards;
  return parseBinaryState(value, 'state');
}

/**
 * The exact counts a multilabel state holds.
 *
 * @example
 * multilabelStateCounts(state).tp[0]; // TP of label 0
 */
export function multilabelStateCounts(state: MultilabelState): MultilabelCounts {
  const counts = emptyMultilabelCounts(validateNumLabels(state.numLabels));
  counts.rows = state.rows;
  if (state.options.sampleWeight === true) counts.weighted = true;
  state.matrices.forEach(([[, fp], [fn, tp]], j) => {
    counts.tp[j] = tp;
    counts.fp[j] = fp;
    counts.fn[j] = fn;
  });
  const dense = counts.samples;
  for (const key of ['precision', 'recall', 'f1'] as const) for (const [d, n] of state.sampleSums[key]) dense[key][d] = n;
  return counts;
}

/**
 * The result a multilabel state holds, as `createMultilabelMatrix(...).compute()` gives it.
 *
 * @example
 * multilabelMetrics(multilabelStateResult(merged)).samplesAvg.f1;
 */
export function multilabelStateResult(state: MultilabelState): MultilabelResult {
  return multilabelResult(multilabelStateCounts(state), Float32Array.from(state.thresholds, thresholdValue));
}

/**
 * The sweep result a binary state holds (one threshold without a sweep), its threshold and whether
 * it is a sweep.
 *
 * @example
 * const { result, threshold } = binaryStateResult(merged);
 * binaryCounts(result, threshold).f1;
 */
export function binaryStateResult(state: BinaryState): { result: SweepResult; threshold: number; sweep: boolean } {
  const threshold = thresholdValue(state.threshold);
  const s = state.sweep;
  const result: SweepResult = s
    ? { thresholds: s.thresholds.map(thresholdValue), tps: s.tps.slice(), fps: s.fps.slice(), positives: state.positives, negatives: state.negatives }
    : { thresholds: [threshold], tps: [state.matrix[1][1]], fps: [state.matrix[0][1]], positives: state.positives, negatives: state.negatives };
  if (state.options.sampleWeight === true) result.weighted = true;
  return { result, threshold, sweep: s !== undefined };
}

type Fail = (k: number, detail: string, value?: unknown) => never;

function failer(files: readonly string[] | undefined): { name: (i: number) => string; fail: Fail } {
  const name = (i: number): string => files?.[i] ?? `state ${i}`;
  return {
    name,
    fail: (k, detail, value) => {
      throw new InputError('state', `${name(k)}: ${detail}`, undefined, value);
    },
  };
}

/** The union of the states' shard sets, refusing a mix of shards and whole runs, two splits, or a shard twice. */
function mergeShardSets(states: readonly { shards?: ShardSet | undefined }[], name: (i: number) => string, fail: Fail): ShardSet | undefined {
  const first = states[0]!.shards;
  const where = (s: ShardSet | undefined): string => (s ? `shards of ${s.count}` : 'not sharded');
  const seen = new Map<number, number>();
  states.forEach((s, k) => {
    if ((s.shards !== undefined) !== (first !== undefined)) fail(k, `${where(s.shards)}, but ${name(0)} is ${where(first)}: merge shards with shards of one split`);
    if (s.shards && s.shards.count !== first!.count) fail(k, `a shard of ${s.shards.count}, but ${name(0)} is a shard of ${first!.count}: all parts must come from one --shard i/n split`, s.shards.count);
    for (const i of s.shards?.indices ?? []) {
      const other = seen.get(i);
      if (other !== undefined) fail(k, `shard ${i}/${s.shards!.count} is also in ${name(other)}; each shard must be merged once`, i);
      seen.set(i, k);
    }
  });
  return first ? { count: first.count, indices: [...seen.keys()].sort((a, b) => a - b) } : undefined;
}

function addExact(a: number, b: number, k: number, what: string, fail: Fail, weighted = false): number {
  const sum = a + b;
  if (!weighted && !Number.isSafeInteger(sum)) fail(k, `${what} would add up to more than 2^53 - 1; counts would no longer be exact`, sum);
  return sum;
}

/** Refuses a mix of weighted and unweighted states (their counts mean different things). */
function sameWeighting(states: readonly { options: { sampleWeight?: true } }[], name: (i: number) => string, fail: Fail): boolean {
  const weighted = states[0]!.options.sampleWeight === true;
  const what = (w: boolean): string => (w ? 'counted with sample weights (--sample-weight)' : 'counted without sample weights');
  states.forEach((s, k) => {
    if ((s.options.sampleWeight === true) !== weighted) fail(k, `${what(!weighted)}, but ${name(0)} was ${what(weighted)}: weighted and unweighted parts do not merge`, s.options);
  });
  return weighted;
}

const showT = (t: JsonThreshold): string => (typeof t === 'number' ? String(t) : t);

/**
 * Adds multilabel states up: matrices, rows and samples sums exactly, shard sets by union.
 * Associative and commutative. Absent label names equal `"0"`..`"L-1"`; the first names given are kept.
 *
 * @throws InputError (field `'state'`) naming the file when L, a threshold, a label name or the
 *   options differ, shards do not fit together (as `mergeStates`), or a count would pass 2^53 - 1
 * @example
 * const merged = mergeMultilabelStates([a, b], ['part-0.json', 'part-1.json']);
 */
export function mergeMultilabelStates(states: readonly MultilabelState[], files?: readonly string[]): MultilabelState {
  const { name, fail } = failer(files);
  if (states.length === 0) throw new InputError('state', 'nothing to merge: no states given');
  const first = states[0]!;
  const l = first.numLabels;
  const weighted = sameWeighting(states, name, fail);
  const names = (s: MultilabelState): string[] => s.labels ?? Array.from({ length: s.numLabels }, (_, i) => String(i));
  const firstNames = names(first);
  const matrices = first.matrices.map(([[a, b], [c, d]]): Matrix2 => [[a, b], [c, d]]);
  const sums = multilabelStateCounts(first).samples;
  let rows = first.rows;
  let labels = first.labels;
  states.forEach((s, k) => {
    if (k === 0) return;
    if (s.numLabels !== l) fail(k, `${s.numLabels} labels, but ${name(0)} has ${l}`, s.numLabels);
    const j = s.thresholds.findIndex((t, i) => thresholdValue(t) !== thresholdValue(first.thresholds[i]!));
    if (j >= 0) fail(k, `the threshold of label ${j} is ${showT(s.thresholds[j]!)}, but ${showT(first.thresholds[j]!)} in ${name(0)}: parts must be counted with the same --threshold`, s.thresholds[j]);
    if (canonical(s.options) !== canonical(first.options)) fail(k, `options ${canonical(s.options)} differ from ${name(0)}'s ${canonical(first.options)}`, s.options);
    const theirs = names(s);
    const i = theirs.findIndex((n, x) => n !== firstNames[x]);
    if (i >= 0) fail(k, `label ${i} is named ${JSON.stringify(theirs[i])}, but ${JSON.stringify(firstNames[i])} in ${name(0)}`, theirs[i]);
    rows = addExact(rows, s.rows, k, 'rows', fail, weighted);
    s.matrices.forEach((m, x) => {
      for (const r of [0, 1] as const) for (const c of [0, 1] as const) matrices[x]![r][c] = addExact(matrices[x]![r][c], m[r][c], k, `label ${x}'s cell [${r}][${c}]`, fail, weighted);
    });
    for (const key of ['precision', 'recall', 'f1'] as const) for (const [d, n] of s.sampleSums[key]) sums[key][d] = addExact(sums[key][d]!, n, k, `the samples sums`, fail, weighted);
    labels ??= s.labels;
  });
  const merged: MultilabelState = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    task: 'multilabel',
    numLabels: l,
    rows,
    thresholds: first.thresholds.slice(),
    matrices,
    sampleSums: { precision: toPairs(sums.precision), recall: toPairs(sums.recall), f1: toPairs(sums.f1) },
    options: weighted ? { numLabels: l, sampleWeight: true } : { numLabels: l },
  };
  if (labels !== undefined) merged.labels = labels.slice();
  const shards = mergeShardSets(states, name, fail);
  if (shards) merged.shards = shards;
  return merged;
}

/**
 * Adds binary states up: the matrix, positives, negatives and the sweep's counts exactly, shard
 * sets by union. Associative and commutative.
 *
 * @throws InputError (field `'state'`) naming the file when the threshold, the sweep's thresholds
 *   or the options differ, one is a sweep and another not, shards do not fit together, or a count
 *   would pass 2^53 - 1
 * @example
 * const merged = mergeBinaryStates([a, b], ['part-0.json', 'part-1.json']);
 */
export function mergeBinaryStates(states: readonly BinaryState[], files?: readonly string[]): BinaryState {
  const { name, fail } = failer(files);
  if (states.length === 0) throw new InputError('state', 'nothing to merge: no states given');
  const first = states[0]!;
  const matrix: Matrix2 = [[first.matrix[0][0], first.matrix[0][1]], [first.matrix[1][0], first.matrix[1][1]]];
  let { positives, negatives } = first;
  const tps = first.sweep?.tps.slice();
  const fps = first.sweep?.fps.slice();
  const sweepText = (s: BinaryState): string => (s.sweep ? `a sweep of ${s.sweep.thresholds.length} thresholds` : 'not a sweep');
  const weighted = sameWeighting(states, name, fail);
  states.forEach((s, k) => {
    if (k === 0) return;
    if (thresholdValue(s.threshold) !== thresholdValue(first.threshold)) fail(k, `threshold ${showT(s.threshold)}, but ${showT(first.threshold)} in ${name(0)}: parts must be counted with the same --threshold`, s.threshold);
    if ((s.sweep === undefined) !== (first.sweep === undefined)) fail(k, `${sweepText(s)}, but ${name(0)} is ${sweepText(first)}: parts must be counted with the same --thresholds`);
    if (s.sweep && first.sweep) {
      const a = s.sweep.thresholds;
      const b = first.sweep.thresholds;
      if (a.length !== b.length) fail(k, `${sweepText(s)}, but ${name(0)} is ${sweepText(first)}: parts must be counted with the same --thresholds`, a.length);
      const i = a.findIndex((t, x) => thresholdValue(t) !== thresholdValue(b[x]!));
      if (i >= 0) fail(k, `sweep threshold ${i} is ${showT(a[i]!)}, but ${showT(b[i]!)} in ${name(0)}: parts must be counted with the same --thresholds (with --thresholds K and --shard, every shard spaces them over the whole file)`, a[i]);
    }
    if (canonical(s.options) !== canonical(first.options)) fail(k, `options ${canonical(s.options)} differ from ${name(0)}'s ${canonical(first.options)}`, s.options);
    positives = addExact(positives, s.positives, k, 'positives', fail, weighted);
    negatives = addExact(negatives, s.negatives, k, 'negatives', fail, weighted);
    addExact(positives, negatives, k, 'rows', fail, weighted);
    for (const r of [0, 1] as const) for (const c of [0, 1] as const) matrix[r][c] += s.matrix[r][c];
    if (tps && fps) {
      for (let i = 0; i < tps.length; i++) {
        tps[i]! += s.sweep!.tps[i]!;
        fps[i]! += s.sweep!.fps[i]!;
      }
    }
  });
  const merged: BinaryState = { format: STATE_FORMAT, version: STATE_VERSION, task: 'binary', threshold: first.threshold, positives, negatives, matrix, options: weighted ? { sampleWeight: true } : {} };
  if (first.sweep) merged.sweep = { thresholds: first.sweep.thresholds.slice(), tps: tps!, fps: fps! };
  const shards = mergeShardSets(states, name, fail);
  if (shards) merged.shards = shards;
  return merged;
}

/**
 * Adds states of one task up (`mergeStates`, {@link mergeMultilabelStates} or {@link mergeBinaryStates}).
 *
 * @throws InputError naming the file when the tasks differ, or as the task's merge
 * @example
 * const merged = mergeAnyStates(parts.map((p, i) => parseAnyState(p, files[i])), files);
 */
export function mergeAnyStates(states: readonly AnyState[], files?: readonly string[]): AnyState {
  const { name, fail } = failer(files);
  if (states.length === 0) throw new InputError('state', 'nothing to merge: no states given');
  const task = stateTask(states[0]!);
  states.forEach((s, k) => {
    if (stateTask(s) !== task) fail(k, `a ${stateTask(s)} state, but ${name(0)} is ${task}: parts of different tasks do not merge`, stateTask(s));
  });
  if (task === 'multilabel') return mergeMultilabelStates(states as MultilabelState[], files);
  if (task === 'binary') return mergeBinaryStates(states as BinaryState[], files);
  return mergeStates(states as ConfusionMatrixState[], files);
}
