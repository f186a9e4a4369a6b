/**
 * Counts one input on the GPU (when there is a device) and on the CPU, timing both.
 *
 * @module
 */
import type { Batch, ConfusionMatrixResult, GpuBatch, LabelArray } from '../src/core/types.js';
import { createConfusionMatrix } from '../src/tasks/multiclass/matrix.js';
import type { Predictions } from './inputs.js';
import { streamCount, type StreamedLogits, type StreamedNpy, type StreamOptions } from './stream-npy.js';

/** One backend's result and how long `update()` + `compute()` took, in milliseconds. */
export interface Timed {
  result: ConfusionMatrixResult;
  ms: number;
}

/** The runs of one input: the GPU's (absent without a device), and with the check the resident run and the CPU's. */
export interface Evaluation {
  numClasses: number;
  gpu: Timed | undefined;
  /** The GPU again with the inputs already in GPU buffers (zero-copy `update()`): no upload timed. */
  resident: Timed | undefined;
  /** The CPU's run: always without a device, else only with the check. */
  cpu: Timed | undefined;
  /** The result shown: the GPU's when there is one. */
  result: ConfusionMatrixResult;
  /** True when every GPU run's counts equal the CPU's cell for cell (true when nothing was compared). */
  equal: boolean;
}

function batchOf(p: Predictions, labels: LabelArray, rows?: number): Batch {
  const n = rows ?? p.rows;
  if (p.kind === 'logits') return { logits: p.logits.subarray(0, n * p.numClasses), labels: labels.subarray(0, n) };
  return { preds: p.preds.subarray(0, n), labels: labels.subarray(0, n) };
}

async function timed(numClasses: number, batch: Batch | GpuBatch, device: GPUDevice | undefined): Promise<Timed> {
  const cm = createConfusionMatrix({ numClasses, device });
  try {
    const t0 = performance.now();
    await cm.update(batch);
    const result = await cm.compute();
    return { result, ms: performance.now() - t0 };
  } finally {
    cm.destroy();
  }
}

function upload(device: GPUDevice, label: string, data: Float32Array | Int32Array): GPUBuffer {
  const buffer = device.createBuffer({ label, size: Math.max(4, data.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, mappedAtCreation: true });
  new (data.constructor as Float32ArrayConstructor | Int32ArrayConstructor)(buffer.getMappedRange()).set(data);
  buffer.unmap();
  return buffer;
}

/** The same input counted from GPU buffers uploaded beforehand; undefined when a buffer would exceed the device's limit. */
async function residentRun(p: Predictions, labels: LabelArray, numClasses: number,
  device: GPUDevice): Promise<Timed | undefined> {
  const values = p.kind === 'logits' ? p.logits : Int32Array.from(p.preds as ArrayLike<number>, Number);
  if (values.byteLength > device.limits.maxBufferSize || p.rows === 0) return undefined;
  const buffers = [upload(device, `demo ${p.kind}`, values),
    upload(device, 'demo labels', Int32Array.from(labels as ArrayLike<number>, Number))] as const;
  try {
    const [input, labelBuffer] = buffers;
    const batch: GpuBatch = p.kind === 'logits' ?
      { logits: input, labels: labelBuffer, rows: p.rows } :
      { preds: input, labels: labelBuffer, rows: p.rows };
    return await timed(numClasses, batch, device);
  } finally {
    for (const b of buffers) b.destroy();
  }
}

const sameCounts = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Counts `p` against `labels` on `device` (after a one-row warm-up that compiles the pipelines, so the timing is of
 * counting, not of shader compilation), or on the CPU without a device. With `check` (and a device), counts it again
 * from GPU buffers filled beforehand (what a page whose model runs on WebGPU would pass) and on the CPU, and compares.
 *
 * @example
 * const ev = await evaluate(preds, labels, 10, gpu?.device, true);
 * console.log(ev.gpu?.ms, ev.cpu?.ms, ev.equal);
 */
export async function evaluate(p: Predictions, labels: LabelArray, numClasses: number, device: GPUDevice | undefined,
  check = false): Promise<Evaluation> {
  const full = batchOf(p, labels);
  let gpu: Timed | undefined;
  let resident: Timed | undefined;
  if (device) {
    if (p.rows > 0) await timed(numClasses, batchOf(p, labels, 1), device);
    gpu = await timed(numClasses, full, device);
    if (check) resident = await residentRun(p, labels, numClasses, device);
  }
  const cpu = !device || check ? await timed(numClasses, full, undefined) : undefined;
  const equal = !cpu || [gpu, resident].every((t) => !t || sameCounts(t.result.counts, cpu.result.counts));
  return { numClasses, gpu, resident, cpu, result: (gpu ?? cpu)!.result, equal };
}

/**
 * Counts streamed logits against `labels` chunk by chunk (see `streamCount`): on `device`, and with `check` on the
 * CPU too in the same pass over the files; without a device on the CPU. Times are of `update()` + `compute()` only.
 *
 * @example
 * const ev = await evaluateStream(p, labels, 'y.npy', 10, undefined, false, { signal, onProgress });
 */
export async function evaluateStream(p: StreamedLogits, labels: LabelArray | StreamedNpy, labelsFile: string,
  numClasses: number, device: GPUDevice | undefined, check: boolean,
  options: Pick<StreamOptions, 'signal' | 'onProgress' | 'chunkBytes'>): Promise<Evaluation> {
  const devices = device ? (check ? [device, undefined] : [device]) : [undefined];
  const runs = await streamCount({ logits: p, labels, labelsFile, numClasses, devices, ...options });
  const gpu = device ? runs[0] : undefined;
  const cpu = runs.find((r) => r.device === undefined);
  const equal = !gpu || !cpu || sameCounts(gpu.result.counts, cpu.result.counts);
  return { numClasses, gpu, resident: undefined, cpu, result: (gpu ?? cpu)!.result, equal };
}
