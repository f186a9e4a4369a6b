/**
 * Big `.npy` files on the demo page, read in row-aligned chunks from `File.stream()` (never whole): the header from
 * the first bytes, then each chunk of rows counted by the matrix's `update()` with the labels of the same rows. Two
 * buffers are filled again and again (logits and labels; see `byteReader`), so memory does not grow with the file.
 *
 * @module
 */
import { InputError } from '../src/core/errors.js';
import type { Batch, ConfusionMatrixResult, LabelArray } from '../src/core/types.js';
import { decodeNpyItems, type NpyHeader, npyHeaderSpan, numericHeader, parseNpyHeader,
  shapeText } from '../src/read/npy.js';
import { createConfusionMatrix } from '../src/tasks/multiclass/matrix.js';
import { cpuArgmax } from '../src/tasks/multiclass/update-cpu.js';
import { byteReader } from './stream-reader.js';

/** A `.npy` file known by its header only: its rows are read when counted. */
export interface StreamedNpy {
  file: Blob;
  name: string;
  header: NpyHeader & { kind: 'f' | 'i' | 'u' | 'b' };
  rows: number;
  /** Items per row: the product of the dimensions after the first (1 for a 1-D array). */
  width: number;
}

/** Logits read in chunks while counting: float16, float32 or float64 `(N, C)`. */
export interface StreamedLogits {
  kind: 'stream';
  stream: StreamedNpy;
  rows: number;
  numClasses: number;
  file: string;
  note?: string;
}

/** Bytes done and rows counted so far, of the total, and the milliseconds since the start. */
export interface StreamProgress {
  bytes: number;
  totalBytes: number;
  rows: number;
  totalRows: number;
  ms: number;
}

/** One matrix's result after a streamed count, and the milliseconds its `update()` and `compute()` took in all. */
export interface StreamRun {
  device: GPUDevice | undefined;
  result: ConfusionMatrixResult;
  ms: number;
}

/** What {@link streamCount} counts, on which devices (`undefined`: the CPU), and how. */
export interface StreamOptions {
  logits: StreamedLogits;
  /** The labels: in memory, or a `.npy` read alongside the logits. */
  labels: LabelArray | StreamedNpy;
  labelsFile: string;
  numClasses: number;
  devices: (GPUDevice | undefined)[];
  /** Bytes of logits per chunk (whole rows, at least one); 32 MiB by default. */
  chunkBytes?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: StreamProgress) => void) | undefined;
}

/** The default chunk: 32 MiB of logits. */
export const CHUNK_BYTES = 32 * 1024 * 1024;

/** True when `x` is a streamed `.npy`, not an array in memory. */
export const isStreamed = (x: LabelArray | StreamedNpy): x is StreamedNpy => 'header' in x;

/**
 * The header of the `.npy` file `file`, read from its first bytes only (the size checked against the file's).
 *
 * @example
 * const s = await readNpyHead(file, file.name); // s.rows, s.width, s.header.descr
 */
export async function readNpyHead(file: Blob, name: string): Promise<StreamedNpy> {
  const first = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const span = npyHeaderSpan(first);
  const head = span ? new Uint8Array(await file.slice(0, span.start + span.length).arrayBuffer()) : first;
  const header = numericHeader(parseNpyHeader(head, name, file.size), name);
  const { shape } = header;
  if (header.fortranOrder && shape.length > 1) {
    throw new Error(
      `${name}: fortran_order True: its rows are not contiguous in the file, so it cannot be read in ` +
        'chunks; save it with np.save(path, np.ascontiguousarray(a))',
    );
  }
  return { file, name, header, rows: shape[0] ?? 1, width: shape.slice(1).reduce((a, b) => a * b, 1) };
}

/**
 * The logits of `s` to stream when it holds `(N, C)` floats; undefined for anything else (read whole instead).
 *
 * @example
 * const p = streamedLogits(await readNpyHead(file, file.name));
 */
export function streamedLogits(s: StreamedNpy): StreamedLogits | undefined {
  if (s.header.shape.length !== 2 || s.header.kind !== 'f') return undefined;
  const note = s.header.itemSize === 8 ?
    'float64 logits: argmax in double precision on the CPU, chunk by chunk, then counted' :
    undefined;
  return { kind: 'stream', stream: s, rows: s.rows, numClasses: s.width, file: s.name, ...(note ? { note } : {}) };
}

/**
 * `s` as labels to stream: a 1-D (or `(N, 1)`) integer or bool array, else an error naming the file.
 *
 * @example
 * const labels = streamedLabels(await readNpyHead(file, file.name));
 */
export function streamedLabels(s: StreamedNpy): StreamedNpy {
  const { shape, kind, descr } = s.header;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new Error(`${s.name}: shape ${shapeText(shape)}: labels must be 1-D (N,)`);
  }
  if (kind === 'f') {
    throw new Error(`${s.name}: dtype ${descr}: labels must be integers (int8..int64, uint8..uint64 or bool)`);
  }
  return s;
}

/** Reads rows into one reused buffer; `next(n)` gives the next n rows decoded (valid until the next call). */
interface RowReader {
  next(n: number): Promise<ArrayLike<number | bigint> & { subarray(a: number, b: number): unknown }>;
  cancel(): Promise<void>;
  rowBytes: number;
}

function npyRows(s: StreamedNpy, maxRows: number, signal: AbortSignal | undefined): RowReader {
  const rowBytes = s.width * s.header.itemSize;
  const reader = byteReader(s.file.slice(s.header.dataOffset).stream() as ReadableStream<Uint8Array>,
    maxRows * rowBytes);
  let row = 0;
  return { rowBytes, cancel: () => reader.cancel(), async next(n) {
    let bytes: Uint8Array;
    try {
      bytes = await reader.read(n * rowBytes);
    } catch (e) {
      signal?.throwIfAborted();
      throw new Error(
        `${s.name}: reading stopped in rows ${row} to ${row + n - 1} (was the file changed or moved ` +
          `since it was chosen?): ${(e as Error).message}`,
        { cause: e },
      );
    }
    signal?.throwIfAborted();
    if (bytes.length < n * rowBytes) {
      throw new Error(`${s.name}: the file ends in row ${row + Math.floor(bytes.length / rowBytes)}`);
    }
    row += n;
    return decodeNpyItems(s.header, bytes, { halves: true });
  } };
}

function arrayRows(a: LabelArray): RowReader {
  let row = 0;
  return { rowBytes: 0, cancel: async () => undefined, next: async (n) => a.subarray(row, row += n) };
}

/** An update's refusal of one element, said of the file and the row it came from; other errors unchanged. */
function atRow(e: unknown, first: number, logitsFile: string, labelsFile: string): unknown {
  if (!(e instanceof InputError) || e.index === undefined) return e;
  const file = e.field === 'labels' ? labelsFile : logitsFile;
  return new Error(`${file}: row ${first + e.index}: ${e.message.replace(/^index \d+: /, '')}`, { cause: e });
}

function batchOf(logits: StreamedLogits, values: unknown, labels: LabelArray): Batch {
  const { itemSize } = logits.stream.header;
  if (itemSize === 8) return { preds: cpuArgmax(values as Float64Array, logits.numClasses), labels };
  if (itemSize === 2) return { logits: values as Uint16Array, logitsDtype: 'float16', labels };
  return { logits: values as Float32Array, labels };
}

/**
 * Counts streamed logits against `labels` on each of `devices` (one pass over the files for all), chunk by chunk.
 * Aborting `signal` stops the reading and rejects with its reason; a refused row is named by file and row.
 *
 * @example
 * const [run] = await streamCount({ logits, labels, labelsFile: 'y.npy', numClasses: 10, devices: [undefined] });
 */
export async function streamCount(o: StreamOptions): Promise<StreamRun[]> {
  const made = o.devices.map((device) => ({ device,
    counter: createConfusionMatrix({ numClasses: o.numClasses, device }) })
  );
  const runs = await streamInto(o, made.map((m) => m.counter));
  return runs.map((r, i) => ({ device: made[i]!.device, ...r }));
}

/** What a streamed pass feeds: a matrix, or any counter with the same `update` / `compute` / `destroy`. */
export interface StreamCounter<R> {
  update(batch: Batch): Promise<void>;
  compute(): Promise<R>;
  destroy(): void;
}

/**
 * Feeds streamed logits and their labels to each of `counters` (one pass over the files for all), chunk by chunk, and
 * destroys them at the end. Aborting `signal` stops the reading; a refused row is named by file and row.
 *
 * @example
 * const [{ result }] = await streamInto(options, [createCellRows({ numClasses, cells })]);
 */
export async function streamInto<R>(o: Omit<StreamOptions, 'devices'>,
  counters: StreamCounter<R>[]): Promise<{ result: R; ms: number }[]> {
  const { logits, labels, signal } = o;
  const labelRows = isStreamed(labels) ? labels.rows : labels.length;
  if (labelRows !== logits.rows) {
    throw new Error(`${o.labelsFile}: ${labelRows} labels, but ${logits.file} has ${logits.rows} rows`);
  }
  const rowBytes = logits.numClasses * logits.stream.header.itemSize;
  const chunkRows = Math.max(1, Math.min(logits.rows, Math.floor((o.chunkBytes ?? CHUNK_BYTES) / rowBytes)));
  const readers = [npyRows(logits.stream, chunkRows, signal),
    isStreamed(labels) ? npyRows(labels, chunkRows, signal) : arrayRows(labels)] as const;
  const stop = (): void => void Promise.all(readers.map((r) => r.cancel()));
  signal?.addEventListener('abort', stop);
  const runs = counters.map((cm) => ({ cm, ms: 0 }));
  const totalBytes = logits.rows * (rowBytes + readers[1].rowBytes);
  const t0 = performance.now();
  try {
    for (let row = 0; row < logits.rows;) {
      const n = Math.min(chunkRows, logits.rows - row);
      const [values, chunkLabels] = await Promise.all(readers.map((r) => r.next(n)));
      const batch = batchOf(logits, values, chunkLabels as LabelArray);
      for (const run of runs) {
        const t = performance.now();
        try {
          await run.cm.update(batch);
        } catch (e) {
          throw atRow(e, row, logits.file, o.labelsFile);
        }
        run.ms += performance.now() - t;
      }
      row += n;
      o.onProgress?.({ bytes: row * (rowBytes + readers[1].rowBytes), totalBytes, rows: row, totalRows: logits.rows,
        ms: performance.now() - t0 });
    }
    const out: { result: R; ms: number }[] = [];
    for (const run of runs) {
      const t = performance.now();
      const result = await run.cm.compute();
      out.push({ result, ms: run.ms + performance.now() - t });
    }
    return out;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
    for (const run of runs) run.cm.destroy();
  }
}

/** The largest file read whole: CSV and text (decoded to one string), and any other. */
const WHOLE_LIMIT = { text: 256 * 1024 * 1024, binary: 1024 * 1024 * 1024 };

const mb = (bytes: number): string => `${(bytes / 1e6).toLocaleString('en-US', { maximumFractionDigits: 0 })} MB`;

/**
 * Refuses a file too big to read whole on the page (only `.npy` logits and labels are read in chunks).
 *
 * @example
 * checkWholeRead(file); // throws "big.csv: 900 MB is too big to read whole here..."
 */
export function checkWholeRead(file: { name: string; size: number }): void {
  const text = /\.(csv|tsv|txt|json)$/i.test(file.name);
  const limit = text ? WHOLE_LIMIT.text : WHOLE_LIMIT.binary;
  if (file.size <= limit) return;
  throw new Error(
    `${file.name}: ${mb(file.size)} is too big to read whole here (the limit is ${mb(limit)} for ` +
      `${
        text ? 'text files' : 'this kind of file'
      }): save logits (N, C) and labels (N,) as .npy, which the page reads ` +
      'in chunks at any size, or count it with the CLI (confmat eval)',
  );
}

/**
 * Streamed labels read whole, for when the predictions are in memory (they are small then).
 *
 * @example
 * const data = await wholeLabels(labels);
 */
export async function wholeLabels(s: StreamedNpy): Promise<LabelArray> {
  checkWholeRead({ name: s.name, size: s.header.dataBytes });
  const raw = new Uint8Array(await s.file.slice(s.header.dataOffset).arrayBuffer());
  return decodeNpyItems(s.header, raw) as LabelArray;
}
