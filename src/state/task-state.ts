/**
 * The multilabel and binary states, and {@link parseAnyState} / {@link mergeAnyStates} for any task. Isomorphic.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { binaryCounts, type SweepResult } from '../tasks/binary/binary.js';
import { emptyMultilabelCounts, multilabelResult, validateNumLabels } from '../tasks/multilabel/multilabel.js';
import type { MultilabelCounts, MultilabelResult } from '../tasks/multilabel/multilabel.js';
import { MAX_ROW_OUTCOMES, mergeRowOutcomes, parseRowOutcomeKey, type RowOutcome,
  type RowOutcomes } from '../tasks/multilabel/row-outcomes.js';
import { type ComparisonPartState, comparisonSpec } from './comparison-state.js';
import { createWith, mergeWith, parseWith, show, within } from './envelope.js';
import type { Envelope, Plus, ReadContext, ShardSet, StateSpec } from './envelope.js';
import { perClassSpec, type PerClassState } from './per-class-state.js';
import { type ConfusionMatrixState, multiclassSpec } from './state.js';

export type { StateTask } from './envelope.js';

/** A 2 x 2 matrix as sklearn writes it: `[[TN, FP], [FN, TP]]`. */
export type Matrix2 = [[number, number], [number, number]];

/** A float32 threshold as JSON holds it: a number, or `"Infinity"` / `"-Infinity"` (JSON has no infinities). */
export type JsonThreshold = number | 'Infinity' | '-Infinity';

/** Sample sums (`SampleSums`) as JSON: `[denominator, numerator sum]` pairs, ascending, zeros left out. */
export interface SampleSumsJson {
  precision: [number, number][];
  recall: [number, number][];
  f1: [number, number][];
}

/**
 * The state of a multilabel task: L 2 x 2 matrices, the per label thresholds, the samples sums.
 *
 * @example
 * const s: MultilabelState = { format: 'confmat-state', version: 1, task: 'multilabel', numLabels: 1, rows: 2,
 *   thresholds: [0.5], matrices: [[[1, 0], [0, 1]]], options: { numLabels: 1 },
 *   sampleSums: { precision: [[1, 1]], recall: [[1, 1]], f1: [[2, 2]] } };
 */
export interface MultilabelState extends Envelope {
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
  /**
   * The distinct rows' outcomes as `[key, rows]` pairs, keys ascending (see `RowOutcomes`); `null`: too many to
   * keep. Absent: not kept (the intervals of the averages need them).
   */
  rowOutcomes?: [string, number][] | null;
  /** `sampleWeight: true`: counts, `rows` and sample sums are sums of sample weights. */
  options: { numLabels: number; sampleWeight?: true };
}

/**
 * The state of a binary task: the 2 x 2 matrix at `threshold` and, for a sweep, TP and FP at each.
 *
 * @example
 * const s: BinaryState = { format: 'confmat-state', version: 1, task: 'binary',
 *   threshold: 0.5, positives: 3, negatives: 5, matrix: [[4, 1], [1, 2]], options: {} };
 */
export interface BinaryState extends Envelope {
  task: 'binary';
  /** The threshold of `matrix` (float32); one of the sweep's. */
  threshold: JsonThreshold;
  positives: number;
  negatives: number;
  /** `[[TN, FP], [FN, TP]]` at `threshold`. */
  matrix: Matrix2;
  /** Present for a sweep: thresholds descending, distinct float32, and TP and FP at each. */
  sweep?: { thresholds: JsonThreshold[]; tps: number[]; fps: number[] };
}

/** A state of any task. */
export type AnyState = ConfusionMatrixState | MultilabelState | BinaryState | PerClassState | ComparisonPartState;

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

/** A float32 threshold as JSON holds it (infinities as strings, -0 as 0). */
const thresholdJson = (t: number): JsonThreshold => (Math.abs(t) === Infinity ? (String(t) as JsonThreshold) : t + 0);

/** The number a {@link JsonThreshold} stands for (`Number` reads the infinities' names). */
export const thresholdValue = (t: JsonThreshold): number => Number(t);

function readThreshold(r: ReadContext, path: string, v: unknown): JsonThreshold {
  if (v === 'Infinity' || v === '-Infinity') return v;
  const float32 = typeof v === 'number' && Number.isFinite(v) && Math.fround(v) === v;
  if (!float32) r.no(path, `threshold must be a float32 number, "Infinity" or "-Infinity", got ${show(v)}`, v);
  return v === 0 ? 0 : v;
}

/** Whether two sums of sample weights agree within float64 rounding (1e-9 of the magnitudes summed). */
function near(a: number, b: number, ...terms: number[]): boolean {
  const scale = [a, b, ...terms].reduce((s, x) => s + Math.abs(x), 0);
  return Math.abs(a - b) <= 1e-9 * scale;
}

function readMatrix2(r: ReadContext, path: string, v: unknown): Matrix2 {
  const ok = Array.isArray(v) && v.length === 2 && v.every((row) => Array.isArray(row) && row.length === 2);
  if (!ok) r.no(path, `must be [[TN, FP], [FN, TP]], got ${show(v)}`, v);
  const m = v as unknown[][];
  return [0, 1].map((i) => [0, 1].map((j) => r.num(`${path}[${i}][${j}]`, m[i]![j]))) as Matrix2;
}

const SUMS = ['precision', 'recall', 'f1'] as const;

function readSampleSums(r: ReadContext, value: unknown, numLabels: number): SampleSumsJson {
  const v = r.obj('$.sampleSums', value, '{"precision": [...], "recall": [...], "f1": [...]}');
  const out = {} as SampleSumsJson;
  for (const key of SUMS) {
    const [path, max, pairs] = [`$.sampleSums.${key}`, key === 'f1' ? 2 * numLabels : numLabels, v[key]];
    const pair = '[denominator, numerator] pair';
    if (!Array.isArray(pairs)) r.no(path, `must be an array of ${pair}s, got ${show(pairs)}`, pairs);
    const more = `holds ${pairs.length} pairs, more than the ${max} denominators there are`;
    if (pairs.length > max) r.no(path, more, pairs.length);
    out[key] = pairs.map((p: unknown, i): [number, number] => {
      if (!Array.isArray(p) || p.length !== 2) r.no(`${path}[${i}]`, `must be a ${pair}, got ${show(p)}`, p);
      const d = within(r.no, `${path}[${i}][0]`, p[0], max, '', 'denominator ');
      const last = (pairs[i - 1] as number[] | undefined)?.[0];
      const order = `denominators must be ascending and distinct: ${d} follows ${show(last)}`;
      if (d <= last!) r.no(`${path}[${i}][0]`, order, d);
      return [d, r.num(`${path}[${i}][1]`, p[1])];
    });
  }
  return out;
}

/** Sparse `[key, count]` pairs added key by key, ascending, zeros left out. */
function addPairs(a: [number, number][], b: [number, number][], plus: Plus, what: string): [number, number][] {
  const m = new Map(a);
  for (const [d, n] of b) m.set(d, plus(m.get(d) ?? 0, n, () => what));
  return [...m].filter(([, n]) => n !== 0).sort((x, y) => x[0] - y[0]);
}

const multilabelSpec: StateSpec<MultilabelState> = { task: 'multilabel',
  size: { key: 'numLabels', max: 65536, noun: 'labels' }, names: { key: 'labels', what: 'label' },
  options: ['numLabels', 'sampleWeight'], weightsApart: true, read(v, r: ReadContext) {
  const { n: l, weighted } = r;
  const rows = r.num('$.rows', v.rows);
  const t = r.list('$.thresholds', v.thresholds, l, 'thresholds, one per label');
  const thresholds = t.map((x, j) => readThreshold(r, `$.thresholds[${j}]`, x));
  let tp = 0;
  const matrices = r.list('$.matrices', v.matrices, l, '2 x 2 matrices').map((x, j) => {
    const mat = readMatrix2(r, `$.matrices[${j}]`, x);
    const sum = mat[0][0] + mat[0][1] + mat[1][0] + mat[1][1];
    const detail = `TN + FP + FN + TP = ${sum}, but rows is ${rows} (edited or corrupt file?)`;
    if (weighted ? !near(sum, rows, ...mat.flat()) : sum !== rows) r.no(`$.matrices[${j}]`, detail, sum);
    tp += mat[1][1];
    return mat;
  });
  const sampleSums = readSampleSums(r, v.sampleSums, l);
  const outcomes = v.rowOutcomes === undefined ?
    {} :
    { rowOutcomes: readRowOutcomes(r, v.rowOutcomes, rows, matrices) };
  // With weights, rows add w x TP to the sums and the device rounds each weight to fixed point for the
  // matrices: the two agree only within rounding that depends on the weights' spread, so not checked.
  for (const [key, want] of weighted ? [] : ([['precision', tp], ['recall', tp], ['f1', 2 * tp]] as const)) {
    const got = sampleSums[key].reduce((a, p) => a + p[1], 0);
    const hold = `${want === tp ? '' : '2 x '}${tp} TP`;
    const detail = `numerators add up to ${got}, but the matrices hold ${hold} (edited or corrupt file?)`;
    if (got !== want) r.no(`$.sampleSums.${key}`, detail, got);
  }
  return { rows, thresholds, matrices, sampleSums, ...outcomes };
}, differ(s, first, other) {
  const j = s.thresholds.findIndex((t, i) => thresholdValue(t) !== thresholdValue(first.thresholds[i]!));
  const why = `, but ${first.thresholds[j]} in ${other}: parts must be counted with the same --threshold`;
  return j < 0 ? undefined : `the threshold of label ${j} is ${s.thresholds[j]}${why}`;
}, add(into, from, plus) {
  into.rows = plus(into.rows, from.rows, () => 'rows');
  from.matrices.forEach((m, x) => {
    const [to, cell] = [into.matrices[x]!, (i: number, j: number) => (): string => `label ${x}'s cell [${i}][${j}]`];
    for (const i of [0, 1] as const) for (const j of [0, 1] as const) to[i][j] = plus(to[i][j], m[i][j], cell(i, j));
  });
  const sums = into.sampleSums;
  for (const key of SUMS) sums[key] = addPairs(sums[key], from.sampleSums[key], plus, 'the samples sums');
  if (into.rowOutcomes === undefined) return;
  if (from.rowOutcomes === undefined) delete into.rowOutcomes;
  else {into.rowOutcomes = rowOutcomesJson(
      mergeRowOutcomes(outcomeTable(into.rowOutcomes), outcomeTable(from.rowOutcomes)),
    );}
} };

/** The table of `[key, rows]` pairs (null stays null). */
const outcomeTable = (pairs: [string, number][] | null): RowOutcomes => (pairs === null ? null : new Map(pairs));

/** A table as `[key, rows]` pairs, keys ascending by code point (null stays null). */
function rowOutcomesJson(t: RowOutcomes): [string, number][] | null {
  return t === null ? null : [...t].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * Checks `rowOutcomes`: at most MAX_ROW_OUTCOMES `[key, rows]` pairs, keys valid and ascending, adding up to `rows`
 * and to each label's TP, FP and FN; not with sample weights.
 */
function readRowOutcomes(r: ReadContext, v: unknown, rows: number, matrices: Matrix2[]): [string, number][] | null {
  const path = '$.rowOutcomes';
  if (v === null) return null;
  if (r.weighted) r.no(path, 'a state counted with sample weights keeps no row outcomes', v);
  if (!Array.isArray(v)) r.no(path, `must be an array of [key, rows] pairs or null, got ${show(v)}`, v);
  const pairs = v as unknown[];
  if (pairs.length > MAX_ROW_OUTCOMES) {
    r.no(path, `holds ${pairs.length} pairs, more than ${MAX_ROW_OUTCOMES}`, pairs.length);
  }
  const l = matrices.length;
  const [tp, fp, fn] = [new Float64Array(l), new Float64Array(l), new Float64Array(l)];
  let total = 0;
  const out = pairs.map((p, i): [string, number] => {
    const at = `${path}[${i}]`;
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string') {
      r.no(at, `must be a [key, rows] pair, got ${show(p)}`, p);
    }
    const [key, n] = [p[0] as string, r.num(`${at}[1]`, p[1])];
    if (n === 0) r.no(`${at}[1]`, 'a row outcome must count at least one row', n);
    const prev = (pairs[i - 1] as [string] | undefined)?.[0];
    if (prev !== undefined && !(prev < key)) {
      r.no(`${at}[0]`, `keys must be ascending and distinct: ${show(key)} follows ${show(prev)}`, key);
    }
    let o: RowOutcome;
    try {
      o = parseRowOutcomeKey(key, l);
    } catch (e) {
      return r.no(`${at}[0]`, (e as Error).message, key);
    }
    for (const [list, into] of [[o.tp, tp], [o.fp, fp], [o.fn, fn]] as const) for (const j of list) into[j]! += n;
    total += n;
    return [key, n];
  });
  if (total !== rows) {
    r.no(path, `the row outcomes count ${total} rows, but rows is ${rows} (edited or corrupt file?)`, total);
  }
  const j = matrices.findIndex(([[, f], [n, t]], x) => t !== tp[x] || f !== fp[x] || n !== fn[x]);
  const what = `the row outcomes give label ${j} TP, FP, FN = ${tp[j]}, ${fp[j]}, ${fn[j]}`;
  if (j >= 0) r.no(path, `${what}, but its matrix ${show(matrices[j])} (edited or corrupt file?)`, j);
  return out;
}

function readCurve(r: ReadContext, path: string, v: unknown, k: number, limit: number, what: string): number[] {
  // Sums of weights (negative ones allowed) need not stay below the total or rise as thresholds fall.
  return r.list(path, v, k, 'counts, one per threshold').map((x, i, a) => {
    const c = r.num(`${path}[${i}]`, x);
    if (r.weighted) return c;
    if (c > limit) r.no(`${path}[${i}]`, `${c} exceeds the ${limit} ${what} (edited or corrupt file?)`, c);
    const fall = `${c} is below ${show(a[i - 1])} at a higher threshold: counts must not fall as thresholds fall`;
    if (i > 0 && c < (a[i - 1] as number)) r.no(`${path}[${i}]`, fall, c);
    return c;
  });
}

function readSweep(r: ReadContext, v: unknown, positives: number, negatives: number): BinaryState['sweep'] {
  const s = r.obj('$.sweep', v, '{"thresholds": [...], "tps": [...], "fps": [...]}');
  const ts = s.thresholds;
  const none = `must be a non-empty array of thresholds, got ${show(ts)}`;
  if (!Array.isArray(ts) || ts.length === 0) r.no('$.sweep.thresholds', none, ts);
  const thresholds = ts.map((x: unknown, i) => {
    const [t, path] = [readThreshold(r, `$.sweep.thresholds[${i}]`, x), `$.sweep.thresholds[${i}]`];
    const down = i === 0 || thresholdValue(t) < thresholdValue(ts[i - 1] as JsonThreshold);
    if (!down) r.no(path, `thresholds must be distinct and descending: ${show(x)} follows ${show(ts[i - 1])}`, x);
    return t;
  });
  const tps = readCurve(r, '$.sweep.tps', s.tps, thresholds.length, positives, 'positives');
  return { thresholds, tps, fps: readCurve(r, '$.sweep.fps', s.fps, thresholds.length, negatives, 'negatives') };
}

const sweepText = (s: BinaryState): string =>
  s.sweep ? `a sweep of ${s.sweep.thresholds.length} thresholds` : 'not a sweep';

const binarySpec: StateSpec<BinaryState> = { task: 'binary', options: ['sampleWeight'], weightsApart: true,
  read(v, r: ReadContext) {
    const { weighted } = r;
    const threshold = readThreshold(r, '$.threshold', v.threshold);
    const [positives, negatives] = [r.num('$.positives', v.positives), r.num('$.negatives', v.negatives)];
    const rows = positives + negatives;
    const over = 'positives and negatives add up to more than 2^53 - 1';
    if (!weighted && !Number.isSafeInteger(rows)) r.no('$', over, rows);
    const odd = `is ${show(v.rows)} but positives and negatives add up to ${rows} (edited or corrupt file?)`;
    if (v.rows !== undefined && v.rows !== rows) r.no('$.rows', odd, v.rows);
    const matrix = readMatrix2(r, '$.matrix', v.matrix);
    const [[tn, fp], [fn, tp]] = matrix;
    for (const [a, b, total, what] of [[tn, fp, negatives, 'TN + FP'], [fn, tp, positives, 'FN + TP']] as const) {
      const side = `${what === 'TN + FP' ? 'negatives' : 'positives'} is ${total} (edited or corrupt file?)`;
      if (weighted ? !near(a + b, total, a, b) : a + b !== total) {
        r.no('$.matrix', `${what} = ${a + b}, but ${side}`, matrix);
      }
    }
    if (v.sweep === undefined) return { threshold, positives, negatives, matrix };
    const sweep = readSweep(r, v.sweep, positives, negatives)!;
    const at = sweep.thresholds.findIndex((t) => t === threshold);
    if (at < 0) r.no('$.threshold', `${show(threshold)} is not one of the sweep's thresholds`, threshold);
    const [tps, fps] = [sweep.tps[at], sweep.fps[at]];
    const where = `at threshold ${show(threshold)} (edited or corrupt file?)`;
    const differ = `TP ${tp} and FP ${fp} differ from the sweep's ${tps} and ${fps} ${where}`;
    if (tps !== tp || fps !== fp) r.no('$.matrix', differ, matrix);
    return { threshold, positives, negatives, matrix, sweep };
  }, differ(s, first, other) {
  const same = 'parts must be counted with the same';
  const moved = thresholdValue(s.threshold) !== thresholdValue(first.threshold);
  if (moved) return `threshold ${s.threshold}, but ${first.threshold} in ${other}: ${same} --threshold`;
  const [a, b] = [s.sweep?.thresholds, first.sweep?.thresholds];
  const kind = `${sweepText(s)}, but ${other} is ${sweepText(first)}: ${same} --thresholds`;
  if (!a !== !b || a?.length !== b?.length) return kind;
  const i = a?.findIndex((x, j) => thresholdValue(x) !== thresholdValue(b![j]!)) ?? -1;
  if (i < 0) return undefined;
  const spaced = '(with --thresholds K and --shard, every shard spaces them over the whole file)';
  return `sweep threshold ${i} is ${a![i]}, but ${b![i]} in ${other}: ${same} --thresholds ${spaced}`;
}, add(into, from, plus) {
  into.positives = plus(into.positives, from.positives, () => 'positives');
  into.negatives = plus(into.negatives, from.negatives, () => 'negatives');
  for (const i of [0, 1] as const) for (const j of [0, 1] as const) into.matrix[i][j] += from.matrix[i][j];
  const [a, b] = [into.sweep, from.sweep];
  a?.tps.forEach((_, i) => ((a.tps[i]! += b!.tps[i]!), (a.fps[i]! += b!.fps[i]!)));
}, total: (s) => s.positives + s.negatives };

/**
 * Checks a parsed JSON value as a multilabel state (or the `eval --task multilabel` JSON report).
 *
 * @example
 * const s = parseMultilabelState(JSON.parse(text), 'part-0.json');
 */
export function parseMultilabelState(value: unknown, file: string): MultilabelState {
  return parseWith(multilabelSpec, value, file);
}

/**
 * Checks a parsed JSON value as a binary state (or the `eval --task binary` JSON report).
 *
 * @example
 * const s = parseBinaryState(JSON.parse(text), 'part-0.json');
 */
export function parseBinaryState(value: unknown, file: string): BinaryState {
  return parseWith(binarySpec, value, file);
}

const SPECS = [multiclassSpec, multilabelSpec, binarySpec, perClassSpec, comparisonSpec] as StateSpec<AnyState>[];

/**
 * Checks a parsed JSON value as a state of any task (`task` absent: multiclass).
 *
 * @example
 * const s = parseAnyState(JSON.parse(text), 'part-0.json');
 */
export function parseAnyState(value: unknown, file: string): AnyState {
  return parseWith<AnyState>(SPECS, value, file);
}

/** The state of a multilabel result (`createMultilabelMatrix(...).compute()`), checked as a file is. */
export function createMultilabelState(result: MultilabelResult, meta: MultilabelStateMeta = {}): MultilabelState {
  const pairs = (a: Float64Array): [number, number][] =>
    Array.from(a, (n, d): [number, number] => [d, n]).filter(([d, n]) => d > 0 && n !== 0);
  const l = result.numLabels;
  const { rows, thresholds, matrices, sampleSums: sums } = result;
  const sampleSums = { precision: pairs(sums.precision), recall: pairs(sums.recall), f1: pairs(sums.f1) };
  const options = { numLabels: l, ...(result.weighted ? { sampleWeight: true } : {}) };
  const fields = { numLabels: l, rows, thresholds: thresholds.map(thresholdJson), matrices, sampleSums, options,
    ...(result.rowOutcomes !== undefined && { rowOutcomes: rowOutcomesJson(result.rowOutcomes) }) };
  return createWith(multilabelSpec, fields, { names: meta.labels, shards: meta.shards });
}

/** The state of a sweep result: the 2 x 2 matrix at `meta.threshold` and, for a sweep, every threshold's counts. */
export function createBinaryState(result: SweepResult, meta: BinaryStateMeta = {}): BinaryState {
  const k = result.thresholds.length;
  const needs = `a state of a sweep of ${k} thresholds needs the threshold of its 2 x 2 matrix (meta.threshold)`;
  if (meta.threshold === undefined && k !== 1) throw new InputError('threshold', `${needs}, one of them`);
  const t = meta.threshold ?? result.thresholds[0]!;
  const fields: Record<string, unknown> = { threshold: thresholdJson(Math.fround(t)), positives: result.positives,
    negatives: result.negatives, matrix: binaryCounts(result, t).matrix,
    options: result.weighted ? { sampleWeight: true } : {} };
  const { thresholds, tps, fps } = result;
  if (meta.sweep ?? k > 1) fields.sweep = { thresholds: thresholds.map(thresholdJson), tps, fps };
  return createWith(binarySpec, fields, { shards: meta.shards });
}

/** The exact counts a multilabel state holds. */
export function multilabelStateCounts(state: MultilabelState): MultilabelCounts {
  const counts = emptyMultilabelCounts(validateNumLabels(state.numLabels));
  counts.rows = state.rows;
  if (state.options.sampleWeight === true) counts.weighted = true;
  state.matrices.forEach(([[, fp], [fn, tp]], j) => ([counts.tp[j], counts.fp[j], counts.fn[j]] = [tp, fp, fn]));
  for (const key of SUMS) for (const [d, n] of state.sampleSums[key]) counts.samples[key][d] = n;
  if (state.rowOutcomes !== undefined) counts.outcomes = outcomeTable(state.rowOutcomes);
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
 * The sweep result a binary state holds (one threshold without a sweep) and its threshold.
 *
 * @example
 * const { result, threshold } = binaryStateResult(merged);
 */
export function binaryStateResult(state: BinaryState): { result: SweepResult; threshold: number; sweep: boolean } {
  const threshold = thresholdValue(state.threshold);
  const s = state.sweep;
  const { positives, negatives, matrix } = state;
  const result: SweepResult = s ?
    { thresholds: s.thresholds.map(thresholdValue), tps: s.tps.slice(), fps: s.fps.slice(), positives, negatives } :
    { thresholds: [threshold], tps: [matrix[1][1]], fps: [matrix[0][1]], positives, negatives };
  if (state.options.sampleWeight === true) result.weighted = true;
  return { result, threshold, sweep: s !== undefined };
}

/**
 * Adds multilabel states up (see `mergeWith`).
 *
 * @example
 * const merged = mergeMultilabelStates([a, b], ['part-0.json', 'part-1.json']);
 */
export function mergeMultilabelStates(states: readonly MultilabelState[], files?: readonly string[]): MultilabelState {
  return mergeWith(multilabelSpec, states, files);
}

/**
 * Adds binary states up (see `mergeWith`).
 *
 * @example
 * const merged = mergeBinaryStates([a, b], ['part-0.json', 'part-1.json']);
 */
export function mergeBinaryStates(states: readonly BinaryState[], files?: readonly string[]): BinaryState {
  return mergeWith(binarySpec, states, files);
}

/**
 * Adds states of one task up; states of different tasks are refused.
 *
 * @example
 * const merged = mergeAnyStates(parts.map((p, i) => parseAnyState(p, files[i])), files);
 */
export function mergeAnyStates(states: readonly AnyState[], files?: readonly string[]): AnyState {
  return mergeWith<AnyState>(SPECS, states, files);
}
