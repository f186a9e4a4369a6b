import { commitOutputs, resolveOutput } from './write-outputs.js';

/**
 * Writes a file atomically (a temporary beside it, renamed over it; the mode kept), or through to a device, FIFO
 * or /dev/stdout; failures are an `InputError` naming `path` (`report.json: cannot write: no space left on device`).
 *
 * @example
 * await writeFileAtomic('report.json', JSON.stringify(report));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await commitOutputs([[await resolveOutput(path), data]]);
}
