import { closeSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import type { LabelArray } from '../core/types.js';
import { isLabelArray } from '../format/validate.js';
import { countPairs, type NonzeroCells } from '../tasks/multiclass/nonzero.js';
import { compileCpuWasm, cpuUpdateFastFrom, cpuUpdateFastHalfFrom,
  type CpuWasmExports } from '../tasks/multiclass/update-cpu-fast.js';
import { badLabelError, compileLabelsWasm, type CpuLabelsExports, narrowLabels, type RawLabels, rawLabelType,
  rawLabelValue } from './cpu-labels.js';
import { checkLogitsFileDtype, halfKind, readFully, readFullyAsync } from './cpu-worker-messages.js';
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
let both: Modules | undefined;

/** Throws on a big-endian host: the files' little-endian float32 are read as they are. */
function littleEndian(): void {
  if (endianness() !== 'LE') {
    throw new Error('cpuUpdateFromFile reads little-endian float32 as they are: this host is big-endian');
  }
}

/**
 * Adds `labels.length` (validated) rows of little-endian float32 logits in `file` (float16 or bfloat16 as its
 * `dtype` says: the counts of their widened values) into `counts` on this thread, read in cache-sized pieces
 * straight into the WebAssembly memory. Labels in a file (`rows` raw integers of numpy `dtype`) are read, checked
 * and narrowed there too; a bad one throws an `InputError` naming its index (from `index0`) and value, and may leave
 * `counts` partly added to. `nonzero` (from `createNonzeroCells` with
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
  littleEndian();
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

/** The argmax and label modules on one memory. */
interface Modules {
  memory: WebAssembly.Memory;
  wasm: CpuWasmExports;
  labels: CpuLabelsExports;
}

/** A fresh pair of modules on a memory of their own; an Error where this Node lacks WebAssembly SIMD. */
function createModules(): Modules {
  const module = compileCpuWasm(false);
  if (!module) {
    throw new Error('cpuUpdateFromFile reads labels from a file with WebAssembly SIMD, which this Node lacks');
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  const instance = (m: WebAssembly.Module): unknown => new WebAssembly.Instance(m, { env: { memory } }).exports;
  return { memory, wasm: instance(module) as CpuWasmExports,
    labels: instance(compileLabelsWasm(false)) as CpuLabelsExports };
}

/** Where a slot's labels go (int32, `blockRows` of them), their raw integers are read, and its logits are read. */
interface Slot {
  lab: number;
  raw: number;
  src: number;
}

/**
 * One call's counting in `mods`' memory (grown here, before any read): the u32 table at byte 0 when C x C fits (added
 * into `counts` before a cell could pass 2^32), the predictions, `slots` slots of `blockRows` labels and `chunkRows`
 * rows of logits each (16-bit ones when `half` is 0: float16, or 1: bfloat16), and where those widen, a block at a
 * time.
 */
function counter(mods: Modules, counts: Float64Array, labels: LabelsFile, type: RawLabels, c: number, blockRows: number,
  chunkRows: number, slots: number, nonzero: NonzeroCells | undefined, half: 0 | 1 | undefined) {
  const cells = c * c;
  const inTable = cells <= TABLE_MAX_CELLS && cells <= labels.rows;
  const predAt = inTable ? align16(cells * 4) : 0;
  let end = predAt + align16(chunkRows * 4);
  const slot: Slot[] = [];
  for (let k = 0; k < slots; k++) {
    const lab = end;
    const raw = type.itemSize === 8 ? lab : lab + align16(blockRows * 4);
    const src = raw + align16(blockRows * type.itemSize);
    slot.push({ lab, raw, src });
    end = align16(src + chunkRows * c * (half === undefined ? 4 : 2) + 16);
  }
  const widenAt = end;
  if (half !== undefined) end += align16(Math.max(16384, c * 4));
  const { memory, wasm } = mods;
  if (end + 16 > memory.buffer.byteLength) memory.grow(Math.ceil((end + 16 - memory.buffer.byteLength) / PAGE));
  const b = memory.buffer;
  const [u8, i32, u32] = [new Uint8Array(b), new Int32Array(b), new Uint32Array(b)];
  if (inTable) u32.fill(0, 0, cells);
  if (inTable && nonzero) nonzero.cells = undefined;
  let sinceFlush = 0;
  /** Adds the table into `counts`. */
  const flush = (): void => {
    if (!inTable) return;
    for (let i = 0; i < cells; i++) counts[i]! += u32[i]!;
    u32.fill(0, 0, cells);
    sinceFlush = 0;
  };
  /** Checks and narrows the `n` raw labels read into `s` for rows from `start`. */
  const narrow = (s: Slot, start: number, n: number): void => {
    const bad = narrowLabels(mods.labels, type, s.raw, s.lab, n, c, undefined);
    if (bad < 0) return;
    const value = rawLabelValue(new DataView(b), s.raw + bad * type.itemSize, type);
    throw badLabelError((labels.index0 ?? 0) + start + bad, value, c);
  };
  /** Counts `n` rows of logits at `src`, their labels at `lab`. */
  const count = (src: number, lab: number, n: number): void => {
    if (inTable && sinceFlush + n > 0xffffffff) flush();
    sinceFlush += n;
    if (half === undefined) wasm.update(src, lab, n, c, predAt, inTable ? 0 : -1);
    else wasm.update_half(src, lab, n, c, predAt, inTable ? 0 : -1, half, widenAt);
    if (!inTable) countPairs(counts, c, i32, lab >> 2, predAt >> 2, n, nonzero);
  };
  return { slot, u8, narrow, count, flush };
}

/** As {@link cpuUpdateFromFile} with labels read from their file, a block for one or more pieces of logits. */
function countBoth(counts: Float64Array, readLogits: (into: Uint8Array, at: number, start: number, n: number) => void,
  labels: LabelsFile, c: number, nonzero: NonzeroCells | undefined, half: 0 | 1 | undefined): void {
  const type = rawLabelType(labels.dtype);
  const { rows } = labels;
  if (rows === 0) return;
  both ??= createModules();
  const chunkRows = Math.min(rows, Math.max(4, Math.floor(CHUNK_FLOATS / c)));
  const blockRows = Math.min(rows, Math.max(chunkRows, LABEL_BLOCK_ROWS));
  const run = counter(both, counts, labels, type, c, blockRows, chunkRows, 1, nonzero, half);
  const { lab, raw, src } = run.slot[0]!;
  const size = type.itemSize;
  const fd = openSync(labels.path, 'r');
  try {
    for (let block = 0; block < rows; block += blockRows) {
      const m = Math.min(blockRows, rows - block);
      readFully(fd, labels.path, run.u8, raw, m * size, labels.byteOffset + block * size, 'labels');
      run.narrow(run.slot[0]!, block, m);
      for (let r = 0; r < m; r += chunkRows) {
        const n = Math.min(chunkRows, m - r);
        readLogits(run.u8, src, block + r, n);
        run.count(src, lab + r * 4, n);
      }
    }
    run.flush();
  } finally {
    closeSync(fd);
  }
}

/** Bytes of logits in each piece {@link cpuUpdateFromFileAsync} reads, and the pieces read or counted at once. */
const ASYNC_PIECE_BYTES = 1 << 20;
const ASYNC_SLOTS = 3;
/** Bytes of logits in the first piece of each call (the one waited for). */
const ASYNC_FIRST_BYTES = 1 << 18;
/** Modules for {@link cpuUpdateFromFileAsync} that no call is using (each call takes its own). */
let spare: Modules | undefined;

/**
 * As {@link cpuUpdateFromFile} with labels from their file, read by libuv's thread pool while this thread counts:
 * pieces of about `pieceBytes` of logits with their labels, `slots` of them read or counted at once (each in its own
 * place in a memory of this call's own, never grown while a read is in flight). Every read is over before it settles.
 * `nonzero` as for {@link cpuUpdateFromFile}.
 */
export async function cpuUpdateFromFileAsync(counts: Float64Array, file: LogitsFile, labels: LabelsFile,
  numClasses: number,
  { nonzero, pieceBytes = ASYNC_PIECE_BYTES, slots = ASYNC_SLOTS, firstBytes = ASYNC_FIRST_BYTES }: {
    nonzero?: NonzeroCells;
    pieceBytes?: number;
    slots?: number;
    firstBytes?: number;
  } = {}): Promise<void> {
  littleEndian();
  checkLogitsFileDtype('cpuUpdateFromFileAsync', file.dtype);
  const type = rawLabelType(labels.dtype);
  const { rows } = labels;
  const c = numClasses;
  if (rows === 0) return;
  const half = halfKind(file.dtype);
  const rowBytes = c * (half === undefined ? 4 : 2);
  const rowsOf = (bytes: number): number => Math.min(rows, Math.max(4, Math.floor(bytes / rowBytes)));
  const pieceRows = rowsOf(pieceBytes);
  const chunkRows = Math.min(rows, Math.max(4, Math.floor(CHUNK_FLOATS / c)));
  // the first read is waited for: pieces from `firstBytes`, doubling up to `pieceBytes`
  const bounds = [0];
  for (let n = Math.min(pieceRows, rowsOf(firstBytes)); bounds.at(-1)! < rows; n = Math.min(pieceRows, 2 * n)) {
    bounds.push(Math.min(rows, bounds.at(-1)! + n));
  }
  const mods = spare ?? createModules();
  spare = undefined;
  const run = counter(mods, counts, labels, type, c, pieceRows, pieceRows, slots, nonzero, half);
  const size = type.itemSize;
  const fds: number[] = [];
  /** Reads piece `k` into slot `s`: its logits and its labels, both reads over when it settles. */
  const piece = (k: number, s: Slot): Promise<void> => {
    const [start, n] = [bounds[k]!, bounds[k + 1]! - bounds[k]!];
    const got = Promise.allSettled([
      readFullyAsync(fds[0]!, file.path, run.u8, s.src, n * rowBytes, file.byteOffset + start * rowBytes, 'logits'),
      readFullyAsync(fds[1]!, labels.path, run.u8, s.raw, n * size, labels.byteOffset + start * size, 'labels'),
    ]).then((both) => {
      for (const r of both) if (r.status === 'rejected') throw r.reason;
    });
    got.catch(() => undefined);
    return got;
  };
  const inFlight: (Promise<void> | undefined)[] = [];
  try {
    fds.push(openSync(file.path, 'r'), openSync(labels.path, 'r'));
    const pieces = bounds.length - 1;
    run.slot.forEach((s, k) => (inFlight[k] = k < pieces ? piece(k, s) : undefined));
    for (let k = 0; k < pieces; k++) {
      const s = run.slot[k % slots]!;
      await inFlight[k % slots];
      const n = bounds[k + 1]! - bounds[k]!;
      run.narrow(s, bounds[k]!, n);
      // in calls of 256 KiB: the module's code tiers up between calls, never inside one
      for (let r = 0; r < n; r += chunkRows) run.count(s.src + r * rowBytes, s.lab + r * 4, Math.min(chunkRows, n - r));
      if (k + slots < pieces) inFlight[k % slots] = piece(k + slots, s);
    }
    run.flush();
  } finally {
    await Promise.allSettled(inFlight);
    for (const fd of fds) closeSync(fd);
    spare = mods;
  }
}
