import { GpuUnavailableError } from '../core/errors.js';
import type { FormattedBatch, LabelArray } from '../core/types.js';
import { planGpu, type GpuPlan, type GpuPlanOptions } from '../gpu/chunk-plan.js';
import { getPipeline } from '../gpu/pipelines.js';

/**
 * The GPU update: streams validated batches through the argmax and histogram kernels into u32
 * counts on the device, and folds those into exact host totals before any cell could overflow.
 */
export interface GpuCounter {
  readonly plan: GpuPlan;
  /** Work done so far: chunks dispatched and read-backs of the u32 counts into the host totals. */
  readonly stats: { chunks: number; flushes: number };
  /** Uploads and counts one validated batch, chunk by chunk; resolves once every chunk is queued. */
  update(batch: FormattedBatch): Promise<void>;
  /** Exact counts so far (row-major C x C), read back from the device. */
  read(): Promise<Float64Array>;
  /** Zeroes every count, on the device and on the host. */
  reset(): Promise<void>;
  /** Frees every GPU buffer this counter made. */
  destroy(): void;
}

interface Slot {
  labels: GPUBuffer;
  preds: GPUBuffer;
  logits: GPUBuffer | undefined;
  argmaxGroup: GPUBindGroup | undefined;
  countGroup: GPUBindGroup;
  done: Promise<unknown> | undefined;
}

const SLOTS = 2;

/** Typed arrays over a SharedArrayBuffer are accepted by writeBuffer too (the spec's AllowSharedBufferSource). */
const source = (a: ArrayBufferView): GPUAllowSharedBufferSource => a as unknown as GPUAllowSharedBufferSource;

/**
 * Creates a {@link GpuCounter} for `numClasses` classes on `device`. Buffers are sized from the
 * device's limits (see {@link planGpu}), made once and reused across chunks; two upload slots let
 * the next chunk's upload overlap the current chunk's compute.
 *
 * @example
 * const counter = createGpuCounter(device, 10);
 * await counter.update(formatBatch({ logits, labels }, 10));
 * const counts = await counter.read();
 * counter.destroy();
 */
export function createGpuCounter(device: GPUDevice, numClasses: number, options: GpuPlanOptions = {}): GpuCounter {
  const plan = planGpu(device.limits, numClasses, options, device.adapterInfo);
  const { chunkRows, workgroupSize: wg, maxWorkgroups } = plan;
  const cells = numClasses * numClasses;
  const constants = { NUM_CLASSES: numClasses, WORKGROUP_SIZE: wg };
  const argmaxPipeline = getPipeline(device, 'argmax', constants);
  const countPipeline =
    plan.histogram === 'private'
      ? getPipeline(device, 'count_private', { ...constants, PRIVATE_BINS: cells })
      : getPipeline(device, 'count_global', constants);
  const countRowsPerGroup = plan.histogram === 'private' ? Math.max(wg * 8, cells * 4) : wg;

  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ label: `confmat ${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const countsBytes = (cells + 1) * 4;
  const counts = buffer('counts', countsBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  const readback = buffer('counts readback', countsBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);

  const slots: Slot[] = [];
  for (let s = 0; s < SLOTS; s++) {
    const labels = buffer(`labels slot ${s}`, chunkRows * 4, STORAGE_IN);
    const preds = buffer(`preds slot ${s}`, chunkRows * 4, STORAGE_IN);
    const countGroup = device.createBindGroup({
      label: `confmat count slot ${s}`,
      layout: countPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: labels } },
        { binding: 2, resource: { buffer: preds } },
        { binding: 3, resource: { buffer: counts } },
      ],
    });
    slots.push({ labels, preds, logits: undefined, argmaxGroup: undefined, countGroup, done: undefined });
  }

  const host = new Float64Array(cells);
  const paramsData = new Uint32Array(4);
  let scratch: Uint32Array | undefined;
  let pending = 0;
  let next = 0;
  let destroyed = false;
  const stats = { chunks: 0, flushes: 0 };
  let tail: Promise<unknown> = Promise.resolve();

  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  };

  const alive = (): void => {
    if (destroyed) throw new GpuUnavailableError('this GPU confusion matrix was destroyed');
  };

  /** Runs `op` inside validation and out-of-memory scopes: a GPU error throws, never a wrong count. */
  const scoped = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let result: T | undefined;
    let failure: unknown;
    try {
      result = await op();
    } catch (e) {
      failure = e;
    }
    const errors = [await device.popErrorScope(), await device.popErrorScope()].filter((e) => e !== null);
    if (failure !== undefined) throw failure;
    if (errors.length > 0) {
      destroyed = true;
      for (const b of buffers) b.destroy();
      throw new GpuUnavailableError(`the GPU failed during ${what}: ${errors.map((e) => e!.message).join('; ')}`);
    }
    return result as T;
  };

  const logitsFor = (slot: Slot, s: number): GPUBindGroup => {
    if (!slot.argmaxGroup) {
      slot.logits = buffer(`logits slot ${s}`, chunkRows * numClasses * 4, STORAGE_IN);
      slot.argmaxGroup = device.createBindGroup({
        label: `confmat argmax slot ${s}`,
        layout: argmaxPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: { buffer: slot.logits } },
          { binding: 2, resource: { buffer: slot.preds } },
        ],
      });
    }
    return slot.argmaxGroup;
  };

  const writeIndices = (target: GPUBuffer, a: LabelArray, start: number, rows: number): void => {
    if (a instanceof Uint32Array || a instanceof Int32Array) {
      device.queue.writeBuffer(target, 0, source(a), start, rows);
      return;
    }
    scratch ??= new Uint32Array(chunkRows);
    if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
      for (let i = 0; i < rows; i++) scratch[i] = Number(a[start + i]!);
    } else {
      scratch.set(a.subarray(start, start + rows));
    }
    device.queue.writeBuffer(target, 0, source(scratch), 0, rows);
  };

  const groupsFor = (rows: number, perGroup: number): number => Math.max(1, Math.min(Math.ceil(rows / perGroup), maxWorkgroups));

  const flush = async (): Promise<void> => {
    if (pending === 0) return;
    const encoder = device.createCommandEncoder({ label: 'confmat flush' });
    encoder.copyBufferToBuffer(counts, 0, readback, 0, countsBytes);
    encoder.clearBuffer(counts);
    device.queue.submit([encoder.finish()]);
    pending = 0;
    stats.flushes++;
    await readback.mapAsync(GPUMapMode.READ, 0, countsBytes);
    const gpu = new Uint32Array(readback.getMappedRange(0, countsBytes));
    const invalid = gpu[cells]!;
    if (invalid !== 0) {
      readback.unmap();
      throw new Error(`the GPU saw ${invalid} (label, prediction) pairs outside [0, ${numClasses}): refusing the result`);
    }
    for (let i = 0; i < cells; i++) host[i]! += gpu[i]!;
    readback.unmap();
  };

  const updateChunks = async (batch: FormattedBatch): Promise<void> => {
    alive();
    const { rows, labels, logits, preds } = batch;
    for (let start = 0; start < rows; start += chunkRows) {
      const n = Math.min(chunkRows, rows - start);
      if (pending + n > plan.flushEvery) await flush();
      const s = next;
      next = (next + 1) % SLOTS;
      const slot = slots[s]!;
      if (slot.done) await slot.done;
      writeIndices(slot.labels, labels, start, n);
      if (logits) {
        logitsFor(slot, s);
        device.queue.writeBuffer(slot.logits!, 0, source(logits), start * numClasses, n * numClasses);
      } else {
        writeIndices(slot.preds, preds!, start, n);
      }
      paramsData[0] = n;
      device.queue.writeBuffer(params, 0, paramsData);
      const encoder = device.createCommandEncoder({ label: 'confmat chunk' });
      const pass = encoder.beginComputePass({ label: 'confmat chunk' });
      if (logits) {
        pass.setPipeline(argmaxPipeline);
        pass.setBindGroup(0, slot.argmaxGroup!);
        pass.dispatchWorkgroups(groupsFor(n, wg));
      }
      pass.setPipeline(countPipeline);
      pass.setBindGroup(0, slot.countGroup);
      pass.dispatchWorkgroups(groupsFor(n, countRowsPerGroup));
      pass.end();
      device.queue.submit([encoder.finish()]);
      slot.done = device.queue.onSubmittedWorkDone();
      pending += n;
      stats.chunks++;
    }
  };

  return {
    plan,
    stats,
    update: (batch) => serial(() => scoped('update', () => updateChunks(batch))),
    read: () =>
      serial(() =>
        scoped('read-back', async () => {
          alive();
          await flush();
          return host.slice();
        }),
      ),
    reset: () =>
      serial(async () => {
        alive();
        const encoder = device.createCommandEncoder({ label: 'confmat reset' });
        encoder.clearBuffer(counts);
        device.queue.submit([encoder.finish()]);
        host.fill(0);
        pending = 0;
      }),
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      for (const b of buffers) b.destroy();
    },
  };
}
