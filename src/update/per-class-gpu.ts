import { GpuUnavailableError, InputError } from '../core/errors.js';
import { addRows, copyPerClassCounts, emptyPerClassCounts, type FormattedPerClassBatch, type PerClassCounts } from '../core/per-class.js';
import { createSerial } from '../core/serial.js';
import { isEmulated } from '../gpu/chunk-plan.js';
import { bufferSource, gpuScoped } from '../gpu/error-scope.js';
import { getPipeline, type KernelName } from '../gpu/pipelines.js';
import { groupsFor, planTaskGpu, readU32, targetsToU32, type TaskGpuOptions, type TaskGpuPlan } from './task-gpu.js';
import { writeArray } from '../gpu/write-array.js';

/**
 * From this many classes on, `kernel: 'auto'` argmaxes each row with a whole workgroup
 * (`per_class_wide`) instead of one invocation (`per_class_rows`): a 32 MiB chunk then holds at
 * most 8192 rows, too few to occupy a GPU one invocation per row, and each row is long enough to
 * split among a workgroup with coalesced reads. Not on CPU-emulated adapters (SwiftShader,
 * llvmpipe), where each workgroup barrier is a switch between emulated invocations: there the wide
 * kernel was 2x (C = 100000) to 70x (C = 2000) slower than one invocation per row.
 *
 * @example
 * WIDE_FROM_CLASSES; // 1024
 */
export const WIDE_FROM_CLASSES = 1024;

/** Options of {@link createPerClassGpuCounter}. */
export interface PerClassGpuOptions extends TaskGpuOptions {
  /** 'rows': one invocation per row; 'wide': one workgroup per row; 'auto' (default): wide from {@link WIDE_FROM_CLASSES} classes, except on CPU-emulated adapters. */
  kernel?: 'auto' | 'rows' | 'wide' | undefined;
}

/** The GPU per-class update: argmax and compare on the device, only misclassified rows come back. */
export interface PerClassGpuCounter {
  readonly plan: TaskGpuPlan;
  /** The argmax kernel in use for logits. */
  readonly kernel: 'rows' | 'wide';
  /** Counts one validated batch; a batch that fails adds nothing. */
  update(batch: FormattedPerClassBatch): Promise<void>;
  /** A copy of the counts of every batch whose update resolved. */
  read(): Promise<PerClassCounts>;
  /** Zeroes every count. */
  reset(): Promise<void>;
  /** Frees the GPU buffers. */
  destroy(): void;
}

const HEADER = 8;

/**
 * Creates a {@link PerClassGpuCounter} running shaders/per-class.wgsl on `device`. Per chunk the
 * kernel appends each misclassified row's (label, prediction) through an atomic cursor; the host
 * reads back that list (at most two u32 per row of the chunk) and, holding the labels, adds
 * support, TP, FP, FN and the sparse pairs into float64 totals once the whole batch has passed.
 * Nothing accumulates on the device past a chunk, so no u32 can overflow, and there is no O(C)
 * read-back per chunk.
 *
 * @example
 * const counter = createPerClassGpuCounter(device, 100000);
 * await counter.update(formatPerClassBatch({ logits, labels }, 100000));
 * const counts = await counter.read();
 * counter.destroy();
 */
export function createPerClassGpuCounter(device: GPUDevice, numClasses: number, options: PerClassGpuOptions = {}): PerClassGpuCounter {
  const plan = planTaskGpu(device.limits, Math.max(numClasses * 4, 8), options, `${numClasses} classes`, HEADER * 4);
  const wideByDefault = numClasses >= WIDE_FROM_CLASSES && !isEmulated(device.adapterInfo);
  const kernel = options.kernel === 'rows' || options.kernel === 'wide' ? options.kernel : wideByDefault ? 'wide' : 'rows';
  const wideSize = 2 ** Math.floor(Math.log2(plan.workgroupSize));
  const pipeline = (name: KernelName): GPUComputePipeline =>
    getPipeline(device, name, { NUM_CLASSES: numClasses, WORKGROUP_SIZE: name === 'per_class_wide' ? wideSize : plan.workgroupSize });
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ label: `confmat per-class ${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const drop = (b: GPUBuffer | undefined): void => {
    if (!b) return;
    b.destroy();
    buffers.splice(buffers.indexOf(b), 1);
  };
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  let capacity = 0;
  let labelsBuf: GPUBuffer | undefined;
  let tally: GPUBuffer | undefined;
  let tallyRead: GPUBuffer | undefined;
  let logitsBuf: GPUBuffer | undefined;
  let predsBuf: GPUBuffer | undefined;
  const groups = new Map<string, GPUBindGroup>();
  let labelScratch = new Uint32Array(0);
  let predScratch = new Uint32Array(0);

  const fit = (rows: number, withLogits: boolean): void => {
    if (rows > capacity) {
      for (const b of [labelsBuf, tally, tallyRead, logitsBuf, predsBuf]) drop(b);
      logitsBuf = predsBuf = undefined;
      groups.clear();
      capacity = Math.min(plan.chunkRows, Math.max(256, 2 ** Math.ceil(Math.log2(rows))));
      labelsBuf = buffer('labels', capacity * 4, STORAGE_IN);
      tally = buffer('tally and errors', (HEADER + 2 * capacity) * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      tallyRead = buffer('tally readback', (HEADER + 2 * capacity) * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      labelScratch = new Uint32Array(capacity);
    }
    if (withLogits) logitsBuf ??= buffer('logits', capacity * numClasses * 4, STORAGE_IN);
    else if (!predsBuf) {
      predsBuf = buffer('preds', capacity * 4, STORAGE_IN);
      predScratch = new Uint32Array(capacity);
    }
  };

  const bindGroup = (name: KernelName): GPUBindGroup => {
    let group = groups.get(name);
    if (!group) {
      const input = name === 'per_class_preds' ? { binding: 2, resource: { buffer: predsBuf! } } : { binding: 1, resource: { buffer: logitsBuf! } };
      group = device.createBindGroup({
        label: `confmat per-class ${name}`,
        layout: pipeline(name).getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: params } }, input, { binding: 3, resource: { buffer: labelsBuf! } }, { binding: 4, resource: { buffer: tally! } }],
      });
      groups.set(name, group);
    }
    return group;
  };

  let host = emptyPerClassCounts(numClasses);
  let errors = new Uint32Array(1024);
  let destroyed = false;
  const serial = createSerial();

  const refuse = (batch: FormattedPerClassBatch, field: 'labels' | 'preds', bad: number, firstBits: number): never => {
    const row = ~firstBits >>> 0;
    const value = field === 'labels' ? batch.labels[row] : batch.preds?.[row];
    const what = field === 'labels' ? 'label' : 'predicted class';
    throw new InputError(field, `index ${row}: ${what} ${String(value)} is outside [0, ${numClasses}) (${bad} such rows in this chunk, found on the GPU)`, row, value);
  };

  const updateChunks = async (batch: FormattedPerClassBatch): Promise<void> => {
    if (destroyed) throw new GpuUnavailableError('this GPU per-class matrix was destroyed');
    const name: KernelName = batch.logits ? (kernel === 'wide' ? 'per_class_wide' : 'per_class_rows') : 'per_class_preds';
    let numErrors = 0;
    for (let start = 0; start < batch.rows; start += plan.chunkRows) {
      const n = Math.min(plan.chunkRows, batch.rows - start);
      fit(n, batch.logits !== undefined);
      device.queue.writeBuffer(labelsBuf!, 0, bufferSource(targetsToU32(batch.labels, start, n, labelScratch)), 0, n);
      if (batch.logits) writeArray(device.queue, logitsBuf!, 0, batch.logits, start * numClasses, n * numClasses);
      else device.queue.writeBuffer(predsBuf!, 0, bufferSource(targetsToU32(batch.preds!, start, n, predScratch)), 0, n);
      device.queue.writeBuffer(params, 0, Uint32Array.of(n, start, 0, 0));
      const encoder = device.createCommandEncoder({ label: 'confmat per-class chunk' });
      const pass = encoder.beginComputePass({ label: 'confmat per-class chunk' });
      pass.setPipeline(pipeline(name));
      pass.setBindGroup(0, bindGroup(name));
      pass.dispatchWorkgroups(name === 'per_class_wide' ? Math.min(n, plan.maxWorkgroups) : groupsFor(plan, n));
      pass.end();
      const bytes = (HEADER + 2 * n) * 4;
      encoder.copyBufferToBuffer(tally!, 0, tallyRead!, 0, bytes);
      encoder.clearBuffer(tally!, 0, HEADER * 4);
      device.queue.submit([encoder.finish()]);
      const got = await readU32(tallyRead!, bytes);
      if (got[1] !== 0) refuse(batch, 'labels', got[1]!, got[2]!);
      if (got[3] !== 0) refuse(batch, 'preds', got[3]!, got[4]!);
      const count = got[0]!;
      if (2 * (numErrors + count) > errors.length) {
        const grown = new Uint32Array(Math.max(errors.length * 2, 2 * (numErrors + count)));
        grown.set(errors.subarray(0, 2 * numErrors));
        errors = grown;
      }
      errors.set(got.subarray(HEADER, HEADER + 2 * count), 2 * numErrors);
      numErrors += count;
    }
    addRows(host, batch.labels, errors, numErrors);
  };

  return {
    plan,
    kernel,
    update: (batch) => serial(() => gpuScoped(device, 'the per-class update', () => updateChunks(batch))),
    read: () => serial(async () => copyPerClassCounts(host)),
    reset: () =>
      serial(async () => {
        host = emptyPerClassCounts(numClasses);
      }),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      for (const b of buffers) b.destroy();
    },
  };
}
