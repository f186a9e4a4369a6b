/**
 * Node-only helper: read a `.npy` file from disk.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { NpyError, parseNpy, type NpyArray } from './npy.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a parent path component is not a directory',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
};

/**
 * Reads and parses a `.npy` file (see {@link parseNpy}).
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
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    const reason = (code !== undefined ? REASONS[code] : undefined) ?? (e instanceof Error ? e.message : String(e));
    throw new NpyError(path, undefined, `cannot read: ${reason}`, { cause: e });
  }
  return parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
