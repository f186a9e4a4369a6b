import { GpuUnavailableError, InputError } from '../core/errors.js';
import { checkBufferDevice } from './gpu-batch.js';
import { createSerial } from './serial.js';
import { resolveInputs, type TensorFields } from './tensor-inputs.js';

/** A task's counter on one device (or the CPU): folded counts on the host, read without touching the device. */
export interface TaskCounter<B, C> {
  /** Counts one formatted batch; resolves once it is in {@link committed}; a batch that fails adds nothing. */
  update(batch: B): Promise<void>;
  /** The counts of every batch whose update resolved, synchronously (usable after the device is lost). */
  committed(): C;
  reset(): Promise<void>;
  destroy(): void;
}

/** What {@link taskMatrix} needs to know of a task's counting. */
export interface TaskSpec<B, C> {
  /** What the user holds, for messages: 'confusion matrix', 'multilabel matrix'. */
  name: string;
  empty(): C;
  /** Adds `from` into `into`. */
  add(into: C, from: C): void;
  /** Counts a batch into `into` on the CPU. */
  count(into: C, batch: B): void;
  /** A counter on `device`. */
  gpu(device: GPUDevice): TaskCounter<B, C>;
  /** True when the batch lives in GPU buffers of the counter's device (it cannot move elsewhere). */
  resident?(batch: B): boolean;
}

/** Where to count and what to do when the device goes. */
export interface AccumulatorOptions {
  /** Count on this WebGPU device; without one, on the CPU. */
  device?: GPUDevice | undefined;
  /**
   * Called when the device is lost or runs out of memory mid-stream: return a new device to go on
   * with, or undefined to go on on the CPU (the default). Either way no batch whose update resolved
   * is lost, and the batch that failed is counted once, anew.
   */
  recover?: ((failure: Error) => Promise<GPUDevice | undefined> | GPUDevice | undefined) | undefined;
  /** Where a recovery is said aloud. Default: `console.warn`. */
  warn?: ((message: string) => void) | undefined;
}

/** Adds `from` into `into` element by element (the fold of every task's float64 counts). */
export function addInto(into: Float64Array, from: ArrayLike<number>): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
}

const MAX_RECOVERIES = 3;

/**
 * Failures that a new device or the CPU can recover from: a lost device, out of memory. Validation errors are bugs and
 * throw.
 */
function recoverable(e: unknown, lost: boolean): boolean {
  if (e instanceof InputError) return false;
  if (lost) return true;
  if (e instanceof GpuUnavailableError) return /\(out-of-memory\)/.test(e.message);
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'OperationError');
}

/**
 * A task's public matrix, the stateful shell every task shares: calls run one at a time in call order,
 * counts survive a lost device (going on on `recover`'s device or the CPU, said aloud), a failed or
 * destroyed matrix refuses further use; `extra` adds read-only facts such as `numClasses`.
 */
export function taskMatrix<In, B, C, R, S, M, X extends object>(spec: TaskIo<In, B, C, R, S, M>,
  options: AccumulatorOptions, extra: X): TaskMatrix<In, R, S, M> & X {
  const warn = options.warn ?? ((m: string) => console.warn(m));
  let saved = spec.empty();
  let counter!: TaskCounter<B, C>;
  let onGpu = false;
  let device: GPUDevice | undefined;
  let lost: GPUDeviceLostInfo | undefined;
  let failed: Error | undefined;
  let destroyed = false;
  const serial = createSerial();

  const use = (next: GPUDevice | undefined): void => {
    lost = undefined;
    device = next;
    onGpu = next !== undefined;
    counter = next ? spec.gpu(next) : cpuCounter(spec.empty, spec.count);
    void next?.lost.then((info) => {
      if (device === next) lost = info;
    });
  };
  use(options.device);

  const usable = (): void => {
    if (destroyed) throw new GpuUnavailableError(`this ${spec.name} was destroyed`);
    if (failed) throw new GpuUnavailableError(`this ${spec.name} failed earlier: ${failed.message}`);
  };

  const failOver = async (failure: Error): Promise<void> => {
    const reason = lost ?
      `the GPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''})` :
      `the GPU failed (${failure.message})`;
    spec.add(saved, counter.committed());
    counter.destroy();
    let next: GPUDevice | undefined;
    try {
      next = await options.recover?.(failure);
    } catch (e) {
      warn(`confmat: no new device (${(e as Error).message})`);
    }
    use(next);
    warn(
      `confmat: ${reason}; ${
        next ? 'going on with a new device' : 'counting on the CPU from here on'
      }; no accepted batch is lost`,
    );
  };

  const update = async (input: In): Promise<void> => {
    usable();
    if (!spec.inputs) return counted(input);
    const resolved = await resolveInputs(input, spec.inputs, onGpu && !lost ? device : undefined);
    try {
      return await counted(resolved.batch as In);
    } finally {
      resolved.release();
    }
  };

  const counted = async (input: In): Promise<void> => {
    const batch = spec.format(input);
    const resident = spec.resident?.(batch) ?? false;
    for (let attempt = 0;; attempt++) {
      if (onGpu && lost) await failOver(new GpuUnavailableError('device lost'));
      if (resident && (attempt > 0 || !onGpu)) {
        throw new GpuUnavailableError(
          "this batch lives in GPU buffers of a device that is gone (or was never this matrix's): " +
            'it was not counted; earlier batches are kept',
        );
      }
      try {
        if (resident) await checkBufferDevice(device!, batch as object);
        await counter.update(batch);
        return;
      } catch (e) {
        if (!onGpu || !recoverable(e, lost !== undefined) || attempt >= MAX_RECOVERIES) {
          if (onGpu && !(e instanceof InputError)) failed = e as Error;
          throw e;
        }
        await failOver(e as Error);
      }
    }
  };

  const totals = (): C => {
    const all = spec.empty();
    spec.add(all, saved);
    spec.add(all, counter.committed());
    return all;
  };

  const turn = <T>(op: () => T | Promise<T>): Promise<T> =>
    serial(async () => {
      usable();
      return op();
    });
  const matrix: TaskMatrix<In, R, S, M> = { get backend() {
    return onGpu ? 'gpu' : 'cpu';
  }, update: (batch) => serial(() => update(batch)), compute: () => turn(() => spec.result(totals())),
    state: (meta) => turn(() => spec.state(spec.result(totals()), meta)), load: async (state) => {
      const counts = spec.load(state);
      return turn(() => spec.add(saved, counts));
    }, reset: () =>
      turn(async () => {
        saved = spec.empty();
        await counter.reset();
      }), destroy: () => {
      destroyed = true;
      counter.destroy();
    } };
  return Object.assign(matrix, extra);
}

/** A {@link TaskCounter} on the CPU: `count` adds a batch into the counts. */
function cpuCounter<B, C>(empty: () => C, count: (into: C, batch: B) => void): TaskCounter<B, C> {
  let counts = empty();
  return { update: async (batch) => count(counts, batch), committed: () => counts, reset: async () => {
    counts = empty();
  }, destroy: () => undefined };
}

/** The public shape every task's matrix shares: counting, results and states. */
export interface TaskMatrix<In, R, S, M> {
  /** Where counting runs now: 'gpu' can become 'cpu' after a device loss. */
  readonly backend: 'gpu' | 'cpu';
  /** Validates the whole batch (a refused batch adds nothing), then counts it; resolves once it is in the totals. */
  update(batch: In): Promise<void>;
  /** The result of every batch so far (and of the states loaded); counting may go on afterwards. */
  compute(): Promise<R>;
  /** Forgets every count. */
  reset(): Promise<void>;
  /** The counts so far as a serializable state (names, shards in `meta`); states merge. */
  state(meta?: M): Promise<S>;
  /** Adds a saved state's counts (another shard, a previous run); refuses one counted otherwise. */
  load(state: S): Promise<void>;
  /** Frees the GPU buffers (a no-op on the CPU). */
  destroy(): void;
}

/** What a task's matrix adds to its {@link TaskSpec}: batches checked, results and states read and written. */
export interface TaskIo<In, B, C, R, S, M> extends TaskSpec<B, C> {
  /** The fields that may be framework tensors or plain arrays (resolved before `format`); absent: none. */
  inputs?: TensorFields;
  format(batch: In): B;
  result(counts: C): R;
  state(result: R, meta: M | undefined): S;
  /** A saved state's counts; throws an InputError when it was counted otherwise than this matrix counts. */
  load(state: S): C;
}
