/**
 * The multiclass state (`task` absent): exact C x C counts, class names, counting options. Isomorphic.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { MAX_HOST_MATRIX_BYTES, MAX_STATE_CLASSES } from '../core/limits.js';
import type { ConfusionMatrixResult } from '../core/types.js';
import { reduceCounts } from '../tasks/multiclass/reduce.js';
import { createWith, intOption, isObject, mergeWith, parseWith, show, trueOption, widenGrid } from './envelope.js';
import type { Envelope, ReadContext, ShardSet, StateSpec } from './envelope.js';
import type { PerClassState } from './per-class-state.js';

export { missingShards, type ShardSet, STATE_FORMAT, STATE_VERSION } from './envelope.js';

export { MAX_STATE_CLASSES } from '../core/limits.js';

/**
 * The options that change what is counted; states with different options never merge.
 *
 * @example
 * const o: StateOptions = { numClasses: 10 };
 */
export interface StateOptions {
  numClasses: number;
  /** Samples with this label were skipped (`ignoreIndex`). */
  ignoreIndex?: number;
  /** The matrix holds only these classes of the input, in this order (`--class-subset`). */
  classSubset?: number[];
  /** Top-k hits were counted with this k; the state then holds `topKHits`. */
  topK?: number;
  /** Counts are sums of sample weights (any finite numbers); such states merge within float64 rounding. */
  sampleWeight?: true;
  /** The classes are the names of string labels, sorted unless --classes: states of them merge aligned by name. */
  stringLabels?: true;
}

/**
 * A multiclass state: `JSON.stringify(state)` and {@link parseState} round-trip it exactly.
 *
 * @example
 * const s: ConfusionMatrixState = {
 *   format: 'confmat-state', version: 1, numClasses: 2, counts: [3, 1, 0, 4], options: { numClasses: 2 } };
 */
export interface ConfusionMatrixState extends Envelope {
  /** The task; absent means multiclass (the other tasks: src/state/task-state.ts, per-class-state.ts). */
  task?: 'multiclass';
  numClasses: number;
  /** Row-major C x C counts, `counts[t * C + p]`, exact integers in [0, 2^53 - 1]. */
  counts: number[];
  /** Class names, one per class; absent means `"0"`..`"C-1"`. */
  classes?: string[];
  options: StateOptions;
  /** With `options.topK`: top-k hits per true class (the JSON report's `topK.hits`). */
  topKHits?: number[];
}

/**
 * What {@link createState} records beside the counts.
 *
 * @example
 * const meta: StateMeta = { classes: ['cat', 'dog'], shards: { count: 4, indices: [1] } };
 */
export interface StateMeta {
  classes?: string[] | undefined;
  shards?: ShardSet | undefined;
  /** Counting options beyond C (ignoreIndex, classSubset); topK comes from the result. */
  options?: Omit<StateOptions, 'numClasses' | 'topK'> | undefined;
}

/** values[start] + ... + values[end - 1], added in order. */
function sum(values: number[], start: number, end: number): number {
  let total = 0;
  for (let i = start; i < end; i++) total += values[i]!;
  return total;
}

/** The flat counts of a state, or of a report's `matrix` rows. */
function readCounts(v: Record<string, unknown>, c: number, r: ReadContext): number[] {
  const rows = v.matrix;
  const both = 'holds both "counts" and "matrix"; a state has one of them';
  if (v.counts !== undefined && rows !== undefined) r.no('$', both);
  if (v.counts !== undefined) return r.nums('$.counts', v.counts, c * c, `${c} x ${c}`);
  if (rows === undefined) r.no('$', 'has neither "counts" nor "matrix"');
  if (!Array.isArray(rows)) r.no('$.matrix', `must be an array of ${c} rows, got ${show(rows)}`, rows);
  if (rows.length !== c) r.no('$.matrix', `holds ${rows.length} rows, ${c} expected`, rows.length);
  const checked: number[][] = [];
  for (let t = 0; t < c; t++) checked.push(r.nums(`$.matrix[${t}]`, rows[t], c));
  return ([] as number[]).concat(...checked);
}

/** Checks `options.classSubset`; reads `options.topK` and its hits (`topKHits`, or a report's `topK.hits`). */
function readTopK(v: Record<string, unknown>, c: number, r: ReadContext): number[] {
  const { classSubset: sub, topK: k } = r.options;
  const subset = Array.isArray(sub) && sub.length === c && sub.every((x) => Number.isSafeInteger(x) && x >= 0);
  if (sub !== undefined && !subset) r.no('$.options.classSubset', `must be ${c} class indices, got ${show(sub)}`, sub);
  if (k === undefined) return [];
  const kOk = Number.isSafeInteger(k) && (k as number) >= 1;
  if (!kOk) r.no('$.options.topK', `must be an integer >= 1, got ${show(k)}`, k);
  const own = v.topKHits !== undefined;
  const [path, hits] = own ? ['$.topKHits', v.topKHits] : ['$.topK.hits', isObject(v.topK) ? v.topK.hits : undefined];
  return r.nums(path, r.list(path, hits, c, 'top-k hit counts'), c);
}

/** The multiclass state's spec: C x C counts (or a report's `matrix` rows), top-k hits, class names. */
export const multiclassSpec: StateSpec<ConfusionMatrixState> = { task: 'multiclass',
  size: { key: 'numClasses', max: MAX_STATE_CLASSES,
    why: ` (a C x C matrix of float64 counts fits ${MAX_HOST_MATRIX_BYTES} bytes)`, noun: 'classes' },
  names: { key: 'classes', what: 'class' },
  options: ['numClasses', 'ignoreIndex', 'classSubset', 'topK', 'sampleWeight', 'stringLabels'],
  read(v, r: ReadContext) {
    const { n: c, options: o, weighted } = r;
    const options = { ...intOption(r, 'ignoreIndex'), ...(o.classSubset ? { classSubset: o.classSubset } : {}),
      ...trueOption(r, 'stringLabels') };
    const hits = readTopK(v, c, r);
    const counts = readCounts(v, c, r);
    const total = sum(counts, 0, counts.length);
    let correct = 0;
    for (let t = 0; t < c; t++) correct += counts[t * c + t]!;
    const over = `the counts add up to more than 2^53 - 1 (${total}); they would no longer be exact`;
    if (!weighted && !Number.isSafeInteger(total)) r.no('$', over, total);
    const path = v.topKHits !== undefined ? '$.topKHits' : '$.topK.hits';
    for (let t = 0; t < hits.length && !weighted; t++) {
      const support = sum(counts, t * c, t * c + c);
      const detail = `${hits[t]} top-k hits, but class ${t} has ${support} samples (edited or corrupt file?)`;
      if (hits[t]! > support) r.no(`${path}[${t}]`, detail, hits[t]);
    }
    for (const [key, sum, what] of [['total', total, 'the counts'], ['correct', correct, 'the diagonal']] as const) {
      const adds = key === 'total' ? 'add' : 'adds';
      const detail = `is ${show(v[key])} but ${what} ${adds} up to ${sum} (edited or corrupt file?)`;
      if (v[key] !== undefined && v[key] !== sum) r.no(`$.${key}`, detail, v[key]);
    }
    if (o.topK === undefined) return { counts, options };
    return { counts, options: { ...options, topK: o.topK }, topKHits: hits };
  }, add(into, from, plus) {
  const c = into.numClasses;
  const cell = (j: number) => (): string => `cell [${Math.floor(j / c)}][${j % c}]`;
  const [to, more] = [into.counts, from.counts];
  for (let j = 0; j < to.length; j++) {
    const sum = to[j]! + more[j]!;
    to[j] = Number.isSafeInteger(sum) ? sum : plus(to[j]!, more[j]!, cell(j));
  }
  into.topKHits?.forEach((x, j) => (into.topKHits![j] = plus(x, from.topKHits![j]!, () => 'top-k hits')));
}, widen(s, at, n) {
  s.counts = widenGrid(s.counts, s.numClasses, 2, at, n);
  if (s.topKHits) s.topKHits = widenGrid(s.topKHits, s.numClasses, 1, at, n);
}, total: (s) => sum(s.counts, 0, s.counts.length) };

/**
 * Checks a parsed JSON value as a multiclass state: flat `counts`, or the `eval --format json` report's `matrix`.
 *
 * @example
 * const state = parseState(JSON.parse(readFileSync('part-0.json', 'utf8')), 'part-0.json');
 */
export function parseState(value: unknown, file: string): ConfusionMatrixState {
  return parseWith(multiclassSpec, value, file);
}

/**
 * The state of a result: its counts and `meta` (class names, shards, options), checked as a file is.
 *
 * @example
 * const state = createState(await cm.compute(), { shards: { count: 8, indices: [3] } });
 */
export function createState(result: ConfusionMatrixResult, meta: StateMeta = {}): ConfusionMatrixState {
  const c = result.numClasses;
  const options: StateOptions = { ...meta.options, numClasses: c, ...(result.weighted ? { sampleWeight: true } : {}) };
  const counts = new Array<number>(result.counts.length);
  for (let i = 0; i < counts.length; i++) counts[i] = result.counts[i]!;
  const fields: Record<string, unknown> = { numClasses: c, counts, options };
  if (result.topK) [options.topK, fields.topKHits] = [result.topK.k, Array.from(result.topK.hits)];
  return createWith(multiclassSpec, fields, { names: meta.classes, shards: meta.shards });
}

/**
 * Adds multiclass states up (see `mergeWith`): counts cell by cell, shard sets by union.
 *
 * @example
 * const merged = mergeStates([part0, part1], ['part-0.json', 'part-1.json']);
 */
export function mergeStates(states: readonly ConfusionMatrixState[], files?: readonly string[]): ConfusionMatrixState {
  return mergeWith(multiclassSpec, states, files);
}

/** The C x C counts of a per-class state: TP on the diagonal, the pairs off it. */
function denseCounts({ numClasses: c, perClass, confusions }: PerClassState): Float64Array {
  const why = `a per-class state's C x C matrix fits the host up to ${MAX_STATE_CLASSES} classes (perClassStateResult`;
  if (c > MAX_STATE_CLASSES) throw new InputError('numClasses', `numClasses ${c}: ${why} reads it)`, undefined, c);
  const counts = new Float64Array(c * c);
  perClass.tp.forEach((x, k) => (counts[k * c + k] = x));
  confusions.count.forEach((x, i) => (counts[confusions.true[i]! * c + confusions.pred[i]!] = x));
  return counts;
}

/**
 * The result a state holds (see `reduceCounts`); for a per-class state its C x C matrix.
 *
 * @example
 * stateResult(mergeStates([a, b])).total; // a's total + b's total
 */
export function stateResult(state: ConfusionMatrixState | PerClassState): ConfusionMatrixResult {
  if (state.task === 'per-class') return reduceCounts(denseCounts(state), state.numClasses);
  const result = reduceCounts(Float64Array.from(state.counts), state.numClasses, state.options.sampleWeight === true);
  const { topK } = state.options;
  if (topK === undefined || !state.topKHits) return result;
  const hits = Float64Array.from(state.topKHits);
  result.topK = { k: topK, hits, accuracy: result.total === 0 ? 0 : hits.reduce((a, b) => a + b, 0) / result.total };
  return result;
}
