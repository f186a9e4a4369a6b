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

/**
 * @internal An I/O failure as an NpyError naming the file (NpyErrors pass through).
 *
 * @example
 * try { await fh.read(buf, 0, n, pos); } catch (e) { throw ioError('run.npz', pos, e); } // "run.npz: byte 512: cannot
 * read: input/output error"
 */
export function ioError(path: string, offset: number | undefined, e: unknown): NpyError {
  if (e instanceof NpyError) return e;
  return new NpyError(path, offset, `cannot read: ${errnoText(e)}`, { cause: e });
}

/**
 * @internal Opens a regular file for positional reads; returns it with its size.
 *
 * @throws NpyError `"x.npz: cannot read: no such file"`, `"...: is a directory"`, not a regular file
 * @example
 * const { fh, size } = await openRegularFile('run.npz');
 */
export async function openRegularFile(path: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(path, undefined, e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw new Error('not a regular file (streaming needs a file with a known size)');
    return { fh, size: st.size };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw ioError(path, undefined, e);
  }
}

/**
 * @internal Reads exactly `into.length` bytes at `position`, looping over short
 * reads; hitting the end of the file first is an NpyError at the missing byte.
 *
 * @example
 * const head = new Uint8Array(8);
 * await readExactly(fh, 'model.safetensors', head, 0);
 */
export async function readExactly(fh: FileHandle, path: string, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const want = Math.min(into.length - done, MAX_READ_CALL_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(into, done, want, position + done));
    } catch (e) {
      throw ioError(path, position + done, e);
    }
    if (bytesRead === 0) {
      throw new NpyError(path, position + done,
        `unexpected end of file: needed ${into.length} bytes from byte ${position}, got ${done} (did the file ` +
          `change after it was opened?)`);
    }
    done += bytesRead;
  }
}
