/**
 * Node-only: stream one array of a NumPy `.npz` archive (a zip of `.npy` members, stored by `np.savez`,
 * deflated by `np.savez_compressed`) by rows, in bounded memory.
 * Zip reference: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { crc32 } from '../core/crc32.js';
import { byteBlocks, ioError, openWith, quoteList, readExactly } from './file-io.js';
import { readNpyHeader } from './npy-file.js';
import { hexPreview, NpyError, npyHeaderSpan, parseNpyHeader } from './npy.js';
import type { NpyHeader } from './npy.js';
import type { ArraySource } from './open-array.js';
import { crcMismatch, dtypeOf, FileRows, itemDecoder, type RowChunk, RowSource,
  type SourceInit } from './row-source.js';

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
const READ_STREAM_BYTES = 64 * 1024;
const INFLATE_CHUNK_BYTES = 256 * 1024;

const METHODS: Record<number, string> = { 1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma',
  93: 'zstd', 95: 'xz', 98: 'ppmd', 99: 'AES encryption' };

const preview = (bytes: Uint8Array): string => hexPreview(bytes, 8, false);
const CORRUPT = ' (corrupt archive)';

/** Inflated pieces of bytes [start, start + size) of `fh`, a raw deflate stream; zlib errors become `zlibError(e)`. */
async function* inflated(fh: FileHandle, path: string, start: number, size: number,
  zlibError: (e: Error) => NpyError): AsyncGenerator<Buffer> {
  const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  const src = Readable.from(byteBlocks(fh, path, start, size, READ_STREAM_BYTES), { objectMode: false,
    highWaterMark: READ_STREAM_BYTES });
  pipeline(src, inflate, () => undefined);
  try {
    yield* inflate as AsyncIterable<Buffer>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException | undefined)?.code?.startsWith('Z_')) throw zlibError(e as Error);
    throw ioError(path, start, e);
  } finally {
    inflate.destroy();
  }
}

class DeflatedSource extends RowSource {
  constructor(init: SourceInit, private readonly entry: ZipEntry) {
    super(init);
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk> {
    this.checkOpen();
    const { entry, rows, rowBytes } = this;
    const dataStart = this.header.dataOffset;
    const per = Math.min(rowsPerChunk, rows);
    const buf = new Uint8Array(per * rowBytes);
    let [crc, produced, skip, start, fill] = [0, 0, entry.uncompressedSize - this.header.dataBytes, 0, 0];
    let held: RowChunk | undefined;
    const declared = entry.uncompressedSize;
    const pieces = inflated(this.init.fh, this.init.path, dataStart, entry.compressedSize, (e) => {
      const at = `after ${produced} of ${declared} uncompressed bytes`;
      const detail = `${this.init.what}: corrupt or truncated deflate data ${at}`;
      return new NpyError(this.init.path, dataStart, `${detail}: ${e.message}`, { cause: e });
    });
    for await (const piece of pieces) {
      crc = crc32(piece, crc);
      produced += piece.length;
      if (produced > declared) {
        this.fail(dataStart, `inflates to more than the ${declared} bytes the zip directory declares${CORRUPT}`);
      }
      let p: Uint8Array = piece.subarray(Math.min(skip, piece.length));
      skip -= piece.length - p.length;
      while (p.length > 0) {
        const n = Math.min(per, rows - start);
        const k = Math.min(n * rowBytes - fill, p.length);
        buf.set(p.subarray(0, k), fill);
        fill += k;
        p = p.subarray(k);
        if (fill < n * rowBytes) continue;
        const chunk = { start, data: this.init.decode(buf.subarray(0, fill), start * this.rowLength) };
        start += n;
        fill = 0;
        if (start === rows) held = chunk;
        else {
          yield chunk;
          this.checkOpen();
        }
      }
    }
    if (produced !== declared) {
      const says = `the zip directory declares ${declared} (corrupt or truncated archive)`;
      this.fail(dataStart, `inflates to ${produced} bytes but ${says}`);
    }
    if (crc !== entry.crc) this.fail(entry.localHeaderOffset, crcMismatch(entry.crc, crc, 'inflated'));
    if (rowBytes === 0) {
      for (; start < rows; start += per) {
        yield { start, data: this.init.decode(new Uint8Array(0)) };
      }
    } else if (held !== undefined) yield held;
  }
}

/** One member of a zip archive, from its central directory record (zip64 fields applied). */
interface ZipEntry {
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

const MULTI_DISK = 'multi-disk (split) zip archives are not supported';

/** Reads the central directory of a zip file (zip64 end records and extra fields included). */
async function readZipDirectory(fh: FileHandle, path: string,
  size: number): Promise<{ entries: ZipEntry[]; directoryOffset: number }> {
  const fail: (at: number, detail: string) => never = (at, detail) => {
    throw new NpyError(path, at, detail);
  };
  const read = async (at: number, n: number): Promise<[Uint8Array, DataView]> => {
    const b = await readExactly(fh, path, n, at);
    return [b, new DataView(b.buffer)];
  };
  /** The zip64 field at `at` of `dv`, which holds the file's bytes from `base`. */
  const u64 = (dv: DataView, base: number, at: number, what: string): number => {
    const v = dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(base + at, `zip64 ${what} ${v} is too large`);
    return Number(v);
  };
  const tailStart = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
  const [tail, tv] = await read(tailStart, size - tailStart);
  let eocd = tail.length - EOCD_SIZE;
  for (; eocd >= 0; eocd--) {
    if (tv.getUint32(eocd, true) === EOCD_SIG && eocd + EOCD_SIZE + tv.getUint16(eocd + 20, true) <= tail.length) break;
  }
  if (eocd < 0) {
    if (size === 0) fail(0, 'not a zip file: the file is empty (expected an .npz written by np.savez)');
    const [h] = tailStart === 0 ? [tail] : await read(0, 8);
    if (h[0] === 0x50 && h[1] === 0x4b && (h[2] === 3 || h[2] === 5) && (h[3] === 4 || h[3] === 6)) {
      const cut = `no end-of-central-directory record in its last ${tail.length} bytes (was the file cut short?)`;
      fail(size, `truncated zip file: ${cut}`);
    }
    const npy = h[0] === 0x93 && h[1] === 0x4e && h[2] === 0x55 ? '; this looks like a .npy file, name it .npy' : '';
    fail(0, `not a zip file (expected an .npz written by np.savez): starts with ${preview(h)}${npy}`);
  }
  const eocdOffset = tailStart + eocd;
  let [count, cdSize, cdOffset] = [tv.getUint16(eocd + 10, true), tv.getUint32(eocd + 12, true),
    tv.getUint32(eocd + 16, true)];
  const zip64 = eocd >= 20 && tv.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG;
  if (zip64) {
    const loc = eocdOffset - 20;
    const recOffset = u64(tv, tailStart, eocd - 20 + 8, 'end record offset');
    if (tv.getUint32(eocd - 20 + 16, true) > 1) fail(loc + 16, MULTI_DISK);
    if (recOffset + 56 > loc) {
      const past = `points at byte ${recOffset}, past the locator itself (corrupt or truncated archive)`;
      fail(loc + 8, `zip64 end-of-central-directory locator ${past}`);
    }
    const [rec, rv] = await read(recOffset, 56);
    if (rv.getUint32(0, true) !== ZIP64_EOCD_SIG) {
      fail(recOffset, `no zip64 end-of-central-directory record where the locator says (got ${preview(rec)})`);
    }
    if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) fail(recOffset + 16, MULTI_DISK);
    count = u64(rv, recOffset, 32, 'entry count');
    cdSize = u64(rv, recOffset, 40, 'central directory size');
    cdOffset = u64(rv, recOffset, 48, 'central directory offset');
  } else if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) fail(eocdOffset + 4, MULTI_DISK);
  else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const no = 'but there is no zip64 locator before it (corrupt archive)';
    fail(eocdOffset, `the end-of-central-directory record needs zip64 fields, ${no}`);
  }
  const cdEnd = zip64 ? eocdOffset - 20 : eocdOffset;
  if (cdOffset + cdSize > cdEnd) {
    const runs = `runs past the end record at byte ${cdEnd} (truncated or corrupt archive)`;
    fail(eocdOffset, `the central directory (${cdSize} bytes at byte ${cdOffset}) ${runs}`);
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
    fail(cdOffset, `central directory of ${cdSize} bytes is over the ${MAX_CENTRAL_DIRECTORY_BYTES}-byte limit`);
  }
  const [cd, cv] = await read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  for (let p = 0; p < cdSize;) {
    const at = cdOffset + p;
    if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL_SIG) {
      const got = `got ${preview(cd.subarray(p))}`;
      fail(at, `expected a central directory record (PK\\1\\2) for entry ${entries.length + 1} of ${count}, ${got}`);
    }
    const u16 = (o: number): number => cv.getUint16(p + o, true);
    const u32 = (o: number): number => cv.getUint32(p + o, true);
    const [flags, method, nameLen, extraEnd] = [u16(8), u16(10), u16(28), p + 46 + u16(28) + u16(30)];
    let [compressedSize, uncompressedSize, localHeaderOffset, diskStart] = [u32(20), u32(24), u32(42), u16(34)];
    const end = extraEnd + u16(32);
    if (end > cdSize) fail(at, 'central directory record runs past the end of the central directory (corrupt archive)');
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    const name = flags & 0x800 ? new TextDecoder('utf-8').decode(nameBytes) : String.fromCharCode(...nameBytes);
    for (let e = p + 46 + nameLen, len = 0; e + 4 <= extraEnd; e += 4 + len) {
      const id = cv.getUint16(e, true);
      len = cv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) {
        fail(cdOffset + e, `extra field 0x${id.toString(16)} of entry '${name}' runs past its record`);
      }
      if (id !== 0x0001) continue;
      let q = e + 4;
      const field = (v: number, what: string): number => {
        if (v !== 0xffffffff) return v;
        if (q + 8 > e + 4 + len) {
          fail(cdOffset + q, `zip64 extra field of entry '${name}' is too short for its ${what}`);
        }
        q += 8;
        return u64(cv, cdOffset, q - 8, what);
      };
      uncompressedSize = field(uncompressedSize, 'uncompressed size');
      compressedSize = field(compressedSize, 'compressed size');
      localHeaderOffset = field(localHeaderOffset, 'local header offset');
      if (diskStart === 0xffff && q + 4 <= e + 4 + len) diskStart = cv.getUint32(q, true);
    }
    if (diskStart !== 0 && diskStart !== 0xffff) fail(at + 34, MULTI_DISK);
    const crc = u32(16);
    entries.push({ name, flags, method, crc, compressedSize, uncompressedSize, localHeaderOffset, recordOffset: at });
    p = end;
  }
  if (entries.length !== count) {
    fail(cdOffset,
      `the end record says ${count} entries, the central directory holds ${entries.length} (corrupt archive)`);
  }
  return { entries, directoryOffset: cdOffset };
}

const arrayName = (member: string): string => (member.endsWith('.npy') ? member.slice(0, -4) : member);

const listNames = (entries: readonly ZipEntry[]): string =>
  quoteList(entries.map((e) => arrayName(e.name)), '(none: the archive is empty)');

/** The member's .npy header, its errors naming the member with an offset in the archive where there is one. */
async function memberHeader(fh: FileHandle, path: string, what: string, entry: ZipEntry,
  at: number): Promise<NpyHeader> {
  const file = `${path}:${entry.name}`;
  try {
    if (entry.method === 0) return await readNpyHeader(fh, path, at, entry.uncompressedSize, file);
    // Inflate up to the end of the .npy header (at least 4096 bytes when there are).
    const parts: Buffer[] = [];
    let [have, need] = [0, 12];
    const pieces = inflated(fh, path, at, entry.compressedSize, (e) => {
      const detail = `${what}: corrupt or truncated deflate data at the start of the member: ${e.message}`;
      return new NpyError(path, at, detail, { cause: e });
    });
    for await (const piece of pieces) {
      parts.push(piece);
      have += piece.length;
      const span = need === 12 && have >= 12 ? npyHeaderSpan(Buffer.concat(parts)) : undefined;
      if (span !== undefined) need = Math.min(span.start + span.length, MAX_NPY_HEADER_BYTES + 12);
      if (have >= need) break;
    }
    const all = Buffer.concat(parts);
    const head = new Uint8Array(all.buffer, all.byteOffset, Math.min(all.length, Math.max(need, HEAD_PROBE_BYTES)));
    return parseNpyHeader(head, file, entry.uncompressedSize, true);
  } catch (e) {
    if (!(e instanceof NpyError) || e.file !== file) throw e;
    if (entry.method === 0) throw new NpyError(path, at + (e.offset ?? 0), `${what}: ${e.detail}`, { cause: e });
    const where = e.offset === undefined ? '' : `byte ${e.offset} of the uncompressed member: `;
    throw new NpyError(path, at, `${what}: ${where}${e.detail}`, { cause: e });
  }
}

/**
 * Opens one array of a `.npz` archive for streaming by rows, in bounded memory (deflated members
 * are inflated as they stream); a full pass checks the member's CRC-32 before the last chunk.
 *
 * @throws NpyError naming `path`, the byte and the member: a bad zip, a missing member (listing the
 *   names), encryption, a method other than stored or deflate, a bad inner .npy header
 */
export function openNpzArray(path: string, name: string | undefined, spec: string,
  options: { halves?: boolean } = {}): Promise<ArraySource> {
  return openWith(path, async (fh, size) => {
    const { entries, directoryOffset } = await readZipDirectory(fh, path, size);
    if (name === undefined && entries.length !== 1) {
      const holds = `the archive holds ${entries.length} arrays (${listNames(entries)})`;
      throw new NpyError(path, undefined, `${holds}; choose one with ${path}:NAME`);
    }
    const named = (n: string): ZipEntry | undefined => entries.find((e) => e.name === n);
    const entry = name === undefined ? entries[0] : named(`${name}.npy`) ?? named(name);
    if (entry === undefined) {
      throw new NpyError(path, undefined, `no array '${name}' in the archive; it holds ${listNames(entries)}`);
    }
    const what = `member '${entry.name}'`;
    const fail = (offset: number, detail: string): never => {
      throw new NpyError(path, offset, `${what}${detail}`);
    };
    if (entry.flags & 1) fail(entry.recordOffset + 8, ' is encrypted; encrypted archives are not supported');
    if (entry.method !== 0 && entry.method !== 8) {
      const m = METHODS[entry.method];
      const only = 'only stored (np.savez) and deflate (np.savez_compressed) are supported';
      fail(entry.recordOffset + 10, ` uses compression method ${entry.method}${m ? ` (${m})` : ''}; ${only}`);
    }
    const lho = entry.localHeaderOffset;
    if (lho + 30 > directoryOffset) {
      const past = `past the start of the central directory at byte ${directoryOffset} (corrupt archive)`;
      fail(entry.recordOffset + 42, `: local header offset ${lho} is ${past}`);
    }
    const local = await readExactly(fh, path, 30, lho);
    const lv = new DataView(local.buffer);
    if (lv.getUint32(0, true) !== LOCAL_SIG) {
      fail(lho, `: expected a local file header (PK\\3\\4), got ${preview(local)} (corrupt archive)`);
    }
    const method = lv.getUint16(8, true);
    if (method !== entry.method) {
      const says = `the local header says compression method ${method}`;
      fail(lho + 8, `: ${says}, the central directory ${entry.method}${CORRUPT}`);
    }
    const dataStart = lho + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    const dataEnd = dataStart + entry.compressedSize;
    const sizes = [entry.compressedSize, entry.uncompressedSize];
    if (dataEnd > directoryOffset) {
      const past = `past the central directory at byte ${directoryOffset} (truncated or corrupt archive)`;
      fail(dataStart, `: its ${sizes[0]} bytes of data run to byte ${dataEnd}, ${past}`);
    }
    if (entry.method === 0 && sizes[0] !== sizes[1]) {
      const differ = `its sizes differ: ${sizes[0]} vs ${sizes[1]}${CORRUPT}`;
      fail(entry.recordOffset + 20, ` is stored (not compressed) but ${differ}`);
    }
    const h = await memberHeader(fh, path, what, entry, dataStart);
    const dtype = dtypeOf(h);
    const decode = itemDecoder(h, path, options, what);
    const header = { ...h, dtype, descr: dtype, dataOffset: dataStart };
    const init = { file: spec, path, fh, decode, what, header };
    if (entry.method === 8) return new DeflatedSource(init, entry);
    const head = await readExactly(fh, path, h.dataOffset, dataStart);
    const check = { headCrc: crc32(head), expectedCrc: entry.crc, offset: lho };
    return new FileRows({ ...init, header: { ...init.header, dataOffset: dataStart + h.dataOffset }, check });
  });
}
