import { closeSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import type { LabelArray } from '../core/types.js';
import { isLabelArray } from '../format/validate.js';
import { countPairs, type NonzeroCells } from '../tasks/multiclass/nonzero.js';
import { compileCpuWasm, cpuUpdateFastFrom, cpuUpdateFastHalfFrom,
  type CpuWasmExports } from '../tasks/multiclass/update-cpu-fast.js';
import { badLabelError, compileLabelsWasm, type CpuLabelsExports, narrowLabels, rawLabelType,
  rawLabelValue } from './cpu-labels.js';
import { checkLogitsFileDtype, halfKind, readFully } from './cpu-worker-messages.js';
import type { LabelsFile, LogitsFile } from './cpu-workers.js';

/** Floats of logits read at once (256 KiB, as the fast path's chunks). */
const CHUNK_FLOATS = 1 << 16;
/** Labels read, checked and narrowed at once: at least this many (one read per piece of logits at C < 4). */
const LABEL_BLOCK_ROWS = 1 << 14;
/** Counting runs in the module's u32 table up to this many cells (and no more than the rows). */
const TABLE_MAX_CELLS = 1 << 16;
const PAGE = 65536;
const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** The argmax and label modules on one memory, for both files read on this thread; created on first use. */
let both: { memory: WebAssembly.Memory; wasm: CpuWasmExports; labels: CpuLabelsExports } | undefined;

/**
 * Adds `labels.length` (validated) rows of little-endian float32 logits in `file` (float16 or bfloat16 as its
 * `dtype` says: the counts of their widened values) into `counts` on this
 * thread, read in cache-sized pieces straight into the WebAssembly memory. Labels in a file (`rows` raw
 * integers of numpy `dtype`) are read, checked and narrowed there too; a bad one throws an `InputError` naming its
 * index (from `index0`) and value, and may leave `counts` partly added to. `nonzero` (from `createNonzeroCells` with
 * `counts` all zero before the first call) lists the cells that turn nonzero, or is dropped.
 *
 * @example
 * const counts = new Float64Array(100);
 * cpuUpdateFromFile(counts, { path: 'logits.npy', byteOffset: 128 }, labels, 10);
 * cpuUpdateFromFile(counts, { path: 'logits.npy', byteOffset: 128 },
 *   { path: 'labels.npy', byteOffset: 128, dtype: 'i8', rows: 1000 }, 10);
 */
export function cpuUpdateFromFile(counts: Float64Array, file: LogitsFile, labels: LabelArray | LabelsFile,
  numClasses: number, nonzero?: NonzeroCells): void {
  if (endianness() !== 'LE') {
    throw new Error('cpuUpdateFromFile reads little-endian float32 as they are: this host is big-endian');
  }
  checkLogitsFileDtype('cpuUpdateFromFile', file.dtype);
  const fd = openSync(file.path, 'r');
  try {
    const half = halfKind(file.dtype);
    const rowBytes = numClasses * (half === undefined ? 4 : 2);
    const readLogits = (into: Uint8Array, at: number, start: number, rows: number): void =>
      readFully(fd, file.path, into, at, rows * rowBytes, file.byteOffset + start * rowBytes, 'logits');
    const fill = (into: Float32Array | Uint16Array, start: number, rows: number): void =>
      readLogits(new Uint8Array(into.buffer, into.byteOffset, rows * rowBytes), 0, start, rows);
    if (!isLabelArray(labels)) countBoth(counts, readLogits, labels, numClasses, nonzero, half);
    else {
      if (nonzero) nonzero.cells = undefined;
      if (half === undefined) cpuUpdateFastFrom(counts, labels, numClasses, fill);
      else cpuUpdateFastHalfFrom(counts, labels, numClasses, half ? 'bfloat16' : 'float16', fill);
    }
  } finally {
    closeSync(fd);
  }
}

/** As {@link cpuUpdateFromFile} with labels read from their file, a block for one or more pieces of logits. */
function countBoth(counts: Float64Array, readLogits: (into: Uint8Array, at: number, start: number, n: number) => void,
  labels: LabelsFile, c: number, nonzero: NonzeroCells | undefined, half: 0 | 1 | undefined): void {
  const type = rawLabelType(labels.dtype);
  const { rows, index0 = 0 } = labels;
  if (rows === 0) return;
  if (!both) {
    const module = compileCpuWasm(false);
    if (!module) {
      throw new Error('cpuUpdateFromFile reads labels from a file with WebAssembly SIMD, which this Node lacks');
    }
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    const instance = (m: WebAssembly.Module): unknown => new WebAssembly.Instance(m, { env: { memory } }).exports;
    both = { memory, wasm: instance(module) as CpuWasmExports,
      labels: instance(compileLabelsWasm(false)) as CpuLabelsExports };
  }
  const { memory, wasm } = both;
  const chunkRows = Math.min(rows, Math.max(4, Math.floor(CHUNK_FLOATS / c)));
  const blockRows = Math.min(rows, Math.max(chunkRows, LABEL_BLOCK_ROWS));
  const cells = c * c;
  const inTable = cells <= TABLE_MAX_CELLS && cells <= rows;
  const labAt = inTable ? align16(cells * 4) : 0;
  const predAt = labAt + align16(blockRows * 8);
  const srcAt = predAt + align16(blockRows * 4);
  /** 16-bit logits widen, a block at a time, past their piece */
  const widenAt = srcAt + align16(chunkRows * c * (half === undefined ? 4 : 2) + 16);
  const end = widenAt + (half === undefined ? 0 : align16(Math.max(16384, c * 4)));
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
  const b = memory.buffer;
  const [u8, i32, u32] = [new Uint8Array(b), new Int32Array(b), new Uint32Array(b)];
  /** int64 labels narrow in place; the others from where the predictions go once the block is narrowed. */
  const raw = type.itemSize === 8 ? labAt : predAt;
  const flush = (): void => {
    for (let i = 0; i < cells; i++) counts[i]! += u32[i]!;
    u32.fill(0, 0, cells);
  };
  if (inTable) u32.fill(0, 0, cells);
  if (inTable && nonzero) nonzero.cells = undefined;
  const fd = openSync(labels.path, 'r');
  try {
    let sinceFlush = 0;
    for (let block = 0; block < rows; block += blockRows) {
      const m = Math.min(blockRows, rows - block);
      readFully(fd, labels.path, u8, raw, m * type.itemSize, labels.byteOffset + block * type.itemSize, 'labels');
      const bad = narrowLabels(both.labels, type, raw, labAt, m, c, undefined);
      if (bad >= 0) {
        throw badLabelError(index0 + block + bad, rawLabelValue(new DataView(b), raw + bad * type.itemSize, type), c);
      }
      for (let r = 0; r < m; r += chunkRows) {
        const n = Math.min(chunkRows, m - r);
        const lab = labAt + r * 4;
        readLogits(u8, srcAt, block + r, n);
        if (inTable && sinceFlush + n > 0xffffffff) {
          flush();
          sinceFlush = 0;
        }
        sinceFlush += n;
        if (half === undefined) wasm.update(srcAt, lab, n, c, predAt, inTable ? 0 : -1);
        else wasm.update_half(srcAt, lab, n, c, predAt, inTable ? 0 : -1, half, widenAt);
        if (!inTable) countPairs(counts, c, i32, lab >> 2, predAt >> 2, n, nonzero);
      }
    }
    if (inTable) flush();
  } finally {
    closeSync(fd);
  }
}
