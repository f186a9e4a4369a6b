/**
 * Node-only: stream one array of a NumPy `.npz` archive (a zip of `.npy`
 * members, as written by `np.savez` (stored) and `np.savez_compressed`
 * (deflate)) by rows, in bounded memory; plus the byte-range array source that
 * `.safetensors` tensors and stored members share.
 *
 * Zip reference: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { crc32 } from '../core/crc32.js';
import { ioError, openRegularFile, readExactly } from './file-io.js';
import { NpyError, decodeNpyItems, fortranToCOrder, parseNpyHeader, shapeText, type NpyHeader, type NumericArray } from './npy.js';
import type { ArraySource } from './open-array.js';


const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
const MAX_NPY_HEADER_BYTES = 1 << 20;
const HEAD_PROBE_BYTES = 4096;
/** Fortran-order arrays with 2+ dimensions smaller than this are read whole to serve rows (as openNpyFile does). */
const FORTRAN_WHOLE_MAX_BYTES = 256 * 1024 * 1024;
/** Bytes per slice when a Fortran-order array is read whole. */
const WHOLE_SLICE_BYTES = 16 * 1024 * 1024;
const READ_STREAM_BYTES = 64 * 1024;
const INFLATE_CHUNK_BYTES = 256 * 1024;

const METHODS: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstd',
  95: 'xz',
  98: 'ppmd',
  99: 'AES encryption',
};

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

// ---------------------------------------------------------------------------
// Chunked row sources

/**
 * How an array's items are laid out, for {@link byteRangeSource}.
 *
 * @example
 * const l: ArrayLayout = { dtype: 'f4', kind: 'f', itemSize: 4, bigEndian: false, shape: [100, 10], fortranOrder: false };
 */
export interface ArrayLayout {
  dtype: string;
  kind: 'f' | 'i' | 'u' | 'b';
  itemSize: number;
  bigEndian: boolean;
  shape: number[];
  fortranOrder: boolean;
}

/** Base of the zip-member and byte-range sources: row bookkeeping, Fortran-order handling, close state. */
abstract class RowSource implements ArraySource {
  readonly dtype: string;
  readonly kind: 'f' | 'i' | 'u' | 'b';
  readonly shape: number[];
  readonly rows: number;
  readonly rowLength: number;
  protected readonly rowBytes: number;
  protected readonly dataBytes: number;
  protected closed = false;

  constructor(
    readonly file: string,
    protected readonly path: string,
    protected readonly layout: ArrayLayout,
    protected readonly fh: FileHandle,
    protected readonly what: string,
  ) {
    this.dtype = layout.dtype;
    this.kind = layout.kind;
    this.shape = layout.shape;
    this.rows = layout.shape.length === 0 ? 1 : layout.shape[0]!;
    this.rowLength = layout.shape.slice(1).reduce((a, b) => a * b, 1);
    this.rowBytes = this.rowLength * layout.itemSize;
    this.dataBytes = this.rows * this.rowBytes;
  }

  protected checkOpen(): void {
    if (this.closed) throw new NpyError(this.path, undefined, `${this.what}: reader is closed`);
  }

  protected get fortranRows(): boolean {
    return this.layout.fortranOrder && this.layout.shape.length > 1;
  }

  /** Items in file order, in chunks of at most `rowsPerChunk * rowLength` items; a full pass verifies what can be verified. */
  protected abstract fileOrderChunks(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }>;

  protected abstract dataStartOffset(): number;

  chunks(rowsPerChunk: number): AsyncIterable<{ start: number; data: NumericArray }> {
    if (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1) {
      throw new RangeError(`${this.file}: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
    }
    this.checkOpen();
    if (!this.fortranRows) return this.fileOrderChunks(rowsPerChunk);
    if (this.dataBytes >= FORTRAN_WHOLE_MAX_BYTES) {
      throw new NpyError(
        this.path,
        this.dataStartOffset(),
        `${this.what}: Fortran-order (column-major) array of shape ${shapeText(this.shape)} (${this.dataBytes} bytes of ${this.dtype}) cannot be streamed by rows; ` +
          'only Fortran-order arrays under 256 MiB are read (whole). Re-save it in C order, e.g. with np.ascontiguousarray(arr)',
      );
    }
    return this.fortranChunks(rowsPerChunk);
  }

  private async *fortranChunks(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
    let all: NumericArray | undefined;
    let at = 0;
    const sliceRows = Math.max(1, Math.floor(WHOLE_SLICE_BYTES / Math.max(1, this.rowBytes)));
    for await (const { data } of this.fileOrderChunks(sliceRows)) {
      all ??= new (data.constructor as new (length: number) => NumericArray)(this.rows * this.rowLength);
      (all as Float64Array).set(data as Float64Array, at);
      at += data.length;
    }
    if (all === undefined) return;
    const c = fortranToCOrder(all, this.shape);
    for (let start = 0; start < this.rows; start += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, this.rows - start);
      yield { start, data: c.slice(start * this.rowLength, (start + n) * this.rowLength) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

/** What a full pass over a member checks at its end. */
interface MemberCheck {
  /** CRC-32 of the member bytes before the data (the .npy header). */
  headCrc: number;
  expectedCrc: number;
  /** Offset reported with a mismatch (the member's local header). */
  offset: number;
}

class ByteRangeSource extends RowSource {
  constructor(
    file: string,
    path: string,
    layout: ArrayLayout,
    fh: FileHandle,
    what: string,
    private readonly dataStart: number,
    private readonly decode: (raw: Uint8Array) => NumericArray,
    private readonly check: MemberCheck | undefined,
    private readonly decodesAsIs = false,
  ) {
    super(file, path, layout, fh, what);
  }

  protected dataStartOffset(): number {
    return this.dataStart;
  }

  get raw(): { path: string; byteOffset: number; dtype: string } | undefined {
    const l = this.layout;
    const raw = this.check === undefined && this.decodesAsIs && !l.bigEndian && !(l.fortranOrder && l.shape.length > 1);
    return raw ? { path: this.path, byteOffset: this.dataStart, dtype: this.dtype } : undefined;
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
    let crc = this.check?.headCrc ?? 0;
    const per = Math.min(rowsPerChunk, this.rows);
    const buf = new Uint8Array(per * this.rowBytes);
    const verify = (): void => {
      if (this.check !== undefined && crc !== this.check.expectedCrc) {
        throw new NpyError(
          this.path,
          this.check.offset,
          `${this.what}: CRC-32 mismatch: the zip directory says ${hex32(this.check.expectedCrc)}, the stored data gives ${hex32(crc)} (corrupt archive)`,
        );
      }
    };
    if (this.dataBytes === 0) verify();
    for (let start = 0; start < this.rows; start += per) {
      const n = Math.min(per, this.rows - start);
      const raw = buf.subarray(0, n * this.rowBytes);
      this.checkOpen();
      await readExactly(this.fh, this.path, raw, this.dataStart + start * this.rowBytes);
      if (this.check !== undefined) {
        crc = crc32(raw, crc);
        if (start + n === this.rows) verify();
      }
      yield { start, data: this.decode(raw) };
    }
  }
}

/**
 * @internal An {@link ArraySource} over `shape` items of one dtype laid out in
 * C order at bytes [dataStart, dataStart + size) of an open file, read with
 * positional reads. Takes ownership of `fh` (closed by `close()`). `decode`
 * turns raw little-endian item bytes into a typed array (default:
 * {@link decodeNpyItems} with the layout).
 *
 * @example
 * const layout: ArrayLayout = { dtype: 'f4', kind: 'f', itemSize: 4, bigEndian: false, shape: [100, 10], fortranOrder: false };
 * const src = byteRangeSource({ fh, path: 'x.bin', spec: 'x.bin', what: 'tensor x', layout, dataStart: 64 });
 */
export function byteRangeSource(opts: {
  fh: FileHandle;
  path: string;
  spec: string;
  what: string;
  layout: ArrayLayout;
  dataStart: number;
  decode?: (raw: Uint8Array) => NumericArray;
}): ArraySource {
  const { layout } = opts;
  const decode = opts.decode ?? ((raw: Uint8Array) => decodeNpyItems(layout, raw));
  return new ByteRangeSource(opts.spec, opts.path, layout, opts.fh, opts.what, opts.dataStart, decode, undefined, opts.decode === undefined);
}

/** Bytes [start, start + size) of `fh`, in blocks, by positional reads (the handle stays open). */
async function* byteRange(fh: FileHandle, path: string, start: number, size: number): AsyncGenerator<Buffer> {
  for (let pos = start, end = start + size; pos < end; ) {
    const n = Math.min(READ_STREAM_BYTES, end - pos);
    const block = Buffer.allocUnsafe(n);
    await readExactly(fh, path, block, pos);
    pos += n;
    yield block;
  }
}

/** Inflates bytes [start, start + size) of `fh` as a raw deflate stream; the caller destroys the result. */
function inflateRange(fh: FileHandle, path: string, start: number, size: number): zlib.InflateRaw {
  const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  const src = Readable.from(byteRange(fh, path, start, size), { objectMode: false, highWaterMark: READ_STREAM_BYTES });
  pipeline(src, inflate, () => undefined);
  return inflate;
}

class DeflatedSource extends RowSource {
  constructor(
    file: string,
    path: string,
    layout: ArrayLayout,
    fh: FileHandle,
    what: string,
    private readonly entry: ZipEntry,
    private readonly dataStart: number,
    private readonly header: NpyHeader,
  ) {
    super(file, path, layout, fh, what);
  }

  protected dataStartOffset(): number {
    return this.dataStart;
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
    this.checkOpen();
    const { entry } = this;
    const per = Math.min(rowsPerChunk, this.rows);
    const buf = new Uint8Array(per * this.rowBytes);
    const inflate = inflateRange(this.fh, this.path, this.dataStart, entry.compressedSize);
    let crc = 0;
    let produced = 0;
    let skip = this.header.dataOffset;
    let start = 0;
    let fill = 0;
    let held: { start: number; data: NumericArray } | undefined;
    const chunkBytes = (): number => Math.min(per, this.rows - start) * this.rowBytes;
    try {
      try {
        for await (const piece of inflate as AsyncIterable<Buffer>) {
          crc = crc32(piece, crc);
          produced += piece.length;
          if (produced > entry.uncompressedSize) {
            throw new NpyError(
              this.path,
              this.dataStart,
              `${this.what}: inflates to more than the ${entry.uncompressedSize} bytes the zip directory declares (corrupt archive)`,
            );
          }
          let p: Uint8Array = piece;
          if (skip > 0) {
            const k = Math.min(skip, p.length);
            p = p.subarray(k);
            skip -= k;
          }
          while (p.length > 0) {
            const want = chunkBytes() - fill;
            const k = Math.min(want, p.length);
            buf.set(p.subarray(0, k), fill);
            fill += k;
            p = p.subarray(k);
            if (fill === chunkBytes()) {
              const n = Math.min(per, this.rows - start);
              const chunk = { start, data: decodeNpyItems(this.header, buf.subarray(0, fill)) };
              start += n;
              fill = 0;
              if (start === this.rows) held = chunk;
              else {
                yield chunk;
                this.checkOpen();
              }
            }
          }
        }
      } catch (e) {
        if (e instanceof NpyError) throw e;
        const code = (e as NodeJS.ErrnoException | undefined)?.code;
        if (code !== undefined && code.startsWith('Z_')) {
          throw new NpyError(
            this.path,
            this.dataStart,
            `${this.what}: corrupt or truncated deflate data after ${produced} of ${entry.uncompressedSize} uncompressed bytes: ${(e as Error).message}`,
            { cause: e },
          );
        }
        throw ioError(this.path, this.dataStart, e);
      }
      if (produced !== entry.uncompressedSize) {
        throw new NpyError(
          this.path,
          this.dataStart,
          `${this.what}: inflates to ${produced} bytes but the zip directory declares ${entry.uncompressedSize} (corrupt or truncated archive)`,
        );
      }
      if (crc !== entry.crc) {
        throw new NpyError(
          this.path,
          entry.localHeaderOffset,
          `${this.what}: CRC-32 mismatch: the zip directory says ${hex32(entry.crc)}, the inflated data gives ${hex32(crc)} (corrupt archive)`,
        );
      }
      if (this.rowBytes === 0) {
        for (; start < this.rows; start += per) yield { start, data: decodeNpyItems(this.header, new Uint8Array(0)) };
      } else if (held !== undefined) yield held;
    } finally {
      inflate.destroy();
    }
  }
}

// ---------------------------------------------------------------------------
// Zip directory

/**
 * One member of a zip archive, from its central directory record (zip64
 * fields already applied).
 *
 * @example
 * const { entries } = await readZipDirectory(fh, 'run.npz', size);
 * entries.map((e) => e.name); // ['logits.npy', 'labels.npy']
 */
export interface ZipEntry {
  /** Member name, e.g. `'logits.npy'`. */
  name: string;
  /** General-purpose bit flags (bit 0: encrypted, bit 3: data descriptor). */
  flags: number;
  /** Compression method: 0 stored, 8 deflate. */
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Offset of this record in the central directory, for error messages. */
  recordOffset: number;
}

function u64(dv: DataView, at: number, path: string, fileOffset: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NpyError(path, fileOffset, `zip64 ${what} ${v} is too large`);
  return Number(v);
}

function looksLikeZipStart(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
}

function preview(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8);
  const hex = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hex} ("${text}")`;
}

/**
 * Reads the central directory of a zip file: finds the end-of-central-directory
 * record (and the zip64 locator and record when present), then parses every
 * entry, applying zip64 extra fields.
 *
 * @throws NpyError naming `path` and the byte offset: not a zip file, a
 *   truncated file (no end record, a directory running past the end),
 *   multi-disk archives, malformed records
 * @example
 * const { fh, size } = await openRegularFile('run.npz');
 * const { entries, directoryOffset } = await readZipDirectory(fh, 'run.npz', size);
 */
export async function readZipDirectory(
  fh: FileHandle,
  path: string,
  size: number,
): Promise<{ entries: ZipEntry[]; directoryOffset: number }> {
  const tailLen = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tail = new Uint8Array(tailLen);
  await readExactly(fh, path, tail, size - tailLen);
  const tailStart = size - tailLen;
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG && i + EOCD_SIZE + tv.getUint16(i + 20, true) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = new Uint8Array(Math.min(8, size));
    await readExactly(fh, path, head, 0);
    if (size === 0) throw new NpyError(path, 0, 'not a zip file: the file is empty (expected an .npz written by np.savez)');
    if (looksLikeZipStart(head)) {
      throw new NpyError(path, size, `truncated zip file: no end-of-central-directory record in its last ${tailLen} bytes (was the file cut short?)`);
    }
    const npy = head[0] === 0x93 && head[1] === 0x4e && head[2] === 0x55;
    throw new NpyError(
      path,
      0,
      `not a zip file (expected an .npz written by np.savez): starts with ${preview(head)}` + (npy ? '; this looks like a .npy file, name it .npy' : ''),
    );
  }
  const eocdOffset = tailStart + eocd;
  const disk = tv.getUint16(eocd + 4, true);
  const cdDisk = tv.getUint16(eocd + 6, true);
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let zip64 = false;
  if (eocd >= 20 && tv.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG) {
    const locOffset = eocdOffset - 20;
    const recOffset = u64(tv, eocd - 20 + 8, path, locOffset + 8, 'end record offset');
    if (tv.getUint32(eocd - 20 + 16, true) > 1) throw new NpyError(path, locOffset + 16, 'multi-disk (split) zip archives are not supported');
    if (recOffset + 56 > locOffset) {
      throw new NpyError(path, locOffset + 8, `zip64 end-of-central-directory locator points at byte ${recOffset}, past the locator itself (corrupt or truncated archive)`);
    }
    const rec = new Uint8Array(56);
    await readExactly(fh, path, rec, recOffset);
    const rv = new DataView(rec.buffer);
    if (rv.getUint32(0, true) !== ZIP64_EOCD_SIG) {
      throw new NpyError(path, recOffset, `no zip64 end-of-central-directory record where the locator says (got ${preview(rec)})`);
    }
    if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) throw new NpyError(path, recOffset + 16, 'multi-disk (split) zip archives are not supported');
    count = u64(rv, 32, path, recOffset + 32, 'entry count');
    cdSize = u64(rv, 40, path, recOffset + 40, 'central directory size');
    cdOffset = u64(rv, 48, path, recOffset + 48, 'central directory offset');
    zip64 = true;
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new NpyError(path, eocdOffset + 4, 'multi-disk (split) zip archives are not supported');
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new NpyError(path, eocdOffset, 'the end-of-central-directory record needs zip64 fields, but there is no zip64 locator before it (corrupt archive)');
  }
  const cdEnd = zip64 ? eocdOffset - 20 : eocdOffset;
  if (cdOffset + cdSize > cdEnd) {
    throw new NpyError(
      path,
      eocdOffset,
      `the central directory (${cdSize} bytes at byte ${cdOffset}) runs past the end record at byte ${cdEnd} (truncated or corrupt archive)`,
    );
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
    throw new NpyError(path, cdOffset, `central directory of ${cdSize} bytes is over the ${MAX_CENTRAL_DIRECTORY_BYTES}-byte limit`);
  }
  const cd = new Uint8Array(cdSize);
  await readExactly(fh, path, cd, cdOffset);
  const cv = new DataView(cd.buffer);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder('utf-8');
  let p = 0;
  while (p < cdSize) {
    const at = cdOffset + p;
    if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL_SIG) {
      throw new NpyError(path, at, `expected a central directory record (PK\\1\\2) for entry ${entries.length + 1} of ${count}, got ${preview(cd.subarray(p))}`);
    }
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressedSize = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let diskStart = cv.getUint16(p + 34, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) throw new NpyError(path, at, 'central directory record runs past the end of the central directory (corrupt archive)');
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    const name = flags & 0x800 ? utf8.decode(nameBytes) : String.fromCharCode(...nameBytes);
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) throw new NpyError(path, cdOffset + e, `extra field 0x${id.toString(16)} of entry '${name}' runs past its record`);
      if (id === 0x0001) {
        let q = e + 4;
        const need = (cond: boolean, what: string): number | undefined => {
          if (!cond) return undefined;
          if (q + 8 > e + 4 + len) throw new NpyError(path, cdOffset + q, `zip64 extra field of entry '${name}' is too short for its ${what}`);
          const v = u64(cv, q, path, cdOffset + q, what);
          q += 8;
          return v;
        };
        uncompressedSize = need(uncompressedSize === 0xffffffff, 'uncompressed size') ?? uncompressedSize;
        compressedSize = need(compressedSize === 0xffffffff, 'compressed size') ?? compressedSize;
        localHeaderOffset = need(localHeaderOffset === 0xffffffff, 'local header offset') ?? localHeaderOffset;
        if (diskStart === 0xffff && q + 4 <= e + 4 + len) diskStart = cv.getUint32(q, true);
      }
      e += 4 + len;
    }
    if (diskStart !== 0 && diskStart !== 0xffff) throw new NpyError(path, at + 34, 'multi-disk (split) zip archives are not supported');
    entries.push({ name, flags, method, crc, compressedSize, uncompressedSize, localHeaderOffset, recordOffset: at });
    p = end;
  }
  if (entries.length !== count) {
    throw new NpyError(path, cdOffset, `the end record says ${count} entries, the central directory holds ${entries.length} (corrupt archive)`);
  }
  return { entries, directoryOffset: cdOffset };
}

// ---------------------------------------------------------------------------

const arrayName = (member: string): string => (member.endsWith('.npy') ? member.slice(0, -4) : member);

function listNames(entries: readonly ZipEntry[]): string {
  const names = entries.map((e) => `'${arrayName(e.name)}'`);
  return names.length === 0 ? '(none: the archive is empty)' : names.length > 50 ? `${names.slice(0, 50).join(', ')}, ... (${names.length} in all)` : names.join(', ');
}

function layoutOf(h: NpyHeader): ArrayLayout {
  return {
    dtype: h.kind === 'b' ? 'b1' : `${h.kind}${h.itemSize}`,
    kind: h.kind,
    itemSize: h.itemSize,
    bigEndian: h.bigEndian,
    shape: h.shape,
    fortranOrder: h.fortranOrder,
  };
}

/** Re-throws a parseNpyHeader error for a member, with the member named and the offset made absolute where it can be. */
function memberHeaderError(e: unknown, path: string, what: string, dataStart: number, stored: boolean): unknown {
  if (!(e instanceof NpyError)) return e;
  if (stored) return new NpyError(path, e.offset === undefined ? dataStart : dataStart + e.offset, `${what}: ${e.detail}`, { cause: e });
  const where = e.offset === undefined ? '' : `byte ${e.offset} of the uncompressed member: `;
  return new NpyError(path, dataStart, `${what}: ${where}${e.detail}`, { cause: e });
}

/** The first `need(prefix)` bytes of a deflated member (stopping at its end), inflating no further than needed. */
async function inflatePrefix(
  fh: FileHandle,
  path: string,
  what: string,
  dataStart: number,
  entry: ZipEntry,
): Promise<Uint8Array> {
  const inflate = inflateRange(fh, path, dataStart, entry.compressedSize);
  const parts: Buffer[] = [];
  let have = 0;
  let need = 12;
  try {
    for await (const piece of inflate as AsyncIterable<Buffer>) {
      parts.push(piece);
      have += piece.length;
      if (need === 12 && have >= 12) {
        const head = Buffer.concat(parts);
        const major = head[6];
        if (head[7] === 0 && (major === 1 || major === 2 || major === 3)) {
          const len = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
          need = Math.min((major === 1 ? 10 : 12) + len, MAX_NPY_HEADER_BYTES + 12);
        }
      }
      if (have >= need) break;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code !== undefined && code.startsWith('Z_')) {
      throw new NpyError(path, dataStart, `${what}: corrupt or truncated deflate data at the start of the member: ${(e as Error).message}`, { cause: e });
    }
    throw ioError(path, dataStart, e);
  } finally {
    inflate.destroy();
  }
  const all = Buffer.concat(parts);
  return new Uint8Array(all.buffer, all.byteOffset, Math.min(all.length, Math.max(need, HEAD_PROBE_BYTES)));
}

/**
 * Opens one array of a `.npz` archive for streaming by rows.
 *
 * `name` is the array's name as given to `np.savez` (`'logits'` finds member
 * `'logits.npy'`; the full member name works too); without a name the archive
 * must hold exactly one member. Stored members (np.savez) are read with
 * positional reads; deflated members (np.savez_compressed) are inflated
 * through `zlib.createInflateRaw` from the member's byte range, one
 * `rowsPerChunk` buffer at a time, so memory stays bounded whatever the
 * member's size. Each `chunks()` call starts a fresh pass.
 *
 * Checks: the zip structure (zip64 end records and extra fields included), the
 * member's local header, its sizes against the inner .npy header, and, at the
 * end of a full pass, its CRC-32 (deflated and stored members alike; the last
 * chunk is only delivered once it passed). Errors name `path` and an absolute
 * byte offset in it, with the member named in the message (`"run.npz: byte
 * 1234: member 'logits.npy': CRC-32 mismatch: ..."`).
 *
 * @param path the archive on disk
 * @param name the array to read; optional when the archive holds one array
 * @param spec the name the source reports as `file` (defaults to `path` or `path:name`)
 * @param options `halves`: float16 data come as their raw bits (Uint16Array) instead of widened to Float32Array
 * @throws NpyError: I/O errors, not a zip, truncated, member missing (listing
 *   the names there are), encrypted, a compression method other than stored or
 *   deflate, bad local header, a malformed or unsupported inner .npy header
 * @example
 * const src = await openNpzArray('run.npz', 'logits');
 * try {
 *   for await (const { start, data } of src.chunks(4096)) consume(start, data as Float32Array);
 * } finally {
 *   await src.close();
 * }
 */
export async function openNpzArray(path: string, name?: string, spec?: string, options: { halves?: boolean } = {}): Promise<ArraySource> {
  const halves = options.halves ?? false;
  const { fh, size } = await openRegularFile(path);
  try {
    const { entries, directoryOffset } = await readZipDirectory(fh, path, size);
    let entry: ZipEntry | undefined;
    if (name === undefined) {
      if (entries.length !== 1) {
        throw new NpyError(
          path,
          undefined,
          `the archive holds ${entries.length} arrays (${listNames(entries)}); choose one with ${path}:NAME`,
        );
      }
      entry = entries[0]!;
    } else {
      entry = entries.find((e) => e.name === `${name}.npy`) ?? entries.find((e) => e.name === name);
      if (entry === undefined) throw new NpyError(path, undefined, `no array '${name}' in the archive; it holds ${listNames(entries)}`);
    }
    const what = `member '${entry.name}'`;
    if (entry.flags & 1) throw new NpyError(path, entry.recordOffset + 8, `${what} is encrypted; encrypted archives are not supported`);
    if (entry.method !== 0 && entry.method !== 8) {
      const m = METHODS[entry.method];
      throw new NpyError(
        path,
        entry.recordOffset + 10,
        `${what} uses compression method ${entry.method}${m ? ` (${m})` : ''}; only stored (np.savez) and deflate (np.savez_compressed) are supported`,
      );
    }
    const lho = entry.localHeaderOffset;
    if (lho + 30 > directoryOffset) {
      throw new NpyError(path, entry.recordOffset + 42, `${what}: local header offset ${lho} is past the start of the central directory at byte ${directoryOffset} (corrupt archive)`);
    }
    const local = new Uint8Array(30);
    await readExactly(fh, path, local, lho);
    const lv = new DataView(local.buffer);
    if (lv.getUint32(0, true) !== LOCAL_SIG) {
      throw new NpyError(path, lho, `${what}: expected a local file header (PK\\3\\4), got ${preview(local)} (corrupt archive)`);
    }
    if (lv.getUint16(8, true) !== entry.method) {
      throw new NpyError(path, lho + 8, `${what}: the local header says compression method ${lv.getUint16(8, true)}, the central directory ${entry.method} (corrupt archive)`);
    }
    const dataStart = lho + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    if (dataStart + entry.compressedSize > directoryOffset) {
      throw new NpyError(
        path,
        dataStart,
        `${what}: its ${entry.compressedSize} bytes of data run to byte ${dataStart + entry.compressedSize}, past the central directory at byte ${directoryOffset} (truncated or corrupt archive)`,
      );
    }
    const memberSpec = spec ?? (name === undefined ? path : `${path}:${name}`);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) {
        throw new NpyError(path, entry.recordOffset + 20, `${what} is stored (not compressed) but its sizes differ: ${entry.compressedSize} vs ${entry.uncompressedSize} (corrupt archive)`);
      }
      let head = new Uint8Array(Math.min(HEAD_PROBE_BYTES, entry.uncompressedSize));
      await readExactly(fh, path, head, dataStart);
      if (head.length >= 12 && head[0] === 0x93 && head[7] === 0 && (head[6] === 1 || head[6] === 2 || head[6] === 3)) {
        const dv = new DataView(head.buffer);
        const need = (head[6] === 1 ? 10 + dv.getUint16(8, true) : 12 + dv.getUint32(8, true));
        if (need > head.length && need <= Math.min(entry.uncompressedSize, MAX_NPY_HEADER_BYTES + 12)) {
          head = new Uint8Array(need);
          await readExactly(fh, path, head, dataStart);
        }
      }
      let h: NpyHeader;
      try {
        h = parseNpyHeader(head, `${path}:${entry.name}`, entry.uncompressedSize);
      } catch (e) {
        throw memberHeaderError(e, path, what, dataStart, true);
      }
      const check: MemberCheck = { headCrc: crc32(head.subarray(0, h.dataOffset)), expectedCrc: entry.crc, offset: lho };
      return new ByteRangeSource(memberSpec, path, layoutOf(h), fh, what, dataStart + h.dataOffset, (raw) => decodeNpyItems(h, raw, { halves }), check);
    }
    const head = await inflatePrefix(fh, path, what, dataStart, entry);
    let h: NpyHeader;
    try {
      h = parseNpyHeader(head, `${path}:${entry.name}`, entry.uncompressedSize);
    } catch (e) {
      throw memberHeaderError(e, path, what, dataStart, false);
    }
    const raw16 = halves && h.kind === 'f' && h.itemSize === 2;
    return new DeflatedSource(memberSpec, path, layoutOf(h), fh, what, entry, dataStart, raw16 ? { ...h, kind: 'u' } : h);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}
