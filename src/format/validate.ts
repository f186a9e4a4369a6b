import { InputError } from '../core/errors.js';
import { MAX_HOST_MATRIX_BYTES } from '../core/limits.js';
import type { Batch, FormattedBatch, FormattedGpuBatch, HalfDtype, LabelArray } from '../core/types.js';
import { int64InRange } from './class-indices.js';
import { isHalfDtype, widenHalves } from './half.js';

export { MAX_HOST_MATRIX_BYTES } from '../core/limits.js';

/**
 * Checks that `numClasses` is an integer C >= 1 whose C x C float64 matrix fits {@link MAX_HOST_MATRIX_BYTES}
 * (`hostMatrix` false: any C >= 1).
 *
 * @example
 * validateNumClasses(100000); // throws InputError: "... needs 80000000000 bytes, the limit is 4294967296 bytes (C <=
 * 23170)"
 */
export function validateNumClasses(numClasses: unknown, hostMatrix = true): asserts numClasses is number {
  if (typeof numClasses !== 'number' || !Number.isSafeInteger(numClasses) || numClasses < 1) {
    throw new InputError('numClasses', `numClasses must be an integer >= 1, got ${String(numClasses)}`, undefined,
      numClasses);
  }
  if (!hostMatrix) return;
  const bytes = numClasses * numClasses * 8;
  if (bytes > MAX_HOST_MATRIX_BYTES) {
    const maxC = Math.floor(Math.sqrt(MAX_HOST_MATRIX_BYTES / 8));
    const why = `the ${numClasses} x ${numClasses} matrix of float64 counts needs ${bytes} bytes, ` +
      `the limit is ${MAX_HOST_MATRIX_BYTES} bytes (C <= ${maxC})`;
    throw new InputError('numClasses', `numClasses ${numClasses} is too large for the host: ${why}`, undefined,
      numClasses);
  }
}

/**
 * Checks that a task's `options` are an object, else an {@link InputError} naming the call and what it needs.
 *
 * @example
 * requireOptions(undefined, 'confusionMatrix(batch, options)', 'numClasses'); // throws "... needs options ..."
 */
export function requireOptions<O>(options: O, call: string, needs: string): O & object {
  if (options === null || typeof options !== 'object') {
    throw new InputError('options',
      `${call} needs options { ${needs}, ... }, got ${options === null ? 'null' : typeof options}`, undefined, options);
  }
  return options;
}

/** True when `a` is one of the integer typed arrays confmat accepts for labels and predictions. */
export function isLabelArray(a: unknown): a is LabelArray {
  return (a instanceof Int8Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray ||
    a instanceof Int16Array || a instanceof Uint16Array || a instanceof Int32Array ||
    a instanceof Uint32Array || a instanceof BigInt64Array || a instanceof BigUint64Array);
}

const typeName = (x: unknown): string => (x == null ? String(x) : (x as object).constructor?.name ?? typeof x);

/** Elements checked per block when a label array is read through the Int32Array scratch. */
const CHECK_BLOCK = 1 << 14;
let checkScratch: Int32Array | undefined;

/**
 * Index of the first of `v[0, n)` outside [0, m], or -1: one loop, always over an Int32Array, so
 * that V8 keeps it monomorphic (a loop fed several array types reads 10 to 20 x slower).
 */
function firstOutside(v: Int32Array, n: number, m: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    acc |= x | (m - x);
  }
  if (acc >= 0) return -1;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if ((x | (m - x)) < 0) return i;
  }
  return -1;
}

/**
 * Index of the first element outside [0, numClasses), or -1; other arrays than Int32Array are read in blocks
 * through one (where values of 2^31 and over turn negative, outside the range as they should be).
 *
 * @example
 * findOutOfRange(new Int32Array([0, 3, -1]), 3); // 1
 */
export function findOutOfRange(a: LabelArray, numClasses: number): number {
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
    if (numClasses <= 2 ** 32 && int64InRange(a, numClasses)) return -1;
    const c = BigInt(numClasses);
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v < 0n || v >= c) return i;
    }
    return -1;
  }
  const m = Math.min(numClasses, 2 ** 31) - 1;
  if (a instanceof Int32Array) return firstOutside(a, a.length, m);
  checkScratch ??= new Int32Array(CHECK_BLOCK);
  for (let s = 0; s < a.length; s += CHECK_BLOCK) {
    const k = Math.min(CHECK_BLOCK, a.length - s);
    checkScratch.set(a.subarray(s, s + k));
    const i = firstOutside(checkScratch, k, m);
    if (i >= 0) return s + i;
  }
  return -1;
}

/**
 * Checks that `a` is an integer typed array of class indices in [0, numClasses), else an {@link InputError}.
 *
 * @example
 * checkClassIndices('labels', Int32Array.of(0, 5), 3); // throws "index 1: label 5 is outside [0, 3)"
 */
export function checkClassIndices(field: 'labels' | 'preds', a: unknown, numClasses: number): LabelArray {
  if (!isLabelArray(a)) {
    const types = 'Int8..Int32, Uint8..Uint32, BigInt64, BigUint64';
    throw new InputError(field, `${field} must be an integer typed array (${types}), got ${typeName(a)}`);
  }
  const bad = findOutOfRange(a, numClasses);
  if (bad >= 0) {
    const v = a[bad]!;
    const what = field === 'labels' ? 'label' : 'predicted class';
    throw new InputError(field, `index ${bad}: ${what} ${String(v)} is outside [0, ${numClasses})`, bad, v);
  }
  return a;
}

/**
 * The half format of logits (undefined: float32): a Uint16Array needs `logitsDtype` to say which; `buffer` allows
 * GPU buffers.
 *
 * @example
 * logitsFormat(new Uint16Array(4), 'bfloat16'); // 'bfloat16'
 */
export function logitsFormat(logits: unknown, logitsDtype: unknown, buffer = false): HalfDtype | undefined {
  if (logitsDtype !== undefined && logitsDtype !== 'float32' && !isHalfDtype(logitsDtype)) {
    throw new InputError('logitsDtype',
      `logitsDtype must be 'float32', 'float16' or 'bfloat16', got ${
        JSON.stringify(logitsDtype) ?? String(logitsDtype)
      }`, undefined, logitsDtype);
  }
  const half = isHalfDtype(logitsDtype) ? logitsDtype : undefined;
  if (logits instanceof Uint16Array) {
    if (!half) {
      const hint = logitsDtype === 'float32' ? ` (logitsDtype 'float32' needs a Float32Array)` : '';
      const why = `if they hold 16-bit floats, say which with logitsDtype: 'float16' or 'bfloat16'${hint}`;
      throw new InputError('logits', `logits are a Uint16Array: ${why}`, undefined, logitsDtype);
    }
    return half;
  }
  if (logits instanceof Float32Array) {
    if (half) {
      throw new InputError('logits',
        `logitsDtype '${half}' needs the logits' 16-bit patterns in a Uint16Array, got a Float32Array`, undefined,
        half);
    }
    return undefined;
  }
  if (buffer) return half;
  throw new InputError('logits',
    'logits must be a Float32Array (N x C, row-major), or a Uint16Array of float16/bfloat16 bits with logitsDtype, ' +
      `got ${typeName(logits)}`);
}

/**
 * Validates and formats one batch for the CPU (shapes agree, class indices in range; 16-bit logits widened), else
 * an {@link InputError} naming the field, the index and the value.
 */
export function formatBatch(batch: Batch, numClasses: number): FormattedBatch {
  return cpuBatch(formatHostBatch(batch, numClasses));
}

/** A formatted batch of host arrays for the CPU: 16-bit logits widened exactly to float32. */
export function cpuBatch(batch: FormattedGpuBatch): FormattedBatch {
  const { logits, logitsDtype } = batch;
  if (logits instanceof Uint16Array && logitsDtype) {
    const { logitsDtype: _, ...rest } = batch;
    return { ...(rest as FormattedBatch), logits: widenHalves(logits, logitsDtype) };
  }
  return batch as FormattedBatch;
}

/** As {@link formatBatch}, but 16-bit logits stay as they are (for the GPU); `hostMatrix` false: no C x C limit. */
export function formatHostBatch(batch: Batch, numClasses: number, hostMatrix = true): FormattedGpuBatch {
  validateNumClasses(numClasses, hostMatrix);
  if (batch === null || typeof batch !== 'object') {
    throw new InputError('batch', 'a batch must be an object { logits, labels } or { preds, labels }');
  }
  const hasLogits = batch.logits !== undefined;
  const hasPreds = batch.preds !== undefined;
  if (hasLogits === hasPreds) {
    throw new InputError('batch', 'a batch needs exactly one of logits or preds');
  }
  const labels = checkClassIndices('labels', batch.labels, numClasses);
  const rows = labels.length;
  if (hasLogits) {
    const logits = batch.logits!;
    const half = logitsFormat(logits, batch.logitsDtype);
    if (logits.length !== rows * numClasses) {
      const expected = `expected N x C = ${rows} x ${numClasses} = ${rows * numClasses} (N from labels)`;
      throw new InputError('logits', `logits hold ${logits.length} values, ${expected}`, undefined, logits.length);
    }
    return { rows, numClasses, labels, logits, ...(half ? { logitsDtype: half } : {}) };
  }
  const preds = checkClassIndices('preds', batch.preds, numClasses);
  if (preds.length !== rows) {
    throw new InputError('preds', `preds hold ${preds.length} values, labels ${rows}: they must have the same length`,
      undefined, preds.length);
  }
  return { rows, numClasses, labels, preds };
}
