import { GpuUnavailableError, InputError } from './core/errors.js';
import { reduceCounts } from './core/reduce.js';
import { dropIgnored } from './core/select.js';
import { createSerial } from './core/serial.js';
import { createState, parseState, type ConfusionMatrixState, type StateMeta } from './core/state.js';
import type { Batch, ConfusionMatrixResult, GpuBatch } from './core/types.js';
import { cpuBatch, validateNumClasses } from './core/validate.js';
import type { GpuPlanOptions } from './gpu/chunk-plan.js';
import { cpuUpdateFast as cpuUpdate } from './update/cpu-fast.js';
import { cpuTopKHits } from './update/top-k.js';
import { cpuUpdateWeighted } from './update/cpu-weighted.js';
import { checkWeights } from './core/weights.js';
import { formatGpuBatch, hasGpuInputs, isGpuBuffer } from './update/gpu-batch.js';
import { createGpuCounter, type GpuCounter } from './update/gpu-update.js';

/** Options of {@link createConfusionMatrix}: the class count, and a device to run on the GPU. */
export interface ConfusionMatrixOptions extends GpuPlanOptions {
  numClasses: number;
  /** Count on this WebGPU device; without one, counting runs on the CPU. */
  device?: GPUDevice | undefined;
  /**
   * Called when the device is lost or runs out of memory mid-stream: return a new device to go on
   * with, or undefined to go on on the CPU (the default). Either way no batch whose update resolved
   * is lost, and the batch that failed is counted once, anew.
   */
  recover?: ((failure: Error) => Promise<GPUDevice | undefined> | GPUDevice | undefined) | undefined;
  /** Where a recovery is said aloud. Default: `console.warn`. */
  warn?: ((message: string) => void) | undefined;
  /**
   * Samples whose label is this value are skipped (torchmetrics' `ignore_index`; negative values
   * such as -100 too): dropped on the host from host arrays, skipped by the kernels in GPU buffers.
   */
  ignoreIndex?: number | undefined;
  /**
   * Also count top-k hits per true class in the same pass (sklearn's top_k_accuracy_score ranking);
   * the result then has `topK`. Needs logits: batches of predicted classes are refused.
   */
  topK?: number | undefined;
}

/**
 * A stateful confusion matrix: `update()` with batches, `compute()` the counts at any time.
 * Rows are true classes, columns predicted classes.
 */
export interface ConfusionMatrix {
  readonly numClasses: number;
  /** Where counting runs now: 'gpu' can become 'cpu' after a device loss. */
  readonly backend: 'gpu' | 'cpu';
  /**
   * Validates the whole batch (nothing is counted if any of it is refused), then counts it; resolves
   * once the batch is in the totals. Batches may hold GPU buffers on the matrix's device (zero-copy).
   */
  update(batch: Batch | GpuBatch): Promise<void>;
  /** The exact counts so far; counting may go on afterwards. */
  compute(): Promise<ConfusionMatrixResult>;
  /** Forgets every count. */
  reset(): Promise<void>;
  /** The counts so far as a serializable state (see `mergeStates`), with optional class names and shard set. */
  state(meta?: StateMeta): Promise<ConfusionMatrixState>;
  /** Adds a saved state's counts (another shard, a previous run) to this matrix; refuses another C. */
  load(state: ConfusionMatrixState): Promise<void>;
  /** Frees the GPU buffers (a no-op on the CPU). */
  destroy(): void;
}

const MAX_RECOVERIES = 3;

/** Failures that a new device or the CPU can recover from: a lost device, out of memory. Validation errors are bugs and throw. */
function recoverable(e: unknown, lost: boolean): boolean {
  if (e instanceof InputError) return false;
  if (lost) return true;
  if (e instanceof GpuUnavailableError) return /\(out-of-memory\)/.test(e.message);
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'OperationError');
}

/**
 * Creates a confusion matrix that counts on `options.device` when given, else on the CPU.
 * Both paths give identical counts: ties go to the first maximal logit, a row with NaN to its first NaN.
 * When the device is lost mid-stream, counting goes on on `options.recover`'s device or the CPU,
 * said on `options.warn`, with nothing lost or counted twice.
 *
 * @example
 * const cm = createConfusionMatrix({ numClasses: 3, device });
 * await cm.update({ logits: new Float32Array([0.1, 2, 0.3]), labels: new Int32Array([1]) });
 * const { counts, accuracy } = await cm.compute(); // counts[1 * 3 + 1] === 1, accuracy === 1
 * const saved = JSON.stringify(await cm.state()); // later: other.load(JSON.parse(saved))
 * cm.destroy();
 */
export function createConfusionMatrix(options: ConfusionMatrixOptions): ConfusionMatrix {
  const { numClasses } = options;
  validateNumClasses(numClasses);
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const { ignoreIndex } = options;
  if (ignoreIndex !== undefined && !Number.isSafeInteger(ignoreIndex)) throw new InputError('ignoreIndex', `ignoreIndex must be an integer, got ${ignoreIndex}`, undefined, ignoreIndex);
  const topK = options.topK ?? 0;
  if (!Number.isSafeInteger(topK) || topK < 0) throw new InputError('topK', `topK must be an integer >= 0 (0: off), got ${topK}`, undefined, topK);
  const savedHits = new Float64Array(topK > 0 ? numClasses : 0);
  const saved = new Float64Array(numClasses * numClasses);
  let counter: GpuCounter | undefined;
  let lost: GPUDeviceLostInfo | undefined;
  let failed: Error | undefined;
  let destroyed = false;
  let counterDevice: GPUDevice | undefined;
  let weighted = false;

  const use = (device: GPUDevice | undefined): void => {
    lost = undefined;
    counter = device ? createGpuCounter(device, numClasses, options) : undefined;
    void device?.lost.then((info) => {
      if (counter && device === counterDevice) lost = info;
    });
    counterDevice = device;
  };
  use(options.device);

  const serial = createSerial();
  const usable = (): void => {
    if (destroyed) throw new GpuUnavailableError('this confusion matrix was destroyed');
    if (failed) throw new GpuUnavailableError(`this confusion matrix failed earlier: ${failed.message}`);
  };

  const failOver = async (failure: Error): Promise<void> => {
    const reason = lost ? `the GPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''})` : `the GPU failed (${failure.message})`;
    const totals = counter!.committed();
    for (let i = 0; i < totals.length; i++) saved[i]! += totals[i]!;
    const hits = counter!.committedTopK();
    for (let i = 0; i < hits.length; i++) savedHits[i]! += hits[i]!;
    counter!.destroy();
    let next: GPUDevice | undefined;
    try {
      next = await options.recover?.(failure);
    } catch (e) {
      warn(`confmat: no new device (${(e as Error).message})`);
    }
    use(next);
    warn(`confmat: ${reason}; ${next ? 'going on with a new device' : 'counting on the CPU from here on'}; no accepted batch is lost`);
  };

  const compute = async (): Promise<ConfusionMatrixResult> => {
    usable();
    const totals = saved.slice();
    const gpu = counter?.committed();
    if (gpu) for (let i = 0; i < totals.length; i++) totals[i]! += gpu[i]!;
    const result = reduceCounts(totals, numClasses, weighted);
    if (topK > 0) {
      const hits = savedHits.slice();
      const gpuHits = counter?.committedTopK();
      if (gpuHits) for (let i = 0; i < hits.length; i++) hits[i]! += gpuHits[i]!;
      const sum = hits.reduce((a, b) => a + b, 0);
      result.topK = { k: topK, hits, accuracy: result.total === 0 ? 0 : sum / result.total };
    }
    return result;
  };

  const update = async (batch: Batch | GpuBatch): Promise<void> => {
    usable();
    if (batch.weights !== undefined) checkWeights(batch.weights, batch.weights.length);
    if (ignoreIndex !== undefined && !hasGpuInputs(batch)) batch = dropIgnored(batch as Batch, ignoreIndex, numClasses);
    else if (ignoreIndex !== undefined && !isGpuBuffer(batch.labels)) {
      throw new InputError('labels', 'ignoreIndex with logits or predictions in GPU buffers needs the labels in a GPU buffer too (skipped on the GPU), or all inputs on the host');
    }
    const formatted = formatGpuBatch(batch, numClasses);
    if (batch.weights !== undefined) formatted.weights = checkWeights(batch.weights, formatted.rows);
    const resident = hasGpuInputs(batch);
    for (let attempt = 0; ; attempt++) {
      if (counter && lost) await failOver(new GpuUnavailableError('device lost'));
      if (resident && (attempt > 0 || !counter)) {
        throw new GpuUnavailableError('this batch lives in GPU buffers of a device that is gone (or was never this matrix\'s): it was not counted; earlier batches are kept');
      }
      if (!counter) {
        const fb = cpuBatch(formatted);
        if (topK > 0 && !fb.logits) throw new InputError('preds', 'top-k needs logits: a batch of predicted classes has no scores to rank');
        if (fb.weights) cpuUpdateWeighted(saved, { ...fb, weights: fb.weights });
        else cpuUpdate(saved, fb);
        if (topK > 0) cpuTopKHits(fb.logits!, fb.labels, numClasses, topK, savedHits, fb.weights);
        weighted ||= fb.weights !== undefined;
        return;
      }
      try {
        await counter.update(formatted);
        weighted ||= formatted.weights !== undefined;
        return;
      } catch (e) {
        if (!recoverable(e, lost !== undefined) || attempt >= MAX_RECOVERIES) {
          if (!(e instanceof InputError)) failed = e as Error;
          throw e;
        }
        await failOver(e as Error);
      }
    }
  };

  return {
    numClasses,
    get backend() {
      return counter ? 'gpu' : 'cpu';
    },
    update: (batch) => serial(() => update(batch)),
    compute: () => serial(compute),
    state: (meta) => serial(async () => createState(await compute(), { ...meta, options: { ...meta?.options, ...(ignoreIndex !== undefined ? { ignoreIndex } : {}) } })),
    load: (state) =>
      serial(async () => {
        usable();
        const s = parseState(state, 'state');
        if (s.numClasses !== numClasses) throw new InputError('state', `the state counts ${s.numClasses} classes, this matrix ${numClasses}`, undefined, s.numClasses);
        const o = s.options;
        if (o.ignoreIndex !== ignoreIndex || (o.topK ?? 0) !== topK || o.classSubset !== undefined) {
          throw new InputError('state', `the state was counted with options ${JSON.stringify(o)}, this matrix with ${JSON.stringify({ numClasses, ignoreIndex, topK: topK || undefined })}`, undefined, o);
        }
        for (let i = 0; i < s.counts.length; i++) saved[i]! += s.counts[i]!;
        weighted ||= o.sampleWeight === true;
        for (let i = 0; i < savedHits.length; i++) savedHits[i]! += s.topKHits![i]!;
      }),
    reset: () =>
      serial(async () => {
        usable();
        saved.fill(0);
        savedHits.fill(0);
        weighted = false;
        await counter?.reset();
      }),
    destroy: () => {
      destroyed = true;
      counter?.destroy();
    },
  };
}

/**
 * One-shot: the confusion matrix of one batch, on `options.device` when given, else on the CPU.
 *
 * @example
 * const r = await confusionMatrix({ preds: new Uint8Array([0, 1, 1]), labels: new Uint8Array([0, 1, 0]) }, { numClasses: 2 });
 * r.counts; // Float64Array [1, 1, 0, 1]
 */
export async function confusionMatrix(batch: Batch | GpuBatch, options: ConfusionMatrixOptions): Promise<ConfusionMatrixResult> {
  const cm = createConfusionMatrix(options);
  try {
    await cm.update(batch);
    return await cm.compute();
  } finally {
    cm.destroy();
  }
}
