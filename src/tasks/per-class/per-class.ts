/**
 * Per-class mode for huge C, where the C x C matrix does not fit: per class TP, FP, FN and support in O(C)
 * memory, and the off-diagonal (true, predicted) pairs that occur in a sparse count. No Node built-ins.
 *
 * @module
 */
import { InputError } from '../../core/errors.js';
import { MAX_PER_CLASS_CLASSES } from '../../core/limits.js';
import type { Batch, FormattedGpuBatch, GpuBatch, LabelArray } from '../../core/types.js';
import { addInto } from '../../engine/accumulator.js';
import { formatGpuBatch, hasGpuInputs, isGpuBuffer } from '../../engine/gpu-batch.js';
import { formatHostBatch, validateNumClasses } from '../../format/validate.js';
import { type Averages, type Metrics, metricsFromSums, topKeys } from '../multiclass/metrics.js';
import { dropIgnored } from '../multiclass/select.js';

export { MAX_PER_CLASS_CLASSES } from '../../core/limits.js';

/** Checks that `numClasses` is an integer in [1, {@link MAX_PER_CLASS_CLASSES}]. */
export function validatePerClassClasses(numClasses: unknown): asserts numClasses is number {
  validateNumClasses(numClasses, false);
  if (numClasses > MAX_PER_CLASS_CLASSES) {
    throw new InputError('numClasses',
      `numClasses ${numClasses} is too large for per-class mode: at most ${MAX_PER_CLASS_CLASSES} (2^24) classes`,
      undefined, numClasses);
  }
}

const EMPTY = -1;
const TWO_32 = 2 ** 32;

/**
 * A sparse count of integer keys below 2^53: open addressing over typed arrays, as many keys as memory allows.
 *
 * @example
 * const pairs = new SparseCounts();
 * pairs.add(300007, 2);
 */
export class SparseCounts {
  private keys: Float64Array;
  private counts: Float64Array;
  private used = 0;

  constructor(capacity = 1024) {
    const slots = 2 ** Math.max(4, Math.ceil(Math.log2(Math.max(1, capacity) * 2)));
    this.keys = new Float64Array(slots).fill(EMPTY);
    this.counts = new Float64Array(slots);
  }

  /** Distinct keys held. */
  get size(): number {
    return this.used;
  }

  private slot(key: number): number {
    const lo = key >>> 0;
    const hi = Math.floor(key / TWO_32);
    const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b) ^ (lo >>> 16), 0x9e3779b1);
    const mask = this.keys.length - 1;
    let i = (h ^ (h >>> 15)) & mask;
    while (this.keys[i] !== key && this.keys[i] !== EMPTY) i = (i + 1) & mask;
    return i;
  }

  /** Adds `n` to the count of `key`. */
  add(key: number, n = 1): void {
    let i = this.slot(key);
    if (this.keys[i] === EMPTY) {
      if ((this.used + 1) * 2 > this.keys.length) {
        this.grow();
        i = this.slot(key);
      }
      this.keys[i] = key;
      this.used++;
    }
    this.counts[i]! += n;
  }

  /** The count of `key`, 0 when absent. */
  get(key: number): number {
    const i = this.slot(key);
    return this.keys[i] === key ? this.counts[i]! : 0;
  }

  /** Calls `fn` once per key held, in no particular order. */
  forEach(fn: (key: number, count: number) => void): void {
    const { keys, counts } = this;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) fn(keys[i]!, counts[i]!);
  }

  /** An independent copy. */
  clone(): SparseCounts {
    const out = new SparseCounts(1);
    out.keys = this.keys.slice();
    out.counts = this.counts.slice();
    out.used = this.used;
    return out;
  }

  private grow(): void {
    const { keys, counts } = this;
    this.keys = new Float64Array(keys.length * 2).fill(EMPTY);
    this.counts = new Float64Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === EMPTY) continue;
      const j = this.slot(keys[i]!);
      this.keys[j] = keys[i]!;
      this.counts[j] = counts[i]!;
    }
  }
}

/** Exact float64 totals of per-class mode: O(C) arrays and the sparse off-diagonal pairs. */
export interface PerClassCounts {
  numClasses: number;
  /** Samples whose true class is k. */
  support: Float64Array;
  /** Samples predicted as k. */
  predicted: Float64Array;
  /** Samples of class k predicted as k. */
  tp: Float64Array;
  /** Off-diagonal pairs: key `true * C + pred` -> count. */
  pairs: SparseCounts;
}

/** Zeroed counts for `numClasses` classes. */
export function emptyPerClassCounts(numClasses: number): PerClassCounts {
  validatePerClassClasses(numClasses);
  return { numClasses, support: new Float64Array(numClasses), predicted: new Float64Array(numClasses),
    tp: new Float64Array(numClasses), pairs: new SparseCounts() };
}

/** Adds the counts `from` into `into` (the same C). */
export function addPerClassCounts(into: PerClassCounts, from: PerClassCounts): void {
  for (const k of ['support', 'predicted', 'tp'] as const) addInto(into[k], from[k]);
  from.pairs.forEach((key, count) => into.pairs.add(key, count));
}

/**
 * One batch for per-class mode: row-major N x C float32 logits, or N predicted classes, and N labels. Any of them may
 * be a GPU buffer of the matrix's device (f32, u32 or i32), read in place, `rows` then defaulting to what the buffers
 * hold; labels in a buffer also need GPUBufferUsage.COPY_SRC: the host reads them back to add each class's support.
 */
export type PerClassBatch = { rows?: number | undefined }
  & ({ logits: Float32Array | GPUBuffer; labels: LabelArray | GPUBuffer; preds?: undefined } | {
    preds: LabelArray | GPUBuffer;
    labels: LabelArray | GPUBuffer;
    logits?: undefined;
  });

/** A validated per-class batch: host labels (and predictions) lie in [0, numClasses), ignored rows dropped. */
export type FormattedPerClassBatch = FormattedGpuBatch;

/** Validates a per-class batch: one of logits or preds, labels in [0, C) once `ignoreIndex` rows are dropped. */
export function formatPerClassBatch(batch: PerClassBatch, numClasses: number,
  ignoreIndex?: number): FormattedPerClassBatch {
  validatePerClassClasses(numClasses);
  for (const key of ['weights', 'logitsDtype'] as const) {
    if ((batch as Record<string, unknown> | null)?.[key] !== undefined) {
      throw new InputError(key,
        `per-class mode takes no ${key === 'weights' ? 'sample weights' : 'logitsDtype (pass float32 logits)'}`);
    }
  }
  const logits: unknown = batch?.logits;
  if (logits !== undefined && !(logits instanceof Float32Array || isGpuBuffer(logits))) {
    const got = (logits as object)?.constructor?.name ?? typeof logits;
    throw new InputError('logits', `logits must be a Float32Array (N x C, row-major) or a GPUBuffer, got ${got}`);
  }
  if (hasGpuInputs(batch)) {
    const labels = batch.labels;
    if (ignoreIndex !== undefined) {
      throw new InputError('ignoreIndex',
        'ignoreIndex with GPU buffers: per-class mode drops ignored rows on the host; pass host arrays');
    }
    if (isGpuBuffer(labels) && !(labels.usage & GPUBufferUsage.COPY_SRC)) {
      throw new InputError('labels',
        `the labels buffer '${labels.label}' lacks GPUBufferUsage.COPY_SRC: per-class mode reads the labels back`);
    }
    return formatGpuBatch(batch as GpuBatch, numClasses);
  }
  const host = batch as Batch;
  return formatHostBatch(ignoreIndex === undefined ? host : dropIgnored(host, ignoreIndex, numClasses, false),
    numClasses, false);
}

/**
 * Adds a batch given as its labels and its misclassified `(true, pred)` rows into `counts` (the GPU path's end).
 *
 * @example
 * addRows(counts, new Uint32Array([0, 1, 1]), Uint32Array.of(1, 0), 1); // one row of class 1 predicted as 0
 */
export function addRows(counts: PerClassCounts, labels: LabelArray, errors: Uint32Array, numErrors: number): void {
  const { support, predicted, tp, pairs, numClasses: c } = counts;
  const big = labels instanceof BigInt64Array || labels instanceof BigUint64Array;
  for (let i = 0; i < labels.length; i++) {
    const t = big ? Number(labels[i]!) : (labels[i] as number);
    support[t]! += 1;
    tp[t]! += 1;
    predicted[t]! += 1;
  }
  for (let e = 0; e < numErrors; e++) {
    const t = errors[2 * e]!;
    const p = errors[2 * e + 1]!;
    tp[t]! -= 1;
    predicted[t]! -= 1;
    predicted[p]! += 1;
    pairs.add(t * c + p);
  }
}

/** Per class figures as parallel arrays (index = class). */
export interface PerClassArrays {
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  support: Float64Array;
  predicted: Float64Array;
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
}

/** An average over classes; `support` is the sample count, as in sklearn's classification_report. */
export type PerClassAverage = Averages;

/** One off-diagonal pair: `count` samples of class `true` predicted as `pred`; share = count / support of `true`. */
export interface PerClassConfusion {
  true: number;
  pred: number;
  count: number;
  share: number;
}

/** Everything per-class mode derives from its counts: `computeMetrics`' figures, per class as arrays. */
export interface PerClassResult extends Omit<Metrics, 'perClass'> {
  mode: 'per-class';
  perClass: PerClassArrays;
  /** Distinct off-diagonal (true, pred) pairs that occurred. */
  distinctPairs: number;
  /** The sparse off-diagonal counts; see {@link topPairs}. */
  pairs: SparseCounts;
}

/**
 * The metrics of per-class counts, with the rules `computeMetrics` applies to the dense matrix.
 *
 * @example
 * const r = perClassResult(counts);
 * r.macroAvg.f1; r.perClass.fn[42];
 */
export function perClassResult(counts: PerClassCounts): PerClassResult {
  const { numClasses: c, support, predicted, tp, pairs } = counts;
  const fp = Float64Array.from(predicted, (q, k) => q - tp[k]!);
  const fn = Float64Array.from(support, (s, k) => s - tp[k]!);
  const { precision, recall, f1, ...m } = metricsFromSums(tp, support, predicted);
  const [t, s, q] = [tp.slice(), support.slice(), predicted.slice()];
  const perClass = { tp: t, fp, fn, support: s, predicted: q, precision, recall, f1 };
  return { mode: 'per-class', numClasses: c, ...m, perClass, distinctPairs: pairs.size, pairs: pairs.clone() };
}

/**
 * The `k` largest off-diagonal pairs (count descending, then true, then predicted class); `k` = Infinity: all.
 *
 * @example
 * topPairs(perClassResult(counts), 10)[0]; // { true: 7, pred: 3, count: 12, share: 0.4 }
 */
export function topPairs(
  result: Pick<PerClassResult, 'numClasses' | 'pairs'> & { perClass: Pick<PerClassArrays, 'support'> },
  k: number,
): PerClassConfusion[] {
  const c = result.numClasses;
  return topKeys((add) => result.pairs.forEach(add), k).map(([key, count]) => {
    const t = Math.floor(key / c);
    return { true: t, pred: key - t * c, count, share: count / result.perClass.support[t]! };
  });
}

/**
 * Classes with support, worst F1 first (ties: larger support, then lower index).
 *
 * @example
 * worstClasses(perClassResult(counts), 10); // [class indices]
 */
export function worstClasses(result: Pick<PerClassResult, 'perClass'>, k: number): number[] {
  const { f1, support } = result.perClass;
  const ids: number[] = [];
  for (let i = 0; i < support.length; i++) if (support[i]! > 0) ids.push(i);
  ids.sort((a, b) => f1[a]! - f1[b]! || support[b]! - support[a]! || a - b);
  return ids.slice(0, Math.max(0, Math.floor(k)));
}
