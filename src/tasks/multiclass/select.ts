import { InputError } from '../../core/errors.js';
import type { Batch, ConfusionMatrixResult, LabelArray } from '../../core/types.js';
import { int64Words } from '../../format/class-indices.js';
import { isLabelArray } from '../../format/validate.js';
import { reduceCounts } from './reduce.js';

/**
 * The matrix restricted to `classes`, in that order, as sklearn's `confusion_matrix(labels=...)`.
 *
 * @example
 * selectClasses(reduceCounts(new Float64Array([3, 1, 0, 0, 4, 2, 1, 0, 5]), 3), [2, 0]).counts; // [5, 1, 0, 3]
 */
export function selectClasses(result: ConfusionMatrixResult, classes: readonly number[]): ConfusionMatrixResult {
  const c = result.numClasses;
  if (classes.length === 0) throw new InputError('classes', 'the class subset is empty: list at least one class index');
  const seen = new Set<number>();
  for (const [i, k] of classes.entries()) {
    if (!Number.isSafeInteger(k) || k < 0 || k >= c) {
      throw new InputError('classes', `class subset entry ${i}: ${k} is outside [0, ${c})`, i, k);
    }
    if (seen.has(k)) throw new InputError('classes', `class subset entry ${i}: class ${k} is listed twice`, i, k);
    seen.add(k);
  }
  const n = classes.length;
  const out = new Float64Array(n * n);
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) out[t * n + p] = result.counts[classes[t]! * c + classes[p]!]!;
  }
  return reduceCounts(out, n, result.weighted === true, true);
}

/**
 * The labels as int32 with `ignoreIndex` replaced by `numClasses` (a row past the matrix); others must lie in [0, C).
 *
 * @example
 * markIgnored(BigInt64Array.of(1n, -100n, 0n), -100, 3); // Int32Array [1, 3, 0]
 */
export function markIgnored(labels: LabelArray, ignoreIndex: number, numClasses: number): Int32Array {
  const out = new Int32Array(labels.length);
  const bad = (i: number): never => {
    throw new InputError('labels', `index ${i}: label ${String(labels[i])} is outside [0, ${numClasses})`, i,
      labels[i]);
  };
  if (labels instanceof BigInt64Array || labels instanceof BigUint64Array) {
    const { w, lo, hi } = int64Words(labels);
    const signed = labels instanceof BigInt64Array;
    for (let i = 0; i < labels.length; i++) {
      const h = w[2 * i + hi]!;
      const v = h === 0 ? w[2 * i + lo]! : signed && h === 0xffffffff ? w[2 * i + lo]! - 2 ** 32 : NaN;
      if (v === ignoreIndex) out[i] = numClasses;
      else if (v >= 0 && v < numClasses) out[i] = v;
      else if (BigInt(ignoreIndex) !== labels[i]) bad(i);
      else out[i] = numClasses;
    }
    return out;
  }
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i] as number;
    if (v === ignoreIndex) out[i] = numClasses;
    else if (v >= 0 && v < numClasses) out[i] = v;
    else bad(i);
  }
  return out;
}

/**
 * The batch without the rows labelled `ignoreIndex` (weights too); itself when none is; bad labels refused
 * (`refuse` false: kept, for the caller to name by their index among the rows kept).
 *
 * @example
 * dropIgnored({ preds: new Int8Array([0, 1, 1]), labels: new Int8Array([0, -100, 1]) }, -100, 2); // 2 rows
 */
export function dropIgnored(batch: Batch, ignoreIndex: number, numClasses: number, refuse = true): Batch {
  const labels = (batch as Batch | null)?.labels as unknown;
  if (!isLabelArray(labels) || (batch.logits === undefined) === (batch.preds === undefined)) return batch;
  const big = labels instanceof BigInt64Array || labels instanceof BigUint64Array;
  const target = big ? BigInt(ignoreIndex) : ignoreIndex;
  const keep: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v === target) continue;
    if (refuse && (v < 0 || v >= numClasses)) {
      throw new InputError('labels', `index ${i}: label ${String(v)} is outside [0, ${numClasses})`, i, v);
    }
    keep.push(i);
  }
  if (keep.length === labels.length) return batch;
  const pick = <T extends LabelArray | Float32Array | Float64Array>(a: T, width: number): T => {
    const out = new (a.constructor as new(n: number) => T)(keep.length * width);
    for (let k = 0; k < keep.length; k++) {
      (out as Float32Array).set((a as Float32Array).subarray(keep[k]! * width, (keep[k]! + 1) * width), k * width);
    }
    return out;
  };
  const kept = pick(labels, 1);
  const w = batch.weights as unknown;
  if (w !== undefined && !((w instanceof Float32Array || w instanceof Float64Array) && w.length === labels.length)) {
    return batch;
  }
  const weights = w === undefined ? {} : { weights: pick(w, 1) };
  if (batch.logits !== undefined) {
    const logits = batch.logits as unknown;
    if (!(logits instanceof Float32Array || logits instanceof Uint16Array) ||
      logits.length !== labels.length * numClasses) return batch;
    return { logits: pick(logits, numClasses), labels: kept, ...weights,
      ...(batch.logitsDtype !== undefined ? { logitsDtype: batch.logitsDtype } : {}) };
  }
  const preds = batch.preds as unknown;
  if (!isLabelArray(preds) || preds.length !== labels.length) return batch;
  return { preds: pick(preds, 1), labels: kept, ...weights };
}
