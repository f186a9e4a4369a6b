import { closeSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import type { LabelArray } from '../core/types.js';
import { cpuUpdateFastFrom } from '../tasks/multiclass/update-cpu-fast.js';
import { readFully } from './cpu-worker-messages.js';
import type { LogitsFile } from './cpu-workers.js';

/**
 * Adds `labels.length` (validated) rows of little-endian float32 logits in `file` into `counts` on this
 * thread, read in cache-sized pieces straight into the WebAssembly memory.
 *
 * @example
 * const counts = new Float64Array(100);
 * cpuUpdateFromFile(counts, { path: 'logits.npy', byteOffset: 128 }, labels, 10);
 */
export function cpuUpdateFromFile(counts: Float64Array, file: LogitsFile, labels: LabelArray,
  numClasses: number): void {
  if (endianness() !== 'LE') {
    throw new Error('cpuUpdateFromFile reads little-endian float32 as they are: this host is big-endian');
  }
  const fd = openSync(file.path, 'r');
  try {
    const rowBytes = numClasses * 4;
    cpuUpdateFastFrom(counts, labels, numClasses, (into, start, rows) => {
      const bytes = new Uint8Array(into.buffer, into.byteOffset, rows * rowBytes);
      readFully(fd, file.path, bytes, 0, bytes.length, file.byteOffset + start * rowBytes, 'logits');
    });
  } finally {
    closeSync(fd);
  }
}
