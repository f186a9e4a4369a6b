import { describe, expect, it } from 'vitest';
import { copyClassIndices, int64InRange } from '../../src/format/class-indices.js';
import { findOutOfRange } from '../../src/format/validate.js';
import { markIgnored } from '../../src/tasks/multiclass/select.js';

describe('class indices in int64 arrays, read by 32-bit words', () => {
  it('copies the values of any label array from any start, into Int32Array or Uint32Array at any offset', () => {
    const values = [0, 5, 2 ** 31 - 1, 7, 1, 3];
    for (const a of [BigInt64Array.from(values, BigInt), BigUint64Array.from(values, BigInt), Int32Array.from(values),
      Uint32Array.from(values)]) {
      const sub = a.subarray(1) as typeof a;
      for (const out of [new Int32Array(8).fill(-9), new Uint32Array(8).fill(9)]) {
        copyClassIndices(sub, 1, 3, out, 2);
        expect(Array.from(out.subarray(2, 5)), a.constructor.name).toEqual([2 ** 31 - 1, 7, 1]);
        expect(out[1]).toBe(out instanceof Int32Array ? -9 : 9);
        expect(out[5]).toBe(out instanceof Int32Array ? -9 : 9);
      }
    }
  });

  it('tells in-range int64 arrays from those with a value whose low word alone would pass', () => {
    const ok = BigInt64Array.of(0n, 9n, 3n);
    expect(int64InRange(ok, 10)).toBe(true);
    expect(int64InRange(ok, 9)).toBe(false);
    expect(int64InRange(new BigInt64Array(0), 1)).toBe(true);
    for (const bad of [-1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const a = BigInt64Array.of(1n, bad, 2n);
      expect(int64InRange(a, 10), String(bad)).toBe(false);
      expect(findOutOfRange(a, 10), String(bad)).toBe(1);
    }
    expect(int64InRange(BigUint64Array.of(1n, 2n ** 64n - 1n), 10)).toBe(false);
    expect(findOutOfRange(BigUint64Array.of(1n, 2n, 2n ** 32n + 2n), 10)).toBe(2);
    expect(findOutOfRange(BigInt64Array.of(5n, 2n, 3n).subarray(1), 4)).toBe(-1);
    expect(findOutOfRange(BigInt64Array.of(1n, 2n, 3n).subarray(1), 3)).toBe(1);
  });

  it('marks ignored labels as the row past the matrix, and refuses the others out of range with index and value', () => {
    expect(Array.from(markIgnored(BigInt64Array.of(1n, -100n, 0n, 2n), -100, 3))).toEqual([1, 3, 0, 2]);
    expect(Array.from(markIgnored(BigUint64Array.of(1n, 255n, 0n), 255, 3))).toEqual([1, 3, 0]);
    expect(Array.from(markIgnored(Int8Array.of(1, 1, 0), 1, 3))).toEqual([3, 3, 0]);
    expect(Array.from(markIgnored(BigInt64Array.of(2n ** 40n, 0n), 2 ** 40, 3))).toEqual([3, 0]);
    for (const [labels, index, value] of [[BigInt64Array.of(0n, -1n), 1, '-1'], [BigInt64Array.of(0n, 2n ** 32n + 1n),
      1, String(2n ** 32n + 1n)], [BigUint64Array.of(2n ** 64n - 100n), 0, String(2n ** 64n - 100n)], [
      Int32Array.of(0, 3),
      1,
      '3',
    ]] as const) {
      expect(() => markIgnored(labels, -100, 3)).toThrow(`index ${index}: label ${value} is outside [0, 3)`);
    }
  });

  it('findOutOfRange finds the first bad index of every label type, across its check blocks, whatever types came before', () => {
    const n = 40_000;
    const cases: [new(n: number) => ArrayLike<number> & { [i: number]: number }, number[]][] = [[Int8Array, [-1, 7, 127,
      -128]], [Uint8Array, [7, 255]], [Uint8ClampedArray, [7, 255]], [Int16Array, [-1, 7, 32767, -32768]], [Uint16Array,
      [7, 65535]], [Int32Array, [-1, 7, 2 ** 31 - 1, -(2 ** 31)]], [Uint32Array, [7, 2 ** 31, 2 ** 32 - 1]]];
    for (const [Type, bads] of cases) {
      const a = new Type(n);
      for (let i = 0; i < n; i++) a[i] = i % 7;
      expect(findOutOfRange(a as never, 7), Type.name).toBe(-1);
      expect(findOutOfRange(a as never, 6), Type.name).toBe(6);
      for (let i = 0; i < n; i++) a[i] = i % 6;
      for (const at of [0, 16_383, 16_384, 32_768, n - 1]) {
        for (const bad of bads) {
          const b = new Type(n);
          for (let i = 0; i < n; i++) b[i] = a[i]!;
          b[at] = bad;
          b[n - 1 - ((at + 1) % 100)] = bad;
          expect(findOutOfRange(b as never, 7), `${Type.name} ${bad} at ${at}`).toBe(
            Math.min(at, n - 1 - ((at + 1) % 100)),
          );
        }
      }
    }
  });
});
