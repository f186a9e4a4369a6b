import { InputError } from '../core/errors.js';
import { positiveInt } from './chunk-plan.js';
import type { LabelArray } from '../core/types.js';
import type { TaskCounter } from './accumulator.js';

/** Knobs of the multilabel and sweep GPU counters; defaults come from the device's limits. */
export interface TaskGpuOptions {
  /** Rows per uploaded chunk. Default: about 32 MiB of scores, within the device's binding limits. */
  chunkRows?: number;
  /** Invocations per workgroup. Default: min(256, the device's limits). */
  workgroupSize?: number;
  /** Cap on workgroups per dispatch (a grid-stride loop covers the rest). */
  maxWorkgroups?: number;
}

/** Chunk and dispatch sizes for one device and row width. */
export interface TaskGpuPlan {
  chunkRows: number;
  workgroupSize: number;
  maxWorkgroups: number;
}

/** A task's GPU counter: the engine's counter with the chunk plan it runs. */
export interface TaskGpuCounter<B, C> extends TaskCounter<B, C> {
  readonly plan: TaskGpuPlan;
}

const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Sizes chunks so that `rowBytes` per row (the largest per-row buffer), after `fixedBytes` in the
 * same buffer, fits the device's bindings. A row too large for the device is an InputError on
 * `field` (the task's count: numLabels, numClasses, thresholds).
 *
 * @example
 * planTaskGpu(device.limits, 5 * 4, {}, '5 labels').chunkRows; // rows of 5 float32 scores per chunk
 */
export function planTaskGpu(limits: GPUSupportedLimits, rowBytes: number, options: TaskGpuOptions, what: string, fixedBytes = 0, field = 'numLabels'): TaskGpuPlan {
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) - fixedBytes;
  if (rowBytes > maxBinding) {
    throw new InputError(field, `${what}: one row needs ${rowBytes} bytes of GPU storage, more than the device's ${maxBinding}; count on the CPU instead (--backend cpu)`, undefined, rowBytes);
  }
  const chunkRows = Math.min(positiveInt('chunkRows', options.chunkRows) ?? Math.max(1, Math.floor(CHUNK_BYTES / rowBytes)), Math.floor(maxBinding / rowBytes), 0xffffffff);
  const workgroupSize = Math.min(positiveInt('workgroupSize', options.workgroupSize) ?? 256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const maxWorkgroups = Math.min(positiveInt('maxWorkgroups', options.maxWorkgroups) ?? 0xffffffff, limits.maxComputeWorkgroupsPerDimension);
  return { chunkRows, workgroupSize, maxWorkgroups };
}

/**
 * Copies `a[start .. start + rows)` of 0/1 targets into `out` as u32.
 *
 * @example
 * targetsToU32(new Uint8Array([0, 1, 1]), 1, 2, scratch); // scratch[0..2] = [1, 1]
 */
export function targetsToU32(a: LabelArray, start: number, rows: number, out: Uint32Array): Uint32Array {
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
    for (let i = 0; i < rows; i++) out[i] = Number(a[start + i]!);
  } else {
    out.set(a.subarray(start, start + rows));
  }
  return out;
}
