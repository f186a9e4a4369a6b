import { InputError } from '../core/errors.js';
import type { LabelArray } from '../core/types.js';
import { accepted, inputKind, integersOf, typeFound } from './input-kinds.js';

/** What confmat reads of a TensorFlow.js tensor (found by its shape: confmat does not import TensorFlow.js). */
export interface TfTensorLike {
  shape: number[];
  dtype: string;
  isDisposed?: boolean;
  data(): Promise<ArrayLike<unknown>>;
  dataSync(): ArrayLike<unknown>;
  dataToGPU?(): { buffer?: unknown; tensorRef?: { dispose(): void } };
}

/** What confmat reads of an onnxruntime tensor (`onnxruntime-web`, `onnxruntime-node`). */
export interface OrtTensorLike {
  dims: readonly number[];
  type: string;
  location?: string;
  readonly data?: unknown;
  readonly gpuBuffer?: unknown;
  getData?(): Promise<unknown>;
}

/** A framework's tensor, its shape and dtype read once, with the name a message gives it. */
export interface TensorInput {
  framework: 'TensorFlow.js' | 'onnxruntime';
  shape: readonly number[];
  dtype: string;
  /** Its data on the host (reads a GPU tensor back). */
  read(): Promise<ArrayLike<unknown>>;
}

/**
 * True for a TensorFlow.js tensor: `dataSync`, `data`, a `shape` array and a `dtype`.
 *
 * @example
 * isTfTensor(tf.tensor1d([0, 1], 'int32')); // true
 */
export function isTfTensor(x: unknown): x is TfTensorLike {
  const t = x as TfTensorLike | null;
  return typeof t === 'object' && t !== null && typeof t.dataSync === 'function' && typeof t.data === 'function' &&
    Array.isArray(t.shape) && typeof t.dtype === 'string';
}

/**
 * True for an onnxruntime tensor: a `dims` array and a `type` string (`location` says where its data lives).
 *
 * @example
 * isOrtTensor(new ort.Tensor('float32', new Float32Array(6), [2, 3])); // true
 */
export function isOrtTensor(x: unknown): x is OrtTensorLike {
  const t = x as OrtTensorLike | null;
  return typeof t === 'object' && t !== null && !ArrayBuffer.isView(t) && Array.isArray(t.dims) &&
    typeof t.type === 'string';
}

/** A framework tensor as a {@link TensorInput}; a disposed one is an {@link InputError} on `field`. */
export function tensorInput(field: string, t: TfTensorLike | OrtTensorLike): TensorInput {
  if (isTfTensor(t)) {
    if (t.isDisposed) throw new InputError(field, `${field} is a TensorFlow.js tensor that was disposed`);
    return { framework: 'TensorFlow.js', shape: [...t.shape], dtype: t.dtype, read: () => t.data() };
  }
  if (t.location === 'none') throw new InputError(field, `${field} is an onnxruntime tensor that was disposed`);
  const onHost = t.location === undefined || t.location === 'cpu' || t.location === 'cpu-pinned';
  const read = async (): Promise<ArrayLike<unknown>> => {
    const data = onHost ? t.data : await t.getData?.();
    if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
      throw new InputError(field, `${field} is an onnxruntime tensor whose data (at '${t.location}') cannot be read`);
    }
    return data as unknown as ArrayLike<unknown>;
  };
  return { framework: 'onnxruntime', shape: [...t.dims], dtype: t.type, read };
}

const INT_DTYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/**
 * Whether `field` takes a tensor of `dtype`: class indices integer or float32 (targets bool), scores float32, float16
 * or int32, weights float32, float64 or int32.
 */
function dtypeFits(field: string, dtype: string): boolean {
  const kind = inputKind(field);
  if (kind === 'int') return INT_DTYPES.has(dtype) || dtype === 'float32' || (dtype === 'bool' && field === 'targets');
  return dtype === 'float32' || dtype === 'int32' || (kind === 'weights' ? dtype === 'float64' : dtype === 'float16');
}

/**
 * Checks a tensor's dtype and shape for `field` (`width` items per row: [N] or [N, 1] for 1, else [N, width]) and
 * returns its rows N; an {@link InputError} names the field, what was found and what is accepted.
 *
 * @example
 * tensorRows('logits', { framework: 'onnxruntime', shape: [4, 3], dtype: 'float32', read }, 3); // 4
 */
export function tensorRows(field: string, t: TensorInput, width: number): number {
  const what = `${field} is a${t.dtype.startsWith('int') ? 'n' : ''} ${t.dtype} ${t.framework} tensor`;
  if (!dtypeFits(field, t.dtype)) {
    const hint = t.dtype === 'float64' || t.dtype === 'float16' ? ' (cast it to float32)' : '';
    throw new InputError(field, `${what}${hint}: ${field} must be ${accepted(field, true)}`, undefined, t.dtype);
  }
  const s = t.shape;
  const ok = width === 1 ? s.length === 1 || (s.length === 2 && s[1] === 1) : s.length === 2 && s[1] === width;
  if (!ok) {
    const expected = width === 1 ? '[N] or [N, 1]' : `[N, ${width}]`;
    throw new InputError(field, `${what} of shape [${s.join(', ')}], expected ${expected}`, undefined, [...s]);
  }
  return s[0]!;
}

/**
 * The 16-bit patterns of a float16 tensor's data: onnxruntime holds them in a Uint16Array, or a Float16Array where
 * one exists (read by its bits); other data is an {@link InputError} on `field`.
 */
function halfBits(field: string, t: TensorInput, data: unknown): Uint16Array {
  if (data instanceof Uint16Array) return data;
  if (ArrayBuffer.isView(data) && (data as Partial<Uint16Array>).BYTES_PER_ELEMENT === 2) {
    return new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  }
  throw new InputError(field,
    `${field} is a float16 ${t.framework} tensor whose data is a ${typeFound(data)}, ` +
      'not 16-bit patterns (a Uint16Array or a Float16Array)');
}

/**
 * A tensor's host data as the typed array its field takes: class indices as integers (a float32 one checked to hold
 * integers, naming the index and value of one that does not), scores as a Float32Array, or a float16 tensor's scores
 * as their 16-bit patterns in a Uint16Array.
 *
 * @example
 * await tensorData('labels', tensorInput('labels', tf.tensor1d([0, 2], 'float32'))); // Int32Array [0, 2]
 */
export async function tensorData(field: string,
  t: TensorInput): Promise<LabelArray | Float32Array | Float64Array | Uint16Array> {
  const data = await t.read();
  const kind = inputKind(field);
  if (kind === 'int') {
    if (data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data)) {
      return integersOf(field, data);
    }
    return data as LabelArray;
  }
  if (t.dtype === 'float16') return halfBits(field, t, data);
  if (data instanceof Float32Array || (kind === 'weights' && data instanceof Float64Array)) return data;
  return Float32Array.from(data as ArrayLike<number>);
}
