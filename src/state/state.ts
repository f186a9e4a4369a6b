/**
 * The serialized state of a confusion matrix: exact counts, class names, the options that change
 * counting, a format version and, for sharded runs, which shards it holds. States merge
 * associatively and commutatively, so shards evaluated anywhere add up to the single run.
 * Isomorphic: no Node imports.
 *
 * @module
 */
import { firstDuplicate } from '../core/duplicates.js';
import { InputError } from '../core/errors.js';
import { reduceCounts } from '../tasks/multiclass/reduce.js';
import type { ConfusionMatrixResult } from '../core/types.js';
import { MAX_HOST_MATRIX_BYTES } from '../format/validate.js';

/** The `format` tag of a serialized state (and of a `confmat eval --format json` report). */
export const STATE_FORMAT = 'confmat-state';
/** The state format version this confmat writes and reads. */
export const STATE_VERSION = 1;

/**
 * The most shards a split may have (`--shard i/n`, a state's `shards.count`): 2^20. A merge lists
 * the missing shards, so n bounds its memory.
 *
 * @example
 * MAX_SHARDS; // 1048576
 */
export const MAX_SHARDS = 2 ** 20;

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
 * Which shards of an `n`-way split a state holds.
 *
 * @example
 * const s: ShardSet = { count: 8, indices: [0, 3] }; // shards 0/8 and 3/8
 */
export interface ShardSet {
  /** n, the number of shards the input was split into. */
  count: number;
  /** The 0-based shard indices held, sorted ascending, each once. */
  indices: number[];
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
  /** The task; absent means multiclass (states of `--task multilabel` and `binary`: src/state/task-state.ts). */
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

/**
 * Whether a parsed JSON value is an object (not null, not an array). Shared by the state parsers.
 *
 * @example
 * isObject({}); // true
 */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A JSON value as a state error message quotes it (at most 60 characters).
 *
 * @example
 * show(undefined); // "nothing"
 */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
  } catch {
    s = Array.isArray(v) ? '[...]' : '{...}';
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Throws the InputError of a bad state field: `file: path: detail`.
 *
 * @example
 * refuse('part-1.json', '$.rows', 'must be an integer', 'x');
 */
export function refuse(file: string, path: string, detail: string, value?: unknown): never {
  throw new InputError('state', `${file}: ${path}: ${detail}`, undefined, value);
}

/**
 * Checks an exact count: an integer in [0, 2^53 - 1].
 *
 * @example
 * count('part-1.json', '$.rows', 17); // 17
 */
export function count(file: string, path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    refuse(file, path, `count must be an integer in [0, 2^53 - 1], got ${show(v)}`, v);
  }
  return v;
}

/** Checks a sum of sample weights: any finite number. */
function amount(file: string, path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(file, path, `a sum of sample weights must be a finite number, got ${show(v)}`, v);
  return v;
}

function readCounts(file: string, value: Record<string, unknown>, c: number, check = count): number[] {
  if (value.counts !== undefined && value.matrix !== undefined) refuse(file, '$', 'holds both "counts" and "matrix"; a state has one of them');
  if (value.counts !== undefined) {
    const flat = value.counts;
    if (!Array.isArray(flat)) refuse(file, '$.counts', `must be an array of ${c} x ${c} counts, got ${show(flat)}`, flat);
    if (flat.length !== c * c) refuse(file, '$.counts', `holds ${flat.length} counts, ${c} x ${c} = ${c * c} expected`, flat.length);
    return flat.map((v, i) => check(file, `$.counts[${i}]`, v));
  }
  const rows = value.matrix;
  if (rows === undefined) refuse(file, '$', 'has neither "counts" nor "matrix"');
  if (!Array.isArray(rows)) refuse(file, '$.matrix', `must be an array of ${c} rows, got ${show(rows)}`, rows);
  if (rows.length !== c) refuse(file, '$.matrix', `holds ${rows.length} rows, ${c} expected`, rows.length);
  const out: number[] = [];
  rows.forEach((row: unknown, t) => {
    if (!Array.isArray(row)) refuse(file, `$.matrix[${t}]`, `must be an array of ${c} counts, got ${show(row)}`, row);
    if (row.length !== c) refuse(file, `$.matrix[${t}]`, `holds ${row.length} counts, ${c} expected`, row.length);
    row.forEach((v: unknown, p) => out.push(check(file, `$.matrix[${t}][${p}]`, v)));
  });
  return out;
}

/**
 * Checks the class (or label) names of a state: strings, each once.
 *
 * @example
 * checkNames('part-1.json', '$.classes', ['cat', 'dog'], 'class'); // ['cat', 'dog']
 */
export function checkNames(file: string, path: string, names: unknown[], what: string): string[] {
  names.forEach((n: unknown, i) => {
    if (typeof n !== 'string') refuse(file, `${path}[${i}]`, `${what} name must be a string, got ${show(n)}`, n);
  });
  const dup = firstDuplicate(names as string[]);
  if (dup) refuse(file, `${path}[${dup.index}]`, `duplicate ${what} name ${show(names[dup.index])} (also ${what} ${dup.first})`, names[dup.index]);
  return names.slice() as string[];
}

/**
 * Checks a state's `shards` field.
 *
 * @example
 * readShards('part-1.json', { count: 4, indices: [1] });
 */
export function readShards(file: string, v: unknown): ShardSet {
  if (!isObject(v)) refuse(file, '$.shards', `must be {"count": n, "indices": [...]}, got ${show(v)}`, v);
  const n = v.count;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_SHARDS) refuse(file, '$.shards.count', `must be an integer in [1, ${MAX_SHARDS}] (2^20), got ${show(n)}`, n);
  const indices = v.indices;
  if (!Array.isArray(indices) || indices.length === 0) refuse(file, '$.shards.indices', `must be a non-empty array of shard indices, got ${show(indices)}`, indices);
  if (indices.length > n) refuse(file, '$.shards.indices', `holds ${indices.length} shard indices, more than the ${n} shards of the split`, indices.length);
  indices.forEach((i: unknown, k) => {
    if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0 || i >= n) {
      refuse(file, `$.shards.indices[${k}]`, `shard index must be an integer in [0, ${n}), got ${show(i)}`, i);
    }
    if (k > 0 && i === indices[k - 1]) refuse(file, `$.shards.indices[${k}]`, `shard ${i} is listed twice`, i);
    if (k > 0 && i < indices[k - 1]) refuse(file, `$.shards.indices[${k}]`, `indices must be sorted ascending: ${i} follows ${show(indices[k - 1])}`, i);
  });
  return { count: n, indices: indices.slice() as number[] };
}

/**
 * Checks what every state shares, whatever its task: an object with `format` "confmat-state" and
 * this `version`; returns it as an object.
 *
 * @example
 * const v = checkStateHeader('part-1.json', JSON.parse(text)); // v.task, v.options, ...
 */
export function checkStateHeader(file: string, value: unknown): Record<string, unknown> {
  if (!isObject(value)) refuse(file, '$', `expected a confmat state object, got ${Array.isArray(value) ? 'an array' : show(value)}`, value);
  if (value.format !== STATE_FORMAT) {
    const hint = value.format === undefined ? ' (is this the JSON report of a confmat eval --format json from this version?)' : '';
    refuse(file, '$.format', `expected "${STATE_FORMAT}", got ${show(value.format)}${hint}`, value.format);
  }
  const version = value.version;
  if (version !== STATE_VERSION) {
    const newer = typeof version === 'number' && Number.isInteger(version) && version > STATE_VERSION;
    refuse(file, '$.version', newer ? `state version ${version} was written by a newer confmat; this one reads version ${STATE_VERSION}` : `unsupported state version ${show(version)}; expected ${STATE_VERSION}`, version);
  }
  return value;
}

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
  const v = checkStateHeader(file, value);
  if (v.task !== undefined && v.task !== 'multiclass') {
    refuse(file, '$.task', `is ${show(v.task)}: parseState reads multiclass states (parseAnyState reads every task)`, v.task);
  }
  const c = v.numClasses;
  if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 1 || c > MAX_STATE_CLASSES) {
    refuse(file, '$.numClasses', `must be an integer in [1, ${MAX_STATE_CLASSES}] (a C x C matrix of float64 counts fits ${MAX_HOST_MATRIX_BYTES} bytes), got ${show(c)}`, c);
  }
  const options = v.options;
  if (!isObject(options)) refuse(file, '$.options', `must be an object of counting options, got ${show(options)}`, options);
  for (const key of Object.keys(options)) {
    if (!['numClasses', 'ignoreIndex', 'classSubset', 'topK', 'sampleWeight'].includes(key)) {
      refuse(file, `$.options.${key}`, `option not known to this confmat (state version ${STATE_VERSION}); it would change what is counted`, options[key]);
    }
  }
  if (options.numClasses !== c) refuse(file, '$.options.numClasses', `must equal numClasses ${c}, got ${show(options.numClasses)}`, options.numClasses);
  const stateOptions: StateOptions = { numClasses: c };
  if (options.sampleWeight !== undefined && options.sampleWeight !== true) refuse(file, '$.options.sampleWeight', `must be true when present, got ${show(options.sampleWeight)}`, options.sampleWeight);
  const weighted = options.sampleWeight === true;
  if (weighted) stateOptions.sampleWeight = true;
  const check = weighted ? amount : count;
  if (options.ignoreIndex !== undefined) {
    if (typeof options.ignoreIndex !== 'number' || !Number.isSafeInteger(options.ignoreIndex)) refuse(file, '$.options.ignoreIndex', `must be an integer, got ${show(options.ignoreIndex)}`, options.ignoreIndex);
    stateOptions.ignoreIndex = options.ignoreIndex;
  }
  if (options.classSubset !== undefined) {
    const sub = options.classSubset;
    if (!Array.isArray(sub) || sub.length !== c || !sub.every((k) => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0)) {
      refuse(file, '$.options.classSubset', `must be ${c} class indices, got ${show(sub)}`, sub);
    }
    stateOptions.classSubset = (sub as number[]).slice();
  }
  let topKHits: number[] | undefined;
  if (options.topK !== undefined) {
    const k = options.topK;
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) refuse(file, '$.options.topK', `must be an integer >= 1, got ${show(k)}`, k);
    stateOptions.topK = k;
    const report = v.topK;
    const hits = v.topKHits ?? (isObject(report) ? report.hits : undefined);
    const path = v.topKHits !== undefined ? '$.topKHits' : '$.topK.hits';
    if (!Array.isArray(hits) || hits.length !== c) refuse(file, path, `must hold ${c} top-k hit counts, got ${show(hits)}`, hits);
    topKHits = hits.map((v: unknown, i) => check(file, `${path}[${i}]`, v));
  }
  const counts = readCounts(file, v, c, check);
  let total = 0;
  let correct = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  for (let t = 0; t < c; t++) correct += counts[t * c + t]!;
  if (!weighted && !Number.isSafeInteger(total)) refuse(file, '$', `the counts add up to more than 2^53 - 1 (${total}); they would no longer be exact`, total);
  if (topKHits && !weighted) {
    const path = v.topKHits !== undefined ? '$.topKHits' : '$.topK.hits';
    for (let t = 0; t < c; t++) {
      let support = 0;
      for (let p = 0; p < c; p++) support += counts[t * c + p]!;
      if (topKHits[t]! > support) refuse(file, `${path}[${t}]`, `${topKHits[t]} top-k hits, but class ${t} has ${support} samples (edited or corrupt file?)`, topKHits[t]);
    }
  }
  if (v.total !== undefined && v.total !== total) refuse(file, '$.total', `is ${show(v.total)} but the counts add up to ${total} (edited or corrupt file?)`, v.total);
  if (v.correct !== undefined && v.correct !== correct) refuse(file, '$.correct', `is ${show(v.correct)} but the diagonal adds up to ${correct} (edited or corrupt file?)`, v.correct);
  const state: ConfusionMatrixState = { format: STATE_FORMAT, version: STATE_VERSION, numClasses: c, counts, options: stateOptions };
  if (topKHits) state.topKHits = topKHits;
  if (v.classes !== undefined) {
    const names = v.classes;
    if (!Array.isArray(names)) refuse(file, '$.classes', `must be an array of ${c} class names, got ${show(names)}`, names);
    if (names.length !== c) refuse(file, '$.classes', `holds ${names.length} class names for ${c} classes`, names.length);
    state.classes = checkNames(file, '$.classes', names, 'class');
  }
  if (v.shards !== undefined) state.shards = readShards(file, v.shards);
  return state;
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
  const value: Record<string, unknown> = { format: STATE_FORMAT, version: STATE_VERSION, numClasses: c, counts: Array.from(result.counts), options: { ...meta.options, numClasses: c } };
  if (result.weighted) (value.options as StateOptions).sampleWeight = true;
  if (result.topK) {
    (value.options as StateOptions).topK = result.topK.k;
    value.topKHits = Array.from(result.topK.hits);
  }
  if (meta.classes !== undefined) value.classes = meta.classes;
  if (meta.shards !== undefined) value.shards = meta.shards;
  return parseState(value, 'state');
}

/**
 * A JSON value as text with object keys sorted, to compare options.
 *
 * @example
 * canonical({ b: 1, a: 2 }); // '{"a":2,"b":1}'
 */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
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
  const name = (i: number): string => files?.[i] ?? `state ${i}`;
  if (states.length === 0) throw new InputError('state', 'nothing to merge: no states given');
  const first = states[0]!;
  const c = first.numClasses;
  const names = (s: ConfusionMatrixState): string[] => s.classes ?? Array.from({ length: s.numClasses }, (_, i) => String(i));
  const firstNames = names(first);
  const counts = first.counts.slice();
  const topKHits = first.topKHits?.slice();
  const weighted = first.options.sampleWeight === true;
  let classes = first.classes;
  const seen = new Map<number, number>();
  const sharded = first.shards !== undefined;
  const where = (s: ConfusionMatrixState): string => (s.shards ? `shards of ${s.shards.count}` : 'not sharded');
  states.forEach((s, k) => {
    const fail = (detail: string, value?: unknown): never => {
      throw new InputError('state', `${name(k)}: ${detail}`, undefined, value);
    };
    if (k > 0) {
      if (s.numClasses !== c) fail(`${s.numClasses} classes, but ${name(0)} has ${c}`, s.numClasses);
      if (canonical(s.options) !== canonical(first.options)) fail(`options ${canonical(s.options)} differ from ${name(0)}'s ${canonical(first.options)}`, s.options);
      const theirs = names(s);
      const i = theirs.findIndex((n, j) => n !== firstNames[j]);
      if (i >= 0) fail(`class ${i} is named ${JSON.stringify(theirs[i])}, but ${JSON.stringify(firstNames[i])} in ${name(0)}`, theirs[i]);
      if ((s.shards !== undefined) !== sharded) fail(`${where(s)}, but ${name(0)} is ${where(first)}: merge shards with shards of one split`);
      if (s.shards && s.shards.count !== first.shards!.count) fail(`a shard of ${s.shards.count}, but ${name(0)} is a shard of ${first.shards!.count}: all parts must come from one --shard i/n split`, s.shards.count);
      for (let j = 0; j < counts.length; j++) {
        const sum = counts[j]! + s.counts[j]!;
        if (!weighted && !Number.isSafeInteger(sum)) fail(`cell [${Math.floor(j / c)}][${j % c}] would add up to more than 2^53 - 1; counts would no longer be exact`, sum);
        counts[j] = sum;
      }
      if (topKHits) for (let j = 0; j < c; j++) topKHits[j]! += s.topKHits![j]!;
      classes ??= s.classes;
    }
    for (const i of s.shards?.indices ?? []) {
      const other = seen.get(i);
      if (other !== undefined) fail(`shard ${i}/${s.shards!.count} is also in ${name(other)}; each shard must be merged once`, i);
      seen.set(i, k);
    }
  });
  let total = 0;
  for (const v of counts) total += v;
  if (!weighted && !Number.isSafeInteger(total)) throw new InputError('state', `${states.map((_, k) => name(k)).join(', ')}: the merged counts add up to more than 2^53 - 1`, undefined, total);
  const merged: ConfusionMatrixState = { format: STATE_FORMAT, version: STATE_VERSION, numClasses: c, counts, options: { ...first.options } };
  if (classes !== undefined) merged.classes = classes.slice();
  if (sharded) merged.shards = { count: first.shards!.count, indices: [...seen.keys()].sort((a, b) => a - b) };
  if (topKHits) merged.topKHits = topKHits;
  return merged;
}

/**
 * The shard indices of `0..n-1` a sharded state lacks (empty when complete or not sharded).
 *
 * @example
 * missingShards({ ...state, shards: { count: 4, indices: [0, 2] } }); // [1, 3]
 */
export function missingShards(state: { shards?: ShardSet | undefined }): number[] {
  if (!state.shards) return [];
  const have = new Set(state.shards.indices);
  const out: number[] = [];
  for (let i = 0; i < state.shards.count; i++) if (!have.has(i)) out.push(i);
  return out;
}

/**
 * The result a state holds: counts, total, diagonal and accuracy (see `reduceCounts`).
 *
 * @example
 * stateResult(mergeStates([a, b])).total; // a's total + b's total
 */
export function stateResult(state: ConfusionMatrixState): ConfusionMatrixResult {
  const result = reduceCounts(Float64Array.from(state.counts), state.numClasses, state.options.sampleWeight === true);
  if (state.options.topK !== undefined && state.topKHits) {
    const hits = Float64Array.from(state.topKHits);
    const sum = state.topKHits.reduce((a, b) => a + b, 0);
    result.topK = { k: state.options.topK, hits, accuracy: result.total === 0 ? 0 : sum / result.total };
  }
  return result;
}
