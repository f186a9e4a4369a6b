import { InputError } from '../../core/errors.js';
import type { FormattedGpuBatch, HalfDtype, LabelArray, SampleWeights } from '../../core/types.js';
import { LOCAL_ROWS, planGpu, type GpuPlan, type GpuPlanOptions } from '../../engine/chunk-plan.js';
import { capacityFor, createChunkRunner, groupsFor } from '../../engine/chunk-runner.js';
import { bufferSource } from '../../engine/error-scope.js';
import { checkBinding } from '../../engine/task-gpu.js';
import type { Bindings, KernelName } from '../../engine/pipelines.js';
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
  // With global atomics, logits are argmaxed and counted in one fused pass, with no preds buffer.
  const topK = options.topK ?? 0;
  const fused = plan.histogram !== 'private' || topK > 0;
  const local = plan.histogram === 'local';
  const ignore: Record<string, number> = options.ignoreIndex === undefined ? {} : { HAS_IGNORE: 1, IGNORE_LABEL: options.ignoreIndex >>> 0 };
  const countRowsPerGroup = fused ? wg : Math.max(wg * 8, cells * 4);

  const runner = createChunkRunner(device, 'matrix');
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const STORAGE_OUT = STORAGE_IN | GPUBufferUsage.COPY_SRC;
  const hitCells = topK > 0 ? numClasses : 0;
  const countsBytes = (cells + 4 + hitCells) * 4;
  const counts = runner.buffer('counts', countsBytes, STORAGE_OUT);
  // Sample weights: 96-bit fixed-point cells (shaders/common/weighted-add.wgsl), made on the first
  // weighted batch. Cell k < cells + numClasses is words 3k..3k+2 (top-k hits after the matrix),
  // then the four out-of-range tallies.
  const weightedCells = cells + numClasses;
  const weightedBytes = (3 * weightedCells + 4) * 4;
  let weightedCounts: GPUBuffer | undefined;

  const host = new Float64Array(cells + hitCells);
  const partial = new Float64Array(cells + hitCells);
  const halfTail = new Uint16Array(2);
  const stats = { chunks: 0, flushes: 0 };

  const writeIndices = (target: GPUBuffer, a: LabelArray, start: number, rows: number): void => {
    if (a instanceof Uint32Array || a instanceof Int32Array) return writeArray(device.queue, target, 0, a, start, rows);
    const scratch = runner.scratch(rows);
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

  /** Slot `s`'s buffer `name` of `bytes` per row for a chunk of `rows` (grown in powers of two up to chunkRows). */
  const slotBuffer = (name: string, s: number, rows: number, bytes: number): GPUBuffer =>
    runner.grow(`${name} slot ${s}`, capacityFor(rows, chunkRows) * bytes, STORAGE_IN).buffer;

  /**
   * A host array is uploaded into slot `s`'s buffer `name`; a GPU buffer is bound in place at the
   * chunk's offset. `half`: 16-bit logits (2 bytes each; the binding rounded up to whole 4-byte words).
   */
  const place = (
    input: LabelArray | Float32Array | Uint16Array | GPUBuffer, name: string, s: number,
    start: number, rows: number, width: number, half = false,
  ): GPUBuffer | GPUBufferBinding => {
    if (isGpuBuffer(input)) {
      if (half) return { buffer: input, offset: start * width * 2, size: Math.ceil((rows * width) / 2) * 4 };
      return { buffer: input, offset: start * width * 4, size: rows * width * 4 };
    }
    const target = slotBuffer(name, s, rows, width * (half ? 2 : 4));
    if (half) writeHalves(target, input as Uint16Array, start * width, rows * width);
    else if (input instanceof Float32Array) writeArray(device.queue, target, 0, input, start * width, rows * width);
    else writeIndices(target, input, start, rows);
    return target;
  };

  /** Uploads rows [start, start + rows) of the weights as fixed-point (lo, hi) pairs into slot `s`'s weights buffer. */
  const placeWeights = (s: number, w: SampleWeights, exponent: number, start: number, rows: number): GPUBuffer => {
    const target = slotBuffer('weights', s, rows, 8);
    const scratch = runner.scratch(rows * 2);
    toFixedPoint(w, start, rows, exponent, scratch);
    device.queue.writeBuffer(target, 0, bufferSource(scratch), 0, rows * 2);
    return target;
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
    if (weights && !weightedCounts) {
      const what = `sample weights with ${numClasses} classes ((3 (C x C + C) + 4) x 4 bytes)`;
      checkBinding(device.limits, weightedBytes, 'weights', what);
      weightedCounts = runner.buffer('weighted counts', weightedBytes, STORAGE_OUT);
    }
    const argmaxConstants = { ...constants, ...halfConstants(half) };
    const fusedConstants = { ...argmaxConstants, TOP_K: topK, ...ignore };
    const countConstants = { ...constants, ...ignore };
    partial.fill(0);
    let pending = 0;
    await runner.chunks<number>(rows, step, {
      fold: (words, through) => fold(batch, words, through, exponent),
      encode: (encoder, start, n, s) => {
        const labelBinding = place(labels, 'labels', s, start, n, 1);
        const logitBinding = logits && place(logits, 'logits', s, start, n, numClasses, half !== undefined);
        const dispatch = <K extends KernelName>(kernel: K, c: Record<string, number>, bound: Bindings<K>, perGroup = wg) =>
          runner.dispatch(encoder, kernel, c, bound, groups(n, perGroup));
        if (weights) {
          const weightBinding = placeWeights(s, weights, exponent!, start, n);
          const bound = { labels: labelBinding, counts: weightedCounts!, weights: weightBinding };
          if (logitBinding) dispatch('argmax_count_weighted', fusedConstants, { ...bound, logits: logitBinding });
          else dispatch('count_weighted', countConstants, { ...bound, preds: place(preds!, 'preds', s, start, n, 1) });
        } else if (logitBinding && fused) {
          const bound = { logits: logitBinding, labels: labelBinding, counts };
          if (local) dispatch('argmax_count_local', { ...fusedConstants, LOCAL_ROWS }, bound, wg * LOCAL_ROWS);
          else dispatch('argmax_count', fusedConstants, bound);
        } else {
          const predBinding = logitBinding ? slotBuffer('preds', s, n, 4) : place(preds!, 'preds', s, start, n, 1);
          if (logitBinding) dispatch('argmax', argmaxConstants, { logits: logitBinding, preds: predBinding });
          const bound = { labels: labelBinding, preds: predBinding, counts };
          if (fused) dispatch('count_global', countConstants, bound);
          else dispatch('count_private', { ...countConstants, PRIVATE_BINS: cells }, bound, countRowsPerGroup);
        }
        pending += n;
        stats.chunks++;
        const nextRows = Math.min(step, rows - start - n);
        if (nextRows > 0 && pending + nextRows <= plan.flushEvery) return undefined;
        pending = 0;
        stats.flushes++;
        const source = exponent === undefined ? counts : weightedCounts!;
        const bytes = exponent === undefined ? countsBytes : weightedBytes;
        return { source, bytes, clearBytes: bytes, info: start + n };
      },
    });
    for (let i = 0; i < host.length; i++) host[i]! += partial[i]!;
  };

  const discard = async (): Promise<void> => {
    const encoder = device.createCommandEncoder({ label: 'confmat discard' });
    encoder.clearBuffer(counts);
    if (weightedCounts) encoder.clearBuffer(weightedCounts);
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
