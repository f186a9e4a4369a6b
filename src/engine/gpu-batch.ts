import { InputError } from '../core/errors.js';
import type { Batch, FormattedGpuBatch, GpuBatch } from '../core/types.js';
import { checkClassIndices, formatHostBatch, isLabelArray, logitsFormat } from '../format/validate.js';

/**
 * True for a WebGPU buffer (checked by shape: Node has no global `GPUBuffer` class).
 *
 * @example
 * isGpuBuffer(device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE })); // true
 * isGpuBuffer(new Float32Array(4)); // false
 */
export function isGpuBuffer(x: unknown): x is GPUBuffer {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) &&
    typeof (x as GPUBuffer).mapAsync === 'function' && typeof (x as GPUBuffer).size === 'number' &&
    typeof (x as GPUBuffer).usage === 'number';
}

/** True when any input of the batch (of any task) is a GPU buffer. */
export function hasGpuInputs(batch: object): boolean {
  return Object.values(batch).some(isGpuBuffer);
}

const probeLayouts = new WeakMap<GPUDevice, GPUBindGroupLayout>();
const ownBuffers = new WeakMap<GPUDevice, WeakSet<GPUBuffer>>();

/**
 * Whether each buffer was made on `device`: binding its first 4 bytes (usage and size are checked already) fails
 * validation only otherwise, inside a scope of its own, so the device stays usable. Each buffer is probed once.
 */
export async function onDevice(device: GPUDevice, buffers: GPUBuffer[]): Promise<boolean[]> {
  let own = ownBuffers.get(device);
  if (!own) ownBuffers.set(device, own = new WeakSet());
  let layout = probeLayouts.get(device);
  const errors = buffers.map((buffer) => {
    if (buffer.size < 4 || own.has(buffer)) return null;
    layout ??= device.createBindGroupLayout({ label: 'confmat device probe',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } }] });
    probeLayouts.set(device, layout);
    device.pushErrorScope('validation');
    device.createBindGroup({ label: 'confmat device probe', layout,
      entries: [{ binding: 0, resource: { buffer, offset: 0, size: 4 } }] });
    return device.popErrorScope();
  });
  return (await Promise.all(errors)).map((error, i) => {
    if (!error) own.add(buffers[i]!);
    return !error;
  });
}

/**
 * Refuses, with an InputError on its field, a GPU buffer of `batch` made on another device than `device` (probed by
 * {@link onDevice}), so the device and the matrix stay usable.
 */
export async function checkBufferDevice(device: GPUDevice, batch: object): Promise<void> {
  const fresh = Object.entries(batch).filter((e): e is [string, GPUBuffer] => isGpuBuffer(e[1]));
  const ours = await onDevice(device, fresh.map(([, buffer]) => buffer));
  const i = ours.indexOf(false);
  if (i < 0) return;
  const [field, buffer] = fresh[i]!;
  throw new InputError(field,
    `the ${field} buffer '${buffer.label}' belongs to another GPUDevice than this matrix's: this batch was not ` +
      'counted; earlier batches are kept');
}

/**
 * Rows of `width` items a buffer holds: 4-byte items, or 2-byte halves (`half`) packed two per 4 bytes, the last word
 * padded.
 */
function rowsIn(field: string, b: GPUBuffer, width: number, rows: number | undefined, half = false): number {
  if (!(b.usage & GPUBufferUsage.STORAGE)) {
    throw new InputError(field,
      `the ${field} buffer '${b.label}' lacks GPUBufferUsage.STORAGE, which binding it in place needs`);
  }
  const fit = Math.floor(((half ? 2 : 1) * Math.floor(b.size / 4)) / width);
  if (rows !== undefined && rows > fit) {
    const need = half ?
      `${rows} rows x ${width} halves x 2 bytes, padded to a multiple of 4 = ${
        Math.ceil((rows * width) / 2) * 4
      } bytes` :
      `${rows} rows x ${width * 4} bytes`;
    throw new InputError(field, `the ${field} buffer '${b.label}' holds ${b.size} bytes, fewer than ${need}`, undefined,
      b.size);
  }
  return fit;
}

/**
 * The rows of a batch with GPU buffers among its `inputs` ([field, array or buffer, items per row, 16-bit halves]):
 * `rows` when given, else what the first host array holds, else what the buffers hold (they must agree); every buffer
 * must be bindable as storage and hold the rows.
 *
 * @example
 * gpuRows([['targets', targetBuffer, 5], ['scores', scores, 5]], undefined); // scores.length / 5
 */
export function gpuRows(inputs: [string, unknown, number, boolean?][], rows: number | undefined): number {
  if (rows !== undefined && (!Number.isSafeInteger(rows) || rows < 0 || rows > 0xffffffff)) {
    throw new InputError('rows', `rows must be an integer in [0, 2^32), got ${rows}`, undefined, rows);
  }
  const host = inputs.find(([, x]) => !isGpuBuffer(x));
  if (host && rows === undefined) rows = Math.floor((host[1] as ArrayLike<unknown>).length / host[2]);
  if (rows === undefined) {
    const fits = inputs.map(([f, x, w, half]) => rowsIn(f, x as GPUBuffer, w, undefined, half));
    const i = fits.findIndex((fit) => fit !== fits[0]);
    if (i > 0) {
      const [[first, , width], [other]] = [inputs[0]!, inputs[i]!];
      throw new InputError('rows',
        `the buffers hold ${fits[0]} ${width === 1 ? '' : 'rows of '}${first} but ${fits[i]} rows of ${
          other === 'preds' ? 'predictions' : other
        }: pass rows`);
    }
    rows = fits[0]!;
  }
  for (const [f, x, w, half] of inputs) if (isGpuBuffer(x)) rowsIn(f, x, w, rows, half);
  return rows;
}

function checkHost(field: string, x: unknown, width: number, rows: number, numClasses: number): void {
  if (field === 'logits') {
    if (!(x instanceof Float32Array || x instanceof Uint16Array)) {
      throw new InputError(field,
        `logits must be a Float32Array, a Uint16Array of float16/bfloat16 bits (with logitsDtype) or a GPUBuffer, got ${
          (x as object)?.constructor?.name ?? typeof x
        }`);
    }
  } else if (!isLabelArray(x)) {
    throw new InputError(field,
      `${field} must be an integer typed array or a GPUBuffer, got ${(x as object)?.constructor?.name ?? typeof x}`);
  }
  if (x.length !== rows * width) {
    throw new InputError(field, `${field} hold ${x.length} values, expected ${rows * width} for ${rows} rows`,
      undefined, x.length);
  }
  if (field !== 'logits') checkClassIndices(field as 'labels' | 'preds', x, numClasses);
}

/**
 * Validates a batch that may hold GPU buffers: sizes agree and buffers can be bound as storage.
 * Host arrays are checked as {@link formatHostBatch} checks them; class indices in buffers are checked on the GPU.
 * 16-bit logits (`logitsDtype` 'float16' or 'bfloat16': a Uint16Array, or a buffer of halves packed
 * two per 4 bytes) stay as they are: the GPU reads them without a conversion.
 */
export function formatGpuBatch(batch: GpuBatch, numClasses: number): FormattedGpuBatch {
  if (!hasGpuInputs(batch)) return formatHostBatch(batch as Batch, numClasses);
  const { logits, labels, preds } = batch;
  if ((logits === undefined) === (preds === undefined)) {
    throw new InputError('batch', 'a batch needs exactly one of logits or preds');
  }
  const half = logits === undefined ? undefined : logitsFormat(logits, batch.logitsDtype, true);
  const inputs: [string, Float32Array | Uint16Array | GPUBuffer | Batch['labels'], number][] = [['labels', labels, 1],
    logits === undefined ? ['preds', preds!, 1] : ['logits', logits, numClasses]];
  const rows = gpuRows(inputs.map(([f, x, w]) => [f, x, w, f === 'logits' && half !== undefined]), batch.rows);
  for (const [field, x, width] of inputs) if (!isGpuBuffer(x)) checkHost(field, x, width, rows, numClasses);
  return { rows, numClasses, labels,
    ...(logits === undefined ? { preds: preds! } : { logits, ...(half ? { logitsDtype: half } : {}) }) };
}
