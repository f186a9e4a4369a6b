/**
 * The envelope every serialized state shares, whatever its task: `format` "confmat-state", a
 * `version`, the `task` (absent: multiclass), a size (C or L) with the options that change what is
 * counted, names, and the shards a sharded run holds. A task's state is a {@link StateSpec}: its
 * own fields, how they fit together and how two of them add up; {@link parseWith} and
 * {@link mergeWith} do the rest. Isomorphic: no Node imports.
 *
 * @module
 */
import { firstDuplicate } from '../core/duplicates.js';
import { InputError } from '../core/errors.js';

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

/** The tasks a state can hold (`per-class`: multiclass counted per class, for huge C). */
export type StateTask = 'multiclass' | 'multilabel' | 'binary' | 'per-class';

/** What every state holds beside its task's fields. */
export interface Envelope {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  options: { sampleWeight?: true };
  shards?: ShardSet;
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

/** Checks one number of a state and returns it. */
export type Check = (file: string, path: string, v: unknown) => number;

/** Whether `v` is an exact count: an integer in [0, 2^53 - 1]. */
const exact = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Checks an exact count: an integer in [0, 2^53 - 1].
 *
 * @example
 * count('part-1.json', '$.rows', 17); // 17
 */
export const count: Check = (file, path, v) => {
  if (!exact(v)) refuse(file, path, `count must be an integer in [0, 2^53 - 1], got ${show(v)}`, v);
  return v;
};

/**
 * Checks a sum of sample weights: any finite number.
 *
 * @example
 * amount('part-1.json', '$.rows', 2.5); // 2.5
 */
export const amount: Check = (file, path, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(file, path, `a sum of sample weights must be a finite number, got ${show(v)}`, v);
  return v;
};

/**
 * Checks an array of `n` numbers (`shape` names n in messages, e.g. `2 x 2`); paths of its items
 * are built only for the one refused, so arrays of millions are cheap.
 *
 * @example
 * countArray('p.json', '$.perClass.tp', [3, 0, 1], 3); // [3, 0, 1]
 */
export function countArray(file: string, path: string, v: unknown, n: number, check = count, shape?: string): number[] {
  if (!Array.isArray(v)) refuse(file, path, `must be an array of ${shape ?? n} counts, got ${show(v)}`, v);
  if (v.length !== n) refuse(file, path, `holds ${v.length} counts, ${shape ? `${shape} = ${n}` : n} expected`, v.length);
  for (let i = 0; i < n; i++) if (!exact(v[i])) check(file, `${path}[${i}]`, v[i]);
  return v.slice() as number[];
}

/**
 * Checks an optional integer option (e.g. `ignoreIndex`), returning it as an object to spread.
 *
 * @example
 * intOption('p.json', { ignoreIndex: -100 }, 'ignoreIndex'); // { ignoreIndex: -100 }
 */
export function intOption(file: string, options: Record<string, unknown>, key: string): Record<string, number> {
  const v = options[key];
  if (v === undefined) return {};
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) refuse(file, `$.options.${key}`, `must be an integer, got ${show(v)}`, v);
  return { [key]: v };
}

/**
 * Checks the class (or label) names of a state: `n` strings, each once.
 *
 * @example
 * readNames('part-1.json', '$.classes', ['cat', 'dog'], 2, 'class'); // ['cat', 'dog']
 */
export function readNames(file: string, path: string, names: unknown, n: number, what: string): string[] {
  if (!Array.isArray(names)) refuse(file, path, `must be an array of ${n} ${what} names, got ${show(names)}`, names);
  if (names.length !== n) refuse(file, path, `holds ${names.length} ${what} names for ${n} ${what === 'class' ? 'classes' : `${what}s`}`, names.length);
  names.forEach((x: unknown, i) => {
    if (typeof x !== 'string') refuse(file, `${path}[${i}]`, `${what} name must be a string, got ${show(x)}`, x);
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

/** What a task's reader is given: the size (C or L; 0 without one), the options and how numbers are checked. */
export interface ReadContext {
  n: number;
  options: Record<string, unknown>;
  weighted: boolean;
  check: Check;
}

/** Adds two counts, refusing a sum past 2^53 - 1 unless weighted; `what()` names the count in the refusal. */
export type Plus = (a: number, b: number, what: () => string) => number;

/**
 * A task's state: its fields (the envelope's are read by {@link parseWith}), how two states must
 * agree beyond size, options and names, and how they add up.
 *
 * @example
 * const spec: StateSpec<BinaryState> = { task: 'binary', options: ['sampleWeight'], read, add };
 */
export interface StateSpec<S extends Envelope> {
  task: StateTask;
  /** The size field (`numClasses`, `numLabels`), its bound and why, what it counts (`classes`); absent: no size. */
  size?: { key: string; max: number; why?: string; noun: string };
  /** The names field (`classes`, `labels`) and what one is (`class`, `label`). */
  names?: { key: string; what: string };
  /** The options known (the size key is one too): an unknown one is refused. */
  options: readonly string[];
  /** Weighted and unweighted states are refused as such (else as options that differ). */
  weightsApart?: true;
  /** The task's fields and options, read from the checked envelope. */
  read(v: Record<string, unknown>, file: string, ctx: ReadContext): Record<string, unknown>;
  /** Why `s` cannot add to `first` (named `other`), beyond size, options and names; undefined when it can. */
  differ?(s: S, first: S, other: string): string | undefined;
  /** Adds `from` into `into` (a copy of the first state). */
  add(into: S, from: S, plus: Plus): void;
  /** The total count of a state, which must stay below 2^53 (unweighted). */
  total?(s: S): number;
}

/** Reads `options.sampleWeight`: true (counts are sums of weights) or absent. */
function readWeighted(file: string, options: Record<string, unknown>): boolean {
  const w = options.sampleWeight;
  if (w !== undefined && w !== true) refuse(file, '$.options.sampleWeight', `must be true when present, got ${show(w)}`, w);
  return w === true;
}

/**
 * Checks a parsed JSON value as a state of `spec`'s task: the envelope, then the task's fields.
 *
 * @throws InputError (field `'state'`) naming the file, the JSON path and the offending value
 * @example
 * const s = parseWith(binarySpec, JSON.parse(text), 'part-0.json');
 */
export function parseWith<S extends Envelope>(spec: StateSpec<S>, value: unknown, file: string): S {
  const v = checkStateHeader(file, value);
  const { task, size, names } = spec;
  if ((v.task ?? 'multiclass') !== task) {
    const detail = task === 'multiclass' ? `is ${show(v.task)}: parseState reads multiclass states (parseAnyState reads every task)` : `expected "${task}", got ${show(v.task)}`;
    refuse(file, '$.task', detail, v.task);
  }
  const n = size ? v[size.key] : 0;
  if (size && (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > size.max)) {
    refuse(file, `$.${size.key}`, `must be an integer in [1, ${size.max}]${size.why ?? ''}, got ${show(n)}`, n);
  }
  const options = v.options;
  if (!isObject(options)) refuse(file, '$.options', `must be an object of counting options, got ${show(options)}`, options);
  for (const key of Object.keys(options)) {
    if (!spec.options.includes(key)) refuse(file, `$.options.${key}`, `option not known to this confmat (state version ${STATE_VERSION}); it would change what is counted`, options[key]);
  }
  if (size && options[size.key] !== n) refuse(file, `$.options.${size.key}`, `must equal ${size.key} ${n}, got ${show(options[size.key])}`, options[size.key]);
  const weighted = readWeighted(file, options);
  const body = spec.read(v, file, { n: n as number, options, weighted, check: weighted ? amount : count });
  const state: Record<string, unknown> = { format: STATE_FORMAT, version: STATE_VERSION, ...(task === 'multiclass' ? {} : { task }) };
  if (size) state[size.key] = n;
  Object.assign(state, body, { options: { ...(size ? { [size.key]: n } : {}), ...(body.options as object), ...(weighted ? { sampleWeight: true } : {}) } });
  if (names && v[names.key] !== undefined) state[names.key] = readNames(file, `$.${names.key}`, v[names.key], n as number, names.what);
  if (v.shards !== undefined) state.shards = readShards(file, v.shards);
  return state as unknown as S;
}

/**
 * A state of `spec`'s task from its fields and meta (names, shards), checked as a file is.
 *
 * @example
 * const s = createWith(binarySpec, { threshold: 0.5, positives: 1, ... }, { shards });
 */
export function createWith<S extends Envelope>(spec: StateSpec<S>, fields: Record<string, unknown>, meta: { names?: string[] | undefined; shards?: ShardSet | undefined }): S {
  const value: Record<string, unknown> = { format: STATE_FORMAT, version: STATE_VERSION, task: spec.task, ...fields };
  if (spec.names && meta.names !== undefined) value[spec.names.key] = meta.names;
  if (meta.shards !== undefined) value.shards = meta.shards;
  return parseWith(spec, value, 'state');
}

/**
 * Adds states of `spec`'s task up: checks they fit together (size, options, names, the task's own
 * rules; shards of one split, each once), then the task adds them, exactly (or as float64 sums of
 * weights). Associative and commutative. Absent names equal `"0"`..`"n-1"`; the first names given are kept.
 *
 * @param files names the states in errors (default `state 0`, `state 1`, ...)
 * @throws InputError (field `'state'`) naming the file that does not fit, or a count past 2^53 - 1
 * @example
 * const merged = mergeWith(binarySpec, [a, b], ['part-0.json', 'part-1.json']);
 */
export function mergeWith<S extends Envelope>(spec: StateSpec<S>, states: readonly S[], files?: readonly string[]): S {
  const name = (i: number): string => files?.[i] ?? `state ${i}`;
  const fail = (k: number, detail: string, value?: unknown): never => {
    throw new InputError('state', `${name(k)}: ${detail}`, undefined, value);
  };
  if (states.length === 0) throw new InputError('state', 'nothing to merge: no states given');
  const first = states[0]!;
  const field = (s: S, key: string): unknown => (s as unknown as Record<string, unknown>)[key];
  const { size, names } = spec;
  const n = size ? (field(first, size.key) as number) : 0;
  const namesOf = (s: S): string[] => (field(s, names!.key) as string[] | undefined) ?? Array.from({ length: n }, (_, i) => String(i));
  const weighted = first.options.sampleWeight === true;
  const weights = (w: boolean): string => (w ? 'counted with sample weights (--sample-weight)' : 'counted without sample weights');
  let given = names ? field(first, names.key) : undefined;
  states.forEach((s, k) => {
    if (k === 0) return;
    const w = s.options.sampleWeight === true;
    if (spec.weightsApart && w !== weighted) fail(k, `${weights(w)}, but ${name(0)} was ${weights(weighted)}: weighted and unweighted parts do not merge`, s.options);
    if (size && field(s, size.key) !== n) fail(k, `${field(s, size.key)} ${size.noun}, but ${name(0)} has ${n}`, field(s, size.key));
    const why = spec.differ?.(s, first, name(0));
    if (why !== undefined) fail(k, why);
    if (canonical(s.options) !== canonical(first.options)) fail(k, `options ${canonical(s.options)} differ from ${name(0)}'s ${canonical(first.options)}`, s.options);
    if (!names) return;
    const [theirs, ours] = [namesOf(s), namesOf(first)];
    const i = theirs.findIndex((x, j) => x !== ours[j]);
    if (i >= 0) fail(k, `${names.what} ${i} is named ${JSON.stringify(theirs[i])}, but ${JSON.stringify(ours[i])} in ${name(0)}`, theirs[i]);
    given ??= field(s, names.key);
  });
  const shards = mergeShardSets(states, name, fail);
  const merged = structuredClone(first);
  states.forEach((s, k) => {
    if (k === 0) return;
    spec.add(merged, s, (a, b, what) => {
      const sum = a + b;
      if (!weighted && !Number.isSafeInteger(sum)) fail(k, `${what()} would add up to more than 2^53 - 1; counts would no longer be exact`, sum);
      return sum;
    });
  });
  const total = spec.total?.(merged) ?? 0;
  if (!weighted && !Number.isSafeInteger(total)) throw new InputError('state', `${states.map((_, k) => name(k)).join(', ')}: the merged counts add up to more than 2^53 - 1`, undefined, total);
  const out = merged as unknown as Record<string, unknown>;
  delete out.shards;
  if (names) delete out[names.key];
  if (names && given !== undefined) out[names.key] = (given as string[]).slice();
  if (shards) out.shards = shards;
  return merged;
}

/** The union of the states' shard sets, refusing a mix of shards and whole runs, two splits, or a shard twice. */
function mergeShardSets(states: readonly Envelope[], name: (i: number) => string, fail: (k: number, detail: string, value?: unknown) => never): ShardSet | undefined {
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
