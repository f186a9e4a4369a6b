/**
 * Node-only: the row sources behind every binary reader: a base with row bookkeeping, Fortran-order
 * handling and close state, and the one that reads a byte range of a file with positional reads
 * (`.npy` files, stored `.npz` members, `.safetensors` tensors).
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from '../core/crc32.js';
import { readExactly } from './file-io.js';
import { decodeNpyItems, decodeNpyStrings, fortranToCOrder, NpyError, type NpyHeader, type NumericArray,
  shapeText } from './npy.js';
import type { ArraySource, ChunkData } from './open-array.js';

/** Fortran-order arrays with 2+ dimensions smaller than this are read whole to serve rows. */
const FORTRAN_WHOLE_MAX_BYTES = 256 * 1024 * 1024;
/** Bytes per slice when an array is read whole. */
const WHOLE_SLICE_BYTES = 64 * 1024 * 1024;

/** @internal One chunk of rows: `data` holds rows `start ..` in C order. */
export type RowChunk = { start: number; data: ChunkData };

/** @internal Where an array lies in a file: `dataOffset` is absolute, `descr` is how errors name its dtype. */
export type Layout = NpyHeader & { dtype: string };

/** @internal What a row source reads: `file` names it as a source, `path` in errors (after `what`, if any). */
export interface SourceInit {
  file: string;
  path: string;
  fh: FileHandle;
  header: Layout;
  /** Decodes raw items; `first`: the index of the first in the array (for messages). */
  decode: (raw: Uint8Array, first?: number) => ChunkData;
  what?: string;
  /** For a stored zip member: the CRC-32 a full pass checks. */
  check?: MemberCheck;
}

/** @internal The numbers of a chunk of a numeric source; strings here are a bug (string sources are mapped first). */
export function numeric(data: ChunkData): NumericArray {
  if (Array.isArray(data)) throw new TypeError('a chunk of strings where numbers are needed');
  return data;
}

/** @internal The numpy-style dtype of a header, without byte order: 'f4', 'i8', 'b1'. */
export const dtypeOf = (h: Pick<NpyHeader, 'kind' | 'itemSize'>): string =>
  h.kind === 'b' ? 'b1' : h.kind === 's' ? 'str' : `${h.kind}${h.itemSize}`;

/** @internal The decoder of a header's items: numbers (see `decodeNpyItems`) or strings, failing as `path`. */
export function itemDecoder(h: NpyHeader, path: string, options: { halves?: boolean },
  what?: string): (raw: Uint8Array, first?: number) => ChunkData {
  if (h.kind !== 's') return (raw) => decodeNpyItems({ ...h, kind: h.kind }, raw, options);
  return (raw, first = 0) => {
    try {
      return decodeNpyStrings(h, raw, first);
    } catch (e) {
      throw new NpyError(path, undefined, `${what === undefined ? '' : `${what}: `}${(e as Error).message}`);
    }
  };
}

/** @internal Throws a RangeError naming `file` unless `rowsPerChunk` is a positive integer. */
export function checkRowsPerChunk(file: string, rowsPerChunk: number): void {
  if (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1) {
    throw new RangeError(`${file}: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
  }
}

/** @internal Base of the row sources: row bookkeeping, Fortran-order arrays read whole (under 256 MiB), close state. */
export abstract class RowSource implements ArraySource {
  readonly file: string;
  readonly header: Layout;
  readonly dtype: string;
  readonly kind: NpyHeader['kind'];
  readonly shape: number[];
  readonly rows: number;
  readonly rowLength: number;
  protected readonly rowBytes: number;
  protected closed = false;
  private whole: Promise<NumericArray> | undefined;

  constructor(protected readonly init: SourceInit) {
    ({ file: this.file, header: this.header } = init);
    ({ dtype: this.dtype, kind: this.kind, shape: this.shape } = this.header);
    this.rows = this.shape.length === 0 ? 1 : this.shape[0]!;
    this.rowLength = this.shape.slice(1).reduce((a, b) => a * b, 1);
    this.rowBytes = this.rowLength * this.header.itemSize;
  }

  protected fail(offset: number | undefined, detail: string): never {
    const { path, what } = this.init;
    throw new NpyError(path, offset, what === undefined ? detail : `${what}: ${detail}`);
  }

  protected checkOpen(): void {
    if (this.closed) this.fail(undefined, 'reader is closed');
  }

  protected get fortranRows(): boolean {
    return this.header.fortranOrder && this.shape.length > 1;
  }

  /** Throws unless rows can be served: open, and not a Fortran-order array too big to read whole. */
  protected checkReadable(): void {
    this.checkOpen();
    const { dataBytes, dataOffset, descr } = this.header;
    if (this.fortranRows && this.kind === 's') {
      this.fail(dataOffset, `a Fortran-order ${descr} array: strings are read in C order`);
    }
    if (this.fortranRows && dataBytes >= FORTRAN_WHOLE_MAX_BYTES) {
      this.fail(dataOffset,
        `Fortran-order (column-major) array of shape ${shapeText(this.shape)} (${dataBytes} bytes of ${descr}) ` +
          'cannot be streamed by rows; only Fortran-order arrays under 256 MiB are read (whole). Re-save it in C ' +
          'order, e.g. np.save(path, np.ascontiguousarray(arr))');
    }
  }

  /** Items in file order, in chunks of at most `rowsPerChunk` rows; a full pass verifies what can be verified. */
  protected abstract fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk>;

  chunks(rowsPerChunk: number): AsyncIterable<RowChunk> {
    checkRowsPerChunk(this.file, rowsPerChunk);
    this.checkReadable();
    if (!this.fortranRows) return this.fileOrderChunks(rowsPerChunk);
    return this.rowChunks(0, this.rows, rowsPerChunk, (at, n) => this.rowsOfWhole(at, n));
  }

  /** Rows [start, end) in chunks of at most `rowsPerChunk`, each from `read(first, count)`. */
  protected async *rowChunks(start: number, end: number, rowsPerChunk: number,
    read: (first: number, count: number) => Promise<ChunkData>): AsyncGenerator<RowChunk> {
    for (let at = start; at < end; at += rowsPerChunk) {
      yield { start: at, data: await read(at, Math.min(rowsPerChunk, end - at)) };
    }
  }

  /** Rows of the whole array in C order (read once, kept until close), as a fresh array. */
  protected async rowsOfWhole(start: number, count: number): Promise<NumericArray> {
    if (this.whole === undefined) {
      this.whole = this.readAll();
      this.whole.catch(() => (this.whole = undefined));
    }
    return (await this.whole).slice(start * this.rowLength, (start + count) * this.rowLength);
  }

  /** All data in C order, read in slices into one fresh array (which may exceed the 4 GiB of one read buffer). */
  async readAll(): Promise<NumericArray> {
    let all: NumericArray | undefined;
    const total = this.rows * this.rowLength;
    const sliceRows = Math.max(1, Math.floor(WHOLE_SLICE_BYTES / Math.max(1, this.rowBytes)));
    for await (const { start, data: items } of this.fileOrderChunks(sliceRows)) {
      const data = numeric(items);
      all ??= data.length === total ? data : new (data.constructor as new(length: number) => NumericArray)(total);
      if (all !== data) (all as Float64Array).set(data as Float64Array, start * this.rowLength);
    }
    all ??= numeric(this.init.decode(new Uint8Array(0)));
    return this.fortranRows ? fortranToCOrder(all, this.shape) : all;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.whole = undefined;
    await this.init.fh.close();
  }
}

/** @internal What a full pass over a stored zip member checks at its end. */
interface MemberCheck {
  /** CRC-32 of the member bytes before the data (the .npy header). */
  headCrc: number;
  expectedCrc: number;
  /** Offset reported with a mismatch (the member's local header). */
  offset: number;
}

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** @internal A CRC-32 mismatch message; `data` is 'stored' or 'inflated'. */
export const crcMismatch = (expected: number, got: number, data: string): string =>
  `CRC-32 mismatch: the zip directory says ${hex32(expected)}, the ${data} data gives ${hex32(got)} (corrupt archive)`;

/** @internal Rows of an array lying at `header.dataOffset` of an open file, by positional reads; owns `fh`. */
export class FileRows extends RowSource {
  get raw(): { path: string; byteOffset: number; dtype: string } | undefined {
    const plain = this.kind !== 's' && this.init.check === undefined && !this.header.bigEndian && !this.fortranRows;
    return plain ? { path: this.init.path, byteOffset: this.header.dataOffset, dtype: this.dtype } : undefined;
  }

  private checkRange(start: number, count: number): void {
    const ok = Number.isSafeInteger(start) && Number.isSafeInteger(count) && start >= 0 && count >= 0;
    if (!ok || start + count > this.rows) {
      const range = `rows [${start}, ${start} + ${count})`;
      throw new RangeError(`${this.file}: ${range} are not within the ${this.rows} rows of the file`);
    }
  }

  /** Rows [start, start + count) as a fresh array, read with one positional read. */
  async readRows(start: number, count: number): Promise<NumericArray> {
    return numeric(await this.readItems(start, count));
  }

  /** Rows [start, start + count) as fresh numbers or strings, read with one positional read. */
  async readItems(start: number, count: number): Promise<ChunkData> {
    this.checkRange(start, count);
    this.checkReadable();
    if (this.fortranRows) return this.rowsOfWhole(start, count);
    const raw = await readExactly(this.init.fh, this.init.path, count * this.rowBytes,
      this.header.dataOffset + start * this.rowBytes);
    return this.init.decode(raw, start * this.rowLength);
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk> {
    const { check } = this.init;
    let crc = check?.headCrc ?? 0;
    const per = Math.min(rowsPerChunk, this.rows);
    const buf = new Uint8Array(per * this.rowBytes);
    const verify = (): void => {
      if (check === undefined || crc === check.expectedCrc) return;
      this.fail(check.offset, crcMismatch(check.expectedCrc, crc, 'stored'));
    };
    if (this.rows * this.rowBytes === 0) verify();
    for (let start = 0; start < this.rows; start += per) {
      const n = Math.min(per, this.rows - start);
      const raw = buf.subarray(0, n * this.rowBytes);
      this.checkOpen();
      await readExactly(this.init.fh, this.init.path, raw, this.header.dataOffset + start * this.rowBytes);
      if (check !== undefined) {
        crc = crc32(raw, crc);
        if (start + n === this.rows) verify();
      }
      yield { start, data: this.init.decode(raw, start * this.rowLength) };
    }
  }
}
