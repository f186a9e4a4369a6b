// Class indices in int64 arrays read by their 32-bit words (a word read costs 4 ns, a Number(bigint) 35).
import type { LabelArray } from '../core/types.js';

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The 32-bit words of `a[start, start + n)` as a view: element i's low word at `w[2 * i + lo]`, high at `hi`.
 *
 * @example
 * const { w, lo, hi } = int64Words(BigInt64Array.of(-2n)); // w[lo] = 0xfffffffe, w[hi] = 0xffffffff
 */
export function int64Words(a: BigInt64Array | BigUint64Array, start = 0,
  n = a.length): { w: Uint32Array; lo: number; hi: number } {
  return { w: new Uint32Array(a.buffer, a.byteOffset + start * 8, n * 2), lo: LITTLE_ENDIAN ? 0 : 1,
    hi: LITTLE_ENDIAN ? 1 : 0 };
}

/**
 * True when every element of an int64 array lies in [0, numClasses) (numClasses <= 2^32), read by words.
 *
 * @example
 * int64InRange(BigInt64Array.of(0n, 9n), 10); // true
 */
export function int64InRange(a: BigInt64Array | BigUint64Array, numClasses: number): boolean {
  const { w, lo, hi } = int64Words(a);
  let high = 0;
  let max = 0;
  for (let i = 0; i < w.length; i += 2) {
    high |= w[i + hi]!;
    max = Math.max(max, w[i + lo]!);
  }
  return high === 0 && max < numClasses;
}

/**
 * Copies validated class indices `a[start, start + n)` into `out` from element `at` on (int64 by low words).
 *
 * @example
 * const out = new Int32Array(2);
 * copyClassIndices(BigInt64Array.of(7n, 3n, 5n), 1, 2, out); // out = [3, 5]
 */
export function copyClassIndices(a: LabelArray, start: number, n: number, out: Int32Array | Uint32Array, at = 0): void {
  if (a instanceof BigInt64Array || a instanceof BigUint64Array) {
    const { w, lo } = int64Words(a, start, n);
    for (let i = 0; i < n; i++) out[at + i] = w[2 * i + lo]!;
  } else {
    out.set(a.subarray(start, start + n), at);
  }
}
