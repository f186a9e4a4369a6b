import { GpuUnavailableError } from '../core/errors.js';
import { addSampleRow, emptyMultilabelCounts, type FormattedMultilabelBatch, type MultilabelCounts } from '../core/multilabel.js';
import { orderKey } from '../core/order-key.js';
import { getPipeline } from '../gpu/pipelines.js';
import { createSerial } from '../core/serial.js';
import { bufferSource, gpuScoped } from '../gpu/error-scope.js';
import { groupsFor, planTaskGpu, readU32, targetsToU32, type TaskGpuOptions, type TaskGpuPlan } from './task-gpu.js';

/** The GPU multilabel update: per label TP/FP/FN and per row sample sums, exact on the host. */
export interface MultilabelGpuCounter {
  readonly plan: TaskGpuPlan;
  /** Counts one validated batch; a batch that fails adds nothing. */
  update(batch: FormattedMultilabelBatch): Promise<void>;
  /** A copy of the counts of every batch whose update resolved. */
  read(): Promise<MultilabelCounts>;
  /** Zeroes every count. */
  reset(): Promise<void>;
  /** Frees the GPU buffers. */
  destroy(): void;
}

const copyCounts = (c: MultilabelCounts): MultilabelCounts => ({ ...c, tp: c.tp.slice(), fp: c.fp.slice(), fn: c.fn.slice(), samples: { ...c.samples } });

/**
 * Creates a {@link MultilabelGpuCounter} running shaders/multilabel.wgsl on `device`: label j is
 * predicted when its float32 score >= thresholds[j], compared as order keys exactly like the CPU path.
 * Each chunk's counts and per-row stats are read back at once, so u32 counts never overflow.
 *
 * @example
 * const counter = createMultilabelGpuCounter(device, 5, Float32Array.of(0.5, 0.5, 0.5, 0.5, 0.5));
 * await counter.update(formatMultilabelBatch({ scores, targets }, 5));
 * const counts = await counter.read();
 * counter.destroy();
 */
export function createMultilabelGpuCounter(device: GPUDevice, numLabels: number, thresholds: Float32Array, options: TaskGpuOptions = {}): MultilabelGpuCounter {
  const plan = planTaskGpu(device.limits, Math.max(numLabels * 4, 12), options, `${numLabels} labels`, numLabels * 12);
  const pipeline = getPipeline(device, 'multilabel', { NUM_LABELS: numLabels, WORKGROUP_SIZE: plan.workgroupSize });
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ label: `confmat multilabel ${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const keys = buffer('thresholds', numLabels * 4, STORAGE_IN);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));
  const countsBytes = numLabels * 3 * 4;
  let capacity = 0;
  let scores!: GPUBuffer;
  let targets!: GPUBuffer;
  let counts!: GPUBuffer;
  let countsRead!: GPUBuffer;
  let group: GPUBindGroup | undefined;
  let scratch = new Uint32Array(0);

  const fit = (rows: number): void => {
    if (rows <= capacity) return;
    for (const b of capacity ? [scores, targets, counts, countsRead] : []) {
      b.destroy();
      buffers.splice(buffers.indexOf(b), 1);
    }
    capacity = Math.min(plan.chunkRows, Math.max(256, 2 ** Math.ceil(Math.log2(rows))));
    scores = buffer('scores', capacity * numLabels * 4, STORAGE_IN);
    targets = buffer('targets', capacity * numLabels * 4, STORAGE_IN);
    counts = buffer('counts and row stats', countsBytes + capacity * 12, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    countsRead = buffer('counts readback', countsBytes + capacity * 12, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    scratch = new Uint32Array(capacity * numLabels);
    group = device.createBindGroup({
      label: 'confmat multilabel',
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, scores, targets, keys, counts].map((b, binding) => ({ binding, resource: { buffer: b } })),
    });
  };

  let host = emptyMultilabelCounts(numLabels);
  let destroyed = false;
  const serial = createSerial();
  const alive = (): void => {
    if (destroyed) throw new GpuUnavailableError('this GPU multilabel matrix was destroyed');
  };

  const updateChunks = async (batch: FormattedMultilabelBatch): Promise<void> => {
    alive();
    const partial = emptyMultilabelCounts(numLabels);
    const step = plan.chunkRows;
    for (let start = 0; start < batch.rows; start += step) {
      const n = Math.min(step, batch.rows - start);
      fit(n);
      device.queue.writeBuffer(scores, 0, bufferSource(batch.scores), start * numLabels, n * numLabels);
      device.queue.writeBuffer(targets, 0, bufferSource(targetsToU32(batch.targets, start * numLabels, n * numLabels, scratch)), 0, n * numLabels);
      device.queue.writeBuffer(params, 0, Uint32Array.of(n, 0, 0, 0));
      const encoder = device.createCommandEncoder({ label: 'confmat multilabel chunk' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group!);
      pass.dispatchWorkgroups(groupsFor(plan, n));
      pass.end();
      encoder.copyBufferToBuffer(counts, 0, countsRead, 0, countsBytes + n * 12);
      encoder.clearBuffer(counts, 0, countsBytes);
      device.queue.submit([encoder.finish()]);
      const c = await readU32(countsRead, countsBytes + n * 12);
      const r = c.subarray(3 * numLabels);
      for (let j = 0; j < numLabels; j++) {
        partial.tp[j]! += c[3 * j]!;
        partial.fp[j]! += c[3 * j + 1]!;
        partial.fn[j]! += c[3 * j + 2]!;
      }
      for (let i = 0; i < n; i++) addSampleRow(partial.samples, r[3 * i]!, r[3 * i + 1]!, r[3 * i + 2]!);
    }
    for (let j = 0; j < numLabels; j++) {
      host.tp[j]! += partial.tp[j]!;
      host.fp[j]! += partial.fp[j]!;
      host.fn[j]! += partial.fn[j]!;
    }
    host.rows += batch.rows;
    host.samples.precision += partial.samples.precision;
    host.samples.recall += partial.samples.recall;
    host.samples.f1 += partial.samples.f1;
  };

  return {
    plan,
    update: (batch) => serial(() => gpuScoped(device, 'the multilabel update', () => updateChunks(batch))),
    read: () => serial(async () => copyCounts(host)),
    reset: () =>
      serial(async () => {
        host = emptyMultilabelCounts(numLabels);
      }),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      for (const b of buffers) b.destroy();
    },
  };
}
