// Sample weights: validation, and the fixed-point form the GPU adds exactly (shaders/common/weighted-add.wgsl).
import { InputError } from '../core/errors.js';
import type { SampleWeights } from '../core/types.js';

/**
 * Checks sample weights: a Float32Array or Float64Array of one finite value per row (negative too) whose |w| add
 * up to a finite sum; an {@link InputError} names the index and value.
 *
 * @example
 * checkWeights(new Float64Array([1, NaN]), 2); // throws: "index 1: weight NaN is not finite"
 */
export function checkWeights(weights: unknown, rows: number): SampleWeights {
  if (!(weights instanceof Float32Array || weights instanceof Float64Array)) {
    const got = weights === null ? 'null' : (weights as object)?.constructor?.name ?? typeof weights;
    throw new InputError('weights', `sample weights must be a Float32Array or Float64Array on the host, got ${got}`);
  }
  if (weights.length !== rows) {
    throw new InputError('weights', `${weights.length} sample weights for ${rows} rows: give one per row`, undefined,
      weights.length);
  }
  addAbsWeights(weights, 0, 0);
  return weights;
}

/**
 * Adds each |w| to the running `sum` (`firstIndex`: the index of `weights[0]`); throws an {@link InputError} at the
 * first weight that is not finite or makes the sum overflow, so that no total or cell can.
 *
 * @example
 * for (const { start, data } of chunks) sum = addAbsWeights(data, sum, start);
 */
export function addAbsWeights(weights: ArrayLike<number>, sum: number, firstIndex: number): number {
  let s = sum;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    const at = firstIndex + i;
    if (!Number.isFinite(w)) throw new InputError('weights', `index ${at}: weight ${w} is not finite`, at, w);
    const next = s + Math.abs(w);
    if (next === Infinity) {
      throw new InputError('weights',
        `index ${at}: weight ${w} makes the sum of |weights| overflow (${s} before it); sums of sample weights ` +
          `must stay finite`, at, w);
    }
    s = next;
  }
  return s;
}

/** x * 2^e without overflowing the intermediate power of two (e may reach +-1100). */
function scaleByPowerOfTwo(x: number, e: number): number {
  const half = Math.trunc(e / 2);
  return x * 2 ** half * 2 ** (e - half);
}

/**
 * The fixed-point exponent s for a batch: weights times 2^s, rounded, are integers below 2^52 in
 * magnitude (exact in float64 and in a 64-bit device word), with the largest one in [2^51, 2^52).
 *
 * @example
 * fixedPointExponent(new Float64Array([0.5, 3])); // 50: 3 * 2^50 < 2^52
 */
export function fixedPointExponent(weights: SampleWeights): number {
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, Math.abs(weights[i]!));
  if (max === 0) return 0;
  let s = 51 - Math.floor(Math.log2(max));
  if (scaleByPowerOfTwo(max, s) >= 2 ** 52) s--;
  if (scaleByPowerOfTwo(max, s) < 2 ** 51) s++;
  return s;
}

/**
 * Writes rows [start, start + rows) of `weights`, times 2^s and rounded, into `out` as signed
 * 64-bit integers in (lo, hi) u32 pairs: the device's input for shaders/common/weighted-add.wgsl.
 *
 * @example
 * const out = new Uint32Array(2);
 * toFixedPoint(new Float64Array([-1]), 0, 1, 4, out); // out: [0xfffffff0, 0xffffffff] (-16)
 */
export function toFixedPoint(weights: SampleWeights, start: number, rows: number, s: number, out: Uint32Array): void {
  const scale = scaleByPowerOfTwo(1, s);
  const finite = Number.isFinite(scale) && scale !== 0;
  for (let i = 0; i < rows; i++) {
    const q = Math.round(finite ? weights[start + i]! * scale : scaleByPowerOfTwo(weights[start + i]!, s));
    const hi = Math.floor(q / 2 ** 32);
    out[2 * i] = q - hi * 2 ** 32;
    out[2 * i + 1] = hi >>> 0;
  }
}

/**
 * The value of a 96-bit two's-complement device cell (three u32 words, low first) divided by 2^s.
 * The upper 64 bits are exact in float64 (a flush's sums stay below 2^84), so there is one rounding.
 *
 * @example
 * fromFixedPoint(0xfffffff0, 0xffffffff, 0xffffffff, 4); // -1
 */
export function fromFixedPoint(w0: number, w1: number, w2: number, s: number): number {
  return scaleByPowerOfTwo(((w2 | 0) * 2 ** 32 + w1) * 2 ** 32 + w0, -s);
}
