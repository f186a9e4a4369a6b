/**
 * The per-class state (huge C; the `--per-class` JSON report is one): per class counts, pairs seen. Isomorphic.
 *
 * @module
 */
import { MAX_PER_CLASS_CLASSES, perClassResult, SparseCounts, topPairs } from '../tasks/per-class/per-class.js';
import type { PerClassCounts, PerClassResult } from '../tasks/per-class/per-class.js';
import { createWith, intOption, mergeWith, parseWith, show, trueOption, widenGrid } from './envelope.js';
import type { Envelope, ReadContext, ShardSet, StateSpec } from './envelope.js';
import type { StateOptions } from './state.js';

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
 *   perClass: { tp: [1, 2], fp: [1, 0], fn: [0, 1], support: [1, 3] },
 *   confusions: { true: [1], pred: [0], count: [1] }, options: { numClasses: 2 } };
 */
export interface PerClassState extends Envelope {
  task: 'per-class';
  numClasses: number;
  /** Class names, one per class; absent means `"0"`..`"C-1"`. */
  classes?: string[];
  perClass: PerClassStateCounts;
  /** The off-diagonal pairs, each once, most frequent first: `count[i]` samples of `true[i]` predicted as `pred[i]`. */
  confusions: { true: number[]; pred: number[]; count: number[] };
  /** The multiclass counting options per-class mode has: `numClasses` and `ignoreIndex` (others are refused). */
  options: StateOptions;
}

/** What `createPerClassState` records beside the counts. */
export interface PerClassStateMeta {
  classes?: string[] | undefined;
  shards?: ShardSet | undefined;
  /** Rows with this label were skipped. */
  ignoreIndex?: number | undefined;
  /** The classes are the names of string labels (see `StateOptions`). */
  stringLabels?: boolean | undefined;
}

const KEYS = ['tp', 'fp', 'fn', 'support'] as const;
const EDITED = '(edited or corrupt file?)';

/** The sparse pairs of a state, key `true * C + pred`. */
function statePairs(s: PerClassState): SparseCounts {
  const { true: t, pred, count } = s.confusions;
  const pairs = new SparseCounts(count.length);
  for (let i = 0; i < count.length; i++) pairs.add(t[i]! * s.numClasses + pred[i]!, count[i]!);
  return pairs;
}

/** Sparse pairs as a state lists them: most frequent first, then by true, then predicted class. */
function confusionsOf(pairs: SparseCounts, numClasses: number): Confusions {
  const all = topPairs({ numClasses, pairs, perClass: { support: new Float64Array(numClasses) } }, Infinity);
  return { true: all.map((x) => x.true), pred: all.map((x) => x.pred), count: all.map((x) => x.count) };
}

type Confusions = PerClassState['confusions'];
type PerClassCountList = [number[], number[], number[], number[]];
type Trio = [number[], number[], number[]];

function readConfusions(r: ReadContext, value: unknown, c: number, perClass: PerClassStateCounts): Confusions {
  const v = r.obj('$.confusions', value, '{"true": [...], "pred": [...], "count": [...]}');
  if (!Array.isArray(v.count)) r.no('$.confusions.count', `must be an array of counts, got ${show(v.count)}`, v.count);
  const m = v.count.length;
  const [t, p, n] = (['true', 'pred', 'count'] as const).map((k) => r.nums(`$.confusions.${k}`, v[k], m)) as Trio;
  const seen = new SparseCounts(m);
  const [rows, cols] = [new Float64Array(c), new Float64Array(c)];
  for (let i = 0; i < m; i++) {
    const [a, b, at] = [t[i]!, p[i]!, (k: string): string => `$.confusions.${k}[${i}]`];
    if (a >= c) r.no(at('true'), `class index must be below ${c}, got ${a}`, a);
    if (b >= c) r.no(at('pred'), `class index must be below ${c}, got ${b}`, b);
    if (a === b) r.no(at('pred'), `${b} is the true class too: confusions lie off the diagonal`, b);
    if (n[i] === 0) r.no(at('count'), 'a pair that occurred counts at least 1, got 0', 0);
    if (seen.get(a * c + b) !== 0) r.no(at('true'), `the pair (${a}, ${b}) is listed twice`, a);
    seen.add(a * c + b, n[i]);
    rows[a]! += n[i]!;
    cols[b]! += n[i]!;
  }
  for (let k = 0; k < c; k++) {
    const [fn, fp, at] = [perClass.fn[k], perClass.fp[k], (key: string): string => `$.perClass.${key}[${k}]`];
    if (rows[k] !== fn) r.no(at('fn'), `is ${fn}, but the pairs of class ${k} sum to ${rows[k]} ${EDITED}`, fn);
    if (cols[k] !== fp) r.no(at('fp'), `is ${fp}, but the pairs into ${k} sum to ${cols[k]} ${EDITED}`, fp);
  }
  return { true: t, pred: p, count: n };
}

/** The per-class state's spec: per class TP, FP, FN and support, the sparse pairs, class names. */
export const perClassSpec: StateSpec<PerClassState> = { task: 'per-class',
  size: { key: 'numClasses', max: MAX_PER_CLASS_CLASSES, why: ' (2^24)', noun: 'classes' },
  names: { key: 'classes', what: 'class' }, options: ['numClasses', 'ignoreIndex', 'stringLabels'],
  read(v, r: ReadContext) {
    const c = r.n;
    const pc = r.obj('$.perClass', v.perClass, '{"tp": [...], "fp": [...], "fn": [...], "support": [...]}');
    const [tp, fp, fn, support] = KEYS.map((k) => r.nums(`$.perClass.${k}`, pc[k], c)) as PerClassCountList;
    const perClass = { tp, fp, fn, support };
    let total = 0;
    for (let k = 0; k < c; k++) {
      const detail = `is ${support[k]}, but TP + FN = ${tp[k]! + fn[k]!} ${EDITED}`;
      if (tp[k]! + fn[k]! !== support[k]) r.no(`$.perClass.support[${k}]`, detail, support[k]);
      total += support[k]!;
    }
    const over = `the counts add up to more than 2^53 - 1 (${total}); they would no longer be exact`;
    if (!Number.isSafeInteger(total)) r.no('$', over, total);
    return { perClass, confusions: readConfusions(r, v.confusions, c, perClass),
      options: { ...intOption(r, 'ignoreIndex'), ...trueOption(r, 'stringLabels') } };
  }, add(into, from) {
  for (const key of KEYS) into.perClass[key].forEach((x, k) => (into.perClass[key][k] = x + from.perClass[key][k]!));
  const pairs = statePairs(into);
  statePairs(from).forEach((key, n) => pairs.add(key, n));
  into.confusions = confusionsOf(pairs, into.numClasses);
}, widen(s, at, n) {
  for (const key of KEYS) s.perClass[key] = widenGrid(s.perClass[key], s.numClasses, 1, at, n);
  const { true: t, pred, count } = s.confusions;
  s.confusions = { true: t.map((k) => at[k]!), pred: pred.map((k) => at[k]!), count };
}, total: (s) => s.perClass.support.reduce((a, b) => a + b, 0) };

/** Checks a parsed JSON value as a per-class state (or the `--per-class` JSON report). */
export function parsePerClassState(value: unknown, file: string): PerClassState {
  return parseWith(perClassSpec, value, file);
}

/** The state of a per-class result (`createPerClassMatrix(...).compute()`), checked as a file is. */
export function createPerClassState(result: PerClassResult, meta: PerClassStateMeta = {}): PerClassState {
  const c = result.numClasses;
  const perClass = Object.fromEntries(KEYS.map((k) => [k, Array.from(result.perClass[k])]));
  const options = { numClasses: c, ...(meta.ignoreIndex === undefined ? {} : { ignoreIndex: meta.ignoreIndex }),
    ...(meta.stringLabels ? { stringLabels: true } : {}) };
  const fields = { numClasses: c, perClass, confusions: confusionsOf(result.pairs, c), options };
  return createWith(perClassSpec, fields, { names: meta.classes, shards: meta.shards });
}

/** Adds per-class states up (see `mergeWith`). */
export function mergePerClassStates(states: readonly PerClassState[], files?: readonly string[]): PerClassState {
  return mergeWith(perClassSpec, states, files);
}

/** The exact counts a per-class state holds. */
export function perClassStateCounts(state: PerClassState): PerClassCounts {
  const { tp, fp, support } = state.perClass;
  const predicted = Float64Array.from(tp, (x, k) => x + fp[k]!);
  const [numClasses, pairs] = [state.numClasses, statePairs(state)];
  return { numClasses, support: Float64Array.from(support), predicted, tp: Float64Array.from(tp), pairs };
}

/**
 * The result a per-class state holds, as `createPerClassMatrix(...).compute()` gives it.
 *
 * @example
 * perClassStateResult(state).macroAvg.f1;
 */
export function perClassStateResult(state: PerClassState): PerClassResult {
  return perClassResult(perClassStateCounts(state));
}
