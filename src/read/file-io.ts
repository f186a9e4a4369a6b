/**
 * File reading shared by the streaming readers: positional reads that never come up short, and
 * I/O failures as NpyError naming the file and the byte.
 *
 * @module
 */
import { type FileHandle, open } from 'node:fs/promises';
import { errnoText } from '../node/fs-reason.js';
import { NpyError } from './npy.js';

const MAX_READ_CALL_BYTES = 1 << 30;

/** @internal An I/O failure as an NpyError: "run.npz: byte 512: cannot read: input/output error" (NpyErrors pass). */
export function ioError(path: string, offset: number | undefined, e: unknown): NpyError {
  if (e instanceof NpyError) return e;
  return new NpyError(path, offset, `cannot read: ${errnoText(e)}`, { cause: e });
}

/**
 * @internal Opens the regular file at `path` (refusing directories and devices: `"x.npz: cannot read: ..."`)
 * and runs `use` on it with its size, closing the file if that throws.
 */
export async function openWith<T>(path: string, use: (fh: FileHandle, size: number) => Promise<T>): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(path, undefined, e);
  }
  let size: number | undefined;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw new Error('not a regular file (streaming needs a file with a known size)');
    size = st.size;
    return await use(fh, size);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw size === undefined ? ioError(path, undefined, e) : e;
  }
}

/** Largest text file read whole (class names, ids): V8's strings stop near 2^29 characters. */
const MAX_TEXT_BYTES = 256 * 1024 * 1024;

/**
 * @internal The UTF-8 text of the regular file at `path`: directories and devices refused (`/dev/zero` would never
 * end), and files over 256 MiB, as NpyErrors naming the file.
 */
export async function readTextFile(path: string): Promise<string> {
  return openWith(path, async (fh, size) => {
    try {
      if (size > MAX_TEXT_BYTES) {
        throw new NpyError(path, undefined,
          `${size.toLocaleString('en-US')} bytes: too large for a text file read ` +
            `whole (at most ${MAX_TEXT_BYTES.toLocaleString('en-US')})`);
      }
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  });
}

/** @internal Bytes [start, start + size) of `fh` in blocks of at most `blockBytes`, by positional reads. */
export async function* byteBlocks(fh: FileHandle, path: string, start: number, size: number,
  blockBytes: number): AsyncGenerator<Buffer> {
  for (let pos = start, end = start + size; pos < end;) {
    const block = Buffer.allocUnsafe(Math.min(blockBytes, end - pos));
    await readExactly(fh, path, block, pos);
    pos += block.length;
    yield block;
  }
}

/** @internal Names quoted and joined for an error message, the first 50 then a count; `none` when empty. */
export function quoteList(names: readonly string[], none: string): string {
  const q = names.map((n) => `'${n}'`);
  if (q.length === 0) return none;
  return q.length > 50 ? `${q.slice(0, 50).join(', ')}, ... (${q.length} in all)` : q.join(', ');
}

/**
 * @internal Reads exactly `into.length` bytes (or into a fresh array of `into` bytes) at `position`,
 * looping over short reads; hitting the end of the file first is an NpyError at the missing byte.
 */
export async function readExactly(fh: FileHandle, path: string, into: Uint8Array | number,
  position: number): Promise<Uint8Array> {
  const buf = typeof into === 'number' ? new Uint8Array(into) : into;
  for (let done = 0; done < buf.length;) {
    const want = Math.min(buf.length - done, MAX_READ_CALL_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, done, want, position + done));
    } catch (e) {
      throw ioError(path, position + done, e);
    }
    if (bytesRead === 0) {
      throw new NpyError(path, position + done,
        `unexpected end of file: needed ${buf.length} bytes from byte ${position}, got ${done} (did the file ` +
          `change after it was opened?)`);
    }
    done += bytesRead;
  }
  return buf;
}
