/**
 * Node-only helpers: read a `.npy` file from disk, whole or streamed by rows.
 *
 * @module
 */
import { readFile, type FileHandle } from 'node:fs/promises';
import { ioError, openRegularFile, readExactly } from './file-io.js';
import {
  NpyError,
  decodeNpyItems,
  fortranToCOrder,
  parseNpy,
  parseNpyHeader,
  shapeText,
  type NpyArray,
  type NpyHeader,
  type NumericArray,
} from './npy.js';


/** Bytes read first to find the header; most headers (numpy writes 128 bytes) fit. */
const HEAD_PROBE_BYTES = 4096;
/** Largest header accepted (format 2.0/3.0 allow up to 4 GiB). */
const MAX_HEADER_BYTES = 1 << 20;
/** Fortran-order arrays with 2+ dimensions smaller than this are read whole to serve rows. */
const FORTRAN_WHOLE_MAX_BYTES = 256 * 1024 * 1024;
/** Slice size when reading a whole array in pieces (see Reader.readAll). */
const WHOLE_READ_SLICE_BYTES = 64 * 1024 * 1024;
/** Upper bound for one read() call; larger reads loop. */



/**
 * A `.npy` file opened for streaming by rows (see {@link openNpyFile}).
 * Memory use is bounded by what each call asks for, never the whole file
 * (except small Fortran-order arrays, see {@link NpyFileReader.readRows}).
 *
 * @example
 * const reader = await openNpyFile('logits.npy');
 * try {
 *   for await (const { start, data } of reader.chunks(65536)) {
 *     consume(start, data as Float32Array); // rows start .. start + data.length / reader.rowLength
 *   }
 * } finally {
 *   await reader.close();
 * }
 */
export interface NpyFileReader {
  /** The path given to {@link openNpyFile}, used in error messages. */
  readonly file: string;
  /** The parsed header; the file size has been checked against it. */
  readonly header: NpyHeader;
  /** shape[0] (1 for a 0-d array). */
  readonly rows: number;
  /** Items per row: product of shape[1..] (1 for 1-D and 0-d arrays). */
  readonly rowLength: number;
  /**
   * Rows [start, start + count) in C order, native endian, as a fresh typed
   * array of `count * rowLength` items (float16 widened to Float32Array, bool
   * as 0/1 Uint8Array), read with one positional read.
   *
   * Fortran-order arrays with 2+ dimensions cannot be read by rows: under
   * 256 MiB of data they are read whole once (kept for later calls) and
   * sliced; larger ones reject with an NpyError.
   *
   * @throws RangeError if start/count are not integers with 0 <= start <= start + count <= rows
   * @throws NpyError on I/O errors, a file that shrank since it was opened, or a large Fortran-order array
   * @example
   * const last10 = await reader.readRows(reader.rows - 10, 10); // 10 * reader.rowLength items
   */
  readRows(start: number, count: number): Promise<NumericArray>;
  /**
   * Consecutive chunks of at most `rowsPerChunk` rows, in order, covering all
   * rows (none for a 0-row array). Each chunk is one positional read into a
   * buffer allocated once per loop and reused, then decoded as by
   * {@link decodeNpyItems}; memory stays O(rowsPerChunk * rowLength).
   *
   * `data` may be a view of that reused buffer: it is valid until the loop
   * asks for the next chunk. Copy it (`data.slice()`) to keep it longer.
   *
   * Fortran-order arrays with 2+ dimensions: as for {@link NpyFileReader.readRows}
   * (each chunk is then a fresh copy).
   *
   * @throws RangeError (synchronously) if rowsPerChunk is not a positive integer
   * @throws NpyError (synchronously) for a Fortran-order array of 256 MiB or more; while iterating, on I/O errors
   * @example
   * for await (const { start, data } of reader.chunks(4096)) {
   *   const rows = data.length / reader.rowLength;
   *   await counter.update(data as Float32Array, labels.subarray(start, start + rows));
   * }
   */
  chunks(rowsPerChunk: number): AsyncIterable<{ start: number; data: NumericArray }>;
  /**
   * Closes the file. Idempotent; later reads reject with an NpyError.
   *
   * @example
   * await reader.close();
   */
  close(): Promise<void>;
}

class Reader implements NpyFileReader {
  readonly rows: number;
  readonly rowLength: number;
  private readonly rowBytes: number;
  private closed = false;
  private whole: Promise<NumericArray> | undefined;

  constructor(
    readonly file: string,
    readonly header: NpyHeader,
    private readonly fh: FileHandle,
    private readonly halves = false,
  ) {
    const { shape } = header;
    this.rows = shape.length === 0 ? 1 : shape[0]!;
    this.rowLength = shape.slice(1).reduce((a, b) => a * b, 1);
    this.rowBytes = this.rowLength * header.itemSize;
  }

  private get fortranRows(): boolean {
    return this.header.fortranOrder && this.header.shape.length > 1;
  }

  private checkOpen(): void {
    if (this.closed) throw new NpyError(this.file, undefined, 'reader is closed');
  }

  private checkFortran(): void {
    const h = this.header;
    if (this.fortranRows && h.dataBytes >= FORTRAN_WHOLE_MAX_BYTES) {
      throw new NpyError(
        this.file,
        h.dataOffset,
        `Fortran-order (column-major) array of shape ${shapeText(h.shape)} (${h.dataBytes} bytes of ${h.descr}) cannot be streamed by rows; ` +
          `only Fortran-order arrays under 256 MiB are read (whole). Re-save it in C order, e.g. np.save(path, np.ascontiguousarray(arr))`,
      );
    }
  }

  private async readRaw(start: number, into: Uint8Array): Promise<NumericArray> {
    this.checkOpen();
    await readExactly(this.fh, this.file, into, this.header.dataOffset + start * this.rowBytes);
    return decodeNpyItems(this.header, into, { halves: this.halves });
  }

  /** All data in C order, as a fresh array; decoded in slices, so it may exceed 4 GiB (the Uint8Array limit). */
  async readAll(): Promise<NumericArray> {
    const h = this.header;
    let data: NumericArray;
    if (h.dataBytes <= WHOLE_READ_SLICE_BYTES) {
      data = await this.readRaw(0, new Uint8Array(h.dataBytes));
    } else {
      const items = h.dataBytes / h.itemSize;
      const sliceItems = Math.floor(WHOLE_READ_SLICE_BYTES / h.itemSize);
      const buf = new Uint8Array(sliceItems * h.itemSize);
      let out: NumericArray | undefined;
      for (let i = 0; i < items; i += sliceItems) {
        const n = Math.min(sliceItems, items - i);
        const raw = buf.subarray(0, n * h.itemSize);
        this.checkOpen();
        await readExactly(this.fh, this.file, raw, h.dataOffset + i * h.itemSize);
        const part = decodeNpyItems(h, raw, { halves: this.halves });
        out ??= new (part.constructor as new (length: number) => NumericArray)(items);
        (out as Float64Array).set(part as Float64Array, i);
      }
      data = out!;
    }
    return this.fortranRows ? fortranToCOrder(data, h.shape) : data;
  }

  private wholeFortran(): Promise<NumericArray> {
    if (this.whole === undefined) {
      this.whole = this.readAll();
      this.whole.catch(() => {
        this.whole = undefined;
      });
    }
    return this.whole;
  }

  private checkRange(start: number, count: number): void {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > this.rows) {
      throw new RangeError(`${this.file}: rows [${start}, ${start} + ${count}) are not within the ${this.rows} rows of the file`);
    }
  }

  async readRows(start: number, count: number): Promise<NumericArray> {
    this.checkRange(start, count);
    this.checkOpen();
    this.checkFortran();
    if (this.fortranRows) {
      const all = await this.wholeFortran();
      return all.slice(start * this.rowLength, (start + count) * this.rowLength);
    }
    return this.readRaw(start, new Uint8Array(count * this.rowBytes));
  }

  chunks(rowsPerChunk: number): AsyncIterable<{ start: number; data: NumericArray }> {
    if (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1) {
      throw new RangeError(`${this.file}: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
    }
    this.checkOpen();
    this.checkFortran();
    return this.fortranRows ? this.fortranChunks(rowsPerChunk) : this.streamChunks(rowsPerChunk);
  }

  private async *streamChunks(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
    const per = Math.min(rowsPerChunk, this.rows);
    const buf = new Uint8Array(per * this.rowBytes);
    for (let start = 0; start < this.rows; start += per) {
      const n = Math.min(per, this.rows - start);
      yield { start, data: await this.readRaw(start, buf.subarray(0, n * this.rowBytes)) };
    }
  }

  private async *fortranChunks(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
    for (let start = 0; start < this.rows; start += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, this.rows - start);
      yield { start, data: await this.readRows(start, n) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.whole = undefined;
    await this.fh.close();
  }
}

async function openReader(path: string, halves = false): Promise<Reader> {
  const { fh, size } = await openRegularFile(path);
  try {
    let head = new Uint8Array(Math.min(HEAD_PROBE_BYTES, size));
    await readExactly(fh, path, head, 0);
    const lengths = headerLengths(head);
    const needed = lengths === undefined ? 0 : lengths.start + lengths.length;
    if (lengths !== undefined && needed > head.length && needed <= size) {
      if (lengths.length > MAX_HEADER_BYTES) {
        throw new NpyError(
          path,
          8,
          `header length field says ${lengths.length} bytes; headers over 1 MiB (${MAX_HEADER_BYTES} bytes) are refused`,
        );
      }
      const full = new Uint8Array(needed);
      full.set(head);
      await readExactly(fh, path, full.subarray(head.length), head.length);
      head = full;
    }
    return new Reader(path, parseNpyHeader(head, path, size), fh, halves);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

/** Where the header starts and its length, from a valid preamble; undefined lets parseNpyHeader report the problem. */
function headerLengths(head: Uint8Array): { start: number; length: number } | undefined {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (head.length < 12 || magic.some((b, i) => head[i] !== b) || head[7] !== 0) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head[6] === 1) return { start: 10, length: dv.getUint16(8, true) };
  if (head[6] === 2 || head[6] === 3) return { start: 12, length: dv.getUint32(8, true) };
  return undefined;
}

/**
 * Opens a `.npy` file for reading by rows, in bounded memory, whatever its
 * size (files over 2 GiB included). The header is read and validated, and the
 * file size (from `stat`) checked against it, before this resolves: a
 * truncated or padded file is refused before any data is used.
 *
 * Close the reader when done.
 *
 * @throws NpyError naming the file (and the byte offset where known): I/O
 *   failures such as `"logits.npy: cannot read: no such file"`, a malformed or
 *   unsupported header, a header over 1 MiB, or a file size that does not match
 *   the header (`"logits.npy: byte 128: header says shape (1000, 10) of <f4 = 40000 bytes of data, file has 39996"`).
 * @param options `halves`: float16 data come as their raw bits (Uint16Array) instead of widened to Float32Array
 * @example
 * const reader = await openNpyFile('logits.npy');
 * try {
 *   const [n, c] = reader.header.shape; // e.g. [1000000, 1000]: 4 GB of '<f4'
 *   for await (const { start, data } of reader.chunks(16384)) {
 *     // data: Float32Array of (up to) 16384 * c items, rows start.. of the file
 *   }
 * } finally {
 *   await reader.close();
 * }
 */
export async function openNpyFile(path: string, options: { halves?: boolean } = {}): Promise<NpyFileReader> {
  return openReader(path, options.halves ?? false);
}

/**
 * Reads and parses a whole `.npy` file (see {@link parseNpy}). Files over
 * 2 GiB, which `readFile` cannot read, are read through {@link openNpyFile}
 * into one array (which then needs that much memory; prefer streaming with
 * {@link openNpyFile} for such files).
 *
 * @throws NpyError for I/O failures (e.g. `"labels.npy: cannot read: no such file"`)
 *   as well as for malformed contents.
 * @example
 * const { shape, data } = await readNpyFile('test/fixtures/sklearn/iris-logreg.logits.npy');
 * // shape: [rows, classes], data: Float32Array in row-major order
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException | undefined)?.code === 'ERR_FS_FILE_TOO_LARGE') return readLargeNpyFile(path);
    throw ioError(path, undefined, e);
  }
  return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

async function readLargeNpyFile(path: string): Promise<NpyArray> {
  const reader = await openReader(path);
  try {
    const h = reader.header;
    return { descr: h.descr, kind: h.kind, itemSize: h.itemSize, shape: h.shape, fortranOrder: h.fortranOrder, data: await reader.readAll() };
  } finally {
    await reader.close();
  }
}
