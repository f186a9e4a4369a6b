import { GpuUnavailableError, InputError } from '../core/errors.js';
import { emptySweepCounts, type BinaryBatch, type SweepCounts } from '../core/binary.js';
import { orderKey } from '../core/order-key.js';
import { fixedPointExponent, fromFixedPoint, toFixedPoint } from '../core/weights.js';
import { getPipeline } from '../gpu/pipelines.js';
import { createSerial } from '../core/serial.js';
import { bufferSource, gpuScoped } from '../gpu/error-scope.js';
import { groupsFor, planTaskGpu, readU32, targetsToU32, type TaskGpuOptions, type TaskGpuPlan } from './task-gpu.js';
import { writeArray } from '../gpu/write-array.js';

/** The GPU threshold sweep: bin counts of positives and negatives over K thresholds, exact on the host. */
export interface SweepGpuCounter {
  readonly plan: TaskGpuPlan;
  /** Counts one validated batch (with its sample weights, if any); a batch that fails adds nothing. */
  update(batch: BinaryBatch): Promise<void>;
  /** A copy of the counts of every batch whose update resolved. */
  read(): Promise<SweepCounts>;
  /** Zeroes every count. */
  reset(): Promise<void>;
  /** Frees the GPU buffers. */
  destroy(): void;
}

/** The buffers of one kernel: `threshold_sweep`, or `threshold_sweep_weighted` (weights after the targets, 96-bit cells). */
interface Kernel {
  weighted: boolean;
  plan: TaskGpuPlan;
  pipeline: GPUComputePipeline;
  counts: GPUBuffer;
  countsRead: GPUBuffer;
  countsBytes: number;
  capacity: number;
  scores?: GPUBuffer;
  targets?: GPUBuffer;
  group?: GPUBindGroup;
  scratch: Uint32Array;
}

/**
 * Creates a {@link SweepGpuCounter} running shaders/threshold-sweep.wgsl on `device` for ascending
 * distinct float32 `thresholds` (see resolveSweepThresholds): one pass, O(log K) per row. Batches
 * with sample weights run `threshold_sweep_weighted`: exact fixed-point sums of each chunk's
 * weights, one rounding per bin and chunk (see src/core/weights.ts).
 *
 * @example
 * const counter = createSweepGpuCounter(device, resolveSweepThresholds([0.25, 0.5, 0.75]));
 * await counter.update(formatBinaryBatch({ scores, targets }));
 * const result = sweepResult(await counter.read());
 * counter.destroy();
 */
export function createSweepGpuCounter(device: GPUDevice, thresholds: Float32Array, options: TaskGpuOptions = {}): SweepGpuCounter {
  const k = thresholds.length;
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ label: `confmat sweep ${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const kernel = (weighted: boolean): Kernel => {
    const tag = weighted ? ' (weighted)' : '';
    const countsBytes = (weighted ? 3 : 1) * 2 * (k + 1) * 4;
    const plan = planTaskGpu(device.limits, weighted ? 12 : 4, options, `${k} thresholds${weighted ? ' with sample weights' : ''}`);
    const pipeline = getPipeline(device, weighted ? 'threshold_sweep_weighted' : 'threshold_sweep', { NUM_THRESHOLDS: k, WORKGROUP_SIZE: plan.workgroupSize });
    const counts = buffer(`counts${tag}`, countsBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    const countsRead = buffer(`counts readback${tag}`, countsBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    return { weighted, plan, pipeline, counts, countsRead, countsBytes, capacity: 0, scratch: new Uint32Array(0) };
  };
  const plain = kernel(false);
  let weightedKernel: Kernel | undefined;
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const keys = buffer('thresholds', k * 4, STORAGE_IN);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));

  const fit = (kn: Kernel, rows: number): void => {
    if (rows <= kn.capacity) return;
    for (const b of [kn.scores, kn.targets]) {
      if (!b) continue;
      b.destroy();
      buffers.splice(buffers.indexOf(b), 1);
    }
    const cap = Math.min(kn.plan.chunkRows, Math.max(256, 2 ** Math.ceil(Math.log2(rows))));
    const words = cap * (kn.weighted ? 3 : 1);
    kn.capacity = cap;
    kn.scores = buffer(`scores${kn.weighted ? ' (weighted)' : ''}`, cap * 4, STORAGE_IN);
    kn.targets = buffer(`targets${kn.weighted ? ' and weights' : ''}`, words * 4, STORAGE_IN);
    kn.scratch = new Uint32Array(words);
    kn.group = device.createBindGroup({
      label: `confmat sweep${kn.weighted ? ' (weighted)' : ''}`,
      layout: kn.pipeline.getBindGroupLayout(0),
      entries: [params, kn.scores, kn.targets, keys, kn.counts].map((b, binding) => ({ binding, resource: { buffer: b } })),
    });
  };

  let host = emptySweepCounts(thresholds);
  let destroyed = false;
  const serial = createSerial();

  const updateChunks = async (batch: BinaryBatch): Promise<void> => {
    if (destroyed) throw new GpuUnavailableError('this GPU threshold sweep was destroyed');
    const { weights } = batch;
    if (weights && !weightedKernel) {
      const bytes = 6 * (k + 1) * 4;
      const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      if (bytes > maxBinding) throw new InputError('weights', `sample weights with ${k} thresholds need ${bytes} bytes of GPU cells, the device allows ${maxBinding}: use fewer thresholds or count on the CPU (--backend cpu)`, undefined, bytes);
      weightedKernel = kernel(true);
    }
    const kn = weights ? weightedKernel! : plain;
    const partial = emptySweepCounts(thresholds);
    const rows = batch.scores.length;
    for (let start = 0; start < rows; start += kn.plan.chunkRows) {
      const n = Math.min(kn.plan.chunkRows, rows - start);
      fit(kn, n);
      writeArray(device.queue, kn.scores!, 0, batch.scores, start, n);
      targetsToU32(batch.targets, start, n, kn.scratch);
      const exponent = weights ? fixedPointExponent(weights.subarray(start, start + n)) : 0;
      if (weights) toFixedPoint(weights, start, n, exponent, kn.scratch.subarray(n));
      device.queue.writeBuffer(kn.targets!, 0, bufferSource(kn.scratch), 0, n * (weights ? 3 : 1));
      device.queue.writeBuffer(params, 0, Uint32Array.of(n, 0, 0, 0));
      const encoder = device.createCommandEncoder({ label: 'confmat sweep chunk' });
      const pass = encoder.beginComputePass({ label: 'confmat sweep chunk' });
      pass.setPipeline(kn.pipeline);
      pass.setBindGroup(0, kn.group!);
      pass.dispatchWorkgroups(groupsFor(kn.plan, n));
      pass.end();
      encoder.copyBufferToBuffer(kn.counts, 0, kn.countsRead, 0, kn.countsBytes);
      encoder.clearBuffer(kn.counts);
      device.queue.submit([encoder.finish()]);
      const c = await readU32(kn.countsRead, kn.countsBytes);
      for (let b = 0; b <= k; b++) {
        if (!weights) {
          partial.pos[b]! += c[b]!;
          partial.neg[b]! += c[k + 1 + b]!;
          continue;
        }
        for (const [into, cell] of [[partial.pos, b], [partial.neg, k + 1 + b]] as const) {
          const w = 3 * cell;
          if (c[w] !== 0 || c[w + 1] !== 0 || c[w + 2] !== 0) into[b]! += fromFixedPoint(c[w]!, c[w + 1]!, c[w + 2]!, exponent);
        }
      }
    }
    for (let b = 0; b <= k; b++) {
      host.pos[b]! += partial.pos[b]!;
      host.neg[b]! += partial.neg[b]!;
    }
    if (weights) host.weighted = true;
  };

  return {
    plan: plain.plan,
    update: (batch) => serial(() => gpuScoped(device, 'the threshold sweep', () => updateChunks(batch))),
    read: () => serial(async () => ({ thresholds, pos: host.pos.slice(), neg: host.neg.slice(), ...(host.weighted ? { weighted: true } : {}) })),
    reset: () =>
      serial(async () => {
        host = emptySweepCounts(thresholds);
      }),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      for (const b of buffers) b.destroy();
    },
  };
}
