import { InputError } from '../core/errors.js';
import type { LabelArray, SampleWeights } from '../core/types.js';
import { copyClassIndices } from '../format/class-indices.js';
import { fixedPointExponent, fromFixedPoint, toFixedPoint } from '../format/weights.js';
import type { TaskCounter } from './accumulator.js';
import type { ChunkRunner } from './chunk-runner.js';
import { bufferSource } from './error-scope.js';
import { isGpuBuffer } from './gpu-batch.js';
import { writeArray } from './write-array.js';

/** Knobs of the GPU counters; defaults come from the device's limits. */
export interface TaskGpuOptions {
  /** Rows per uploaded chunk. Default: about 32 MiB of scores, within the device's binding limits. */
  chunkRows?: number;
  /** Invocations per workgroup. Default: min(256, the device's limits). */
  workgroupSize?: number;
  /** Cap on workgroups per dispatch (a grid-stride loop covers the rest). Default: the device's limit. */
  maxWorkgroups?: number;
}

/** Chunk and dispatch sizes for one device and row width: every knob resolved. */
export type TaskGpuPlan = Required<TaskGpuOptions>;

/** A task's GPU counter: the engine's counter with the chunk plan it runs. */
export interface TaskGpuCounter<B, C> extends TaskCounter<B, C> {
  readonly plan: TaskGpuPlan;
}

const U32_MAX = 0xffffffff;

/** `v` when it is a safe integer >= 1, undefined when absent; an InputError on `name` otherwise. */
export function positiveInt(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (Number.isSafeInteger(v) && v >= 1) return v;
  throw new InputError(name, `${name} must be an integer >= 1, got ${v}`, undefined, v);
}

const maxBinding = (limits: GPUSupportedLimits): number =>
  Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);

/** Refuses (an InputError on `field`) `bytes` of GPU storage for `what` that one binding cannot hold. */
export function checkBinding(limits: GPUSupportedLimits, bytes: number, field: string, what: string): void {
  const max = maxBinding(limits);
  if (bytes <= max) return;
  const why = `${what} need ${bytes} bytes of GPU storage, the device allows ${max}`;
  throw new InputError(field, `${why}: count on the CPU instead (--backend cpu)`, undefined, bytes);
}

/**
 * Sizes chunks of about `chunkBytes` so that `rowBytes` per row (the largest per-row buffer), after
 * `fixedBytes` in the same buffer, fit the device's bindings; a row too large is an InputError on
 * `field` (the task's count: numLabels, numClasses, thresholds).
 */
export function planTaskGpu(limits: GPUSupportedLimits, rowBytes: number, options: TaskGpuOptions, what: string,
  fixedBytes = 0, field = 'numLabels', chunkBytes = 32 * 1024 * 1024): TaskGpuPlan {
  checkBinding(limits, fixedBytes + rowBytes, field, `${what}: the cells and one row`);
  const fitRows = Math.floor((maxBinding(limits) - fixedBytes) / rowBytes);
  const wanted = positiveInt('chunkRows', options.chunkRows) ?? Math.max(1, Math.floor(chunkBytes / rowBytes));
  const chunkRows = Math.min(wanted, fitRows, U32_MAX);
  const invocations = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const workgroupSize = Math.min(positiveInt('workgroupSize', options.workgroupSize) ?? 256, invocations);
  const maxWorkgroups = positiveInt('maxWorkgroups', options.maxWorkgroups) ?? U32_MAX;
  return { chunkRows, workgroupSize, maxWorkgroups: Math.min(maxWorkgroups, limits.maxComputeWorkgroupsPerDimension) };
}

/**
 * Uploads rows [start, start + rows) of `width` targets (0/1 or class indices) per row as u32 into
 * `target`, then with `weights` each row's weight as a fixed-point (lo, hi) pair; returns the
 * exponent of the chunk's weights (undefined without).
 */
function writeTargets(runner: ChunkRunner, target: GPUBuffer, a: LabelArray, width: number, start: number, rows: number,
  weights?: SampleWeights): number | undefined {
  const words = rows * width;
  const direct = !weights && (a instanceof Uint32Array || a instanceof Int32Array);
  if (direct) return void writeArray(runner.device.queue, target, 0, a, start * width, words);
  const out = runner.scratch(words + (weights ? 2 * rows : 0));
  copyClassIndices(a, start * width, words, out);
  const exponent = weights && fixedPointExponent(weights.subarray(start, start + rows));
  if (weights) toFixedPoint(weights, start, rows, exponent!, out.subarray(words));
  runner.device.queue.writeBuffer(target, 0, bufferSource(out), 0, words + (weights ? 2 * rows : 0));
  return exponent;
}

/** Resident chunks start at multiples of this many rows (twice for 16-bit halves): 256-byte aligned binding offsets. */
const ALIGN_ROWS = 64;

/**
 * Rows per chunk: `chunkRows`, rounded down to whole alignments when an input is `resident` (bound in place at each
 * chunk's offset); an InputError when it cannot be and the batch needs more than one chunk.
 */
export function chunkStep(chunkRows: number, rows: number, resident: boolean, half = false): number {
  const align = half ? 2 * ALIGN_ROWS : ALIGN_ROWS;
  if (!resident || rows <= chunkRows) return chunkRows;
  if (chunkRows >= align) return chunkRows - (chunkRows % align);
  throw new InputError('chunkRows',
    `GPU-resident inputs need chunkRows >= ${align} (binding offsets must be 256-byte aligned), got ${chunkRows}`,
    undefined, chunkRows);
}

/**
 * Rows [start, start + rows) of `width` items per row: a GPU buffer is bound in place at the rows' offset; a host
 * array is uploaded into the runner's buffer `name` (of `capRows` rows): f32 (or 16-bit `half`) values as they are,
 * integers as u32, with `weights` appended as writeTargets does. Returns the binding and the weights' exponent.
 */
export function placeRows(runner: ChunkRunner, input: LabelArray | Float32Array | Uint16Array | GPUBuffer, name: string,
  start: number, rows: number, width: number, capRows: number, half = false,
  weights?: SampleWeights): { binding: GPUBuffer | GPUBufferBinding; exponent?: number | undefined } {
  const bytes = half ? 2 : 4;
  if (isGpuBuffer(input)) {
    return {
      binding: { buffer: input, offset: start * width * bytes, size: Math.ceil((rows * width * bytes) / 4) * 4 },
    };
  }
  const target = runner.grow(name, capRows * (width * bytes + (weights ? 8 : 0))).buffer;
  if (half || input instanceof Float32Array) {
    writeArray(runner.device.queue, target, 0, input as Uint16Array, start * width, rows * width);
    return { binding: target };
  }
  return { binding: target, exponent: writeTargets(runner, target, input, width, start, rows, weights) };
}

/**
 * Cell `i` of read-back counts: word `i`, or with `exponent` the 96-bit fixed-point cell in words
 * 3i..3i+2 (shaders/common/weighted-add.wgsl) divided by 2^exponent.
 */
export function countAt(words: Uint32Array, i: number, exponent?: number): number {
  if (exponent === undefined) return words[i]!;
  const [w0, w1, w2] = words.subarray(3 * i, 3 * i + 3) as unknown as [number, number, number];
  return w0 === 0 && w1 === 0 && w2 === 0 ? 0 : fromFixedPoint(w0, w1, w2, exponent);
}

/**
 * The refusal of a chunk in which the GPU found `bad` class indices of `field` outside [0, numClasses), the first at
 * the row whose bitwise NOT is `firstBits`; `values` names the value when it is a host array.
 */
export function indexOutOfRange(field: 'labels' | 'preds', bad: number, firstBits: number, numClasses: number,
  values: LabelArray | GPUBuffer | undefined): InputError {
  const row = ~firstBits >>> 0;
  const value = values === undefined || isGpuBuffer(values) ? undefined : values[row];
  const what = field === 'labels' ? 'label' : 'predicted class';
  return new InputError(field,
    `index ${row}: ${what}${
      value === undefined ? '' : ` ${String(value)}`
    } is outside [0, ${numClasses}) (${bad} such rows in this chunk, found on the GPU)`, row, value);
}

/** Word `index` of a GPU input, read back to name an offending value; undefined when the buffer lacks COPY_SRC. */
export async function valueAt(runner: ChunkRunner, input: GPUBuffer, index: number): Promise<number | undefined> {
  if (!(input.usage & GPUBufferUsage.COPY_SRC)) return undefined;
  const probe = runner.grow('bad value probe', 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST).buffer;
  const encoder = runner.device.createCommandEncoder({ label: 'confmat bad value probe' });
  encoder.copyBufferToBuffer(input, index * 4, probe, 0, 4);
  runner.device.queue.submit([encoder.finish()]);
  await probe.mapAsync(GPUMapMode.READ);
  const value = new Uint32Array(probe.getMappedRange())[0];
  probe.unmap();
  return value;
}
