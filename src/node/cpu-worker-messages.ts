/**
 * The messages between a CPU worker counter (src/node/cpu-workers.ts) and its worker threads
 * (src/node/cpu-worker.ts): types only, shared by both sides. Every offset is a byte offset into
 * the one WebAssembly memory all the threads share.
 *
 * @module
 */

/**
 * What each worker gets when it starts (`workerData`): the compiled SIMD module and the shared memory.
 *
 * @example
 * new Worker(cpuWorkerUrl(), { workerData: { module, memory } satisfies CpuWorkerData });
 */
export interface CpuWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/**
 * The rows of one job, in one of its worker's two slots.
 *
 * @example
 * const rows: JobRows = { rows: 1000, numClasses: 10, labels: 0, predictions: 4000, table: -1 };
 */
export interface JobRows {
  rows: number;
  numClasses: number;
  /** The job's labels as int32, ignored ones as `numClasses` (a {@link ReadJob}'s labels file: where they go). */
  labels: number;
  /** Where the worker writes each row's predicted class (int32), for the parent to count when `table` is -1. */
  predictions: number;
  /** The worker's own u32 count table, or -1: the worker counts nothing (the parent counts the predictions). */
  table: number;
}

/**
 * Logits already in the shared memory at `logits`: copied there by the parent, or written into `inputBuffer()`.
 *
 * @example
 * const rows: JobRows = { rows: 1000, numClasses: 2, labels: 0, predictions: 4096, table: -1 };
 * const job: CountJob = { kind: 'count', logits: 8192, ...rows };
 */
export interface CountJob extends JobRows {
  kind: 'count';
  logits: number;
}

/** Where a worker copies or reads logits itself: `chunkRows` rows at a time into its `scratch` (cache-sized). */
interface Chunked {
  scratch: number;
  chunkRows: number;
}

/**
 * Logits in another SharedArrayBuffer from `byteOffset` on: the worker copies them itself, chunk by chunk.
 *
 * @example
 * const job: CopyJob = { kind: 'copy', from: sab, byteOffset: 0, scratch: 0, chunkRows: 4096, ...rows };
 */
export interface CopyJob extends JobRows, Chunked {
  kind: 'copy';
  from: SharedArrayBuffer;
  byteOffset: number;
}

/**
 * Labels a worker reads raw from a file and checks: `rows` integers of `itemSize` bytes at byte `position`,
 * read into the shared memory at `raw` (int64 ones in place, at the job's `labels`).
 *
 * @example
 * const y: LabelsRead = { fd, path: 'y.npy', position: 128, itemSize: 8, signed: true, ignoreIndex: -100, raw: 0 };
 */
export interface LabelsRead {
  fd: number;
  path: string;
  position: number;
  itemSize: number;
  signed: boolean;
  /** Labels of this value are counted in row `numClasses` (never read out). */
  ignoreIndex: number | undefined;
  raw: number;
}

/**
 * Logits stored raw in a file (descriptor `fd`, shared by every thread) from byte `position` on: the
 * worker reads them itself, chunk by chunk, with positional reads; with `labelsFile`, the labels too.
 *
 * @example
 * const job: ReadJob = { kind: 'read', fd, path: 'x.npy', position: 128, scratch: 0, chunkRows: 4096, ...rows };
 */
export interface ReadJob extends JobRows, Chunked {
  kind: 'read';
  fd: number;
  path: string;
  position: number;
  labelsFile?: LabelsRead;
}

/**
 * A job the parent posts to a worker.
 *
 * @example
 * worker.postMessage({ kind: 'count', logits: 8000, ...rows } satisfies CpuWorkerJob);
 */
export type CpuWorkerJob = CountJob | CopyJob | ReadJob;

/**
 * A worker's answer to each job, in the order of the jobs: done; the first bad label it read (`index`
 * within the job, `value` as written); or an error (a file that ends too early), the message only.
 *
 * @example
 * const reply: CpuWorkerReply = { kind: 'bad-label', index: 3, value: '-1' };
 */
export type CpuWorkerReply =
  | { kind: 'done' }
  | { kind: 'bad-label'; index: number; value: string }
  | { kind: 'error'; message: string };
