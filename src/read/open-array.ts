/**
 * Node-only: one entry point that opens any supported array file for streaming by rows: `.npy`,
 * `.npz` members, `.safetensors` tensors, CSV/TSV text, JSON Lines fields, standard input. Used by the
 * CLI for `--logits`, `--labels`, `--preds`.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { openWith, readExactly } from './file-io.js';
import { openNpyFile } from './npy-file.js';
import { NpyError, type NumericArray } from './npy.js';
import { checkRowsPerChunk } from './row-source.js';
import { isStdinSpec, openStdinArray } from './stdin.js';

/** The items of one chunk: numbers in a typed array, or strings for a string source (`kind: 's'`). */
export type ChunkData = NumericArray | string[];

/**
 * An array opened for streaming by rows, whatever the file format.
 *
 * @example
 * const src: ArraySource = await openArray('run.npz:logits');
 * for await (const { start, data } of src.chunks(4096)) consume(start, data as Float32Array);
 * await src.close();
 */
export interface ArraySource {
  /** The spec as given to {@link openArray}, e.g. `'run.npz:logits'`. */
  readonly file: string;
  /** The dtype in the file, numpy-style without byte order (`'f4'`, `'b1'`; `'bf16'` for safetensors BF16). */
  readonly dtype: string;
  /** `'f'` float, `'i'` signed integer, `'u'` unsigned integer, `'b'` bool, `'s'` string (dtype `'str'`). */
  readonly kind: 'f' | 'i' | 'u' | 'b' | 's';
  /** Dimensions; `[]` for a 0-d array. */
  readonly shape: number[];
  /** shape[0] (1 for a 0-d array). */
  readonly rows: number;
  /** Items per row: product of shape[1..] (1 for 1-D and 0-d arrays). */
  readonly rowLength: number;
  /**
   * Consecutive chunks of at most `rowsPerChunk` rows, C order, native endian (float16/bfloat16
   * widened to Float32Array unless `halves`, bool as 0/1); each call starts a fresh pass. `data` may
   * be a reused buffer, valid until the next chunk; checks needing all the data run before the last chunk.
   * A string source (`kind: 's'`) yields a `string[]`, one string per item.
   *
   * @example
   * for await (const { start, data } of src.chunks(65536)) consume(start, data);
   */
  chunks(rowsPerChunk: number): AsyncIterable<{ start: number; data: ChunkData }>;
  /**
   * For sources that can seek (`.npy`): chunks of rows [start, end) only; chunk starts count from row 0.
   *
   * @example
   * for await (const { start, data } of src.rangeChunks!(1000, 2000, 256)) consume(start, data);
   */
  rangeChunks?(start: number, end: number, rowsPerChunk: number): AsyncIterable<{ start: number; data: ChunkData }>;
  /**
   * Present when the items lie in the file as they are (little-endian, C order, nothing to decode
   * or check): row r starts at byte `byteOffset + r * rowLength * itemSize` of `path`. For the CPU workers.
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
  /** What the array is for (text files only): `'logits'` reads CSV as float32 `[N, C]`, `'labels'` as int32 `[N]`. */
  role?: 'logits' | 'labels';
  /** float16 and bfloat16 data come as their raw bits in a Uint16Array, for the GPU to read as they are. */
  halves?: boolean;
}

/** The formats {@link openArray} reads (`.txt` is read as CSV, `.ndjson` as JSON Lines). */
export type ArrayFormat = 'npy' | 'npz' | 'safetensors' | 'csv' | 'tsv' | 'jsonl' | 'parquet';

const SPEC_RE = /^(.*?\.(npy|npz|safetensors|csv|tsv|txt|jsonl|ndjson|parquet))(?::(.*))?$/is;

function formatOfExtension(ext: string): ArrayFormat {
  const e = ext.toLowerCase();
  return e === 'txt' ? 'csv' : e === 'ndjson' ? 'jsonl' : (e as ArrayFormat);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Guesses the format of a file without a known extension from its first bytes. */
function sniff(path: string): Promise<ArrayFormat> {
  return openWith(path, async (fh, size) => {
    const head = await readExactly(fh, path, Math.min(16, size), 0);
    await fh.close();
    if (head[0] === 0x93 && head[1] === 0x4e && head[2] === 0x55 && head[3] === 0x4d) return 'npy';
    if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'npz';
    if (head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'parquet';
    const n = head.length >= 9 && head[8] === 0x7b ? new DataView(head.buffer).getBigUint64(0, true) : 0n;
    if (n >= 2n && n <= BigInt(size - 8)) return 'safetensors';
    return head[head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0] === 0x7b ? 'jsonl' : 'csv';
  });
}

/**
 * Splits a spec into the file path and the array name after the format's extension (an existing
 * file named by the whole spec wins); without a known extension the format is sniffed:
 * `'eval.csv:label'` -> `{ path: 'eval.csv', name: 'label', format: 'csv' }`.
 */
export async function parseArraySpec(
  spec: string,
): Promise<{ path: string; name: string | undefined; format: ArrayFormat }> {
  const m = SPEC_RE.exec(spec);
  if (m !== null && m[3] !== undefined && !(await isFile(spec))) {
    return { path: m[1]!, name: m[3], format: formatOfExtension(m[2]!) };
  }
  const ext = /\.(npy|npz|safetensors|csv|tsv|txt|jsonl|ndjson|parquet)$/i.exec(spec);
  if (ext !== null) return { path: spec, name: undefined, format: formatOfExtension(ext[1]!) };
  const colon = spec.lastIndexOf(':');
  if (colon > 0 && !(await isFile(spec)) && (await isFile(spec.slice(0, colon)))) {
    const path = spec.slice(0, colon);
    return { path, name: spec.slice(colon + 1), format: await sniff(path) };
  }
  return { path: spec, name: undefined, format: await sniff(spec) };
}

/**
 * Opens an array for streaming by rows, in bounded memory: `x.npy`, `x.npz:NAME`, `x.safetensors:NAME`
 * (the name optional with one array), `x.csv`/`x.tsv`/`x.txt` optionally `:COLUMN`, `x.jsonl`/`x.ndjson`
 * optionally `:FIELD`, `x.parquet:COLUMN` (or `:COL1,COL2,...`); other names are sniffed (a first `{`: JSON Lines;
 * `PAR1`: Parquet); `-` (or `-:NAME`) reads standard input. Everything that can be checked without reading the data
 * is checked before this resolves.
 *
 * @throws NpyError (or CsvError) naming the file and the byte (CSV: `file:line:column`)
 * @example
 * const logits = await openArray('run.npz:logits', { role: 'logits' });
 * for await (const { start, data } of logits.chunks(8192)) consume(start, data);
 * await logits.close();
 */
export async function openArray(spec: string, options: OpenArrayOptions = {}): Promise<ArraySource> {
  if (isStdinSpec(spec)) return openStdinArray(spec, (copy) => openArray(copy, options));
  const { path, name, format } = await parseArraySpec(spec);
  switch (format) {
    case 'npy': {
      if (name !== undefined) {
        throw new NpyError(path, undefined,
          `a .npy file holds a single array; drop ':${name}' from '${spec}' (names select arrays in .npz, ` +
            `.safetensors and CSV columns)`);
      }
      return openNpyFile(path, options);
    }
    // Each other format's reader loads when a file needs it (Parquet's: hyparquet and its codecs).
    case 'npz':
      return (await import('./npz.js')).openNpzArray(path, name, spec, options);
    case 'safetensors':
      return (await import('./safetensors.js')).openSafetensorsArray(path, name, spec, options);
    case 'jsonl':
      return (await import('./jsonl.js')).openJsonlArray(path, { spec, role: options.role, field: name });
    case 'parquet':
      return (await import('./parquet.js')).openParquetArray(path, name, spec, options);
    default:
      return (await import('./csv.js')).openCsvArray(path, { spec, role: options.role, column: name,
        delimiter: format === 'tsv' ? '\t' : undefined });
  }
}

/** Bytes per item of a numpy-style dtype ('f4' -> 4, 'b1' -> 1). */
const itemBytes = (dtype: string): number => (dtype === 'bf16' ? 2 : Number(dtype.slice(1)));

/** A fresh chunk like `data` (typed array or string[]) of `length` items. */
const like = (data: ChunkData, length: number): ChunkData =>
  Array.isArray(data) ? new Array<string>(length) : new (data.constructor as new(n: number) => NumericArray)(length);

/** Items [a, b) of `from` copied into `to` at `at`. */
function copyItems(to: ChunkData, from: ChunkData, a: number, b: number, at: number): void {
  if (Array.isArray(to)) { for (let i = a; i < b; i++) to[at + i - a] = (from as string[])[i]!; }
  else (to as Float64Array).set((from as Float64Array).subarray(a, b), at);
}

/** Rows [start, end) of a source that cannot seek: reads from row 0, stops at `end`, re-chunks from `start`. */
async function* scanRange(src: ArraySource, start: number, end: number,
  rowsPerChunk: number): AsyncGenerator<{ start: number; data: ChunkData }> {
  const width = src.rowLength;
  const rows = end - start;
  let out: ChunkData | undefined;
  let next = 0;
  let fill = 0;
  if (rows === 0) return;
  for await (const { start: s, data } of src.chunks(rowsPerChunk)) {
    const n = width === 0 ? Math.min(rowsPerChunk, src.rows - s) : data.length / width;
    for (let from = Math.max(s, start), to = Math.min(s + n, end); from < to;) {
      out ??= like(data, Math.min(rowsPerChunk, rows) * width);
      const want = Math.min(rowsPerChunk, rows - next);
      const k = Math.min(to - from, want - fill);
      copyItems(out, data, (from - s) * width, (from - s + k) * width, fill * width);
      fill += k;
      from += k;
      if (fill === want) {
        yield { start: next, data: Array.isArray(out) ? out.slice(0, fill * width) : out.subarray(0, fill * width) };
        next += fill;
        fill = 0;
      }
    }
    if (s + n >= end) break;
  }
}

/**
 * Rows [start, end) of an opened source as a source of its own (chunk starts count from `start`);
 * sources that cannot seek read from row 0 and stop at `end`. Closing the slice closes the source.
 *
 * @throws RangeError unless 0 <= start <= end <= src.rows
 */
export function sliceRows(src: ArraySource, start: number, end: number): ArraySource {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > src.rows) {
    throw new RangeError(`${src.file}: rows [${start}, ${end}) are not within its ${src.rows} rows`);
  }
  if (start === 0 && end === src.rows) return src;
  return { file: src.file, dtype: src.dtype, kind: src.kind, shape: [end - start, ...src.shape.slice(1)],
    rows: end - start, rowLength: src.rowLength,
    ...(src.raw ?
      { raw: { ...src.raw, byteOffset: src.raw.byteOffset + start * src.rowLength * itemBytes(src.raw.dtype) } } :
      {}), chunks(rowsPerChunk) {
    checkRowsPerChunk(src.file, rowsPerChunk);
    if (src.rangeChunks === undefined) return scanRange(src, start, end, rowsPerChunk);
    const inner = src.rangeChunks(start, end, rowsPerChunk);
    return (async function*() {
      for await (const c of inner) yield { start: c.start - start, data: c.data };
    })();
  }, close: () => src.close() };
}
