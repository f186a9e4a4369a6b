import { GpuUnavailableError } from '../core/errors.js';
import { emptySweepCounts, type BinaryBatch, type SweepCounts } from '../core/binary.js';
import { orderKey } from '../core/order-key.js';
import { getPipeline } from '../gpu/pipelines.js';
import { createSerial } from '../core/serial.js';
import { bufferSource, gpuScoped } from '../gpu/error-scope.js';
import { groupsFor, planTaskGpu, readU32, targetsToU32, type TaskGpuOptions, type TaskGpuPlan } from './task-gpu.js';

/** The GPU threshold sweep: bin counts of positives and negatives over K thresholds, exact on the host. */
export interface SweepGpuCounter {
  readonly plan: TaskGpuPlan;
  /** Counts one validated batch; a batch that fails adds nothing. */
  update(batch: BinaryBatch): Promise<void>;
  /** A copy of the counts of every batch whose update resolved. */
  read(): Promise<SweepCounts>;
  /** Zeroes every count. */
  reset(): Promise<void>;
  /** Frees the GPU buffers. */
  destroy(): void;
}

/**
 * Creates a {@link SweepGpuCounter} running shaders/threshold-sweep.wgsl on `device` for ascending
 * distinct float32 `thresholds` (see resolveSweepThresholds): one pass, O(log K) per row.
 *
 * @example
 * const counter = createSweepGpuCounter(device, resolveSweepThresholds([0.25, 0.5, 0.75]));
 * await counter.update(formatBinaryBatch({ scores, targets }));
 * const result = sweepResult(await counter.read());
 * counter.destroy();
 */
export function createSweepGpuCounter(device: GPUDevice, thresholds: Float32Array, options: TaskGpuOptions = {}): SweepGpuCounter {
  const k = thresholds.length;
  const plan = planTaskGpu(device.limits, 4, options, `${k} thresholds`);
  const pipeline = getPipeline(device, 'threshold_sweep', { NUM_THRESHOLDS: k, WORKGROUP_SIZE: plan.workgroupSize });
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ label: `confmat sweep ${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const keys = buffer('thresholds', k * 4, STORAGE_IN);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));
  const countsBytes = 2 * (k + 1) * 4;
  const counts = buffer('counts', countsBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  const countsRead = buffer('counts readback', countsBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  let capacity = 0;
  let scores!: GPUBuffer;
  let targets!: GPUBuffer;
  let group: GPUBindGroup | undefined;
  let scratch = new Uint32Array(0);

  const fit = (rows: number): void => {
    if (rows <= capacity) return;
    for (const b of capacity ? [scores, targets] : []) {
      b.destroy();
      buffers.splice(buffers.indexOf(b), 1);
    }
    capacity = Math.min(plan.chunkRows, Math.max(256, 2 ** Math.ceil(Math.log2(rows))));
    scores = buffer('scores', capacity * 4, STORAGE_IN);
    targets = buffer('targets', capacity * 4, STORAGE_IN);
    scratch = new Uint32Array(capacity);
    group = device.createBindGroup({
      label: 'confmat sweep',
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, scores, targets, keys, counts].map((b, binding) => ({ binding, resource: { buffer: b } })),
    });
  };

  let host = emptySweepCounts(thresholds);
  let destroyed = false;
  const serial = createSerial();

  const updateChunks = async (batch: BinaryBatch): Promise<void> => {
    if (destroyed) throw new GpuUnavailableError('this GPU threshold sweep was destroyed');
    const partial = emptySweepCounts(thresholds);
    const rows = batch.scores.length;
    for (let start = 0; start < rows; start += plan.chunkRows) {
      const n = Math.min(plan.chunkRows, rows - start);
      fit(n);
      device.queue.writeBuffer(scores, 0, bufferSource(batch.scores), start, n);
      device.queue.writeBuffer(targets, 0, bufferSource(targetsToU32(batch.targets, start, n, scratch)), 0, n);
      device.queue.writeBuffer(params, 0, Uint32Array.of(n, 0, 0, 0));
      const encoder = device.createCommandEncoder({ label: 'confmat sweep chunk' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group!);
      pass.dispatchWorkgroups(groupsFor(plan, n));
      pass.end();
      encoder.copyBufferToBuffer(counts, 0, countsRead, 0, countsBytes);
      encoder.clearBuffer(counts);
      device.queue.submit([encoder.finish()]);
      const c = await readU32(countsRead, countsBytes);
      for (let b = 0; b <= k; b++) {
        partial.pos[b]! += c[b]!;
        partial.neg[b]! += c[k + 1 + b]!;
      }
    }
    for (let b = 0; b <= k; b++) {
      host.pos[b]! += partial.pos[b]!;
      host.neg[b]! += partial.neg[b]!;
    }
  };

  return {
    plan,
    update: (batch) => serial(() => gpuScoped(device, 'the threshold sweep', () => updateChunks(batch))),
    read: () => serial(async () => ({ thresholds, pos: host.pos.slice(), neg: host.neg.slice() })),
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
