/**
 * Node-only: read a `.npy` file from disk, whole or streamed by rows.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { openWith, readExactly } from './file-io.js';
import { type NpyArray, NpyError, type NpyHeader, npyHeaderSpan, type NumericArray, numericHeader,
  parseNpyHeader } from './npy.js';
import type { ArraySource } from './open-array.js';
import { dtypeOf, FileRows, itemDecoder, type RowChunk } from './row-source.js';

/** Bytes read first to find the header; most headers (numpy writes 128 bytes) fit. */
const HEAD_PROBE_BYTES = 4096;
/** Largest header accepted (format 2.0/3.0 allow up to 4 GiB). */
const MAX_HEADER_BYTES = 1 << 20;

/**
 * A `.npy` file opened for reading by rows (see {@link openNpyFile}), in memory bounded by what
 * each call asks for (Fortran-order arrays with 2+ dimensions under 256 MiB are read whole once).
 *
 * @example
 * const reader = await openNpyFile('logits.npy');
 * for await (const { start, data } of reader.chunks(65536)) consume(start, data as Float32Array);
 * await reader.close();
 */
export interface NpyFileReader extends ArraySource {
  /** The parsed header; the file size has been checked against it. */
  readonly header: NpyHeader;
  /**
   * Rows [start, start + count) in C order, native endian, as a fresh typed array.
   *
   * @throws RangeError for a bad range; NpyError on I/O errors or a large Fortran-order array
   * @example
   * const last10 = await reader.readRows(reader.rows - 10, 10); // 10 * reader.rowLength items
   */
  readRows(start: number, count: number): Promise<NumericArray>;
}

/**
 * @internal Parses the `.npy` header at byte `at` of `fh` (a file of `size` bytes, or a stored zip
 * member), reading past the first 4096 bytes for a longer header (up to 1 MiB).
 */
export async function readNpyHeader(fh: FileHandle, path: string, at: number, size: number,
  file = path): Promise<NpyHeader> {
  let head = await readExactly(fh, path, Math.min(HEAD_PROBE_BYTES, size), at);
  const span = npyHeaderSpan(head);
  if (span !== undefined && span.start + span.length > head.length && span.start + span.length <= size) {
    if (span.length > MAX_HEADER_BYTES) {
      const refused = `headers over 1 MiB (${MAX_HEADER_BYTES} bytes) are refused`;
      throw new NpyError(file, 8, `header length field says ${span.length} bytes; ${refused}`);
    }
    head = await readExactly(fh, path, span.start + span.length, at);
  }
  return parseNpyHeader(head, file, size, true);
}

/** A `.npy` file's rows: it can seek. */
class NpyRows extends FileRows {
  rangeChunks(start: number, end: number, rowsPerChunk: number): AsyncIterable<RowChunk> {
    return this.rowChunks(start, end, rowsPerChunk, (at, n) => this.readItems(at, n));
  }
}

/**
 * Opens a `.npy` file (of any size) for reading by rows; the header and the file size are checked first.
 *
 * @throws NpyError naming the file and byte: I/O failures, a malformed header, a size that does not match it
 * @example
 * const reader = await openNpyFile('logits.npy');
 * try {
 *   for await (const { start, data } of reader.chunks(16384)) consume(start, data);
 * } finally {
 *   await reader.close();
 * }
 */
export function openNpyFile(path: string, options: { halves?: boolean } = {}): Promise<NpyFileReader> {
  return openWith(path, async (fh, size) => {
    const h = await readNpyHeader(fh, path, 0, size);
    return new NpyRows({ file: path, path, fh, header: { ...h, dtype: dtypeOf(h) },
      decode: itemDecoder(h, path, options) });
  });
}

/**
 * Reads and parses a whole `.npy` file (as `parseNpy` does), of any size, through {@link openNpyFile}.
 *
 * @throws NpyError for I/O failures (`"labels.npy: cannot read: no such file"`) and malformed contents
 * @example
 * const { shape, data } = await readNpyFile('test/fixtures/sklearn/iris-logreg.logits.npy');
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  const reader = (await openNpyFile(path)) as NpyRows;
  try {
    const { descr, kind, itemSize, shape, fortranOrder } = numericHeader(reader.header, path, reader.header.dataOffset);
    return { descr, kind, itemSize, shape, fortranOrder, data: await reader.readAll() };
  } finally {
    await reader.close();
  }
}
