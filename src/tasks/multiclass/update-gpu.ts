import { InputError } from '../../core/errors.js';
import type { FormattedGpuBatch, HalfDtype, LabelArray, SampleWeights } from '../../core/types.js';
import type { TaskCounter } from '../../engine/accumulator.js';
import { type GpuPlan, type GpuPlanOptions, LOCAL_ROWS, planGpu, WIDE_LANES } from '../../engine/chunk-plan.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { bufferSource } from '../../engine/error-scope.js';
import { isGpuBuffer } from '../../engine/gpu-batch.js';
import type { Bindings, KernelName } from '../../engine/pipelines.js';
import { checkBinding, chunkStep, countAt, placeRows, valueAt } from '../../engine/task-gpu.js';
import { argmaxWgsl } from '../../engine/wgsl/argmax.generated.js';
import { histogramWgsl } from '../../engine/wgsl/histogram.generated.js';
import { fixedPointExponent, toFixedPoint } from '../../format/weights.js';

/**
 * The GPU update: batches through the argmax and histogram kernels into u32 counts on the device,
 * folded into exact host totals before any cell could overflow; a batch that fails adds nothing.
 */
export interface GpuCounter extends TaskCounter<FormattedGpuBatch, Float64Array> {
  readonly plan: GpuPlan;
  /** Work done so far: chunks dispatched and read-backs of the u32 counts into the host totals. */
  readonly stats: { chunks: number; flushes: number };
  /** Exact counts of every batch whose update resolved (row-major C x C); {@link committed} without the device. */
  read(): Promise<Float64Array>;
  /** With `topK`: top-k hits per true class of every batch whose update resolved (else empty). */
  committedTopK(): Float64Array;
}

/** Options of {@link createGpuCounter}: the plan's knobs, and top-k hits counted in the same pass. */
export interface GpuCounterOptions extends GpuPlanOptions {
  /**
   * Also count, per true class, the rows whose label is among the k highest logits (sklearn's top_k_accuracy_score). 0:
   * off.
   */
  topK?: number | undefined;
  /** Rows whose label in a GPU buffer is this value (as u32 bits: -100 is 0xffffff9c) are skipped on the GPU. */
  ignoreIndex?: number | undefined;
}

/** Override constants that make argmax.wgsl read 16-bit logits: halves packed two per u32, NaN above HALF_INF. */
const halfConstants = (
  half: HalfDtype | undefined,
): Record<string, number> => (half ? { LOGIT_BITS: 16, HALF_INF: half === 'float16' ? 0x7c00 : 0x7f80 } : {});

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
  // argmax_count_wide: a power of two of lanes per row, WORKGROUP_SIZE / LANES rows per workgroup.
  const lanes = plan.histogram === 'wide' ? 2 ** Math.floor(Math.log2(Math.min(WIDE_LANES, wg))) : 0;
  const ignore: Record<string, number> = options.ignoreIndex === undefined ?
    {} :
    { HAS_IGNORE: 1, IGNORE_LABEL: options.ignoreIndex >>> 0 };
  const countRowsPerGroup = fused ? wg : Math.max(wg * 8, cells * 4);

  const runner = createChunkRunner(device, 'matrix', { argmax: argmaxWgsl, histogram: histogramWgsl });
  const hitCells = topK > 0 ? numClasses : 0;
  const countsBytes = (cells + 4 + hitCells) * 4;
  const counts = runner.buffer('counts', countsBytes);
  // Sample weights: 96-bit fixed-point cells (shaders/common/weighted-add.wgsl), made on the first
  // weighted batch. Cell k < cells + numClasses is words 3k..3k+2 (top-k hits after the matrix),
  // then the four out-of-range tallies.
  const weightedCells = cells + numClasses;
  const weightedBytes = (3 * weightedCells + 4) * 4;
  let weightedCounts: GPUBuffer | undefined;

  const partial = new Float64Array(cells + hitCells);
  const stats = { chunks: 0, flushes: 0 };

  const slotBuffer = (name: string, s: number, rows: number, bytes: number): GPUBuffer =>
    runner.grow(`${name} slot ${s}`, capacityFor(rows, chunkRows) * bytes).buffer;

  const place = (input: LabelArray | Float32Array | Uint16Array | GPUBuffer, name: string, s: number, start: number,
    rows: number, width: number, half = false): GPUBuffer | GPUBufferBinding =>
    placeRows(runner, input, `${name} slot ${s}`, start, rows, width, capacityFor(rows, chunkRows), half).binding;

  /** Uploads rows [start, start + rows) of the weights as fixed-point (lo, hi) pairs into slot `s`'s weights buffer. */
  const placeWeights = (s: number, w: SampleWeights, exponent: number, start: number, rows: number): GPUBuffer => {
    const target = slotBuffer('weights', s, rows, 8);
    const scratch = runner.scratch(rows * 2);
    toFixedPoint(w, start, rows, exponent, scratch);
    device.queue.writeBuffer(target, 0, bufferSource(scratch), 0, rows * 2);
    return target;
  };

  const refuse = async (batch: FormattedGpuBatch, field: 'labels' | 'preds', rowsBad: number, firstBits: number,
    through: number): Promise<never> => {
    const row = ~firstBits >>> 0;
    const input = batch[field];
    const value = isGpuBuffer(input) ? await valueAt(runner, input, row) : undefined;
    const what = field === 'labels' ? 'label' : 'predicted class';
    const shown = value === undefined ? '' : ` ${value} (as int32: ${value | 0})`;
    throw new InputError(field,
      `index ${row}: ${what}${shown} is outside [0, ${numClasses}) (${rowsBad} such rows among rows [0, ` +
        `${through}) of this batch)`, row, value);
  };

  /**
   * Adds read-back counts to `partial` (the device's were zeroed as they were read); refuses the
   * batch on out-of-range indices among rows [0, through). A weighted batch's 96-bit cells are
   * divided by 2^exponent.
   */
  const fold = async (batch: FormattedGpuBatch, gpu: Uint32Array, through: number,
    exponent?: number): Promise<void> => {
    const tally = exponent === undefined ? cells : 3 * weightedCells;
    if (gpu[tally] !== 0) await refuse(batch, 'labels', gpu[tally]!, gpu[tally + 2]!, through);
    if (gpu[tally + 1] !== 0) await refuse(batch, 'preds', gpu[tally + 1]!, gpu[tally + 3]!, through);
    const hitsAt = exponent === undefined ? 4 : 0;
    for (let i = 0; i < cells + hitCells; i++) partial[i]! += countAt(gpu, i < cells ? i : hitsAt + i, exponent);
  };

  const discard = async (): Promise<void> => {
    const encoder = device.createCommandEncoder({ label: 'confmat discard' });
    encoder.clearBuffer(counts);
    if (weightedCounts) encoder.clearBuffer(weightedCounts);
    device.queue.submit([encoder.finish()]);
  };

  const updateChunks = async (host: Float64Array, batch: FormattedGpuBatch): Promise<void> => {
    const { rows, labels, logits, preds, weights } = batch;
    const half = logits === undefined ? undefined : batch.logitsDtype;
    if (topK > 0 && !logits) {
      throw new InputError('preds', 'top-k needs logits: a batch of predicted classes has no scores to rank');
    }
    const resident = isGpuBuffer(labels) || isGpuBuffer(logits) || isGpuBuffer(preds);
    const step = chunkStep(chunkRows, rows, resident, half !== undefined);
    const exponent = weights === undefined ? undefined : fixedPointExponent(weights);
    if (weights && !weightedCounts) {
      const what = `sample weights with ${numClasses} classes ((3 (C x C + C) + 4) x 4 bytes)`;
      checkBinding(device.limits, weightedBytes, 'weights', what);
      weightedCounts = runner.buffer('weighted counts', weightedBytes);
    }
    const argmaxConstants = { ...constants, ...halfConstants(half) };
    const fusedConstants = { ...argmaxConstants, TOP_K: topK, ...ignore };
    const countConstants = { ...constants, ...ignore };
    const wideConstants = { ...argmaxConstants, ...ignore, LANES: lanes };
    partial.fill(0);
    let pending = 0;
    await runner.chunks<number>(rows, step, { fold: (words, through) => fold(batch, words, through, exponent),
      encode: (encoder, start, n, s) => {
        const labelBinding = place(labels, 'labels', s, start, n, 1);
        const logitBinding = logits && place(logits, 'logits', s, start, n, numClasses, half !== undefined);
        const dispatch = <K extends KernelName>(kernel: K, c: Record<string, number>, bound: Bindings<K>, per = wg) =>
          runner.dispatch(encoder, kernel, c, bound, groupsFor(n, per, maxWorkgroups));
        if (weights) {
          const weightBinding = placeWeights(s, weights, exponent!, start, n);
          const bound = { labels: labelBinding, counts: weightedCounts!, weights: weightBinding };
          if (logitBinding) dispatch('argmax_count_weighted', fusedConstants, { ...bound, logits: logitBinding });
          else dispatch('count_weighted', countConstants, { ...bound, preds: place(preds!, 'preds', s, start, n, 1) });
        } else if (logitBinding && fused) {
          const bound = { logits: logitBinding, labels: labelBinding, counts };
          if (local) dispatch('argmax_count_local', { ...fusedConstants, LOCAL_ROWS }, bound, wg * LOCAL_ROWS);
          else if (lanes) dispatch('argmax_count_wide', wideConstants, bound, Math.floor(wg / lanes));
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
      } }).catch(async (e: unknown) => {
        if (e instanceof InputError) await discard();
        throw e;
      });
    for (let i = 0; i < host.length; i++) host[i]! += partial[i]!;
  };

  const counter = runnerCounter(runner, 'update', () => new Float64Array(cells + hitCells), updateChunks);
  return { ...counter, plan, stats,
    read: () => runner.queued(async () => (runner.alive(), counter.committed().slice(0, cells))),
    committed: () => counter.committed().slice(0, cells), committedTopK: () => counter.committed().slice(cells) };
}
