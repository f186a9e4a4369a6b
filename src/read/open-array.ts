/**
 * Node-only: one entry point that opens any supported array file for
 * streaming by rows: `.npy`, `.npz` members, `.safetensors` tensors, CSV/TSV
 * text. Used by the CLI for `--logits`, `--labels` and `--preds`.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { openCsvArray, type CsvDelimiter } from './csv.js';
import { NpyError, type NumericArray } from './npy.js';
import { openNpyFile } from './npy-file.js';
import { openNpzArray } from './npz.js';
import { openRegularFile, readExactly } from './file-io.js';
import { openSafetensorsArray } from './safetensors.js';

/**
 * An array opened for streaming by rows, whatever the file format.
 *
 * @example
 * const src: ArraySource = await openArray('run.npz:logits');
 * try {
 *   console.log(src.dtype, src.shape); // 'f4' [10000, 10]
 *   for await (const { start, data } of src.chunks(4096)) consume(start, data as Float32Array);
 * } finally {
 *   await src.close();
 * }
 */
export interface ArraySource {
  /** The spec as given to {@link openArray}, e.g. `'run.npz:logits'`. */
  readonly file: string;
  /**
   * The dtype in the file, numpy-style without byte order: `'f2'`, `'f4'`,
   * `'f8'`, `'i1'`..`'i8'`, `'u1'`..`'u8'`, `'b1'`; `'bf16'` for safetensors
   * BF16. The data itself is float16/bfloat16 widened to Float32Array (their
   * raw bits as a Uint16Array with {@link OpenArrayOptions.halves}), bool as a
   * 0/1 Uint8Array.
   */
  readonly dtype: string;
  /** `'f'` float, `'i'` signed integer, `'u'` unsigned integer, `'b'` bool. */
  readonly kind: 'f' | 'i' | 'u' | 'b';
  /** Dimensions; `[]` for a 0-d array. */
  readonly shape: number[];
  /** shape[0] (1 for a 0-d array). */
  readonly rows: number;
  /** Items per row: product of shape[1..] (1 for 1-D and 0-d arrays). */
  readonly rowLength: number;
  /**
   * Consecutive chunks of at most `rowsPerChunk` rows covering all rows, in
   * order, C order, native endian. Each call starts a fresh pass over the
   * file. `data` may be a view of a buffer reused for the next chunk: it is
   * valid until the loop asks for the next one (copy it with `data.slice()`
   * to keep it). Checks that need the whole data (zip CRC-32, sizes) run
   * before the last chunk is delivered.
   *
   * @throws RangeError (synchronously) if rowsPerChunk is not a positive integer
   * @example
   * for await (const { start, data } of src.chunks(65536)) {
   *   const n = data.length / src.rowLength; // rows start .. start + n
   * }
   */
  chunks(rowsPerChunk: number): AsyncIterable<{ start: number; data: NumericArray }>;
  /**
   * Optional, for sources that can seek (`.npy`): consecutive chunks of at most `rowsPerChunk`
   * rows covering rows [start, end) only, reading nothing outside them; each chunk's `start`
   * counts from row 0 of the file. {@link sliceRows} uses it when present.
   *
   * @throws RangeError (synchronously) for a bad range or chunk size
   * @example
   * for await (const { start, data } of src.rangeChunks!(1000, 2000, 256)) consume(start, data);
   */
  rangeChunks?(start: number, end: number, rowsPerChunk: number): AsyncIterable<{ start: number; data: NumericArray }>;
  /**
   * Present when the items lie in the file as they are, little-endian, in C order, with nothing to
   * decode or check on the way (`.npy`, `.safetensors`; never compressed or checksummed npz members,
   * big-endian or Fortran-order data, bfloat16): row r starts at byte `byteOffset + r * rowLength *
   * itemSize` of `path`, `dtype` as {@link ArraySource.dtype}. For readers of their own, such as the
   * CPU worker threads (`CpuWorkerCounter.updateFromFile`).
   *
   * @example
   * if (src.raw?.dtype === 'f4') await workers.updateFromFile(src.raw, labels);
   */
  readonly raw?: { path: string; byteOffset: number; dtype: string };
  /**
   * Closes the file. Idempotent; later reads reject.
   *
   * @example
   * await src.close();
   */
  close(): Promise<void>;
}

/**
 * Options of {@link openArray}.
 *
 * @example
 * const opts: OpenArrayOptions = { role: 'labels' };
 */
export interface OpenArrayOptions {
  /**
   * What the array is for; only text files need it (binary files carry their
   * dtype): `'logits'` reads CSV as float32 `[N, C]`, `'labels'` as int32
   * `[N]`; without a role CSV is read as float64.
   */
  role?: 'logits' | 'labels';
  /**
   * float16 (`'f2'`) and bfloat16 (`'bf16'`) data come as their raw bits in a
   * Uint16Array instead of widened to Float32Array: half the bytes, for the
   * GPU to read as they are (`{ logits, logitsDtype }`). Other dtypes are unaffected.
   */
  halves?: boolean;
}

/**
 * The formats {@link openArray} reads (`.txt` is read as CSV).
 *
 * @example
 * const f: ArrayFormat = 'npz';
 */
export type ArrayFormat = 'npy' | 'npz' | 'safetensors' | 'csv' | 'tsv';

const SPEC_RE = /^(.*?\.(npy|npz|safetensors|csv|tsv|txt))(?::(.*))?$/is;

function formatOfExtension(ext: string): ArrayFormat {
  const e = ext.toLowerCase();
  return e === 'txt' ? 'csv' : (e as ArrayFormat);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Guesses the format of a file without a known extension from its first bytes. */
async function sniff(path: string): Promise<ArrayFormat> {
  const { fh, size } = await openRegularFile(path);
  try {
    const head = new Uint8Array(Math.min(16, size));
    await readExactly(fh, path, head, 0);
    if (head[0] === 0x93 && head[1] === 0x4e && head[2] === 0x55 && head[3] === 0x4d) return 'npy';
    if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'npz';
    if (head.length >= 9 && head[8] === 0x7b) {
      const n = new DataView(head.buffer).getBigUint64(0, true);
      if (n >= 2n && n <= BigInt(size - 8)) return 'safetensors';
    }
    return 'csv';
  } finally {
    await fh.close();
  }
}

/**
 * Splits a spec into the file path and the optional array name after the
 * format's extension: `'run.npz:logits'` → `{ path: 'run.npz', name: 'logits' }`.
 * A spec that names an existing file as a whole is taken as a path. Without
 * a known extension the format is sniffed from the first bytes, and a name
 * follows the last `:` when the part before it is a file.
 *
 * @example
 * await parseArraySpec('eval.csv:label');  // { path: 'eval.csv', name: 'label', format: 'csv' }
 * await parseArraySpec('logits.npy');      // { path: 'logits.npy', name: undefined, format: 'npy' }
 */
export async function parseArraySpec(spec: string): Promise<{ path: string; name: string | undefined; format: ArrayFormat }> {
  const m = SPEC_RE.exec(spec);
  if (m !== null && m[3] !== undefined && !(await isFile(spec))) {
    return { path: m[1]!, name: m[3], format: formatOfExtension(m[2]!) };
  }
  const ext = /\.(npy|npz|safetensors|csv|tsv|txt)$/i.exec(spec);
  if (ext !== null) return { path: spec, name: undefined, format: formatOfExtension(ext[1]!) };
  const colon = spec.lastIndexOf(':');
  if (colon > 0 && !(await isFile(spec)) && (await isFile(spec.slice(0, colon)))) {
    const path = spec.slice(0, colon);
    return { path, name: spec.slice(colon + 1), format: await sniff(path) };
  }
  return { path: spec, name: undefined, format: await sniff(spec) };
}

/**
 * Opens an array for streaming by rows, in bounded memory, from any supported
 * source. `spec` is a path, optionally followed by `:NAME`:
 *
 * - `x.npy` — see `openNpyFile`.
 * - `x.npz:NAME` (or `x.npz` when it holds exactly one array) — member
 *   `NAME.npy` of an `np.savez` / `np.savez_compressed` archive (zip64
 *   included); deflated members are inflated as they stream, and a full pass
 *   checks the member's CRC-32. See {@link openNpzArray}.
 * - `x.safetensors:NAME` (or a file with one tensor). See {@link openSafetensorsArray}.
 * - `x.csv`, `x.tsv`, `x.txt`, optionally `:COLUMN` (header name or 0-based
 *   index): numbers as text, delimiter and header detected; `.tsv` is
 *   tab-separated. See {@link openCsvArray}; `options.role` picks float32
 *   logits or int32 labels.
 * - any other name: the format is sniffed from the first bytes (text is read as CSV).
 *
 * Everything that can be checked without reading the data is checked before
 * this resolves (headers, sizes, zip structure, CSV field counts and row count).
 *
 * @throws NpyError (or its subclass CsvError) naming the file and the byte
 *   offset (CSV: `file:line:column`): I/O errors, malformed or unsupported
 *   files, a missing array or column (listing those there are), a name after a
 *   `.npy` path
 * @example
 * const logits = await openArray('run.npz:logits', { role: 'logits' });
 * const labels = await openArray('labels.csv', { role: 'labels' });
 * try {
 *   if (logits.rows !== labels.rows) throw new Error('row counts differ');
 *   for await (const { start, data } of logits.chunks(8192)) consume(start, data);
 * } finally {
 *   await Promise.all([logits.close(), labels.close()]);
 * }
 */
export async function openArray(spec: string, options: OpenArrayOptions = {}): Promise<ArraySource> {
  const { path, name, format } = await parseArraySpec(spec);
  switch (format) {
    case 'npy': {
      if (name !== undefined) {
        throw new NpyError(path, undefined, `a .npy file holds a single array; drop ':${name}' from '${spec}' (names select arrays in .npz, .safetensors and CSV columns)`);
      }
      return openNpyFile(path, { halves: options.halves ?? false });
    }
    case 'npz':
      return openNpzArray(path, name, spec, { halves: options.halves ?? false });
    case 'safetensors':
      return openSafetensorsArray(path, name, spec, { halves: options.halves ?? false });
    case 'csv':
    case 'tsv': {
      const delimiter: CsvDelimiter | undefined = format === 'tsv' ? '\t' : undefined;
      return openCsvArray(path, {
        spec,
        ...(options.role !== undefined ? { role: options.role } : {}),
        ...(name !== undefined ? { column: name } : {}),
        ...(delimiter !== undefined ? { delimiter } : {}),
      });
    }
  }
}

/** Bytes per item of a numpy-style dtype ('f4' -> 4, 'b1' -> 1). */
const itemBytes = (dtype: string): number => Number(dtype.slice(1));

function checkRange(file: string, rows: number, start: number, end: number, rowsPerChunk?: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > rows) {
    throw new RangeError(`${file}: rows [${start}, ${end}) are not within its ${rows} rows`);
  }
  if (rowsPerChunk !== undefined && (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1)) {
    throw new RangeError(`${file}: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
  }
}

/** Rows [start, end) of a source that cannot seek: reads from row 0, stops at `end`, re-chunks from `start`. */
async function* scanRange(src: ArraySource, start: number, end: number, rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
  const width = src.rowLength;
  const rows = end - start;
  let out: NumericArray | undefined;
  let next = 0;
  let fill = 0;
  if (rows === 0) return;
  for await (const { start: s, data } of src.chunks(rowsPerChunk)) {
    const n = width === 0 ? Math.min(rowsPerChunk, src.rows - s) : data.length / width;
    for (let from = Math.max(s, start), to = Math.min(s + n, end); from < to; ) {
      out ??= new (data.constructor as new (length: number) => NumericArray)(Math.min(rowsPerChunk, rows) * width);
      const want = Math.min(rowsPerChunk, rows - next);
      const k = Math.min(to - from, want - fill);
      (out as Float64Array).set(data.subarray((from - s) * width, (from - s + k) * width) as Float64Array, fill * width);
      fill += k;
      from += k;
      if (fill === want) {
        yield { start: next, data: out.subarray(0, fill * width) };
        next += fill;
        fill = 0;
      }
    }
    if (s + n >= end) break;
  }
}

/**
 * Rows [start, end) of an opened source as a source of its own: `rows` and `shape[0]` are
 * `end - start`, chunk starts count from the slice's first row. Sources that can seek (`.npy`, see
 * {@link ArraySource.rangeChunks}) read only those rows; the others (npz, safetensors, CSV) read
 * from the first row and stop at `end` (a deflated npz member's CRC-32 is then not checked).
 * Closing the slice closes the source.
 *
 * @throws RangeError unless 0 <= start <= end <= src.rows
 * @example
 * const src = await openArray('logits.npy');
 * const shard = sliceRows(src, Math.floor(src.rows / 2), src.rows); // the second half
 * for await (const { start, data } of shard.chunks(4096)) consume(start, data);
 * await shard.close();
 */
export function sliceRows(src: ArraySource, start: number, end: number): ArraySource {
  checkRange(src.file, src.rows, start, end);
  if (start === 0 && end === src.rows) return src;
  return {
    file: src.file,
    dtype: src.dtype,
    kind: src.kind,
    shape: [end - start, ...src.shape.slice(1)],
    rows: end - start,
    rowLength: src.rowLength,
    ...(src.raw ? { raw: { ...src.raw, byteOffset: src.raw.byteOffset + start * src.rowLength * itemBytes(src.raw.dtype) } } : {}),
    chunks(rowsPerChunk) {
      checkRange(src.file, src.rows, start, end, rowsPerChunk);
      if (src.rangeChunks === undefined) return scanRange(src, start, end, rowsPerChunk);
      const inner = src.rangeChunks(start, end, rowsPerChunk);
      return (async function* () {
        for await (const c of inner) yield { start: c.start - start, data: c.data };
      })();
    },
    close: () => src.close(),
  };
}
