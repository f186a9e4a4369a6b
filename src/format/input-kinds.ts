import { InputError } from '../core/errors.js';
import type { LabelArray } from '../core/types.js';

/** What a batch field holds: class indices or 0/1 targets ('int'), scores ('float'), or sample weights. */
export type InputKind = 'int' | 'float' | 'weights';

const INT_FIELDS = new Set(['labels', 'preds', 'predsB', 'targets']);

/** The kind of a batch field ('labels': 'int', 'logits': 'float', 'weights': 'weights'). */
export function inputKind(field: string): InputKind {
  return field === 'weights' ? 'weights' : INT_FIELDS.has(field) ? 'int' : 'float';
}

/** One item of a field, for messages: 'label', 'predicted class', 'target', 'value'. */
function itemName(field: string): string {
  if (field === 'labels') return 'label';
  if (field === 'targets') return 'target';
  return field.startsWith('preds') ? 'predicted class' : field === 'weights' ? 'weight' : 'value';
}

/** The description of a value found where an input was expected: its class, or its type. */
export function typeFound(x: unknown): string {
  if (x === null || typeof x !== 'object') return x === null ? 'null' : typeof x;
  return (x as object).constructor?.name ?? 'object';
}

/** What a field accepts, for messages (`gpu`: GPU buffers too). */
export function accepted(field: string, gpu: boolean): string {
  const kind = inputKind(field);
  const typed = kind === 'int' ?
    'an integer typed array' :
    kind === 'weights' ?
    'a Float32Array or Float64Array' :
    'a Float32Array';
  const plain = kind === 'int' ? 'an array of integers' : 'an array of numbers';
  const tensor = kind === 'int' ?
    'a TensorFlow.js or onnxruntime tensor of integers' :
    kind === 'weights' ?
    'a float32 TensorFlow.js or onnxruntime tensor' :
    'a float32 TensorFlow.js or float32/float16 onnxruntime tensor';
  return `${typed}, ${plain}, ${tensor}${gpu && kind !== 'weights' ? ' or a GPUBuffer' : ''}`;
}

/**
 * Whole numbers as the smallest typed array that holds them exactly (Int32Array, else BigInt64Array), each checked:
 * one that is not an integer is an {@link InputError} naming `field`, its index and its value.
 *
 * @example
 * integersOf('labels', [0, 2, 1]); // Int32Array [0, 2, 1]
 * integersOf('labels', [0, 1.5]); // throws "index 1: label 1.5 is not an integer"
 */
export function integersOf(field: string, values: ArrayLike<unknown>): LabelArray {
  let int32 = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      const shown = typeof v === 'number' ? String(v) : `${JSON.stringify(v) ?? String(v)} (${typeFound(v)})`;
      throw new InputError(field, `index ${i}: ${itemName(field)} ${shown} is not an integer`, i, v);
    }
    int32 &&= v === (v | 0);
  }
  const numbers = values as ArrayLike<number>;
  return int32 ? Int32Array.from(numbers) : BigInt64Array.from(Array.from(numbers, BigInt));
}

/**
 * Numbers as a Float32Array (Float64Array for sample weights), each checked to be a number (NaN too: it ranks as the
 * kernels rank it); anything else is an {@link InputError} naming `field`, its index and its value.
 *
 * @example
 * numbersOf('logits', [0.1, 2, 0.3]); // Float32Array [0.1, 2, 0.3] (as float32)
 */
function numbersOf(field: string, values: ArrayLike<unknown>): Float32Array | Float64Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      throw new InputError(field,
        `index ${i}: ${itemName(field)} ${JSON.stringify(v) ?? String(v)} is not a number (${typeFound(v)})`, i, v);
    }
  }
  const numbers = values as ArrayLike<number>;
  return field === 'weights' ? Float64Array.from(numbers) : Float32Array.from(numbers);
}

/**
 * A plain array (flat, or one array of `width` items per row) as the typed array its field takes, every item checked.
 *
 * @example
 * plainArrayOf('logits', [[0.1, 2, 0.3], [1, 0, 0]], 3); // Float32Array of 6
 */
export function plainArrayOf(field: string, values: unknown[], width: number): LabelArray | Float32Array
  | Float64Array {
  let flat = values;
  if (values.length > 0 && Array.isArray(values[0])) {
    flat = [];
    for (const [i, row] of values.entries()) {
      if (!Array.isArray(row) || row.length !== width) {
        const got = Array.isArray(row) ? `${row.length} values` : typeFound(row);
        throw new InputError(field, `${field}[${i}] holds ${got}, expected an array of ${width} (one per row)`, i,
          Array.isArray(row) ? row.length : row);
      }
      flat.push(...(row as unknown[]));
    }
  }
  return inputKind(field) === 'int' ? integersOf(field, flat) : numbersOf(field, flat);
}
