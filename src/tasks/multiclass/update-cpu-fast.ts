/**
 * The fast CPU update: a WebAssembly SIMD argmax and counter (wasm/cpu-argmax.wat) with
 * exactly the oracle's rule (src/tasks/multiclass/update-cpu.ts), falling back to the oracle where
 * WebAssembly SIMD is missing. Logits are copied into the module's memory in chunks of 256 KiB,
 * small enough to stay in the L2 cache while the kernel reads them. Isomorphic: no Node imports.
 *
 * @module
 */
import type { FormattedBatch, HalfDtype, LabelArray } from '../../core/types.js';
import { copyClassIndices } from '../../format/class-indices.js';
import { widenHalves } from '../../format/half.js';
import { CPU_WASM_BASE64, CPU_WASM_SHARED_BASE64 } from './cpu-wasm.generated.js';
import { cpuArgmax, cpuUpdate } from './update-cpu.js';

/**
 * Which SIMD layout the argmax uses: 'auto' picks by class count; 'rows4' (4 rows in the lanes) any C, 'cols' (4
 * columns, one chain) C >= 4, 'cols16' (16 columns a step, the first step of each lane's maximum) C >= 16.
 */
export type CpuArgmaxStrategy = 'auto' | 'rows4' | 'cols' | 'cols16';

/** The exports of the module wasm/cpu-argmax.wat (byte offsets into its memory). */
export interface CpuWasmExports {
  argmax(src: number, rows: number, c: number, dst: number): void;
  argmax_rows4(src: number, rows: number, c: number, dst: number): void;
  argmax_cols(src: number, rows: number, c: number, dst: number): void;
  argmax_cols16(src: number, rows: number, c: number, dst: number): void;
  argmax_half(src: number, rows: number, c: number, dst: number, kind: number, scratch: number): void;
  update_half(src: number, lab: number, rows: number, c: number, dst: number, cnt: number, kind: number,
    scratch: number): void;
  read_floor(src: number, bytes: number): number;
  count(lab: number, pred: number, rows: number, c: number, cnt: number): void;
  update(src: number, lab: number, rows: number, c: number, dst: number, cnt: number): void;
  flush(cnt: number, totals: number, cells: number): void;
}

interface Kernel {
  exports: CpuWasmExports;
  memory: WebAssembly.Memory;
  f32: Float32Array;
  i32: Int32Array;
  u32: Uint32Array;
}

/** Floats of logits copied into the module per kernel call (256 KiB). */
const CHUNK_FLOATS = 1 << 16;
/** Counting runs in the module (u32 cells, added to the float64 totals per call) up to this many cells. */
const WASM_COUNT_MAX_CELLS = 1 << 16;
const PAGE = 65536;

let kernelState: Kernel | null | undefined;

/** The module's bytes (wasm/cpu-argmax.wat), importing a shared memory when `shared`. */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(shared ? CPU_WASM_SHARED_BASE64 : CPU_WASM_BASE64), (ch) => ch.charCodeAt(0));
}

/**
 * Compiles the fast path's WebAssembly module, for a shared memory when `shared` (worker
 * threads share one), or returns null where WebAssembly SIMD is not supported.
 */
export function compileCpuWasm(shared = false): WebAssembly.Module | null {
  if (typeof WebAssembly !== 'object') return null;
  const bytes = moduleBytes(shared);
  if (!WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Module(bytes);
}

function instantiate(module: WebAssembly.Module): Kernel {
  const memory = new WebAssembly.Memory({ initial: 8, maximum: 65536 });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const buffer = memory.buffer;
  return { exports: instance.exports as unknown as CpuWasmExports, memory, f32: new Float32Array(buffer),
    i32: new Int32Array(buffer), u32: new Uint32Array(buffer) };
}

/** The module, compiled once on first use; null (the oracle runs) without WebAssembly SIMD. */
function kernel(): Kernel | null {
  if (kernelState !== undefined) return kernelState;
  kernelState = null;
  try {
    const module = compileCpuWasm(false);
    if (module) kernelState = instantiate(module);
  } catch {
    // a browser's main thread may refuse synchronous compiles: compile in the background meanwhile
    if (typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes(false))) {
      void WebAssembly.compile(moduleBytes(false)).then((m) => (kernelState = instantiate(m)), () => undefined);
    }
  }
  return kernelState;
}

/** Grows the module's memory to `bytes` and refreshes the views. */
function ensure(k: Kernel, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  if (k.f32.buffer !== k.memory.buffer) {
    const buffer = k.memory.buffer;
    k.f32 = new Float32Array(buffer);
    k.i32 = new Int32Array(buffer);
    k.u32 = new Uint32Array(buffer);
  }
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * Which implementation {@link cpuUpdateFast} runs here: 'wasm-simd', or 'js' (the oracle) where
 * WebAssembly SIMD is unavailable.
 *
 * @example
 * cpuFastBackend(); // 'wasm-simd' in Node >= 16 and current browsers
 */
export function cpuFastBackend(): 'wasm-simd' | 'js' {
  return kernel() ? 'wasm-simd' : 'js';
}

/**
 * The argmax of each row of a row-major `rows x numClasses` float32 matrix, into `out`: the
 * oracle's rule ({@link argmaxRow}) bit for bit, on WebAssembly SIMD.
 *
 * @example
 * cpuArgmaxFast(new Float32Array([0, 1, 1, NaN, 2, NaN]), 3); // Uint32Array [1, 1]
 */
export function cpuArgmaxFast(logits: Float32Array, numClasses: number,
  out = new Uint32Array(Math.floor(logits.length / numClasses)),
  options: { strategy?: CpuArgmaxStrategy } = {}): Uint32Array {
  const strategy = options.strategy ?? 'auto';
  const least = strategy === 'cols' ? 4 : strategy === 'cols16' ? 16 : 1;
  if (numClasses < least) {
    throw new RangeError(`the '${strategy}' strategy needs at least ${least} classes, got ${numClasses}`);
  }
  const k = kernel();
  if (!k) return cpuArgmax(logits, numClasses, out);
  const run = strategy === 'auto' ? k.exports.argmax : k.exports[`argmax_${strategy}`];
  return argmaxChunks(k, numClasses, out, 4, (into, start, n) => into.set(logits.subarray(start, start + n)), run);
}

/**
 * As {@link cpuArgmaxFast} for 16-bit logits (`bits`: float16 or bfloat16 patterns, as `logitsDtype` says), read at
 * 2 bytes a logit and widened exactly in the module: the oracle's answer on the widened values.
 *
 * @example
 * cpuArgmaxHalfFast(Uint16Array.of(0x3c00, 0x4000, 0x7e00, 0x3c00), 'float16', 2); // Uint32Array [1, 0]
 */
export function cpuArgmaxHalfFast(bits: Uint16Array, dtype: HalfDtype, numClasses: number,
  out = new Uint32Array(Math.floor(bits.length / numClasses))): Uint32Array {
  const k = kernel();
  if (!k) return cpuArgmax(widenHalves(bits.subarray(0, out.length * numClasses), dtype), numClasses, out);
  const kind = dtype === 'bfloat16' ? 1 : 0;
  const scratch = Math.max(16384, numClasses * 4) + 64;
  return argmaxChunks(k, numClasses, out, 2, (into, start, n) => into.set(bits.subarray(start, start + n)),
    (src, rows, c, dst) => k.exports.argmax_half(src, rows, c, dst, kind, src - scratch), scratch);
}

/** Copies chunks of logits (`size` bytes each) into the module and runs `run` on each, the answers into `out`. */
function argmaxChunks(k: Kernel, c: number, out: Uint32Array, size: 2 | 4,
  copy: (into: Float32Array | Uint16Array, start: number, n: number) => void,
  run: (src: number, rows: number, c: number, dst: number) => void, scratch = 0): Uint32Array {
  const rows = out.length;
  const chunkRows = Math.min(rows, Math.max(4, Math.floor(CHUNK_FLOATS / c)));
  const predAt = 0;
  const srcAt = align16(chunkRows * 4) + align16(scratch);
  ensure(k, srcAt + chunkRows * c * size + 16);
  const into = size === 4 ? k.f32 : new Uint16Array(k.memory.buffer);
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    copy(into.subarray(srcAt / size, srcAt / size + n * c), start * c, n * c);
    run(srcAt, n, c, predAt);
    out.set(k.i32.subarray(predAt >> 2, (predAt >> 2) + n), start);
  }
  return out;
}

/**
 * The fast CPU update: adds a validated batch into `counts` (row-major C x C, rows = true
 * class), exactly as {@link cpuUpdate} does, on WebAssembly SIMD (4 to 6 times the oracle's
 * speed; see bench/NOTES.md). Where WebAssembly SIMD is unavailable it is the oracle.
 */
export function cpuUpdateFast(counts: Float64Array, batch: FormattedBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch;
  if (logits) {
    return cpuUpdateFastFrom(counts, labels, c, (into, start, n) =>
      into.set(logits.subarray(start * c, (start + n) * c)));
  }
  const k = rows > 0 ? kernel() : null;
  const cells = c * c;
  if (!k || cells > WASM_COUNT_MAX_CELLS || cells > rows) return cpuUpdate(counts, batch);
  const chunkRows = Math.min(rows, Math.max(4, Math.floor(CHUNK_FLOATS / c)));
  const labAt = align16(cells * 4);
  const predAt = labAt + align16(chunkRows * 4);
  ensure(k, predAt + chunkRows * 4 + 16);
  const table = moduleTable(k, counts, cells);
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    table.add(n);
    copyClassIndices(labels, start, n, k.i32, labAt >> 2);
    copyClassIndices(preds!, start, n, k.i32, predAt >> 2);
    k.exports.count(labAt, predAt, n, c, 0);
  }
  table.flush();
}

/**
 * As {@link cpuUpdateFast} for `labels.length` rows of N x C float32 logits that `fill` writes,
 * chunk by chunk, straight into the module's memory (`into`: rows `start .. start + rows`), e.g.
 * read from a file with no array in between. `labels` must be validated (in [0, numClasses)).
 */
export function cpuUpdateFastFrom(counts: Float64Array, labels: LabelArray, c: number,
  fill: (into: Float32Array, start: number, rows: number) => void): void {
  updateFrom(counts, labels, c, undefined,
    fill as (into: Float32Array | Uint16Array, start: number, n: number) => void);
}

/** As {@link cpuUpdateFastFrom} for 16-bit logits (`dtype`) that `fill` writes into the module as their bits. */
export function cpuUpdateFastHalfFrom(counts: Float64Array, labels: LabelArray, c: number, dtype: HalfDtype,
  fill: (into: Uint16Array, start: number, rows: number) => void): void {
  updateFrom(counts, labels, c, dtype, fill as (into: Float32Array | Uint16Array, start: number, n: number) => void);
}

/**
 * As {@link cpuUpdateFast} for a batch of 16-bit logits (`bits`: float16 or bfloat16 patterns, N x C): read at
 * 2 bytes a logit and widened exactly in the module, the counts of the oracle on the widened values.
 *
 * @example
 * const counts = new Float64Array(4);
 * cpuUpdateFastHalf(counts, Int32Array.of(1), 2, Uint16Array.of(0x3c00, 0x4000), 'float16'); // counts[3] === 1
 */
export function cpuUpdateFastHalf(counts: Float64Array, labels: LabelArray, c: number, bits: Uint16Array,
  dtype: HalfDtype): void {
  updateFrom(counts, labels, c, dtype, (into, start, n) => into.set(bits.subarray(start * c, (start + n) * c)));
}

/** cpuUpdateFastFrom for float32 (`half` undefined) or 16-bit logits that `fill` writes into the module. */
function updateFrom(counts: Float64Array, labels: LabelArray, c: number, half: HalfDtype | undefined,
  fill: (into: Float32Array | Uint16Array, start: number, rows: number) => void): void {
  const rows = labels.length;
  const k = rows > 0 ? kernel() : null;
  const chunkRows = Math.min(rows, Math.max(4, Math.floor(CHUNK_FLOATS / c)));
  if (!k) {
    const scratch = half ? new Uint16Array(chunkRows * c) : new Float32Array(chunkRows * c);
    for (let start = 0; start < rows; start += chunkRows) {
      const n = Math.min(chunkRows, rows - start);
      fill(scratch.subarray(0, n * c), start, n);
      const got = scratch.subarray(0, n * c);
      cpuUpdate(counts, { rows: n, numClasses: c, labels: labels.subarray(start, start + n),
        logits: half ? widenHalves(got as Uint16Array, half) : (got as Float32Array) });
    }
    return;
  }
  if (c === 1) {
    counts[0]! += rows;
    return;
  }
  const size = half ? 2 : 4;
  const scratch = half ? align16(Math.max(16384, c * 4)) : 0;
  const cells = c * c;
  const inModule = cells <= WASM_COUNT_MAX_CELLS && cells <= rows;
  const labAt = align16(inModule ? cells * 4 : 0);
  const predAt = labAt + align16(chunkRows * 4);
  const srcAt = predAt + align16(chunkRows * 4) + scratch;
  ensure(k, srcAt + chunkRows * c * size + 16);
  const table = inModule ? moduleTable(k, counts, cells) : undefined;
  const into = half ? new Uint16Array(k.memory.buffer) : k.f32;
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    if (table) {
      table.add(n);
      copyClassIndices(labels, start, n, k.i32, labAt >> 2);
    }
    fill(into.subarray(srcAt / size, srcAt / size + n * c), start, n);
    if (half) {
      k.exports.argmax_half(srcAt, n, c, predAt, half === 'bfloat16' ? 1 : 0, srcAt - scratch);
      if (table) k.exports.count(labAt, predAt, n, c, 0);
    } else k.exports.update(srcAt, labAt, n, c, predAt, table ? 0 : -1);
    if (!table) countInJs(counts, labels, start, n, c, k.i32, predAt >> 2);
  }
  table?.flush();
}

/** A module-side u32 count table at byte 0, added into `counts` before any cell could reach 2^32. */
function moduleTable(k: Kernel, counts: Float64Array, cells: number): { add(rows: number): void; flush(): void } {
  k.u32.fill(0, 0, cells);
  let sinceFlush = 0;
  const flush = (): void => {
    const u32 = k.u32;
    for (let i = 0; i < cells; i++) counts[i]! += u32[i]!;
    u32.fill(0, 0, cells);
    sinceFlush = 0;
  };
  return { add(rows) {
    if (sinceFlush + rows > 0xffffffff) flush();
    sinceFlush += rows;
  }, flush };
}

/** counts[label * c + pred] += 1 for rows `start .. start + n` with predictions at `i32[at ..]`. */
function countInJs(counts: Float64Array, labels: LabelArray, start: number, n: number, c: number, i32: Int32Array,
  at: number): void {
  if (labels instanceof BigInt64Array || labels instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) counts[Number(labels[start + i]!) * c + i32[at + i]!]! += 1;
  } else {
    for (let i = 0; i < n; i++) counts[(labels[start + i] as number) * c + i32[at + i]!]! += 1;
  }
}
