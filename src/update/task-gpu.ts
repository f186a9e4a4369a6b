import { InputError } from '../core/errors.js';
import type { LabelArray } from '../core/types.js';

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

const CHUNK_BYTES = 32 * 1024 * 1024;

const positive = (name: string, v: number | undefined): number | undefined => {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new InputError(name, `${name} must be an integer >= 1, got ${v}`, undefined, v);
  return v;
};

/**
 * Sizes chunks so that `rowBytes` per row (the largest per-row buffer), after `fixedBytes` in the
 * same buffer, fits the device's bindings.
 *
 * @example
 * planTaskGpu(device.limits, 5 * 4, {}).chunkRows; // rows of 5 float32 scores per chunk
 */
export function planTaskGpu(limits: GPUSupportedLimits, rowBytes: number, options: TaskGpuOptions, what: string, fixedBytes = 0): TaskGpuPlan {
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) - fixedBytes;
  if (rowBytes > maxBinding) {
    throw new InputError('numLabels', `${what}: one row needs ${rowBytes} bytes of GPU storage, more than the device's ${maxBinding}; count on the CPU instead (--backend cpu)`, undefined, rowBytes);
  }
  const chunkRows = Math.min(positive('chunkRows', options.chunkRows) ?? Math.max(1, Math.floor(CHUNK_BYTES / rowBytes)), Math.floor(maxBinding / rowBytes), 0xffffffff);
  const workgroupSize = Math.min(positive('workgroupSize', options.workgroupSize) ?? 256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const maxWorkgroups = Math.min(positive('maxWorkgroups', options.maxWorkgroups) ?? 0xffffffff, limits.maxComputeWorkgroupsPerDimension);
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

/**
 * Maps `buffer` (MAP_READ), copies `bytes` out as u32 and unmaps it.
 *
 * @example
 * const counts = await readU32(readback, 64);
 */
export async function readU32(buffer: GPUBuffer, bytes: number): Promise<Uint32Array> {
  await buffer.mapAsync(GPUMapMode.READ, 0, bytes);
  const out = new Uint32Array(buffer.getMappedRange(0, bytes)).slice();
  buffer.unmap();
  return out;
}


/**
 * Grid size for `rows` rows: one invocation per row, capped at the plan's workgroups.
 *
 * @example
 * groupsFor(plan, 1000); // ceil(1000 / 256) with 256-wide workgroups
 */
export function groupsFor(plan: TaskGpuPlan, rows: number): number {
  return Math.max(1, Math.min(Math.ceil(rows / plan.workgroupSize), plan.maxWorkgroups));
}
