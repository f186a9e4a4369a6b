/**
 * The model page's pipeline: onnxruntime-web on its WebGPU execution provider runs the digits classifier over GPU
 * buffers, and a confusion matrix on the same device counts its logits where they lie; each phase is timed.
 *
 * @module
 */
import type * as Ort from 'onnxruntime-web';
import type { ConfusionMatrixResult } from '../src/core/types.js';
import { frameworkDevice } from '../src/engine/framework-device.js';
import { createConfusionMatrix } from '../src/tasks/multiclass/matrix.js';
import { digitRows, type Digits, FEATURES } from './model-digits.js';

type OrtModule = typeof Ort;

/** The model loaded: onnxruntime, its session, and the device its WebGPU execution provider computes on. */
export interface LoadedModel {
  ort: OrtModule;
  session: Ort.InferenceSession;
  device: GPUDevice;
  numClasses: number;
}

/** One phase of the pipeline and its wall time, summed over the batches. */
export interface Phase {
  name: string;
  ms: number;
}

/** A run over `rows` rows: the matrix, the phases, and what shows that the logits were counted in place. */
export interface ModelRun {
  result: ConfusionMatrixResult;
  phases: Phase[];
  /** Bytes the matrix wrote to the GPU while counting (its parameters only when it counts in place). */
  countUploadBytes: number;
  /** Bytes of the logits the model left on the GPU. */
  logitsBytes: number;
  /** True when every batch's logits were ort 'gpu-buffer' tensors the count bound as they were, uploading none. */
  inPlace: boolean;
  /** With the check: the CPU's matrix of the logits read back, and those logits when `keepLogits` allowed it. */
  oracle?: ConfusionMatrixResult;
  logits?: Float32Array;
}

/**
 * Imports onnxruntime-web (its WebGPU build; the .wasm from `wasmUrl`), makes a session of the ONNX model at
 * `modelUrl` on the WebGPU execution provider with its outputs left in GPU buffers, and returns ort's device
 * ({@link frameworkDevice}). Throws when ort has no WebGPU device.
 */
export async function loadModel(modelUrl: string, wasmUrl: string, numClasses: number): Promise<LoadedModel> {
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, location.href).href };
  ort.env.wasm.numThreads = 1;
  const model = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer' });
  const device = await frameworkDevice(ort);
  if (!device) throw new Error("onnxruntime-web's WebGPU execution provider has no device");
  return { ort, session, device, numClasses };
}

/** A storage buffer on `device` holding `data`. */
function upload(device: GPUDevice, label: string,
  data: Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>): GPUBuffer {
  const buffer = device.createBuffer({ label, size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Runs `fn`, counting the bytes it hands to `device.queue.writeBuffer`. */
async function bytesWritten<T>(device: GPUDevice, fn: () => Promise<T>): Promise<[T, number]> {
  const queue = device.queue;
  const original = queue.writeBuffer;
  let bytes = 0;
  queue.writeBuffer = function(this: GPUQueue, b: GPUBuffer, o: number, d: GPUAllowSharedBufferSource, d0?: number,
    n?: number) {
    const item = ArrayBuffer.isView(d) && 'BYTES_PER_ELEMENT' in d ? (d.BYTES_PER_ELEMENT as number) : 1;
    bytes += n !== undefined ? n * item : d.byteLength - (d0 ?? 0) * item;
    return original.call(this, b, o, d, d0, n);
  } as typeof original;
  try {
    return [await fn(), bytes];
  } finally {
    queue.writeBuffer = original;
  }
}

/** Phase timer: `time(name, fn)` adds fn's wall time, the device's queue drained, to the phase `name`. */
function phaseClock(device: GPUDevice, names: string[]) {
  const phases = names.map((name) => ({ name, ms: 0 }));
  const time = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    await device.queue.onSubmittedWorkDone();
    phases.find((p) => p.name === name)!.ms += performance.now() - t0;
    return out;
  };
  return { phases, time };
}

/**
 * Compiles the model's and the matrix's shaders with one row, so the timed phases are of work, not compilation.
 */
export async function warmUp(m: LoadedModel, digits: Digits): Promise<void> {
  await countRows(m, digits, 1, { batchRows: 1, check: false, keepLogits: false });
}

/** Options of {@link countRows}. */
export interface CountOptions {
  /** Rows per inference batch. */
  batchRows: number;
  /** Also read each batch's logits back and count them on the CPU (untimed): the oracle. */
  check: boolean;
  /** With the check, keep the logits read back (for the test). */
  keepLogits: boolean;
  onBatch?: (done: number) => void;
}

/**
 * Runs the model over rows 0 .. `rows` - 1 of the digit set in batches: make the batch (CPU), upload it to ort's
 * device, infer (logits stay in a GPU buffer), count the logits in place, then read the matrix back.
 */
export async function countRows(m: LoadedModel, digits: Digits, rows: number, opts: CountOptions): Promise<ModelRun> {
  const { ort, session, device, numClasses } = m;
  const { phases, time } = phaseClock(device, ['make inputs (CPU)', 'upload inputs', 'inference', 'count (in place)',
    'read back']);
  const cm = createConfusionMatrix({ numClasses, device });
  const cpu = opts.check ? createConfusionMatrix({ numClasses }) : undefined;
  const kept = opts.check && opts.keepLogits ? new Float32Array(rows * numClasses) : undefined;
  let countUploadBytes = 0;
  let inPlace = true;
  try {
    for (let start = 0; start < rows; start += opts.batchRows) {
      const n = Math.min(opts.batchRows, rows - start);
      const batch = await time('make inputs (CPU)', () => digitRows(digits, start, n));
      const [xBuffer, labelBuffer] = await time('upload inputs', () =>
        [upload(device, 'digits x', batch.x), upload(device, 'digits labels', batch.labels)] as const);
      try {
        const x = ort.Tensor.fromGpuBuffer(xBuffer, { dataType: 'float32', dims: [n, FEATURES] });
        const out = await time('inference', () => session.run({ x }));
        const logits = out.logits as Ort.Tensor;
        try {
          inPlace &&= logits.location === 'gpu-buffer';
          const [, bytes] = await time('count (in place)', () =>
            bytesWritten(device, () => cm.update({ logits, labels: labelBuffer })));
          countUploadBytes += bytes;
          if (cpu) {
            const host = (await logits.getData()) as Float32Array;
            kept?.set(host.subarray(0, n * numClasses), start * numClasses);
            await cpu.update({ logits: host.subarray(0, n * numClasses), labels: batch.labels });
          }
        } finally {
          logits.dispose();
        }
      } finally {
        xBuffer.destroy();
        labelBuffer.destroy();
      }
      opts.onBatch?.(start + n);
    }
    const result = await time('read back', () => cm.compute());
    const logitsBytes = rows * numClasses * 4;
    const run: ModelRun = { result, phases, countUploadBytes, logitsBytes,
      inPlace: inPlace && rows > 0 && countUploadBytes < logitsBytes };
    if (cpu) run.oracle = await cpu.compute();
    if (kept) run.logits = kept;
    return run;
  } finally {
    cm.destroy();
    cpu?.destroy();
  }
}
