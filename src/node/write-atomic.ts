import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file atomically: to a temporary name beside it, then renamed over the target, so a
 * failure never leaves a half-written file (and never touches an existing one).
 *
 * @example
 * await writeFileAtomic('report.json', JSON.stringify(report));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flush: true });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Checks, before any work, that `path` could be written: its directory exists. Throws
 * {@link InputError} naming the file and the missing directory.
 *
 * @example
 * await assertWritableDir('out/report.json'); // throws when out/ does not exist
 */
export async function assertWritableDir(path: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new InputError('out', `${path}: cannot write: no such directory ${dir}`, undefined, path);
}
