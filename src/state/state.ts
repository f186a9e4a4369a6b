/**
 * The serialized state of a confusion matrix: exact counts, class names, the options that change
 * counting, a format version and, for sharded runs, which shards it holds. States merge
 * associatively and commutatively, so shards evaluated anywhere add up to the single run.
 * Isomorphic: no Node imports.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import type { PerClassState } from './per-class-state.js';
import { reduceCounts } from '../tasks/multiclass/reduce.js';
import type { ConfusionMatrixResult } from '../core/types.js';
import { MAX_HOST_MATRIX_BYTES } from '../format/validate.js';
import { countArray, createWith, intOption, isObject, mergeWith, parseWith, refuse, show, type ShardSet, type StateSpec, STATE_FORMAT, STATE_VERSION } from './envelope.js';

export { MAX_SHARDS, missingShards, STATE_FORMAT, STATE_VERSION, type ShardSet } from './envelope.js';

/**
 * The largest C of a state: its C x C float64 counts fit the host's limit (`MAX_HOST_MATRIX_BYTES`), 23170.
 *
 * @example
 * MAX_STATE_CLASSES; // 23170
 */
export const MAX_STATE_CLASSES = Math.floor(Math.sqrt(MAX_HOST_MATRIX_BYTES / 8));

/**
 * The options that change what is counted. Today only the class count; states with different
 * options never merge.
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
}

/**
 * A confusion matrix's state as JSON can hold it: `JSON.stringify(state)` and
 * {@link parseState} round-trip it exactly (counts are integers below 2^53).
 *
 * @example
 * const s: ConfusionMatrixState = { format: 'confmat-state', version: 1, numClasses: 2, counts: [3, 1, 0, 4], options: { numClasses: 2 } };
 */
export interface ConfusionMatrixState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** The task; absent means multiclass (states of the other tasks: src/state/task-state.ts). */
  task?: 'multiclass';
  numClasses: number;
  /** Row-major C x C counts, `counts[t * C + p]`, exact integers in [0, 2^53 - 1]. */
  counts: number[];
  /** Class names, one per class; absent means `"0"`..`"C-1"`. */
  classes?: string[];
  options: StateOptions;
  /** Present for a sharded run: the shards counted in `counts`. */
  shards?: ShardSet;
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

/** The flat counts of a state, or of a report's `matrix` rows. */
function readCounts(file: string, v: Record<string, unknown>, c: number, check: (file: string, path: string, v: unknown) => number): number[] {
  if (v.counts !== undefined && v.matrix !== undefined) refuse(file, '$', 'holds both "counts" and "matrix"; a state has one of them');
  if (v.counts !== undefined) return countArray(file, '$.counts', v.counts, c * c, check, `${c} x ${c}`);
  const rows = v.matrix;
  if (rows === undefined) refuse(file, '$', 'has neither "counts" nor "matrix"');
  if (!Array.isArray(rows)) refuse(file, '$.matrix', `must be an array of ${c} rows, got ${show(rows)}`, rows);
  if (rows.length !== c) refuse(file, '$.matrix', `holds ${rows.length} rows, ${c} expected`, rows.length);
  return rows.flatMap((row: unknown, t) => countArray(file, `$.matrix[${t}]`, row, c, check));
}

const spec: StateSpec<ConfusionMatrixState> = {
  task: 'multiclass',
  size: { key: 'numClasses', max: MAX_STATE_CLASSES, why: ` (a C x C matrix of float64 counts fits ${MAX_HOST_MATRIX_BYTES} bytes)`, noun: 'classes' },
  names: { key: 'classes', what: 'class' },
  options: ['numClasses', 'ignoreIndex', 'classSubset', 'topK', 'sampleWeight'],
  read(v, file, { n: c, options, weighted, check }) {
    const out: Record<string, unknown> = { options: intOption(file, options, 'ignoreIndex') };
    const o = out.options as StateOptions;
    if (options.classSubset !== undefined) {
      const sub = options.classSubset;
      if (!Array.isArray(sub) || sub.length !== c || !sub.every((k) => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0)) {
        refuse(file, '$.options.classSubset', `must be ${c} class indices, got ${show(sub)}`, sub);
      }
      o.classSubset = (sub as number[]).slice();
    }
    const hitsPath = v.topKHits !== undefined ? '$.topKHits' : '$.topK.hits';
    if (options.topK !== undefined) {
      const k = options.topK;
      if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) refuse(file, '$.options.topK', `must be an integer >= 1, got ${show(k)}`, k);
      o.topK = k;
      const hits = v.topKHits ?? (isObject(v.topK) ? v.topK.hits : undefined);
      if (!Array.isArray(hits) || hits.length !== c) refuse(file, hitsPath, `must hold ${c} top-k hit counts, got ${show(hits)}`, hits);
      out.topKHits = countArray(file, hitsPath, hits, c, check);
    }
    const counts = readCounts(file, v, c, check);
    out.counts = counts;
    let [total, correct] = [0, 0];
    for (let i = 0; i < counts.length; i++) total += counts[i]!;
    for (let t = 0; t < c; t++) correct += counts[t * c + t]!;
    if (!weighted && !Number.isSafeInteger(total)) refuse(file, '$', `the counts add up to more than 2^53 - 1 (${total}); they would no longer be exact`, total);
    const hits = out.topKHits as number[] | undefined;
    for (let t = 0; hits && !weighted && t < c; t++) {
      let support = 0;
      for (let p = 0; p < c; p++) support += counts[t * c + p]!;
      if (hits[t]! > support) refuse(file, `${hitsPath}[${t}]`, `${hits[t]} top-k hits, but class ${t} has ${support} samples (edited or corrupt file?)`, hits[t]);
    }
    if (v.total !== undefined && v.total !== total) refuse(file, '$.total', `is ${show(v.total)} but the counts add up to ${total} (edited or corrupt file?)`, v.total);
    if (v.correct !== undefined && v.correct !== correct) refuse(file, '$.correct', `is ${show(v.correct)} but the diagonal adds up to ${correct} (edited or corrupt file?)`, v.correct);
    return out;
  },
  add(into, from, plus) {
    const c = into.numClasses;
    into.counts.forEach((x, j) => (into.counts[j] = plus(x, from.counts[j]!, () => `cell [${Math.floor(j / c)}][${j % c}]`)));
    into.topKHits?.forEach((x, j) => (into.topKHits![j] = plus(x, from.topKHits![j]!, () => 'top-k hits')));
  },
  total: (s) => s.counts.reduce((a, b) => a + b, 0),
};

/**
 * Checks a parsed JSON value and returns it as a state. Accepts a bare state (flat `counts`) and
 * the report of `confmat eval --format json` (the same fields with `matrix` rows instead of
 * `counts`); where `total` or `correct` are present they must agree with the counts. Other fields
 * are ignored.
 *
 * @param file names the source in errors
 * @throws InputError (field `'state'`) naming the file, the JSON path and the offending value, e.g.
 *   `part-3.json: $.matrix[2][7]: count must be an integer in [0, 2^53 - 1], got -1`
 * @example
 * const state = parseState(JSON.parse(readFileSync('part-0.json', 'utf8')), 'part-0.json');
 */
export function parseState(value: unknown, file: string): ConfusionMatrixState {
  return parseWith(spec, value, file);
}

/**
 * The state of a result: its counts (exact integers) and `meta` (class names, shards), checked as
 * {@link parseState} checks a file.
 *
 * @throws InputError when the counts are not exact integers or `meta` does not fit (a class name
 *   count other than C, shard indices out of range or unsorted)
 * @example
 * const state = createState(await cm.compute(), { shards: { count: 8, indices: [3] } });
 * await writeFile('part-3.json', JSON.stringify(state));
 */
export function createState(result: ConfusionMatrixResult, meta: StateMeta = {}): ConfusionMatrixState {
  const c = result.numClasses;
  const options: StateOptions = { ...meta.options, numClasses: c, ...(result.weighted ? { sampleWeight: true } : {}) };
  const fields: Record<string, unknown> = { numClasses: c, counts: Array.from(result.counts), options };
  if (result.topK) [options.topK, fields.topKHits] = [result.topK.k, Array.from(result.topK.hits)];
  return createWith(spec, fields, { names: meta.classes, shards: meta.shards });
}

/**
 * Adds states up: the counts cell by cell, the shard sets by union. Associative and commutative
 * (exact integer sums), so shards can be merged in any grouping and order; states of sample
 * weights (`options.sampleWeight`) add as float64, equal across groupings within rounding. Absent class names
 * equal `"0"`..`"C-1"`; the merged state keeps the first names given.
 *
 * @param files names the states in errors (default `state 0`, `state 1`, ...)
 * @throws InputError (field `'state'`) naming the files when: no states are given; C, the options
 *   or the class names differ; some states are shards and others not; shard counts n differ; a
 *   shard index occurs in two states; a merged count would pass 2^53 - 1
 * @example
 * const merged = mergeStates([part0, part1, part2], ['part-0.json', 'part-1.json', 'part-2.json']);
 * stateResult(merged).accuracy;
 */
export function mergeStates(states: readonly ConfusionMatrixState[], files?: readonly string[]): ConfusionMatrixState {
  return mergeWith(spec, states, files);
}

/** The C x C counts of a per-class state: TP on the diagonal, the pairs off it. */
function denseCounts(state: PerClassState): Float64Array {
  const c = state.numClasses;
  if (c > MAX_STATE_CLASSES) {
    throw new InputError('numClasses', `numClasses ${c}: the C x C matrix of a per-class state fits the host up to ${MAX_STATE_CLASSES} classes (perClassStateResult reads it per class)`, undefined, c);
  }
  const counts = new Float64Array(c * c);
  state.perClass.tp.forEach((x, k) => (counts[k * c + k] = x));
  state.confusions.count.forEach((x, i) => (counts[state.confusions.true[i]! * c + state.confusions.pred[i]!] = x));
  return counts;
}

/**
 * The result a state holds: counts, total, diagonal and accuracy (see `reduceCounts`); for a
 * per-class state its C x C matrix (C up to {@link MAX_STATE_CLASSES}).
 *
 * @example
 * stateResult(mergeStates([a, b])).total; // a's total + b's total
 */
export function stateResult(state: ConfusionMatrixState | PerClassState): ConfusionMatrixResult {
  if (state.task === 'per-class') return reduceCounts(denseCounts(state), state.numClasses);
  const result = reduceCounts(Float64Array.from(state.counts), state.numClasses, state.options.sampleWeight === true);
  if (state.options.topK !== undefined && state.topKHits) {
    const hits = Float64Array.from(state.topKHits);
    const sum = state.topKHits.reduce((a, b) => a + b, 0);
    result.topK = { k: state.options.topK, hits, accuracy: result.total === 0 ? 0 : sum / result.total };
  }
  return result;
}
