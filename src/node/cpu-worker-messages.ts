// What cpu-workers.ts and its threads (cpu-worker.ts) share: messages, whose offsets are byte offsets into the one
// WebAssembly memory of all the threads, and readFully.
import { read, readSync } from 'node:fs';

/** The numpy-style dtypes of logits a file path reads raw. */
export type LogitsFileDtype = 'f4' | 'f2' | 'bf16';

/** Whether raw logits of numpy-style `dtype` are read by the file paths (float32, float16, bfloat16). */
export const isLogitsFileDtype = (dtype: string): dtype is LogitsFileDtype => /^(f4|f2|bf16)$/.test(dtype);

/** Throws a RangeError unless `dtype` (a LogitsFile's) is undefined or one `who` reads. */
export function checkLogitsFileDtype(who: string, dtype: unknown): void {
  if (dtype !== undefined && !(typeof dtype === 'string' && isLogitsFileDtype(dtype))) {
    throw new RangeError(`${who} reads logits of dtype 'f4', 'f2' or 'bf16', got ${JSON.stringify(dtype)}`);
  }
}

/** The module's kind of 16-bit logits (0: float16, 1: bfloat16) for a file's `dtype`, or undefined for float32. */
export const halfKind = (dtype: LogitsFileDtype | undefined): 0 | 1 | undefined =>
  dtype === 'f2' ? 0 : dtype === 'bf16' ? 1 : undefined;

/** What each worker gets when it starts (`workerData`): the compiled SIMD and label modules and the shared memory. */
export interface CpuWorkerData {
  module: WebAssembly.Module;
  labelsModule: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/** The rows of one job, in one of its worker's two slots. */
export interface JobRows {
  rows: number;
  numClasses: number;
  /** The job's labels as int32, ignored ones as `numClasses` (with a labels file: where they go). */
  labels: number;
  /** Where the worker writes each row's predicted class (int32), for the parent to count when `table` is -1. */
  predictions: number;
  /** The worker's own u32 count table, or -1: the parent counts the predictions. */
  table: number;
}

/** Where a worker copies or reads logits itself: `chunkRows` rows at a time into its cache-sized `scratch`. */
type Chunked = { scratch: number; chunkRows: number };

/**
 * Labels a worker reads raw from a file at byte `position` and checks: `itemSize`-byte integers, read into
 * the memory at `raw` (int64 ones in place, at the job's `labels`); labels equal to `ignoreIndex` go to row C.
 */
export interface LabelsRead {
  fd: number;
  path: string;
  position: number;
  itemSize: number;
  signed: boolean;
  ignoreIndex: number | undefined;
  raw: number;
}

/**
 * A job the parent posts to a worker: logits already in the shared memory (`count`), in another
 * SharedArrayBuffer (`copy`), or in a file the worker reads itself, with its labels perhaps (`read`).
 */
export type CpuWorkerJob = (JobRows & { kind: 'count'; logits: number })
  | (JobRows & Chunked & { kind: 'copy'; from: SharedArrayBuffer; byteOffset: number }) | (JobRows & Chunked & {
    kind: 'read';
    fd: number;
    path: string;
    position: number;
    labelsFile?: LabelsRead;
    /** 16-bit logits of this kind (0: float16, 1: bfloat16), else float32. */
    half?: 0 | 1;
  });

/** A worker's answer to each job, in order: done, the first bad label it read (value as written), or an error. */
export type CpuWorkerReply = { kind: 'done' } | { kind: 'bad-label'; index: number; value: string } | { kind: 'error';
  message: string };

/** Reads `bytes` bytes of `fd` at `position` into `into` at `at`; throws naming the file and byte where it ends. */
export function readFully(fd: number, path: string, into: Uint8Array, at: number, bytes: number, position: number,
  what: string): void {
  for (let done = 0; done < bytes;) {
    const n = readSync(fd, into, at + done, bytes - done, position + done);
    if (n === 0) throw shrank(path, what, bytes, position, done);
    done += n;
  }
}

/** As {@link readFully} on libuv's thread pool. */
export async function readFullyAsync(fd: number, path: string, into: Uint8Array, at: number, bytes: number,
  position: number, what: string): Promise<void> {
  for (let done = 0; done < bytes;) {
    const n = await new Promise<number>((resolve, reject) =>
      read(fd, into, at + done, bytes - done, position + done, (e, got) => (e ? reject(e) : resolve(got)))
    );
    if (n === 0) throw shrank(path, what, bytes, position, done);
    done += n;
  }
}

/** The error for a file that ends `done` bytes into the `bytes` bytes of `what` read from `position`. */
function shrank(path: string, what: string, bytes: number, position: number, done: number): Error {
  const before = `before the ${bytes} bytes of ${what} from byte ${position}`;
  return new Error(`${path}: the file ends at byte ${position + done}, ${before} (it shrank since it was opened?)`);
}
