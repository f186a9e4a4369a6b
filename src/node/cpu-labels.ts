// Class labels read raw from a file into the fast CPU path's memory, checked and narrowed to int32 there by the
// WebAssembly module wasm/cpu-labels.wat (cpu-worker.ts, cpu-file.ts).
import { InputError } from '../core/errors.js';
import { CPU_LABELS_WASM_BASE64, CPU_LABELS_WASM_SHARED_BASE64 } from './cpu-labels-wasm.generated.js';

/** The exports of wasm/cpu-labels.wat (byte offsets into the memory it shares with the argmax module). */
export interface CpuLabelsExports {
  narrow(raw: number, dst: number, rows: number, size: number, signed: number, c: number, ignLo: number, ignHi: number,
    ignTo: number): number;
}

/** The label module, for a shared memory when `shared` (worker threads). */
export function compileLabelsWasm(shared: boolean): WebAssembly.Module {
  return new WebAssembly.Module(Buffer.from(shared ? CPU_LABELS_WASM_SHARED_BASE64 : CPU_LABELS_WASM_BASE64, 'base64'));
}

/** How raw labels are stored: `size`-byte little-endian integers, signed or not. */
export interface RawLabels {
  itemSize: number;
  signed: boolean;
}

/** The storage of labels of numpy `dtype` (i1..i8, u1..u8, b1); a RangeError for any other. */
export function rawLabelType(dtype: unknown): RawLabels {
  const d = String(dtype);
  if (!/^([iu][1248]|b1)$/.test(d)) {
    const holds = 'a labels file holds i1, i2, i4, i8, u1, u2, u4, u8 or b1';
    throw new RangeError(`labels of dtype ${JSON.stringify(dtype)}: ${holds}`);
  }
  return { itemSize: Number(d[1]), signed: d[0] === 'i' };
}

/** The error for label `value` (as written) at `index`, outside [0, c). */
export function badLabelError(index: number, value: string, c: number): InputError {
  return new InputError('labels', `index ${index}: label ${value} is outside [0, ${c})`, index, value);
}

/**
 * Checks and narrows `rows` raw labels at byte `raw` into int32 at `dst` (labels equal to `ignoreIndex` become `c`),
 * as the JavaScript check does; returns the index of the first label outside [0, c), or -1.
 */
export function narrowLabels(wasm: CpuLabelsExports, type: RawLabels, raw: number, dst: number, rows: number, c: number,
  ignoreIndex: number | undefined): number {
  const { itemSize: size, signed } = type;
  const bits = 8 * size;
  const fits = ignoreIndex !== undefined &&
    (size === 8 ?
      signed || ignoreIndex >= 0 :
      signed ?
      ignoreIndex >= -(2 ** (bits - 1)) && ignoreIndex < 2 ** (bits - 1) :
      ignoreIndex >= 0 && ignoreIndex < 2 ** bits);
  const [lo, hi, to] = fits ? [ignoreIndex, ignoreIndex < 0 ? -1 : 0, c] : [0, 0, 0];
  return wasm.narrow(raw, dst, rows, size, signed ? 1 : 0, c, lo, hi, to);
}

/** The label at byte `at` of `view` as written (int64 ones exactly). */
export function rawLabelValue(view: DataView, at: number, type: RawLabels): string {
  const { itemSize: size, signed } = type;
  if (size === 8) return String(signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true));
  if (size === 4) return String(signed ? view.getInt32(at, true) : view.getUint32(at, true));
  if (size === 2) return String(signed ? view.getInt16(at, true) : view.getUint16(at, true));
  return String(signed ? view.getInt8(at) : view.getUint8(at));
}
