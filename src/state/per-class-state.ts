/**
 * The serialized state of per-class mode (huge C): per class TP, FP, FN and support, the
 * off-diagonal (true, predicted) pairs that occurred, in the `confmat-state` envelope with `task`
 * "per-class". It is the `--per-class` JSON report's own fields, so the report of a `--shard` run is
 * a part `confmat merge` reads. Exact integer counts: states merge associatively and commutatively.
 * Isomorphic: no Node imports.
 *
 * @module
 */
import { MAX_PER_CLASS_CLASSES, perClassResult, SparseCounts, topPairs, type PerClassCounts, type PerClassResult } from '../tasks/per-class/per-class.js';
import type { StateOptions } from './state.js';
import { countArray, createWith, intOption, isObject, mergeWith, parseWith, refuse, show, type ShardSet, type StateSpec, STATE_FORMAT, STATE_VERSION } from './envelope.js';

/** Per class counts as a state holds them (index = class), exact integers. */
export interface PerClassStateCounts {
  tp: number[];
  fp: number[];
  fn: number[];
  support: number[];
}

/**
 * The state of per-class mode: `JSON.stringify(state)` and `parsePerClassState` round-trip it.
 *
 * @example
 * const s: PerClassState = { format: 'confmat-state', version: 1, task: 'per-class', numClasses: 2,
 *   perClass: { tp: [1, 2], fp: [1, 0], fn: [0, 1], support: [1, 3] }, confusions: { true: [1], pred: [0], count: [1] }, options: { numClasses: 2 } };
 */
export interface PerClassState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  task: 'per-class';
  numClasses: number;
  /** Class names, one per class; absent means `"0"`..`"C-1"`. */
  classes?: string[];
  perClass: PerClassStateCounts;
  /** The off-diagonal pairs, each once: `count[i]` samples of class `true[i]` predicted as `pred[i]`, most frequent first. */
  confusions: { true: number[]; pred: number[]; count: number[] };
  /** The multiclass counting options per-class mode has: `numClasses` and `ignoreIndex` (others are refused). */
  options: StateOptions;
  shards?: ShardSet;
}

/** What `createPerClassState` records beside the counts. */
export interface PerClassStateMeta {
  classes?: string[] | undefined;
  shards?: ShardSet | undefined;
  /** Rows with this label were skipped. */
  ignoreIndex?: number | undefined;
}

const KEYS = ['tp', 'fp', 'fn', 'support'] as const;

/** The sparse pairs of a state, key `true * C + pred`. */
function statePairs(s: PerClassState): SparseCounts {
  const { true: t, pred, count } = s.confusions;
  const pairs = new SparseCounts(count.length);
  for (let i = 0; i < count.length; i++) pairs.add(t[i]! * s.numClasses + pred[i]!, count[i]!);
  return pairs;
}

/** Sparse pairs as a state lists them: most frequent first, then by true, then predicted class. */
function confusionsOf(pairs: SparseCounts, numClasses: number): PerClassState['confusions'] {
  const all = topPairs({ numClasses, pairs, perClass: { support: new Float64Array(numClasses) } }, Infinity);
  return { true: all.map((x) => x.true), pred: all.map((x) => x.pred), count: all.map((x) => x.count) };
}

function readConfusions(file: string, v: unknown, c: number, perClass: PerClassStateCounts): PerClassState['confusions'] {
  if (!isObject(v)) refuse(file, '$.confusions', `must be {"true": [...], "pred": [...], "count": [...]}, got ${show(v)}`, v);
  if (!Array.isArray(v.count)) refuse(file, '$.confusions.count', `must be an array of pair counts, got ${show(v.count)}`, v.count);
  const m = v.count.length;
  const [t, p, n] = [countArray(file, '$.confusions.true', v.true, m), countArray(file, '$.confusions.pred', v.pred, m), countArray(file, '$.confusions.count', v.count, m)];
  const seen = new SparseCounts(m);
  const [rows, cols] = [new Float64Array(c), new Float64Array(c)];
  for (let i = 0; i < m; i++) {
    if (t[i]! >= c) refuse(file, `$.confusions.true[${i}]`, `class index must be below ${c}, got ${t[i]}`, t[i]);
    if (p[i]! >= c) refuse(file, `$.confusions.pred[${i}]`, `class index must be below ${c}, got ${p[i]}`, p[i]);
    if (t[i] === p[i]) refuse(file, `$.confusions.pred[${i}]`, `${p[i]} is the true class too: confusions lie off the diagonal`, p[i]);
    if (n[i] === 0) refuse(file, `$.confusions.count[${i}]`, 'a pair that occurred counts at least 1, got 0', 0);
    const key = t[i]! * c + p[i]!;
    if (seen.get(key) !== 0) refuse(file, `$.confusions.true[${i}]`, `the pair (${t[i]}, ${p[i]}) is listed twice`, key);
    seen.add(key, n[i]);
    rows[t[i]!]! += n[i]!;
    cols[p[i]!]! += n[i]!;
  }
  for (let k = 0; k < c; k++) {
    if (rows[k] !== perClass.fn[k]) refuse(file, `$.perClass.fn[${k}]`, `is ${perClass.fn[k]}, but the confusions of true class ${k} add up to ${rows[k]} (edited or corrupt file?)`, perClass.fn[k]);
    if (cols[k] !== perClass.fp[k]) refuse(file, `$.perClass.fp[${k}]`, `is ${perClass.fp[k]}, but the confusions predicted as ${k} add up to ${cols[k]} (edited or corrupt file?)`, perClass.fp[k]);
  }
  return { true: t, pred: p, count: n };
}

const spec: StateSpec<PerClassState> = {
  task: 'per-class',
  size: { key: 'numClasses', max: MAX_PER_CLASS_CLASSES, why: ' (2^24)', noun: 'classes' },
  names: { key: 'classes', what: 'class' },
  options: ['numClasses', 'ignoreIndex'],
  read(v, file, { n: c, options }) {
    const pc = v.perClass;
    if (!isObject(pc)) refuse(file, '$.perClass', `must be {"tp": [...], "fp": [...], "fn": [...], "support": [...]}, got ${show(pc)}`, pc);
    const perClass = Object.fromEntries(KEYS.map((k) => [k, countArray(file, `$.perClass.${k}`, pc[k], c)])) as unknown as PerClassStateCounts;
    const { tp, fn, support } = perClass;
    let total = 0;
    for (let k = 0; k < c; k++) {
      if (tp[k]! + fn[k]! !== support[k]) refuse(file, `$.perClass.support[${k}]`, `is ${support[k]}, but TP + FN = ${tp[k]! + fn[k]!} (edited or corrupt file?)`, support[k]);
      total += support[k]!;
    }
    if (!Number.isSafeInteger(total)) refuse(file, '$', `the counts add up to more than 2^53 - 1 (${total}); they would no longer be exact`, total);
    return { perClass, confusions: readConfusions(file, v.confusions, c, perClass), options: intOption(file, options, 'ignoreIndex') };
  },
  add(into, from) {
    for (const key of KEYS) into.perClass[key].forEach((x, k) => (into.perClass[key][k] = x + from.perClass[key][k]!));
    const pairs = statePairs(into);
    statePairs(from).forEach((key, n) => pairs.add(key, n));
    into.confusions = confusionsOf(pairs, into.numClasses);
  },
  total: (s) => s.perClass.support.reduce((a, b) => a + b, 0),
};

/**
 * Checks a parsed JSON value and returns it as a per-class state: a bare state or the `--per-class`
 * JSON report (its metrics are ignored). C is at most 2^24; TP + FN must equal the support, the
 * pairs lie in [0, C) off the diagonal, each once, and add up to each class's FN and FP.
 *
 * @throws InputError (field `'state'`) naming the file, the JSON path and the value, e.g.
 *   `part-1.json: $.confusions.true[3]: the pair (7, 2) is listed twice`
 * @example
 * const s = parsePerClassState(JSON.parse(readFileSync('part-0.json', 'utf8')), 'part-0.json');
 */
export function parsePerClassState(value: unknown, file: string): PerClassState {
  return parseWith(spec, value, file);
}

/**
 * The state of a per-class result (see `createPerClassMatrix(...).compute()`), checked as
 * {@link parsePerClassState} checks a file.
 *
 * @example
 * const state = createPerClassState(await pc.compute(), { shards: { count: 4, indices: [1] } });
 */
export function createPerClassState(result: PerClassResult, meta: PerClassStateMeta = {}): PerClassState {
  const c = result.numClasses;
  const perClass = Object.fromEntries(KEYS.map((k) => [k, Array.from(result.perClass[k])]));
  const options = { numClasses: c, ...(meta.ignoreIndex === undefined ? {} : { ignoreIndex: meta.ignoreIndex }) };
  const fields = { numClasses: c, perClass, confusions: confusionsOf(result.pairs, c), options };
  return createWith(spec, fields, { names: meta.classes, shards: meta.shards });
}

/**
 * Adds per-class states up: the per class counts and the pairs, exactly; shard sets by union.
 * Associative and commutative. Absent class names equal `"0"`..`"C-1"`; the first names given are kept.
 *
 * @throws InputError (field `'state'`) naming the file when C, the options or the class names
 *   differ, shards do not fit together (as `mergeStates`), or the counts would pass 2^53 - 1
 * @example
 * const merged = mergePerClassStates([a, b], ['part-0.json', 'part-1.json']);
 */
export function mergePerClassStates(states: readonly PerClassState[], files?: readonly string[]): PerClassState {
  return mergeWith(spec, states, files);
}

/**
 * The exact counts a per-class state holds.
 *
 * @example
 * perClassStateCounts(state).pairs.get(7 * state.numClasses + 2); // samples of class 7 predicted as 2
 */
export function perClassStateCounts(state: PerClassState): PerClassCounts {
  const { tp, fp, support } = state.perClass;
  const predicted = Float64Array.from(tp, (x, k) => x + fp[k]!);
  return { numClasses: state.numClasses, support: Float64Array.from(support), predicted, tp: Float64Array.from(tp), pairs: statePairs(state) };
}

/**
 * The result a per-class state holds, as `createPerClassMatrix(...).compute()` gives it.
 *
 * @example
 * perClassStateResult(mergeAnyStates(parts) as PerClassState).macroAvg.f1;
 */
export function perClassStateResult(state: PerClassState): PerClassResult {
  return perClassResult(perClassStateCounts(state));
}
