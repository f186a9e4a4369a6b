import { InputError } from '../../core/errors.js';

/**
 * The distinct rows of a multilabel task and how many rows each stands for. A row's outcome is which labels it
 * counts as TP, FP and FN (the others are TN); its key lists them as `tp;fp;fn`, each ascending and comma-joined
 * (`'0,3;1;'`: TP at labels 0 and 3, FP at label 1). Every metric of the task, the averages across labels
 * included, is a function of this table, so a multinomial over it is the exact row bootstrap of every metric.
 * `null`: more than {@link MAX_ROW_OUTCOMES} distinct rows (or a batch with sample weights) dropped the table.
 */
export type RowOutcomes = Map<string, number> | null;

/** Distinct row outcomes kept at most; beyond, the table is dropped (its bootstrap would cost B x N anyway). */
export const MAX_ROW_OUTCOMES = 65_536;

/** One row outcome: the labels it counts as TP, FP and FN, each ascending. */
export interface RowOutcome {
  tp: number[];
  fp: number[];
  fn: number[];
}

/** The key of a row outcome (see {@link RowOutcomes}). */
export function rowOutcomeKey(o: RowOutcome): string {
  return `${o.tp.join(',')};${o.fp.join(',')};${o.fn.join(',')}`;
}

/**
 * Adds `n` rows of outcome `key` into `table`; returns the table, or null once it would hold more than
 * {@link MAX_ROW_OUTCOMES} keys.
 *
 * @example
 * let t: RowOutcomes = new Map();
 * t = addRowOutcome(t, '0;;1', 2); // two rows: TP at label 0, FN at label 1
 */
export function addRowOutcome(table: RowOutcomes, key: string, n: number): RowOutcomes {
  if (table === null) return null;
  const had = table.get(key);
  if (had === undefined && table.size >= MAX_ROW_OUTCOMES) return null;
  table.set(key, (had ?? 0) + n);
  return table;
}

/** `from` added into `into` (null when either is, or when the union is too large). */
export function mergeRowOutcomes(into: RowOutcomes, from: RowOutcomes): RowOutcomes {
  let out = into;
  if (from === null) return null;
  for (const [key, n] of from) out = addRowOutcome(out, key, n);
  return out;
}

/** A copy of a table (null stays null). */
export const copyRowOutcomes = (t: RowOutcomes): RowOutcomes => (t === null ? null : new Map(t));

const LIST_RE = /^(?:0|[1-9]\d*)(?:,(?:0|[1-9]\d*))*$/;

/**
 * The outcome of a key, checked against `numLabels`: labels ascending, in range, each in at most one list.
 *
 * @throws InputError (field `rowOutcomes`) naming the key and what is wrong
 */
export function parseRowOutcomeKey(key: string, numLabels: number): RowOutcome {
  const parts = key.split(';');
  const bad = (why: string): never => {
    throw new InputError('rowOutcomes', `row outcome '${key}': ${why}`, undefined, key);
  };
  if (parts.length !== 3) bad('must be "tp;fp;fn", each a comma-separated list of label indices');
  const seen = new Set<number>();
  const [tp, fp, fn] = parts.map((p) => {
    if (p !== '' && !LIST_RE.test(p)) bad(`'${p}' is not a comma-separated list of label indices`);
    const list = p === '' ? [] : p.split(',').map(Number);
    list.forEach((j, i) => {
      if (j >= numLabels) bad(`label ${j} is not below the ${numLabels} labels`);
      if (i > 0 && j <= list[i - 1]!) bad('labels must be ascending in each list');
      if (seen.has(j)) bad(`label ${j} is in two lists`);
      seen.add(j);
    });
    return list;
  }) as [number[], number[], number[]];
  return { tp, fp, fn };
}

/** A table's key of one row from its outcome words (2 bits per label, 16 labels per word: 0 TN, 1 TP, 2 FP, 3 FN). */
function keyOfWords(words: ArrayLike<number>, at: number, count: number): string {
  const lists: string[][] = [[], [], []];
  for (let w = 0; w < count; w++) {
    for (let word = words[at + w]!, j = 16 * w; word !== 0; word >>>= 2, j++) {
      if ((word & 3) !== 0) lists[(word & 3) - 1]!.push(String(j));
    }
  }
  return lists.map((l) => l.join(',')).join(';');
}

/** Counts rows by their outcome words, cheaply, for {@link createOutcomeTally}. */
export interface OutcomeTally {
  /** Counts one row whose outcome words start at `words[at]`. */
  add(words: ArrayLike<number>, at: number): void;
  /** Adds the rows counted since the last flush into `into` (the result: null once too many are distinct). */
  flush(into: RowOutcomes): RowOutcomes;
}

/**
 * A tally of rows by their outcome words (see shaders/multilabel.wgsl: 2 bits per label, ceil(L / 16) words per
 * row), keyed by a number up to 26 labels (beyond, a string of the words' 16-bit halves), turned into table keys
 * once per distinct row at `flush`. Shared by the CPU update and the GPU fold, so both count the same table.
 */
export function createOutcomeTally(numLabels: number): OutcomeTally {
  const count = Math.ceil(numLabels / 16);
  let seen: Map<number | string, number> | null = new Map();
  const keyOf = count === 1 ?
    (a: ArrayLike<number>, i: number): number | string => a[i]! :
    numLabels <= 26 ?
    (a: ArrayLike<number>, i: number): number | string => a[i]! + a[i + 1]! * 2 ** 32 :
    (a: ArrayLike<number>, i: number): number | string => {
      let k = '';
      for (let w = i; w < i + count; w++) k += String.fromCharCode(a[w]! & 0xffff, a[w]! >>> 16);
      return k;
    };
  const wordsOf = (k: number | string): number[] =>
    typeof k === 'string' ?
      Array.from({ length: count }, (_, w) => k.charCodeAt(2 * w) + k.charCodeAt(2 * w + 1) * 0x10000) :
      [k % 2 ** 32, Math.floor(k / 2 ** 32)];
  return { add(words, at) {
    if (seen === null) return;
    const k = keyOf(words, at);
    const had = seen.get(k);
    if (had === undefined && seen.size >= MAX_ROW_OUTCOMES) seen = null;
    else seen.set(k, (had ?? 0) + 1);
  }, flush(into) {
    let out = seen === null ? null : into;
    for (const [k, n] of seen ?? []) out = addRowOutcome(out, keyOfWords(wordsOf(k), 0, count), n);
    seen = new Map();
    return out;
  } };
}
