import { commitOutputs, resolveOutput } from './write-outputs.js';

/**
 * Writes a file atomically: to a temporary name beside it, then renamed over the target, so a
 * failure never leaves a half-written file (and never touches an existing one). The file's mode is
 * kept; a symbolic link is followed and its target replaced, the link kept; a character device
 * (/dev/null) or FIFO is written through, /dev/stdout goes to the process's standard output; a
 * directory, block device, socket or dangling link is refused. Failures are an
 * {@link InputError} naming `path` (`report.json: cannot write: no space left on device`).
 *
 * @example
 * await writeFileAtomic('report.json', JSON.stringify(report));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await commitOutputs([[await resolveOutput(path), data]]);
}
