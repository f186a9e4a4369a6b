import { InputError } from '../core/errors.js';
import { widenHalves } from '../format/half.js';
import { accepted, inputKind, plainArrayOf, typeFound } from '../format/input-kinds.js';
import { isOrtTensor, isTfTensor, type OrtTensorLike, tensorData, tensorInput, tensorRows,
  type TfTensorLike } from '../format/tensors.js';
import { isGpuBuffer, onDevice } from './gpu-batch.js';

/** Which fields of a task's batch may be framework tensors or plain arrays, and how they may be counted. */
export interface TensorFields {
  /** Items per row of each such field: 1 for labels, C for logits, L for multilabel scores. */
  widths: Readonly<Record<string, number>>;
  /** Whether a tensor on the matrix's device may be counted in place (the task takes GPU buffers then). */
  inPlace: boolean;
  /**
   * Whether the task counts 16-bit logits as they are (`logitsDtype`, `logitsDtypeB`): a float16 tensor's logits stay
   * 16-bit patterns (in place on the device too); without, they are widened to float32 on the host.
   */
  halves?: boolean;
}

/**
 * The tensor fields of a batch of class indices: `logits` (C per row), `labels`, `preds`; `pair` adds model B's
 * (`logitsB`, `predsB`).
 *
 * @example
 * classFields(10, true); // { widths: { logits: 10, labels: 1, preds: 1 }, inPlace: true }
 */
export function classFields(numClasses: number, inPlace: boolean, pair = false): TensorFields {
  const widths: Record<string, number> = { logits: numClasses, labels: 1, preds: 1 };
  if (pair) Object.assign(widths, { logitsB: numClasses, predsB: 1 });
  return { widths, inPlace };
}

/** A batch whose tensors and plain arrays became typed arrays or GPU buffers; `release` frees what was made. */
export interface ResolvedInputs {
  batch: unknown;
  release(): void;
}

/**
 * The buffer of a tensor on the GPU (tfjs `dataToGPU()`, onnxruntime `gpuBuffer`), when it can be bound as is
 * (`half`: float16 logits can).
 */
function gpuSide(field: string, t: TfTensorLike | OrtTensorLike, dtype: string, half: boolean): { buffer: GPUBuffer;
  dispose(): void } | undefined {
  const fits = inputKind(field) === 'int' ? dtype === 'int32' || dtype === 'uint32' : dtype === 'float32' || half;
  if (!fits || inputKind(field) === 'weights') return undefined;
  if (isTfTensor(t)) {
    if (typeof t.dataToGPU !== 'function') return undefined;
    let g: ReturnType<NonNullable<TfTensorLike['dataToGPU']>>;
    try {
      g = t.dataToGPU();
    } catch {
      return undefined;
    }
    const dispose = () => g.tensorRef?.dispose();
    if (isGpuBuffer(g.buffer)) return { buffer: g.buffer, dispose };
    dispose();
    return undefined;
  }
  if (t.location !== 'gpu-buffer' || !isGpuBuffer(t.gpuBuffer)) return undefined;
  return { buffer: t.gpuBuffer, dispose: () => undefined };
}

/**
 * Whether a float16 tensor in `field` is counted as 16-bit logits: a logits field whose `logitsDtype` (`logitsDtypeB`)
 * is unset or 'float16', another an {@link InputError} on it.
 */
function halfField(field: string, batch: object): boolean {
  if (!field.startsWith('logits')) return false;
  const key = field.replace('logits', 'logitsDtype');
  const given = (batch as Record<string, unknown>)[key];
  if (given === undefined || given === 'float16') return true;
  throw new InputError(key,
    `${field} is a float16 onnxruntime tensor: ${key} must be 'float16' or left out, got ${
      JSON.stringify(given) ?? String(given)
    }`, undefined, given);
}

/**
 * Turns the framework tensors (TensorFlow.js, onnxruntime) and plain number arrays of a batch into what the task's
 * format takes: a tensor whose data lies on `device` (in `fields.inPlace` tasks) becomes its GPU buffer, counted in
 * place, with `rows` from its shape; any other its host data; a plain array a typed array, every item checked. Shapes
 * and dtypes are checked against the task's widths; a value of no accepted kind is an {@link InputError} naming the
 * field, what was found and what is accepted.
 */
export async function resolveInputs(batch: unknown, fields: TensorFields,
  device: GPUDevice | undefined): Promise<ResolvedInputs> {
  const releases: (() => void)[] = [];
  const release = () => releases.splice(0).forEach((r) => r());
  if (batch === null || typeof batch !== 'object') return { batch, release };
  const out: Record<string, unknown> = { ...batch };
  let rows: number | undefined;
  let first: [string, number] | undefined;
  try {
    for (const [field, x] of Object.entries(batch)) {
      const width = field === 'weights' ? 1 : fields.widths[field];
      if (width === undefined || x === undefined || ArrayBuffer.isView(x) || isGpuBuffer(x)) continue;
      if (Array.isArray(x)) {
        out[field] = plainArrayOf(field, x, width);
        continue;
      }
      if (!isTfTensor(x) && !isOrtTensor(x)) {
        throw new InputError(field, `${field} must be ${accepted(field, fields.inPlace)}, got ${typeFound(x)}`);
      }
      const t = tensorInput(field, x);
      const n = tensorRows(field, t, width);
      first ??= [field, n];
      if (n !== first[1]) {
        throw new InputError(field, `${field} holds ${n} rows, ${first[0]} ${first[1]}: they must agree`, undefined, n);
      }
      const half = t.dtype === 'float16' && fields.halves === true && halfField(field, batch);
      const gpu = device && fields.inPlace ? gpuSide(field, x, t.dtype, half) : undefined;
      if (gpu) releases.push(gpu.dispose);
      if (gpu && (await onDevice(device!, [gpu.buffer]))[0]) {
        out[field] = gpu.buffer;
        rows = n;
      } else {
        const data = await tensorData(field, t);
        out[field] = data instanceof Uint16Array && t.dtype === 'float16' && !half ?
          widenHalves(data, 'float16') :
          data;
      }
      if (half) out[`${field.replace('logits', 'logitsDtype')}`] = 'float16';
    }
  } catch (e) {
    release();
    throw e;
  }
  if (rows !== undefined && out.rows === undefined) out.rows = rows;
  const same = Object.keys(out).every((k) => out[k] === (batch as Record<string, unknown>)[k]);
  return { batch: same ? batch : out, release };
}
