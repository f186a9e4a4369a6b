import { InputError } from '../../core/errors.js';
import type { FormattedGpuBatch, HalfDtype, LabelArray } from '../../core/types.js';
import { LOCAL_ROWS, planGpu, type GpuPlan, type GpuPlanOptions } from '../../engine/chunk-plan.js';
import { capacityFor, createChunkRunner, groupsFor } from '../../engine/chunk-runner.js';
import { bufferSource } from '../../engine/error-scope.js';
import { getPipeline } from '../../engine/pipelines.js';
import { isGpuBuffer } from '../../engine/gpu-batch.js';
import { fixedPointExponent, fromFixedPoint, toFixedPoint } from '../../format/weights.js';
import { copyClassIndices } from '../../format/class-indices.js';
import { writeArray } from '../../engine/write-array.js';

/**
 * The GPU update: streams validated batches through the argmax and histogram kernels into u32
 * counts on the device, and folds those into exact host totals before any cell could overflow.
 * Each `update()` is a transaction: it resolves once the whole batch is in the host totals, and a
 * batch that fails adds nothing to them.
 */
export interface GpuCounter {
  readonly plan: GpuPlan;
  /** Work done so far: chunks dispatched and read-backs of the u32 counts into the host totals. */
  readonly stats: { chunks: number; flushes: number };
  /** Counts one validated batch, chunk by chunk; resolves once its counts are in the host totals. */
  update(batch: FormattedGpuBatch): Promise<void>;
  /** Exact counts of every batch whose update resolved (row-major C x C). */
  read(): Promise<Float64Array>;
  /** The same as {@link read}, synchronously and without touching the device: usable after it is lost. */
  committed(): Float64Array;
  /** With `topK`: top-k hits per true class of every batch whose update resolved (else empty). */
  committedTopK(): Float64Array;
  /** Zeroes every count. */
  reset(): Promise<void>;
  /** Frees every GPU buffer this counter made. */
  destroy(): void;
}

/** Options of {@link createGpuCounter}: the plan's knobs, and top-k hits counted in the same pass. */
export interface GpuCounterOptions extends GpuPlanOptions {
  /** Also count, per true class, the rows whose label is among the k highest logits (sklearn's top_k_accuracy_score). 0: off. */
  topK?: number | undefined;
  /** Rows whose label in a GPU buffer is this value (as u32 bits: -100 is 0xffffff9c) are skipped on the GPU. */
  ignoreIndex?: number | undefined;
}

interface Slot {
  /** Rows the slot's buffers hold: they grow with the batches, up to the plan's chunkRows. */
  rows: number;
  labels: GPUBuffer | undefined;
  preds: GPUBuffer | undefined;
  logits: GPUBuffer | undefined;
}

const SLOTS = 2;
/** Rows per chunk of a GPU-resident input are a multiple of this, so every chunk's binding offset is 256-byte aligned (twice as many rows for 16-bit logits). */
const ALIGN_ROWS = 64;
/** Override constants that make argmax.wgsl read 16-bit logits: halves packed two per u32, NaN above HALF_INF. */
const halfConstants = (half: HalfDtype | undefined): Record<string, number> => (half ? { LOGIT_BITS: 16, HALF_INF: half === 'float16' ? 0x7c00 : 0x7f80 } : {});


/**
 * Creates a {@link GpuCounter} for `numClasses` classes on `device`. Buffers are sized from the
 * device's limits (see {@link planGpu}) and grow with the batches up to a chunk; two upload slots let
 * the next chunk's upload overlap the current chunk's compute. Inputs that already live in GPU
 * buffers on `device` are bound in place, never copied through the host.
 *
 * @example
 * const counter = createGpuCounter(device, 10);
 * await counter.update(formatBatch({ logits, labels }, 10));
 * const counts = await counter.read();
 * counter.destroy();
 */
export function createGpuCounter(device: GPUDevice, numClasses: number, options: GpuCounterOptions = {}): GpuCounter {
  const plan = planGpu(device.limits, numClasses, options, device.adapterInfo);
  const { chunkRows, workgroupSize: wg, maxWorkgroups } = plan;
  const cells = numClasses * numClasses;
  const constants = { NUM_CLASSES: numClasses, WORKGROUP_SIZE: wg };
  // Pipelines are made on first use (and cached per device). With global atomics, logits are
  // argmaxed and counted in one fused pass, with no preds buffer.
  const topK = options.topK ?? 0;
  const fused = plan.histogram !== 'private' || topK > 0;
  const local = plan.histogram === 'local';
  const ignore: Record<string, number> = options.ignoreIndex === undefined ? {} : { HAS_IGNORE: 1, IGNORE_LABEL: options.ignoreIndex >>> 0 };
  const argmaxPipeline = (half?: HalfDtype): GPUComputePipeline =>
    fused
      ? getPipeline(device, local ? 'argmax_count_local' : 'argmax_count', { ...constants, TOP_K: topK, ...ignore, ...halfConstants(half), ...(local ? { LOCAL_ROWS } : {}) })
      : getPipeline(device, 'argmax', { ...constants, ...halfConstants(half) });
  const countPipeline = (): GPUComputePipeline =>
    fused ? getPipeline(device, 'count_global', { ...constants, ...ignore }) : getPipeline(device, 'count_private', { ...constants, PRIVATE_BINS: cells, ...ignore });
  const countRowsPerGroup = fused ? wg : Math.max(wg * 8, cells * 4);

  const runner = createChunkRunner(device, 'matrix');
  const buffer = runner.buffer;
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const hitCells = topK > 0 ? numClasses : 0;
  const countsBytes = (cells + 4 + hitCells) * 4;
  const counts = buffer('counts', countsBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);

  const slots: Slot[] = Array.from({ length: SLOTS }, () => ({ rows: 0, labels: undefined, preds: undefined, logits: undefined }));
  const groupCache = new Map<string, GPUBindGroup>();

  /** Grows slot `s` to hold `rows` rows (of logits too, of `logitBytes` bytes each: 4, 2 or 0 for none), in powers of two up to chunkRows. */
  const fit = (s: number, rows: number, logitBytes: number): Slot => {
    const slot = slots[s]!;
    slot.rows = Math.max(slot.rows, capacityFor(rows, chunkRows));
    const labels = runner.grow(`labels slot ${s}`, slot.rows * 4, STORAGE_IN);
    const preds = runner.grow(`preds slot ${s}`, slot.rows * 4, STORAGE_IN);
    const logits = logitBytes > 0 ? runner.grow(`logits slot ${s}`, slot.rows * numClasses * logitBytes, STORAGE_IN) : undefined;
    if (labels.grew || preds.grew) groupCache.delete(`count ${s}`);
    if (labels.grew || preds.grew || logits?.grew) {
      groupCache.delete(`argmax ${s}`);
      groupCache.delete(`fused ${s}`);
    }
    slot.labels = labels.buffer;
    slot.preds = preds.buffer;
    if (logits) slot.logits = logits.buffer;
    return slot;
  };

  // Sample weights: 96-bit fixed-point cells (shaders/common/weighted-add.wgsl), made on the first
  // weighted batch. Cell k < cells + numClasses is words 3k..3k+2 (top-k hits after the matrix),
  // then the four out-of-range tallies.
  const weightedCells = cells + numClasses;
  const weightedBytes = (3 * weightedCells + 4) * 4;
  let weighted: { counts: GPUBuffer; slots: (GPUBuffer | undefined)[]; scratch: Uint32Array } | undefined;
  const weightedBuffers = (): NonNullable<typeof weighted> => {
    if (weighted) return weighted;
    const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    if (weightedBytes > maxBinding) {
      throw new InputError('weights', `sample weights with ${numClasses} classes need (3 (C x C + C) + 4) x 4 = ${weightedBytes} bytes of GPU storage, the device allows ${maxBinding}: count on the CPU instead (--backend cpu)`, undefined, weightedBytes);
    }
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    weighted = {
      counts: buffer('weighted counts', weightedBytes, usage),
      slots: Array.from({ length: SLOTS }, () => undefined),
      scratch: new Uint32Array(0),
    };
    return weighted;
  };
  /** Uploads rows [start, start + rows) of the batch's weights as fixed-point (lo, hi) pairs into slot `s`'s weights buffer. */
  const placeWeights = (s: number, weights: NonNullable<FormattedGpuBatch['weights']>, exponent: number, start: number, rows: number): GPUBuffer => {
    const w = weightedBuffers();
    w.slots[s] = runner.grow(`weights slot ${s}`, capacityFor(rows, chunkRows) * 8, STORAGE_IN).buffer;
    if (w.scratch.length < rows * 2) w.scratch = new Uint32Array(Math.max(rows, Math.min(chunkRows, 1 << 20)) * 2);
    toFixedPoint(weights, start, rows, exponent, w.scratch);
    device.queue.writeBuffer(w.slots[s]!, 0, bufferSource(w.scratch), 0, rows * 2);
    return w.slots[s]!;
  };

  const host = new Float64Array(cells + hitCells);
  const partial = new Float64Array(cells + hitCells);
  const paramsData = new Uint32Array(4);
  const halfTail = new Uint16Array(2);
  let scratch: Uint32Array | undefined;
  const stats = { chunks: 0, flushes: 0 };

  /** A bind group of `resources` by binding number (an array binds 0, 1, 2, ...), cached under `cacheKey`. */
  const bindGroup = (pipeline: GPUComputePipeline, label: string, resources: Record<number, GPUBuffer | GPUBufferBinding>, cacheKey?: string): GPUBindGroup => {
    const cached = cacheKey === undefined ? undefined : groupCache.get(cacheKey);
    if (cached) return cached;
    const group = device.createBindGroup({
      label: `confmat ${label}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: Object.entries(resources).map(([binding, r]) => ({ binding: Number(binding), resource: 'size' in r && 'usage' in r ? { buffer: r } : r })),
    });
    if (cacheKey !== undefined) groupCache.set(cacheKey, group);
    return group;
  };

  const writeIndices = (target: GPUBuffer, a: LabelArray, start: number, rows: number): void => {
    if (a instanceof Uint32Array || a instanceof Int32Array) {
      writeArray(device.queue, target, 0, a, start, rows);
      return;
    }
    scratch ??= new Uint32Array(chunkRows);
    copyClassIndices(a, start, rows, scratch);
    device.queue.writeBuffer(target, 0, bufferSource(scratch), 0, rows);
  };

  /** Uploads halves [from, from + count) as they are; writes must be whole 4-byte words, so an odd count's last half goes with a zero. */
  const writeHalves = (target: GPUBuffer, a: Uint16Array, from: number, count: number): void => {
    const even = count - (count % 2);
    if (even > 0) writeArray(device.queue, target, 0, a, from, even);
    if (count % 2 === 1) {
      halfTail[0] = a[from + even]!;
      device.queue.writeBuffer(target, even * 2, bufferSource(halfTail), 0, 2);
    }
  };

  /**
   * A host array is uploaded into the slot's buffer; a GPU buffer is bound in place at the chunk's
   * offset. `half`: 16-bit logits (2 bytes each; the binding rounded up to whole 4-byte words).
   */
  const place = (input: LabelArray | Float32Array | Uint16Array | GPUBuffer, slotBuffer: GPUBuffer, start: number, rows: number, width: number, half = false): GPUBuffer | GPUBufferBinding => {
    if (isGpuBuffer(input)) return half ? { buffer: input, offset: start * width * 2, size: Math.ceil((rows * width) / 2) * 4 } : { buffer: input, offset: start * width * 4, size: rows * width * 4 };
    if (half) writeHalves(slotBuffer, input as Uint16Array, start * width, rows * width);
    else if (input instanceof Float32Array) writeArray(device.queue, slotBuffer, 0, input, start * width, rows * width);
    else writeIndices(slotBuffer, input, start, rows);
    return slotBuffer;
  };

  const groups = (rows: number, perGroup: number): number => groupsFor(rows, perGroup, maxWorkgroups);

  /** Reads a u32 at `row` of a GPU input, for naming the offending value; undefined when the buffer cannot be copied from. */
  const valueAt = async (input: GPUBuffer, row: number): Promise<number | undefined> => {
    if (!(input.usage & GPUBufferUsage.COPY_SRC)) return undefined;
    const probe = device.createBuffer({ label: 'confmat bad value probe', size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = device.createCommandEncoder({ label: 'confmat bad value probe' });
      encoder.copyBufferToBuffer(input, row * 4, probe, 0, 4);
      device.queue.submit([encoder.finish()]);
      await probe.mapAsync(GPUMapMode.READ);
      return new Uint32Array(probe.getMappedRange())[0];
    } finally {
      probe.destroy();
    }
  };

  const refuse = async (batch: FormattedGpuBatch, field: 'labels' | 'preds', rowsBad: number, firstBits: number, through: number): Promise<never> => {
    const row = ~firstBits >>> 0;
    const input = batch[field];
    const value = isGpuBuffer(input) ? await valueAt(input, row) : undefined;
    const what = field === 'labels' ? 'label' : 'predicted class';
    const shown = value === undefined ? '' : ` ${value} (as int32: ${value | 0})`;
    throw new InputError(field, `index ${row}: ${what}${shown} is outside [0, ${numClasses}) (${rowsBad} such rows among rows [0, ${through}) of this batch)`, row, value);
  };

  /**
   * Adds read-back counts to `partial` (the device's were zeroed as they were read); refuses the
   * batch on out-of-range indices among rows [0, through). A weighted batch's 96-bit cells are
   * divided by 2^exponent.
   */
  const fold = async (batch: FormattedGpuBatch, gpu: Uint32Array, through: number, exponent?: number): Promise<void> => {
    const tally = exponent === undefined ? cells : 3 * weightedCells;
    if (gpu[tally] !== 0) await refuse(batch, 'labels', gpu[tally]!, gpu[tally + 2]!, through);
    if (gpu[tally + 1] !== 0) await refuse(batch, 'preds', gpu[tally + 1]!, gpu[tally + 3]!, through);
    if (exponent !== undefined) {
      for (let i = 0; i < cells + hitCells; i++) {
        const k = 3 * i;
        if (gpu[k] !== 0 || gpu[k + 1] !== 0 || gpu[k + 2] !== 0) partial[i]! += fromFixedPoint(gpu[k]!, gpu[k + 1]!, gpu[k + 2]!, exponent);
      }
      return;
    }
    for (let i = 0; i < cells; i++) partial[i]! += gpu[i]!;
    for (let j = 0; j < hitCells; j++) partial[cells + j]! += gpu[cells + 4 + j]!;
  };

  const updateChunks = async (batch: FormattedGpuBatch): Promise<void> => {
    const { rows, labels, logits, preds } = batch;
    const half = logits === undefined ? undefined : batch.logitsDtype;
    if (topK > 0 && !logits) throw new InputError('preds', 'top-k needs logits: a batch of predicted classes has no scores to rank');
    const resident = isGpuBuffer(labels) || isGpuBuffer(logits) || isGpuBuffer(preds);
    const align = half ? 2 * ALIGN_ROWS : ALIGN_ROWS;
    const step = resident && chunkRows >= align ? chunkRows - (chunkRows % align) : chunkRows;
    if (resident && step % align !== 0 && rows > step) {
      throw new InputError('chunkRows', `GPU-resident inputs need chunkRows >= ${align} (binding offsets must be 256-byte aligned), got ${chunkRows}`, undefined, chunkRows);
    }
    const { weights } = batch;
    const exponent = weights === undefined ? undefined : fixedPointExponent(weights);
    if (weights) weightedBuffers();
    partial.fill(0);
    let pending = 0;
    await runner.chunks<number>(rows, step, {
      fold: (words, through) => fold(batch, words, through, exponent),
      encode: (encoder, start, n, s) => {
        const slot = fit(s, n, logits === undefined || isGpuBuffer(logits) ? 0 : half ? 2 : 4);
        const labelBinding = place(labels, slot.labels!, start, n, 1);
        const pass = encoder.beginComputePass({ label: 'confmat chunk' });
        if (weights) {
          const weightBinding = placeWeights(s, weights, exponent!, start, n);
          if (logits) {
            const logitBinding = place(logits, slot.logits!, start, n, numClasses, half !== undefined);
            const pipeline = getPipeline(device, 'argmax_count_weighted', { ...constants, TOP_K: topK, ...ignore, ...halfConstants(half) });
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindGroup(pipeline, `argmax+count weighted slot ${s}`, { 0: params, 1: logitBinding, 3: labelBinding, 4: weighted!.counts, 5: weightBinding }));
          } else {
            const predBinding = place(preds!, slot.preds!, start, n, 1);
            const pipeline = getPipeline(device, 'count_weighted', { ...constants, ...ignore });
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindGroup(pipeline, `count weighted slot ${s}`, { 0: params, 1: labelBinding, 2: predBinding, 3: weighted!.counts, 4: weightBinding }));
          }
          pass.dispatchWorkgroups(groups(n, wg));
        } else if (logits && fused) {
          const logitBinding = place(logits, slot.logits!, start, n, numClasses, half !== undefined);
          const pipeline = argmaxPipeline(half);
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bindGroup(pipeline, `argmax+count slot ${s}`, { 0: params, 1: logitBinding, 3: labelBinding, 4: counts }, resident || half ? undefined : `fused ${s}`));
          pass.dispatchWorkgroups(groups(n, local ? wg * LOCAL_ROWS : wg));
        } else {
          let predBinding: GPUBuffer | GPUBufferBinding;
          if (logits) {
            const logitBinding = place(logits, slot.logits!, start, n, numClasses, half !== undefined);
            const pipeline = argmaxPipeline(half);
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindGroup(pipeline, `argmax slot ${s}`, [params, logitBinding, slot.preds!], isGpuBuffer(logits) || half ? undefined : `argmax ${s}`));
            pass.dispatchWorkgroups(groups(n, wg));
            predBinding = slot.preds!;
          } else {
            predBinding = place(preds!, slot.preds!, start, n, 1);
          }
          const pipeline = countPipeline();
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bindGroup(pipeline, `count slot ${s}`, [params, labelBinding, predBinding, counts], isGpuBuffer(labels) || isGpuBuffer(preds) ? undefined : `count ${s}`));
          pass.dispatchWorkgroups(groups(n, countRowsPerGroup));
        }
        pass.end();
        paramsData[0] = n;
        paramsData[1] = start;
        device.queue.writeBuffer(params, 0, paramsData);
        pending += n;
        stats.chunks++;
        const nextRows = Math.min(step, rows - start - n);
        if (nextRows > 0 && pending + nextRows <= plan.flushEvery) return undefined;
        pending = 0;
        stats.flushes++;
        const source = exponent === undefined ? counts : weighted!.counts;
        const bytes = exponent === undefined ? countsBytes : weightedBytes;
        return { source, bytes, clearBytes: bytes, info: start + n };
      },
    });
    for (let i = 0; i < host.length; i++) host[i]! += partial[i]!;
  };

  const discard = async (): Promise<void> => {
    const encoder = device.createCommandEncoder({ label: 'confmat discard' });
    encoder.clearBuffer(counts);
    if (weighted) encoder.clearBuffer(weighted.counts);
    device.queue.submit([encoder.finish()]);
  };

  return {
    plan,
    stats,
    update: (batch) =>
      runner.run('update', async () => {
        try {
          await updateChunks(batch);
        } catch (e) {
          if (e instanceof InputError) await discard();
          throw e;
        }
      }),
    read: () => runner.queued(async () => (runner.alive(), host.slice(0, cells))),
    committed: () => host.slice(0, cells),
    committedTopK: () => host.slice(cells),
    reset: () =>
      runner.queued(async () => {
        runner.alive();
        host.fill(0);
      }),
    destroy: runner.destroy,
  };
}
