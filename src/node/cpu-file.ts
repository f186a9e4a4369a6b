/**
 * The fast CPU update on the calling thread, for logits stored raw in a file: read in cache-sized
 * pieces straight into the WebAssembly module's memory (no array in between, unlike a reader's
 * 32 MiB chunks, which spill the caches). Node only.
 *
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import type { LabelArray } from '../core/types.js';
import { cpuUpdateFastFrom } from '../tasks/multiclass/update-cpu-fast.js';
import type { LogitsFile } from './cpu-workers.js';

/**
 * Adds `labels.length` rows of float32 logits stored little-endian in `file` (row r at
 * `byteOffset + r * numClasses * 4`) into `counts`, as `cpuUpdateFast` would from an array.
 * `labels` must be validated. A file shorter than the rows asked for throws, naming the file and byte.
 *
 * @example
 * const counts = new Float64Array(100);
 * cpuUpdateFromFile(counts, { path: 'logits.npy', byteOffset: 128 }, labels, 10);
 */
export function cpuUpdateFromFile(counts: Float64Array, file: LogitsFile, labels: LabelArray, numClasses: number): void {
  if (endianness() !== 'LE') throw new Error('cpuUpdateFromFile reads little-endian float32 as they are: this host is big-endian');
  const fd = openSync(file.path, 'r');
  try {
    const rowBytes = numClasses * 4;
    cpuUpdateFastFrom(counts, labels, numClasses, (into, start, rows) => {
      const bytes = new Uint8Array(into.buffer, into.byteOffset, rows * rowBytes);
      const pos = file.byteOffset + start * rowBytes;
      for (let done = 0; done < bytes.length; ) {
        const n = readSync(fd, bytes, done, bytes.length - done, pos + done);
        if (n === 0) throw new Error(`${file.path}: the file ends at byte ${pos + done}, before the ${bytes.length} bytes of logits from byte ${pos} (it shrank since it was opened?)`);
        done += n;
      }
    });
  } finally {
    closeSync(fd);
  }
}
