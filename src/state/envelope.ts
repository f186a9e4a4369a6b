/**
 * The envelope all states share, and parsing, creating and merging a task's {@link StateSpec}. Isomorphic.
 *
 * @module
 */
import { byCodePoint } from '../core/code-point.js';
import { firstDuplicate } from '../core/duplicates.js';
import { InputError } from '../core/errors.js';
import { MAX_SHARDS } from '../core/limits.js';

/** The `format` tag of a serialized state (and of a `confmat eval --format json` report). */
export const STATE_FORMAT = 'confmat-state';
/** The state format version this confmat writes and reads. */
export const STATE_VERSION = 1;

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

/** The tasks a state can hold (`per-class`: multiclass counted per class, for huge C; `comparison`: two models). */
export type StateTask = 'multiclass' | 'multilabel' | 'binary' | 'per-class' | 'comparison';

/** What every state holds beside its task's fields (`task` absent: multiclass). */
export interface Envelope {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  task?: StateTask;
  /** The counting options; `sampleWeight: true` when counts are sums of sample weights. */
  options: { sampleWeight?: true };
  /** Present for a sharded run: the shards it holds. */
  shards?: ShardSet;
}

/** Whether a parsed JSON value is an object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON value as a state error message quotes it (at most 60 characters; `undefined`: "nothing"). */
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

const exact = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

type No = (path: string, detail: string, value?: unknown) => never;

/** Checks an integer in [1, max], else refused: `${what}must be an integer in [1, ${max}]${why}`. */
export function within(no: No, path: string, v: unknown, max: number, why = '', what = ''): number {
  if (exact(v) && v >= 1 && v <= max) return v;
  return no(path, `${what}must be an integer in [1, ${max}]${why}, got ${show(v)}`, v);
}

/** What a task's reader is given: the size (C or L; 0 without one), the options, checks bound to the file. */
export interface ReadContext {
  n: number;
  options: Record<string, unknown>;
  weighted: boolean;
  /** A count, or with `weighted` a sum of weights. */
  num(path: string, v: unknown): number;
  /** An array of `n` of them (`shape` names n in messages, e.g. `2 x 2`). */
  nums(path: string, v: unknown, n: number, shape?: string): number[];
  /** An array of `n` things, else refused: `must hold ${n} ${what}`. */
  list(path: string, v: unknown, n: number, what: string): unknown[];
  /** An object, else refused: `must be ${shape}`. */
  obj(path: string, v: unknown, shape: string): Record<string, unknown>;
  /** Refuses the file: `file: path: detail`. */
  no: No;
}

/** Adds two counts, refusing a sum past 2^53 - 1 unless weighted; `what()` names the count in the refusal. */
export type Plus = (a: number, b: number, what: () => string) => number;

/** Checks an optional `true` option (`stringLabels`), as an object to spread into the options. */
export function trueOption(r: ReadContext, key: string): Record<string, true> {
  const v = r.options[key];
  if (v === undefined) return {};
  return v === true ? { [key]: true } : r.no(`$.options.${key}`, `must be true when present, got ${show(v)}`, v);
}

/** Checks an optional integer option (`ignoreIndex`), as an object to spread into the options. */
export function intOption(r: ReadContext, key: string): Record<string, number> {
  const v = r.options[key];
  if (v === undefined) return {};
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { [key]: v };
  return r.no(`$.options.${key}`, `must be an integer, got ${show(v)}`, v);
}

/** A task's state: its fields beyond the envelope, how two states must agree and how they add up. */
export interface StateSpec<S extends Envelope> {
  task: StateTask;
  /** The size field (`numClasses`), its bound and why, what it counts (`classes`); absent: no size. */
  size?: { key: string; max: number; why?: string; noun: string };
  /** The names field (`classes`, `labels`) and what one names (`class`, `label`). */
  names?: { key: string; what: string };
  /** The options known (the size key is one): an unknown one is refused. */
  options: readonly string[];
  /** Weighted and unweighted states are refused as such (else as options that differ). */
  weightsApart?: true;
  /** The task's fields and options beyond size and weights, read from the checked envelope. */
  read(v: Record<string, unknown>, r: ReadContext): Record<string, unknown>;
  /** Why `s` cannot add to `first` (named `other`) beyond size, options and names; undefined when it can. */
  differ?(s: S, first: S, other: string): string | undefined;
  /** Adds `from` into `into` (a copy of the first state). */
  add(into: S, from: S, plus: Plus): void;
  /** Re-indexes the counts of `s` (a copy) into `n` classes, its class k becoming class `at[k]` (see `alignNames`). */
  widen?(s: S, at: number[], n: number): void;
  /** The total count of a state, which must stay below 2^53 unless weighted. */
  total?(s: S): number;
}

function readNames(no: No, path: string, names: unknown, n: number, what: string, plural: string): string[] {
  if (!Array.isArray(names)) no(path, `must be an array of ${n} ${what} names, got ${show(names)}`, names);
  if (names.length !== n) no(path, `holds ${names.length} ${what} names for ${n} ${plural}`, names.length);
  names.forEach((x: unknown, i) => {
    if (typeof x !== 'string') no(`${path}[${i}]`, `${what} name must be a string, got ${show(x)}`, x);
  });
  const dup = firstDuplicate(names as string[]);
  const again = dup && `duplicate ${what} name ${show(names[dup.index])} (also ${what} ${dup.first})`;
  if (dup) no(`${path}[${dup.index}]`, again!, names[dup.index]);
  return names.slice() as string[];
}

function readShards(r: ReadContext, v: unknown): ShardSet {
  const { count, indices } = r.obj('$.shards', v, '{"count": n, "indices": [...]}');
  const n = within(r.no, '$.shards.count', count, MAX_SHARDS, ' (2^20)');
  const path = '$.shards.indices';
  if (!Array.isArray(indices) || indices.length === 0) {
    r.no(path, `must be a non-empty array of shard indices, got ${show(indices)}`, indices);
  }
  const more = `holds ${indices.length} shard indices, more than the ${n} shards of the split`;
  if (indices.length > n) r.no(path, more, indices.length);
  indices.forEach((i: unknown, k) => {
    const [at, before] = [`${path}[${k}]`, indices[k - 1] as number];
    if (!exact(i) || i >= n) r.no(at, `shard index must be an integer in [0, ${n}), got ${show(i)}`, i);
    if (k > 0 && i === before) r.no(at, `shard ${i} is listed twice`, i);
    if (k > 0 && i < before) r.no(at, `indices must be sorted ascending: ${i} follows ${before}`, i);
  });
  return { count: n, indices: indices.slice() as number[] };
}

function readHeader(no: No, value: unknown): Record<string, unknown> {
  const what = (): string => (Array.isArray(value) ? 'an array' : show(value));
  if (!isObject(value)) no('$', `expected a confmat state object, got ${what()}`, value);
  const { format, version } = value;
  if (format !== STATE_FORMAT) {
    const report = ' (is this the JSON report of a confmat eval --format json from this version?)';
    no('$.format', `expected "${STATE_FORMAT}", got ${show(format)}${format === undefined ? report : ''}`, format);
  }
  if (version === STATE_VERSION) return value;
  const newer = typeof version === 'number' && Number.isInteger(version) && version > STATE_VERSION;
  const detail = newer ?
    `state version ${version} was written by a newer confmat; this one reads version ${STATE_VERSION}` :
    `unsupported state version ${show(version)}; expected ${STATE_VERSION}`;
  return no('$.version', detail, version);
}

/** Checks a parsed JSON value as a state of `specs`' task (one spec) or of any of theirs (a list, by `task`). */
export function parseWith<S extends Envelope>(specs: StateSpec<S> | StateSpec<S>[], value: unknown, file: string): S {
  const no: No = (path, detail, x) => {
    throw new InputError('state', `${file}: ${path}: ${detail}`, undefined, x);
  };
  const v = readHeader(no, value);
  const task = v.task ?? 'multiclass';
  const spec = Array.isArray(specs) ? specs.find((s) => s.task === task) : specs;
  const reads = 'this confmat reads multiclass, multilabel and binary states';
  if (!spec) no('$.task', `unknown task ${show(v.task)}; ${reads}`, v.task);
  if (task !== spec.task) {
    const dense = spec.task === 'multiclass';
    const why = dense ? ': parseState reads multiclass states (parseAnyState reads every task)' : '';
    no('$.task', `${dense ? 'is' : `expected "${spec.task}", got`} ${show(v.task)}${why}`, v.task);
  }
  const { size, names } = spec;
  const n = size ? within(no, `$.${size.key}`, v[size.key], size.max, size.why) : 0;
  const obj = (path: string, x: unknown, shape: string): Record<string, unknown> =>
    isObject(x) ? x : no(path, `must be ${shape}, got ${show(x)}`, x);
  const options = obj('$.options', v.options, 'an object of counting options');
  const unknown = Object.keys(options).find((key) => !spec.options.includes(key));
  const why = `option not known to this confmat (state version ${STATE_VERSION}); it would change what is counted`;
  if (unknown !== undefined) no(`$.options.${unknown}`, why, options[unknown]);
  const sized = size ? { [size.key]: n } : {};
  const [given, w] = [size && options[size.key], options.sampleWeight];
  if (size && given !== n) no(`$.options.${size.key}`, `must equal ${size.key} ${n}, got ${show(given)}`, given);
  if (w !== undefined && w !== true) no('$.options.sampleWeight', `must be true when present, got ${show(w)}`, w);
  const num = (path: string, x: unknown): number => {
    if (w ? typeof x === 'number' && Number.isFinite(x) : exact(x)) return x as number;
    const what = w ? 'a sum of sample weights must be a finite number' : 'count must be an integer in [0, 2^53 - 1]';
    return no(path, `${what}, got ${show(x)}`, x);
  };
  const nums = (path: string, x: unknown, m: number, shape = ''): number[] => {
    if (!Array.isArray(x)) no(path, `must be an array of ${shape || m} counts, got ${show(x)}`, x);
    if (x.length !== m) no(path, `holds ${x.length} counts, ${shape && `${shape} = `}${m} expected`, x.length);
    for (let i = 0; i < m; i++) if (!exact(x[i])) num(`${path}[${i}]`, x[i]);
    return x.slice() as number[];
  };
  const list = (path: string, x: unknown, m: number, what: string): unknown[] =>
    Array.isArray(x) && x.length === m ? x : no(path, `must hold ${m} ${what}, got ${show(x)}`, x);
  const r: ReadContext = { n: n as number, options, weighted: w === true, num, nums, list, obj, no };
  const body = spec.read(v, r);
  const state: Record<string, unknown> = { format: STATE_FORMAT, version: STATE_VERSION };
  if (spec.task !== 'multiclass') state.task = spec.task;
  const weighted = w ? { sampleWeight: true } : {};
  Object.assign(state, sized, body, { options: { ...sized, ...(body.options as object), ...weighted } });
  const [key, listed] = [names?.key ?? '', names && v[names.key]];
  if (listed !== undefined) state[key] = readNames(no, `$.${key}`, listed, n as number, names!.what, size!.noun);
  if (v.shards !== undefined) state.shards = readShards(r, v.shards);
  return state as unknown as S;
}

/** A state of `spec`'s task from its fields and meta (names, shards), checked as a file is. */
export function createWith<S extends Envelope>(spec: StateSpec<S>, fields: Record<string, unknown>,
  meta: { names?: string[] | undefined; shards?: ShardSet | undefined }): S {
  const value: Record<string, unknown> = { format: STATE_FORMAT, version: STATE_VERSION, task: spec.task, ...fields };
  if (spec.names && meta.names !== undefined) value[spec.names.key] = meta.names;
  if (meta.shards !== undefined) value.shards = meta.shards;
  return parseWith(spec, value, 'state');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)}}`;
  return JSON.stringify(v);
}

type Fail = (k: number, detail: string, value?: unknown) => never;

/** The union of the shard sets, refusing a mix of shards and whole runs, two splits, or a shard twice. */
function mergeShards(states: readonly Envelope[], name: (i: number) => string, fail: Fail): ShardSet | undefined {
  const first = states[0]!.shards;
  const where = (s: ShardSet | undefined): string => (s ? `shards of ${s.count}` : 'not sharded');
  const seen = new Map<number, number>();
  states.forEach(({ shards: s }, k) => {
    const [split, n] = ['all parts must come from one --shard i/n split', first?.count];
    if (!s !== !first) fail(k, `${where(s)}, but ${name(0)} is ${where(first)}: merge shards with shards of one split`);
    if (s && s.count !== n) fail(k, `a shard of ${s.count}, but ${name(0)} is a shard of ${n}: ${split}`, s.count);
    for (const i of s?.indices ?? []) {
      const other = seen.get(i);
      if (other !== undefined) fail(k, `shard ${i}/${n} is also in ${name(other)}; each shard must be merged once`, i);
      seen.set(i, k);
    }
  });
  return first && { count: first.count, indices: [...seen.keys()].sort((a, b) => a - b) };
}

/** @internal `values`, a [c]^dims grid of classes (`inner` values each), re-indexed into [n]^dims by `at`. */
export function widenGrid(values: number[], c: number, dims: number, at: number[], n: number, inner = 1): number[] {
  const out = new Array<number>(n ** dims * inner).fill(0);
  for (let j = 0; j < values.length; j++) {
    let [rest, to, scale] = [Math.floor(j / inner), 0, 1];
    for (let d = 0; d < dims; d++, rest = Math.floor(rest / c), scale *= n) to += at[rest % c]! * scale;
    out[to * inner + (j % inner)] = values[j]!;
  }
  return out;
}

/** Why parts of string labels did not align, and what to do. */
const ALIGN_HINT = '; parts of string labels align by name when each lists its classes sorted (inferred, without ' +
  '--classes): run every shard with the same --classes, or with none';

const stringParts = (...states: Envelope[]): boolean =>
  states.every((s) => (s.options as Record<string, unknown>).stringLabels === true);

const sortedNames = (l: string[]): boolean => l.every((x, i) => i === 0 || byCodePoint(l[i - 1]!, x) < 0);

/**
 * States of string labels (`options.stringLabels`) whose class names differ but are each sorted by code point (each
 * part's classes inferred from its rows), every one re-indexed into the sorted union of their names; others as is.
 */
function alignNames<S extends Envelope>(spec: StateSpec<S>, states: readonly S[]): readonly S[] {
  const { names, size, widen } = spec;
  if (!names || !size || !widen) return states;
  const field = (s: S): Record<string, unknown> => s as unknown as Record<string, unknown>;
  const lists = states.map((s) => field(s)[names.key] as string[] | undefined);
  const first = JSON.stringify(lists[0]);
  if (lists.every((l) => JSON.stringify(l) === first)) return states;
  if (!stringParts(...states) || !lists.every((l) => l !== undefined && sortedNames(l))) return states;
  if (states.some((s) => 'classSubset' in s.options)) return states;
  const union = [...new Set(lists.flat() as string[])].sort(byCodePoint);
  if (union.length > size.max) return states;
  const index = new Map(union.map((x, i) => [x, i]));
  return states.map((s, k) => {
    if (lists[k]!.length === union.length) return s;
    const out = structuredClone(s);
    widen(out, lists[k]!.map((x) => index.get(x)!), union.length);
    Object.assign(field(out), { [size.key]: union.length, [names.key]: union.slice() });
    out.options = { ...out.options, [size.key]: union.length };
    return out;
  });
}

/**
 * Adds states of `specs`' task (a list: of one of theirs) up, exactly (weights: as float64), once size, options,
 * names, task rules agree and shards are of one split, each once. Associative, commutative; absent names equal
 * `"0"`..`"n-1"`, the first names given are kept; `files` name the states in errors.
 */
export function mergeWith<S extends Envelope>(specs: StateSpec<S> | StateSpec<S>[], parts: readonly S[],
  files?: readonly string[]): S {
  const name = (i: number): string => files?.[i] ?? `state ${i}`;
  const fail: Fail = (k, detail, value) => {
    throw new InputError('state', `${name(k)}: ${detail}`, undefined, value);
  };
  if (parts.length === 0) throw new InputError('state', 'nothing to merge: no states given');
  const task = parts[0]!.task ?? 'multiclass';
  parts.forEach(({ task: t = 'multiclass' }, k) => {
    const other = `a ${t} state, but ${name(0)} is ${task}: parts of different tasks do not merge`;
    if (Array.isArray(specs) && t !== task) fail(k, other, t);
  });
  const spec = Array.isArray(specs) ? specs.find((x) => x.task === task)! : specs;
  const states = alignNames(spec, parts);
  const first = states[0]!;
  const field = (s: S, key: string): unknown => (s as unknown as Record<string, unknown>)[key];
  const { size, names } = spec;
  const n = size ? (field(first, size.key) as number) : 0;
  const namesOf = (s: S): string[] =>
    (field(s, names!.key) as string[] | undefined) ?? Array.from({ length: n }, (_, i) => String(i));
  const weighted = first.options.sampleWeight === true;
  const weights = (w: boolean): string =>
    w ? 'counted with sample weights (--sample-weight)' : 'counted without sample weights';
  let given = names && field(first, names.key);
  states.forEach((s, k) => {
    const w = s.options.sampleWeight === true;
    const mixed = `${weights(w)}, but ${name(0)} was ${weights(weighted)}: weighted and unweighted parts do not merge`;
    if (k === 0) return;
    if (spec.weightsApart && w !== weighted) fail(k, mixed, s.options);
    const m = size && field(s, size.key);
    const hint = stringParts(s, first) ? ALIGN_HINT : '';
    if (size && m !== n) fail(k, `${m} ${size.noun}, but ${name(0)} has ${n}${hint}`, m);
    const why = spec.differ?.(s, first, name(0));
    if (why !== undefined) fail(k, why);
    const [theirs, ours] = [canonical(s.options), canonical(first.options)];
    if (theirs !== ours) fail(k, `options ${theirs} differ from ${name(0)}'s ${ours}`, s.options);
    if (!names) return;
    const [a, b] = [namesOf(s), namesOf(first)];
    const i = a.findIndex((x, j) => x !== b[j]);
    const [x, y] = [JSON.stringify(a[i]), JSON.stringify(b[i])];
    if (i >= 0) fail(k, `${names.what} ${i} is named ${x}, but ${y} in ${name(0)}${hint}`, a[i]);
    given ??= field(s, names.key);
  });
  const shards = mergeShards(states, name, fail);
  const merged = structuredClone(first);
  states.forEach((s, k) => {
    if (k === 0) return;
    spec.add(merged, s, (a, b, what) => {
      const sum = a + b;
      const detail = (): string => `${what()} would add up to more than 2^53 - 1; counts would no longer be exact`;
      if (!weighted && !Number.isSafeInteger(sum)) fail(k, detail(), sum);
      return sum;
    });
  });
  const total = spec.total?.(merged) ?? 0;
  if (!weighted && !Number.isSafeInteger(total)) {
    const all = states.map((_, k) => name(k)).join(', ');
    throw new InputError('state', `${all}: the merged counts add up to more than 2^53 - 1`, undefined, total);
  }
  const out = merged as unknown as Record<string, unknown>;
  delete out.shards;
  if (names) delete out[names.key];
  if (names && given !== undefined) out[names.key] = (given as string[]).slice();
  if (shards) out.shards = shards;
  return merged;
}

/**
 * The shard indices of `0..n-1` a sharded state lacks (empty when complete or not sharded).
 *
 * @example
 * missingShards({ ...state, shards: { count: 4, indices: [0, 2] } }); // [1, 3]
 */
export function missingShards(state: { shards?: ShardSet | undefined }): number[] {
  const have = new Set(state.shards?.indices);
  return Array.from({ length: state.shards?.count ?? 0 }, (_, i) => i).filter((i) => !have.has(i));
}
