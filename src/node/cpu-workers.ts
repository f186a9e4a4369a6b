/**
 * The fast CPU path on worker threads (cpu-worker.ts) running the WebAssembly SIMD module on one shared memory.
 * Logits are copied into it by the main thread, or by the workers (from a SharedArrayBuffer or a file); each worker
 * counts into its own u32 table, added into exact float64 totals on `read()`. Class indices count on this thread.
 *
 * @module
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { availableParallelism, endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { InputError } from '../core/errors.js';
import { MAX_WORKER_THREADS } from '../core/limits.js';
import type { FormattedBatch, LabelArray, SampleWeights } from '../core/types.js';
import { copyClassIndices } from '../format/class-indices.js';
import { checkClassIndices, isLabelArray } from '../format/validate.js';
import { checkWeights } from '../format/weights.js';
import { countPairs, createNonzeroCells, sortedCells } from '../tasks/multiclass/nonzero.js';
import { markIgnored } from '../tasks/multiclass/select.js';
import { compileCpuWasm, cpuUpdateFast, type CpuWasmExports } from '../tasks/multiclass/update-cpu-fast.js';
import { cpuUpdateWeighted } from '../tasks/multiclass/update-cpu-weighted.js';
import { badLabelError, compileLabelsWasm, rawLabelType } from './cpu-labels.js';
import { checkLogitsFileDtype, halfKind, type LogitsFileDtype } from './cpu-worker-messages.js';
import type { CpuWorkerData, CpuWorkerJob, CpuWorkerReply, JobRows, LabelsRead } from './cpu-worker-messages.js';

export { MAX_WORKER_THREADS } from '../core/limits.js';

/** cpu-worker.js beside this module, or in dist/ when this runs as TypeScript (Node 20 runs no .ts in a worker). */
export function cpuWorkerUrl(from: string = import.meta.url): URL {
  const beside = new URL('./cpu-worker.js', from);
  if (!from.endsWith('.ts') || existsSync(beside)) return beside;
  const built = new URL('../../dist/node/cpu-worker.js', from);
  if (!existsSync(built)) {
    throw new Error(`the CPU worker runs compiled: ${fileURLToPath(built)} is missing; run \`npm run build\` first`);
  }
  return built;
}

const INPUT_TYPE = /(^|\s)--input-type(=|\s+)\S+/g;

/** The parent's Node options less `--input-type` (`node --input-type=module -e`), which a file worker refuses. */
function workerNodeOptions(): Pick<WorkerOptions, 'execArgv' | 'env'> {
  const execArgv = process.execArgv.filter((a, i, all) =>
    !/^--input-type(=|$)/.test(a) && all[i - 1] !== '--input-type'
  );
  const nodeOptions = process.env.NODE_OPTIONS;
  if (!nodeOptions?.includes('--input-type')) return { execArgv };
  return { execArgv, env: { ...process.env, NODE_OPTIONS: nodeOptions.replace(INPUT_TYPE, '$1').trim() } };
}

/** The fewest rows a job holds: rows are split into jobs of at least this many. */
const MIN_JOB_ROWS = 4;

/** The worker threads worth starting for `rows` rows: at most `threads`, one per job of at least 4 rows. */
export function usefulThreads(threads: number, rows: number): number {
  return Math.max(1, Math.min(threads, Math.ceil(rows / MIN_JOB_ROWS)));
}

/** Options of {@link createCpuWorkerCounter}. */
export interface CpuWorkerCounterOptions {
  numClasses: number;
  /** Worker threads, in [1, {@link MAX_WORKER_THREADS}]. Default: `os.availableParallelism()` (at most 256). */
  threads?: number;
  /** Rows per job (one copy, one message each). Default: 4 MiB of logits, at least 4 rows. */
  jobRows?: number;
}

/**
 * Logits stored raw in a file, little-endian rows from `byteOffset` on (`.npy` and `.safetensors` data): float32, or
 * float16 (`dtype` 'f2') or bfloat16 ('bf16') read at 2 bytes a logit and widened exactly in the module.
 *
 * @example
 * const at: LogitsFile = { path: 'logits.npy', byteOffset: 128 };
 * const halves: LogitsFile = { path: 'logits-f16.npy', byteOffset: 128, dtype: 'f2' };
 */
export interface LogitsFile {
  path: string;
  /** Byte offset of the first row to count. */
  byteOffset: number;
  /** 'f4' (float32, the default), 'f2' (float16) or 'bf16' (bfloat16). */
  dtype?: LogitsFileDtype | undefined;
}

/**
 * Class indices stored raw in a file: `rows` little-endian numpy `dtype` integers; `index0` names the first.
 *
 * @example
 * const y: LabelsFile = { path: 'labels.npy', byteOffset: 128, dtype: 'i8', rows: 1000 };
 */
export interface LabelsFile {
  path: string;
  byteOffset: number;
  dtype: string;
  rows: number;
  index0?: number;
}

/** A counter whose argmax and counting run on worker threads; same contract as the GPU counter. */
export interface CpuWorkerCounter {
  readonly numClasses: number;
  readonly threads: number;
  /** Work done so far: jobs posted to workers, and read-backs of their tables into the totals. */
  readonly stats: { jobs: number; flushes: number };
  /** Counts a validated batch; resolves once the caller may reuse it (every job posted, or done for shared logits). */
  update(batch: FormattedBatch): Promise<void>;
  /**
   * Counts rows of logits stored raw in a file, each worker reading its own rows; labels in an array are checked
   * first (nothing counted on a bad one), labels in a file by the workers (a bad one fails the counter). Rows
   * labelled `ignoreIndex` are not counted; `weights` are added in row order, as one thread adds them.
   * The file stays open until `read()`, `reset()` or `destroy()`.
   */
  updateFromFile(file: LogitsFile, labels: LabelArray | LabelsFile,
    options?: { ignoreIndex?: number | undefined; weights?: SampleWeights | undefined }): Promise<void>;
  /** Exact counts so far (row-major C x C), once every posted job is done. */
  read(): Promise<Float64Array>;
  /**
   * After `read()`: the ascending indices of every nonzero cell it returned, where this thread counted them from the
   * workers' predictions (C^2 above 4M cells, no weights) and they were few (at most C^2 / 16); else undefined.
   */
  nonzero(): Uint32Array | undefined;
  /**
   * A `rows x C` float32 array in the workers' memory, counted in place by `update()` (no copy); each call may
   * return the same memory, so write it only once the previous `update()` of it resolved.
   */
  inputBuffer(rows: number): Float32Array;
  /** Zeroes every count. */
  reset(): Promise<void>;
  /** Stops the workers; the counter is unusable afterwards. */
  destroy(): Promise<void>;
}

const PAGE = 65536;
const JOB_FLOATS = 1 << 20;
/** Floats a worker copies at once from logits in a SharedArrayBuffer (256 KiB, as the one-thread path). */
const CHUNK_FLOATS = 1 << 16;
/** Up to this many cells each worker counts in its own u32 table; beyond it, the main thread counts its predictions. */
const TABLE_MAX_CELLS = 1 << 22;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

function checkCount(name: string, v: number, min = 1, max = Infinity): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  if (v > max) throw new RangeError(`${name} must be at most ${max}, got ${v}`);
}

/** A file the workers read logits from, by its descriptor (shared by every thread). */
type OpenFile = LogitsFile & { fd: number };

/** A job in flight; `labelsFrom`: the caller's index of its first label, for labels a worker reads and checks. */
type Pending = { resolve: () => void; reject: (e: Error) => void; labelsFrom?: number };

/** Labels the workers read from a file; `index0`: the caller's index of the label at `byteOffset`. */
type OpenLabels = Omit<LabelsRead, 'position' | 'raw'> & { byteOffset: number; index0: number };

/** A worker, and the byte offsets of its count table, its scratch for logits it copies and its two job slots. */
interface Lane {
  worker: Worker;
  table: number;
  scratch: number;
  slots: [number, number];
  busy: [Promise<void>, Promise<void>];
  nextSlot: 0 | 1;
  queue: Pending[];
  rowsSinceFlush: number;
}

/**
 * A {@link CpuWorkerCounter} of `threads` workers, counting as the fast CPU path; idle, they do not keep Node alive.
 *
 * @example
 * const counter = createCpuWorkerCounter({ numClasses: 10, threads: 2 });
 * await counter.update(formatBatch({ logits, labels }, 10));
 * const counts = await counter.read(); // Float64Array(100)
 */
export function createCpuWorkerCounter(options: CpuWorkerCounterOptions): CpuWorkerCounter {
  const { numClasses: c } = options;
  const threads = options.threads ?? Math.min(MAX_WORKER_THREADS, availableParallelism());
  checkCount('threads', threads, 1, MAX_WORKER_THREADS);
  checkCount('numClasses', c);
  if (options.jobRows !== undefined) checkCount('jobRows', options.jobRows);
  const module = compileCpuWasm(true);
  if (!module) throw new Error('createCpuWorkerCounter needs WebAssembly SIMD, which this Node lacks');
  const labelsModule = compileLabelsWasm(true);
  const cells = c * c;
  const inTables = cells <= TABLE_MAX_CELLS;
  /** Counted cells: C x C, plus a row C for the samples whose label is ignored (never read out). */
  const rowsCells = cells + c;
  const tableBytes = inTables ? align16(rowsCells * 4) : 0;
  let jobRows = Math.max(MIN_JOB_ROWS, Math.floor(options.jobRows ?? JOB_FLOATS / c));
  const slotBytes = (rows: number): number => 2 * align16(rows * 4) + align16(rows * c * 4 + 16);
  const chunkRows = Math.max(4, Math.floor(CHUNK_FLOATS / c));
  const scratchBytes = align16(chunkRows * c * 4 + 16);
  const laneBytes = (rows: number): number => tableBytes + scratchBytes + 2 * slotBytes(rows);
  while (jobRows > 4 && threads * laneBytes(jobRows) > 2 ** 32 - PAGE) jobRows = Math.max(4, jobRows >> 1);
  const totalsAt = align16(threads * laneBytes(jobRows));
  const inputAt = align16(totalsAt + (inTables ? rowsCells * 8 : 0));
  if (inputAt > 2 ** 32 - PAGE) {
    throw new RangeError(`${threads} workers at ${c} classes need more than the 4 GiB of one WebAssembly memory`);
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(inputAt / PAGE), maximum: 65536, shared: true });
  const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as CpuWasmExports;
  const views = (b = memory.buffer) => [new Float32Array(b), new Int32Array(b), new Uint32Array(b)] as const;
  let [f32, i32, u32] = views();
  /** The buffers of the input views handed out (the memory's SharedArrayBuffer object changes when it grows). */
  const inputBuffers = new WeakSet<ArrayBufferLike>();

  /** The exact totals: in the shared memory when the workers count in tables (the module adds those in), else here. */
  const host = inTables ? new Float64Array(memory.buffer, totalsAt, rowsCells) : new Float64Array(rowsCells);
  /** The cells this thread turned nonzero (ignored rows' cells included), while it counts and they are few. */
  let listed = inTables ? undefined : createNonzeroCells(c);
  let lastNonzero: Uint32Array | undefined;
  const stats = { jobs: 0, flushes: 0 };
  let failure: Error | undefined;
  let destroyed = false;
  let tail: Promise<unknown> = Promise.resolve();
  let nextLane = 0;
  /** The last weighted job's addition into the totals (weights are added in row order). */
  let weightsAdded: Promise<void> = Promise.resolve();
  /** The first (in row order) bad label the workers found in labels they read themselves. */
  let badLabel: InputError | undefined;

  const fail = (e: Error): Error => {
    failure ??= e;
    for (const lane of lanes) for (const p of lane.queue.splice(0)) p.reject(failure);
    return failure;
  };

  const lanes: Lane[] = [];
  const url = cpuWorkerUrl();
  const nodeOptions = workerNodeOptions();
  for (let w = 0; w < threads; w++) {
    const base = w * laneBytes(jobRows);
    const workerData = { module, labelsModule, memory } satisfies CpuWorkerData;
    const worker = new Worker(url, { ...nodeOptions, workerData });
    const slot0 = base + tableBytes + scratchBytes;
    const lane: Lane = { worker, table: base, scratch: base + tableBytes, slots: [slot0, slot0 + slotBytes(jobRows)],
      busy: [Promise.resolve(), Promise.resolve()], nextSlot: 0, queue: [], rowsSinceFlush: 0 };
    worker.on('message', (m: CpuWorkerReply) => {
      const job = lane.queue.shift();
      if (m.kind === 'done') job?.resolve();
      else if (m.kind === 'error') job?.reject(fail(new Error(`CPU worker ${w} failed: ${m.message}`)));
      else if (job) {
        // the first bad label in row order wins: it surfaces once every job in flight has answered
        const index = (job.labelsFrom ?? 0) + m.index;
        const e = badLabelError(index, m.value, c);
        if (!badLabel || index < badLabel.index!) badLabel = e;
        job.reject(e);
      }
      if (lane.queue.length === 0) worker.unref();
    });
    worker.on('error', (e) => fail(new Error(`CPU worker ${w} failed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!destroyed) fail(new Error(`CPU worker ${w} exited with code ${code}`));
    });
    worker.unref();
    lanes.push(lane);
  }

  const usable = (): void => {
    if (destroyed) throw new Error('this CPU worker counter was destroyed');
    if (failure) throw failure;
  };

  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  };

  /** Adds a lane's table into the totals (unless `drop`) and zeroes it; untouched tables are skipped. */
  const flushLane = (lane: Lane, drop = false): void => {
    if (!inTables || lane.rowsSinceFlush === 0) return;
    if (drop) u32.fill(0, lane.table >> 2, (lane.table >> 2) + rowsCells);
    else wasm.flush(lane.table, totalsAt, rowsCells);
    lane.rowsSinceFlush = 0;
  };

  /** Waits for every job in flight; then a bad label a worker found becomes the counter's failure. */
  const idle = async (): Promise<void> => {
    await Promise.allSettled(lanes.flatMap((l) => l.busy));
    if (badLabel) failure ??= badLabel;
    usable();
  };

  /** Adds `n` rows of labels at `lab` and predictions at `dst` into the totals, weighing `w[i]` or 1. */
  const addRows = (lab: number, dst: number, n: number, w?: SampleWeights): void => {
    if (!w) return countPairs(host, c, i32, lab >> 2, dst >> 2, n, listed);
    if (listed) listed.cells = undefined;
    for (let i = 0; i < n; i++) host[i32[(lab >> 2) + i]! * c + i32[(dst >> 2) + i]!]! += w[i]!;
  };

  /** Posts rows `start .. start + n` to the next lane once its slot is free; logits from an array or an open file. */
  const post = async (labels: LabelArray | OpenLabels, logits: Float32Array | OpenFile, start: number, n: number,
    weights?: SampleWeights): Promise<void> => {
    const lane = lanes[nextLane]!;
    nextLane = (nextLane + 1) % threads;
    const s = lane.nextSlot;
    lane.nextSlot = s === 0 ? 1 : 0;
    await lane.busy[s].catch(() => undefined);
    if (badLabel) await idle();
    usable();
    if (inTables && lane.rowsSinceFlush + n > 0xffffffff) {
      await Promise.all(lane.busy);
      flushLane(lane);
    }
    const lab = lane.slots[s];
    const dst = lab + align16(jobRows * 4);
    const src = dst + align16(jobRows * 4);
    const fromFile = !isLabelArray(labels);
    if (!fromFile) copyClassIndices(labels, start, n, i32, lab >> 2);
    const cnt = inTables && !weights ? lane.table : -1;
    const rows: JobRows = { rows: n, numClasses: c, labels: lab, predictions: dst, table: cnt };
    const chunked = { scratch: lane.scratch, chunkRows };
    let job: CpuWorkerJob;
    if (!(logits instanceof Float32Array)) {
      const { fd, path } = logits;
      const half = halfKind(logits.dtype);
      const position = logits.byteOffset + start * c * (half === undefined ? 4 : 2);
      job = { kind: 'read', ...rows, ...chunked, fd, path, position, ...(half !== undefined && { half }) };
      if (fromFile) {
        const { itemSize, signed, ignoreIndex } = labels;
        const position = labels.byteOffset + start * itemSize;
        const raw = itemSize === 8 ? lab : src;
        job.labelsFile = { fd: labels.fd, path: labels.path, position, itemSize, signed, ignoreIndex, raw };
      }
    } else if (inputBuffers.has(logits.buffer)) {
      if (logits.byteOffset < inputAt) {
        throw new RangeError("these logits overlap the counter's own memory: use the array inputBuffer() returns");
      }
      job = { kind: 'count', ...rows, logits: logits.byteOffset + start * c * 4 };
    } else if (logits.buffer instanceof SharedArrayBuffer) {
      job = { kind: 'copy', ...rows, ...chunked, from: logits.buffer, byteOffset: logits.byteOffset + start * c * 4 };
    } else {
      f32.set(logits.subarray(start * c, (start + n) * c), src >> 2);
      job = { kind: 'count', ...rows, logits: src };
    }
    if (cnt >= 0) lane.rowsSinceFlush += n;
    const done = new Promise<void>((resolve, reject) => {
      lane.queue.push({ ...(fromFile ? { labelsFrom: labels.index0 + start } : {}), resolve: () => {
        // predictions the worker left in the slot: count them here
        if (cnt < 0 && !weights) addRows(lab, dst, n);
        resolve();
      }, reject });
    });
    if (weights) {
      // weights are added in row order, job after job, as one thread adds them: the same float64 sums
      const w = weights.slice(start, start + n);
      weightsAdded = Promise.all([weightsAdded, done]).then(() => addRows(lab, dst, n, w));
    }
    lane.busy[s] = weights ? weightsAdded : done;
    lane.busy[s].catch(() => undefined);
    lane.worker.ref();
    lane.worker.postMessage(job);
    stats.jobs++;
  };

  const updateJobs = async (batch: FormattedBatch): Promise<void> => {
    usable();
    if (batch.numClasses !== c) {
      throw new RangeError(`this counter counts ${c} classes, the batch has ${batch.numClasses}`);
    }
    const { rows, logits } = batch;
    const weights = batch.weights && checkWeights(batch.weights, rows);
    if (logits) {
      await postJobs(batch.labels, logits, rows, weights);
      // workers read shared logits themselves: the caller may reuse them only once they are done
      if (logits.buffer instanceof SharedArrayBuffer) await idle();
    } else {
      if (listed) listed.cells = undefined;
      if (weights) {
        await weightsAdded;
        cpuUpdateWeighted(host, { ...batch, weights });
      } else cpuUpdateFast(host, batch);
    }
  };

  const postJobs = async (labels: LabelArray | OpenLabels, logits: Float32Array | OpenFile, rows: number,
    weights?: SampleWeights): Promise<void> => {
    const per = Math.max(MIN_JOB_ROWS, Math.min(jobRows, Math.ceil(rows / threads)));
    for (let start = 0; start < rows; start += per) {
      await post(labels, logits, start, Math.min(per, rows - start), weights);
    }
  };

  const files = new Map<string, number>();
  const closeFiles = (): void => {
    for (const fd of files.values()) closeSync(fd);
    files.clear();
  };

  const fdOf = (path: string): number => {
    if (!files.has(path)) files.set(path, openSync(path, 'r'));
    return files.get(path)!;
  };

  const checkAt = (what: string, at: { path: unknown; byteOffset: unknown }): void => {
    if (typeof at.path !== 'string' || !Number.isSafeInteger(at.byteOffset) || (at.byteOffset as number) < 0) {
      throw new RangeError(
        `updateFromFile needs ${what} as { path: string, byteOffset: integer >= 0, ... }, got ${JSON.stringify(at)}`,
      );
    }
  };

  const updateFromFile = async (file: LogitsFile, labels: LabelArray | LabelsFile, ignoreIndex?: number,
    weights?: SampleWeights): Promise<void> => {
    usable();
    checkAt('the logits', file);
    checkLogitsFileDtype('updateFromFile', file.dtype);
    if (endianness() !== 'LE') {
      throw new Error('updateFromFile reads little-endian numbers as they are: this host is big-endian');
    }
    let y: LabelArray | OpenLabels;
    let rows: number;
    if (isLabelArray(labels) || ArrayBuffer.isView(labels)) {
      y = ignoreIndex === undefined || !isLabelArray(labels) ?
        checkClassIndices('labels', labels, c) :
        markIgnored(labels, ignoreIndex, c);
      rows = y.length;
    } else {
      checkAt('the labels', labels);
      const { itemSize, signed } = rawLabelType(labels.dtype);
      checkCount('labels.rows', labels.rows, 0);
      if (ignoreIndex !== undefined &&
        !(Number.isSafeInteger(ignoreIndex) && ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 32)) {
        throw new RangeError(`an ignore index read by the workers must lie in [-2^31, 2^32), got ${ignoreIndex}`);
      }
      rows = labels.rows;
      y = { fd: fdOf(labels.path), path: labels.path, byteOffset: labels.byteOffset, itemSize, signed, ignoreIndex,
        index0: labels.index0 ?? 0 };
    }
    const w = weights === undefined ? undefined : checkWeights(weights, rows);
    if (rows === 0) return;
    await postJobs(y, { fd: fdOf(file.path), path: file.path, byteOffset: file.byteOffset, dtype: file.dtype }, rows,
      w);
  };

  const inputBuffer = (rows: number): Float32Array => {
    usable();
    checkCount('rows', rows, 0);
    const end = inputAt + align16(rows * c * 4);
    if (end > 2 ** 32) {
      throw new RangeError(`${rows} rows of ${c} classes do not fit the 4 GiB of one WebAssembly memory`);
    }
    const have = memory.buffer.byteLength;
    if (end > have) {
      memory.grow(Math.ceil((end - have) / PAGE));
      [f32, i32, u32] = views();
    }
    inputBuffers.add(memory.buffer);
    return new Float32Array(memory.buffer, inputAt, rows * c);
  };

  /** Once every job is done, closes the files and adds the tables into the totals, or zeroes everything (`drop`). */
  const drain = (drop: boolean): Promise<Float64Array> =>
    serial(async () => {
      usable();
      await idle();
      closeFiles();
      for (const lane of lanes) flushLane(lane, drop);
      lastNonzero = drop ? undefined : sortedCells(listed)?.filter((k) => k < cells);
      if (drop) {
        host.fill(0);
        listed &&= createNonzeroCells(c);
      } else stats.flushes++;
      if (!lastNonzero) return host.slice(0, cells);
      // a fresh array written at the listed cells only: at C = 10,000 a copy would touch 800 MB
      const out = new Float64Array(cells);
      for (const k of lastNonzero) out[k] = host[k]!;
      return out;
    });

  return { numClasses: c, threads, stats, update: (batch) => serial(() => updateJobs(batch)),
    updateFromFile: (file, labels, options) =>
      serial(() => updateFromFile(file, labels, options?.ignoreIndex, options?.weights)), inputBuffer,
    read: () => drain(false), nonzero: () => lastNonzero, reset: () => drain(true).then(() => undefined),
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      fail(new Error('this CPU worker counter was destroyed'));
      await Promise.all(lanes.map((l) => l.worker.terminate()));
      closeFiles();
    } };
}
