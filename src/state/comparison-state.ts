/**
 * The comparison state (`task: 'comparison'`, a `confmat compare --shard` part): the joint (true, A, B) table, or
 * both confusion matrices and the per-class right/wrong table, with class names and counting options. Isomorphic.
 *
 * @module
 */
import { MAX_HOST_MATRIX_BYTES } from '../format/validate.js';
import { type ComparisonResult, comparisonResult } from '../tasks/compare/compare.js';
import { createWith, intOption, trueOption, widenGrid } from './envelope.js';
import type { Envelope, ReadContext, ShardSet, StateSpec } from './envelope.js';
import { MAX_STATE_CLASSES, type StateOptions } from './state.js';

/**
 * The state of a comparison of two models: `counts` (C^3 cells `(t * C + a) * C + b`) when `joint`, else `countsA`,
 * `countsB` (C x C each) and `rightWrong` (4 C: per true class both right, A right only, B right only, both wrong).
 *
 * @example
 * const s: ComparisonPartState = { format: 'confmat-state', version: 1, task: 'comparison', numClasses: 1,
 *   joint: true, counts: [5], options: { numClasses: 1 } };
 */
export interface ComparisonPartState extends Envelope {
  task: 'comparison';
  numClasses: number;
  /** Class names, one per class; absent means `"0"`..`"C-1"`. */
  classes?: string[];
  joint: boolean;
  counts?: number[];
  countsA?: number[];
  countsB?: number[];
  rightWrong?: number[];
  /** `numClasses` and `ignoreIndex` (other options are refused). */
  options: StateOptions;
}

/** What {@link createComparisonState} records beside the counts. */
export interface ComparisonStateMeta {
  classes?: string[] | undefined;
  shards?: ShardSet | undefined;
  ignoreIndex?: number | undefined;
  /** The classes are the names of string labels (see `StateOptions`). */
  stringLabels?: boolean | undefined;
}

const EDITED = '(edited or corrupt file?)';

/** The non-joint counts of a state: as held, or reduced from its joint table. */
function split(s: ComparisonPartState): { countsA: number[]; countsB: number[]; rightWrong: number[] } {
  if (!s.joint) return { countsA: s.countsA!, countsB: s.countsB!, rightWrong: s.rightWrong! };
  const r = comparisonResult(Float64Array.from(s.counts!), s.numClasses, true);
  return { countsA: Array.from(r.a.counts), countsB: Array.from(r.b.counts), rightWrong: Array.from(r.rightWrong) };
}

/** Checks both matrices against the right/wrong table: per true class the same rows, A's and B's diagonals. */
function checkRightWrong(r: ReadContext, a: number[], b: number[], rw: number[]): void {
  const c = r.n;
  for (let t = 0; t < c; t++) {
    const [rows, aRight, bRight] = [rw[4 * t]! + rw[4 * t + 1]! + rw[4 * t + 2]! + rw[4 * t + 3]!,
      rw[4 * t]! + rw[4 * t + 1]!, rw[4 * t]! + rw[4 * t + 2]!];
    const sum = (m: number[]): number => m.slice(t * c, t * c + c).reduce((x, y) => x + y, 0);
    const at = `$.rightWrong[${4 * t}..${4 * t + 3}]`;
    for (const [m, name] of [[a, 'countsA'], [b, 'countsB']] as const) {
      if (sum(m) !== rows) r.no(at, `hold ${rows} rows of class ${t}, $.${name} ${sum(m)} ${EDITED}`, rows);
    }
    if (aRight !== a[t * c + t]) r.no(at, `say A is right on ${aRight} rows of class ${t}, $.countsA ${EDITED}`);
    if (bRight !== b[t * c + t]) r.no(at, `say B is right on ${bRight} rows of class ${t}, $.countsB ${EDITED}`);
  }
}

/** The comparison state's spec: the joint table, or both matrices and the right/wrong table. */
export const comparisonSpec: StateSpec<ComparisonPartState> = { task: 'comparison',
  size: { key: 'numClasses', max: MAX_STATE_CLASSES,
    why: ` (a C x C matrix of float64 counts fits ${MAX_HOST_MATRIX_BYTES} bytes)`, noun: 'classes' },
  names: { key: 'classes', what: 'class' }, options: ['numClasses', 'ignoreIndex', 'stringLabels'], read(v, r) {
  const c = r.n;
  const options = { ...intOption(r, 'ignoreIndex'), ...trueOption(r, 'stringLabels') };
  if (typeof v.joint !== 'boolean') r.no('$.joint', `must be true or false, got ${JSON.stringify(v.joint)}`, v.joint);
  if (v.joint) {
    const big = `a joint table of ${c} classes: C^3 float64 counts need ${c ** 3 * 8} bytes, more than ` +
      `${MAX_HOST_MATRIX_BYTES}`;
    if (c ** 3 * 8 > MAX_HOST_MATRIX_BYTES) r.no('$.numClasses', big, c);
    const counts = r.nums('$.counts', v.counts, c ** 3, `${c} x ${c} x ${c}`);
    const total = counts.reduce((x, y) => x + y, 0);
    if (!Number.isSafeInteger(total)) r.no('$.counts', `add up to more than 2^53 - 1 (${total})`, total);
    return { joint: true, counts, options };
  }
  const [countsA, countsB] = (['countsA', 'countsB'] as const).map((k) => r.nums(`$.${k}`, v[k], c * c, `${c} x ${c}`));
  const rightWrong = r.nums('$.rightWrong', v.rightWrong, 4 * c, `4 x ${c}`);
  const total = countsA!.reduce((x, y) => x + y, 0);
  if (!Number.isSafeInteger(total)) r.no('$.countsA', `add up to more than 2^53 - 1 (${total})`, total);
  checkRightWrong(r, countsA!, countsB!, rightWrong);
  return { joint: false, countsA, countsB, rightWrong, options };
}, add(into, from, plus) {
  if (into.joint && from.joint) {
    into.counts!.forEach((x, j) => (into.counts![j] = plus(x, from.counts![j]!, () => `joint cell ${j}`)));
    return;
  }
  const [ours, theirs] = [split(into), split(from)];
  for (const key of ['countsA', 'countsB', 'rightWrong'] as const) {
    into[key] = ours[key].map((x, j) => plus(x, theirs[key][j]!, () => `${key}[${j}]`));
  }
  into.joint = false;
  delete into.counts;
}, widen(s, at, n) {
  const c = s.numClasses;
  if (s.counts) s.counts = widenGrid(s.counts, c, 3, at, n);
  for (const [key, dims, inner] of [['countsA', 2, 1], ['countsB', 2, 1], ['rightWrong', 1, 4]] as const) {
    if (s[key]) s[key] = widenGrid(s[key], c, dims, at, n, inner);
  }
}, total: (s) => (s.joint ? s.counts! : s.countsA!).reduce((a, b) => a + b, 0) };

/**
 * The state of a comparison result (`createComparison(...).compute()`), checked as a file is.
 *
 * @example
 * const part = createComparisonState(await cmp.compute(), { shards: { count: 4, indices: [2] } });
 */
export function createComparisonState(result: ComparisonResult, meta: ComparisonStateMeta = {}): ComparisonPartState {
  const c = result.numClasses;
  const ignore = { ...(meta.ignoreIndex === undefined ? {} : { ignoreIndex: meta.ignoreIndex }),
    ...(meta.stringLabels ? { stringLabels: true } : {}) };
  const counts = result.joint ?
    { counts: Array.from(result.counts!) } :
    { countsA: Array.from(result.a.counts), countsB: Array.from(result.b.counts),
      rightWrong: Array.from(result.rightWrong) };
  const fields = { numClasses: c, joint: result.joint, ...counts, options: { numClasses: c, ...ignore } };
  return createWith(comparisonSpec, fields, { names: meta.classes, shards: meta.shards });
}

/**
 * The comparison a state holds, as `createComparison(...).compute()` gives it.
 *
 * @example
 * comparisonStateResult(merged).mcnemar.exactPValue;
 */
export function comparisonStateResult(state: ComparisonPartState): ComparisonResult {
  const cells = state.joint ? state.counts! : [state.countsA!, state.countsB!, state.rightWrong!].flat();
  return comparisonResult(Float64Array.from(cells), state.numClasses, state.joint);
}
