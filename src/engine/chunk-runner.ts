import { GpuUnavailableError } from '../core/errors.js';
import type { TaskCounter } from './accumulator.js';
import { gpuScoped } from './error-scope.js';
import { isGpuBuffer } from './gpu-batch.js';
import { bindGroup, type Bindings, getPipeline, type KernelName, type ShaderSources } from './pipelines.js';
import { createSerial } from './serial.js';

/** What one chunk put on the command encoder, and which words of which buffer to read back. */
interface EncodedChunk<T> {
  /** The buffer holding the chunk's results; `bytes` of it are read back, then the first `clearBytes` zeroed. */
  source: GPUBuffer;
  bytes: number;
  clearBytes: number;
  /** Whatever {@link ChunkSteps.fold} needs to make sense of the words (start row, fixed-point exponent...). */
  info: T;
}

/** A task's two steps per chunk: encode (uploads and dispatches) and fold (read-back words into host totals). */
interface ChunkSteps<T> {
  /**
   * Uploads rows [start, start + rows) and records the dispatches on `encoder`; `slot` (0 or 1) alternates,
   * for inputs that need a buffer per chunk in flight. Returns what to read back, or undefined for none yet.
   */
  encode(encoder: GPUCommandEncoder, start: number, rows: number, slot: number): EncodedChunk<T> | undefined;
  /**
   * Adds read-back words to the batch's partial totals; called in chunk order. May throw (or reject) to refuse the
   * batch.
   */
  fold(words: Uint32Array, info: T): void | Promise<void>;
}

/**
 * The GPU side every task shares: tracked buffers that grow with the chunks, a `params` uniform of
 * each chunk's rows and first row, cached bind groups, two read-back slots so that the next chunk is
 * uploaded and dispatched while the last one's results come back, error scopes, one operation at a
 * time, and a clear refusal after `destroy()`.
 */
export interface ChunkRunner {
  readonly device: GPUDevice;
  /** A new buffer labelled `confmat <task> <label>`, freed by {@link destroy}; default usage: storage, copies. */
  buffer(label: string, bytes: number, usage?: number): GPUBuffer;
  /** The buffer named `name`, at least `bytes` long (replaced by a larger one when needed): `grew` says it is new. */
  grow(name: string, bytes: number, usage?: number): { buffer: GPUBuffer; grew: boolean };
  /** A host array of at least `words` u32 to stage uploads in, reused by every call. */
  scratch(words: number): Uint32Array;
  /**
   * Records a pass of `kernel` over `groups` workgroups, `params` bound besides `resources`; a bind
   * group of whole buffers is cached until a buffer grows.
   */
  dispatch<K extends KernelName>(encoder: GPUCommandEncoder, kernel: K, constants: Record<string, number>,
    resources: Bindings<K>, groups: number): void;
  /**
   * Splits `rows` into chunks of at most `chunkRows`, runs {@link ChunkSteps} on each, and resolves once every chunk is
   * folded.
   */
  chunks<T>(rows: number, chunkRows: number, steps: ChunkSteps<T>): Promise<void>;
  /** Runs `op` after every earlier one, inside error scopes (`what` names it in errors); refused once destroyed. */
  run<R>(what: string, op: () => Promise<R>): Promise<R>;
  /** Runs `op` after every earlier one, without touching the device. */
  queued<R>(op: () => Promise<R>): Promise<R>;
  /** Throws GpuUnavailableError once destroyed. */
  alive(): void;
  /** Frees every buffer; later runs throw GpuUnavailableError. */
  destroy(): void;
}

const SLOTS = 2;
const MIN_BYTES = 16;
const storage = (): number => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
const ids = new WeakMap<object, number>();
let lastId = 0;
const idOf = (o: object): number => ids.get(o) ?? (ids.set(o, ++lastId), lastId);

/**
 * Rows to allocate for a chunk of `rows`: the next power of two (at least 256), at most `chunkRows`,
 * so that buffers grow a few times and then stay.
 *
 * @example
 * capacityFor(1000, 1 << 20); // 1024
 */
export function capacityFor(rows: number, chunkRows: number): number {
  return Math.min(chunkRows, Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, rows)))));
}

/**
 * Workgroups for `rows` rows at `perGroup` rows a workgroup, capped at `maxWorkgroups` (the kernels
 * loop over the rest).
 *
 * @example
 * groupsFor(1000, 256, 65535); // 4
 */
export function groupsFor(rows: number, perGroup: number, maxWorkgroups: number): number {
  return Math.max(1, Math.min(Math.ceil(rows / perGroup), maxWorkgroups));
}

/**
 * Creates a {@link ChunkRunner} for one task on `device`; `task` goes into every label and error, `shaders` holds the
 * WGSL of the kernels it dispatches (`{ multilabel: multilabelWgsl }`).
 */
export function createChunkRunner(device: GPUDevice, task: string, shaders: ShaderSources): ChunkRunner {
  const owned = new Set<GPUBuffer>();
  const named = new Map<string, GPUBuffer>();
  const groups = new Map<string, GPUBindGroup>();
  const serial = createSerial();
  let destroyed = false;
  let scratch = new Uint32Array(0);

  const buffer = (label: string, bytes: number, usage = storage()): GPUBuffer => {
    const b = device.createBuffer({ label: `confmat ${task} ${label}`,
      size: Math.max(MIN_BYTES, Math.ceil(bytes / 4) * 4), usage });
    owned.add(b);
    return b;
  };
  const grow = (name: string, bytes: number, usage = storage()): { buffer: GPUBuffer; grew: boolean } => {
    const old = named.get(name);
    if (old && old.size >= bytes) return { buffer: old, grew: false };
    if (old) {
      old.destroy();
      owned.delete(old);
      groups.clear();
    }
    const b = buffer(name, bytes, usage);
    named.set(name, b);
    return { buffer: b, grew: true };
  };
  const params = buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const dispatch = <K extends KernelName>(encoder: GPUCommandEncoder, kernel: K, constants: Record<string, number>,
    resources: Bindings<K>, count: number): void => {
    const pipeline = getPipeline(device, kernel, constants, shaders);
    const all = { params, ...resources } as Bindings<K>;
    const bound = Object.entries(all as Record<string, GPUBuffer | GPUBufferBinding>);
    const whole = bound.every(([, b]) => isGpuBuffer(b));
    const key = whole ? `${idOf(pipeline)} ${bound.map(([n, b]) => `${n}=${idOf(b)}`)}` : '';
    let group = groups.get(key);
    if (!group) {
      group = bindGroup(device, kernel, pipeline, all, `confmat ${task} ${kernel}`);
      if (key) groups.set(key, group);
    }
    const pass = encoder.beginComputePass({ label: `confmat ${task} ${kernel}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(count);
    pass.end();
  };
  const readback = (s: number, bytes: number): GPUBuffer => {
    const had = named.get(`read-back ${s}`)?.size ?? 0;
    const size = had >= bytes ? bytes : Math.max(bytes, 2 * had);
    return grow(`read-back ${s}`, size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST).buffer;
  };
  const read = async (b: GPUBuffer, bytes: number): Promise<Uint32Array> => {
    await b.mapAsync(GPUMapMode.READ, 0, bytes);
    const words = new Uint32Array(b.getMappedRange(0, bytes)).slice();
    b.unmap();
    return words;
  };

  const chunks = async <T>(rows: number, chunkRows: number, steps: ChunkSteps<T>): Promise<void> => {
    const inFlight: ({ words: Promise<Uint32Array | undefined>; info?: T } | undefined)[] = [];
    const land = async (s: number): Promise<void> => {
      const flight = inFlight[s];
      inFlight[s] = undefined;
      const words = await flight?.words;
      if (words) await steps.fold(words, flight!.info as T);
    };
    let s = 0;
    try {
      for (let start = 0; start < rows; start += chunkRows, s = (s + 1) % SLOTS) {
        await land(s);
        const n = Math.min(chunkRows, rows - start);
        device.queue.writeBuffer(params, 0, Uint32Array.of(n, start, 0, 0));
        const encoder = device.createCommandEncoder({ label: `confmat ${task} chunk` });
        const out = steps.encode(encoder, start, n, s);
        if (!out) {
          device.queue.submit([encoder.finish()]);
          inFlight[s] = { words: device.queue.onSubmittedWorkDone().then(() => undefined) };
          continue;
        }
        const target = readback(s, out.bytes);
        encoder.copyBufferToBuffer(out.source, 0, target, 0, out.bytes);
        if (out.clearBytes > 0) encoder.clearBuffer(out.source, 0, out.clearBytes);
        device.queue.submit([encoder.finish()]);
        const words = read(target, out.bytes);
        words.catch(() => undefined);
        inFlight[s] = { words, info: out.info };
      }
      for (let k = 0; k < SLOTS; k++) await land((s + k) % SLOTS);
    } finally {
      await Promise.all(inFlight.map((f) => f?.words.catch(() => undefined)));
    }
  };

  const alive = (): void => {
    if (destroyed) throw new GpuUnavailableError(`this GPU ${task} counter was destroyed`);
  };

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const b of owned) b.destroy();
    owned.clear();
    named.clear();
    groups.clear();
  };

  return { device, buffer, grow,
    scratch: (words) => (scratch.length >= words ? scratch : (scratch = new Uint32Array(words))), dispatch, chunks,
    run: (what, op) => serial(() => (alive(), gpuScoped(device, what, op, destroy))), queued: (op) => serial(op), alive,
    destroy };
}

/**
 * A task's counter over `runner`: host counts that `count` adds each batch into (once the whole
 * batch has passed, so a batch that fails adds nothing), run in turn inside error scopes (`what`
 * names it), zeroed by reset and freed with the runner.
 */
export function runnerCounter<B, C>(runner: ChunkRunner, what: string, empty: () => C,
  count: (host: C, batch: B) => Promise<void>): TaskCounter<B, C> {
  let host = empty();
  return { update: (batch) => runner.run(what, () => count(host, batch)), committed: () => host,
    reset: () =>
      runner.queued(async () => {
        runner.alive();
        host = empty();
      }), destroy: runner.destroy };
}
