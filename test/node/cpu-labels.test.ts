import { describe, expect, it } from 'vitest';
import type { LabelArray } from '../../src/core/types.js';
import { checkClassIndices } from '../../src/format/validate.js';
import { compileLabelsWasm, type CpuLabelsExports, narrowLabels, rawLabelValue } from '../../src/node/cpu-labels.js';
import { markIgnored } from '../../src/tasks/multiclass/select.js';
import { rng } from '../helpers/random.js';

const TYPES = { i1: Int8Array, i2: Int16Array, i4: Int32Array, i8: BigInt64Array, u1: Uint8Array, u2: Uint16Array,
  u4: Uint32Array, u8: BigUint64Array } as const;
type Dtype = keyof typeof TYPES;

/** Values worth trying for a type: its extremes, around 0 and C, and int64 ones with the high word set. */
function specials(dtype: Dtype, c: number): bigint[] {
  const bits = 8n * BigInt(dtype[1]!);
  const signed = dtype[0] === 'i';
  const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  const all = [min, max, -1n, -2n, -100n, 0n, 1n, BigInt(c) - 1n, BigInt(c), BigInt(c) + 1n, 255n, 256n, 65535n,
    2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 32n + BigInt(c) - 1n, -(2n ** 31n),
    -(2n ** 32n), -(2n ** 32n) + 1n, 2n ** 63n, 2n ** 63n + 1n, 2n ** 64n - 1n, -(2n ** 63n)];
  return all.filter((v) => v >= min && v <= max);
}

/** The JavaScript check of the one-thread path (with `ignore`: markIgnored): the int32 labels or the bad index. */
function jsCheck(labels: LabelArray, c: number, ignore: number | undefined): { out?: Int32Array; bad?: number } {
  try {
    if (ignore !== undefined) return { out: markIgnored(labels, ignore, c) };
    const ok = checkClassIndices('labels', labels, c);
    return { out: Int32Array.from(ok as ArrayLike<number | bigint>, Number) };
  } catch (e) {
    return { bad: (e as { index: number }).index };
  }
}

const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
const wasm = new WebAssembly.Instance(compileLabelsWasm(false), { env: { memory } })
  .exports as unknown as CpuLabelsExports;
const bytes = new Uint8Array(memory.buffer);
const RAW = 64 * 1024;

/** Runs the module on `labels` copied to RAW (int32 out at 0, or in place): the out labels up to the bad one. */
function module(labels: LabelArray, dtype: Dtype, c: number, ignore: number | undefined, inPlace: boolean) {
  const type = { itemSize: Number(dtype[1]), signed: dtype[0] === 'i' };
  const raw = inPlace ? 0 : RAW;
  bytes.fill(0xcd);
  bytes.set(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength), raw);
  const bad = narrowLabels(wasm, type, raw, 0, labels.length, c, ignore);
  const upTo = bad < 0 ? labels.length : bad;
  const out = new Int32Array(memory.buffer, 0, upTo).slice();
  const value = bad < 0 ? undefined : rawLabelValue(new DataView(memory.buffer), raw + bad * type.itemSize, type);
  return { bad, out, value };
}

describe('the label module (wasm/cpu-labels.wat)', () => {
  const ignores = [undefined, -1, -100, 0, 3, 127, 255, 256, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1];
  it.each(Object.keys(TYPES) as Dtype[])(
    'checks and narrows %s labels as the JavaScript check does: first bad index, its value, ignored ones to C',
    (dtype) => {
      const T = TYPES[dtype];
      const rand = rng(dtype.charCodeAt(0) * 7 + dtype.charCodeAt(1));
      let bads = 0;
      for (const c of [1, 2, 10, 200, 70000]) {
        const special = specials(dtype, c);
        for (let trial = 0; trial < 60; trial++) {
          const rows = Math.floor(rand() * 41);
          const odd = rand() < 0.5 ? 0.02 : 0.2;
          const values = Array.from({ length: rows }, () =>
            rand() < odd ?
              special[Math.floor(rand() * special.length)]! :
              BigInt(Math.floor(rand() * Math.min(c, 300))));
          const labels: LabelArray = T === BigInt64Array || T === BigUint64Array ?
            (T as typeof BigInt64Array).from(values) :
            (T as typeof Int32Array).from(values, Number);
          for (const ignore of [ignores[trial % ignores.length], undefined]) {
            const expected = jsCheck(labels, c, ignore);
            for (const inPlace of dtype[1] === '8' ? [false, true] : [false]) {
              const got = module(labels, dtype, c, ignore, inPlace);
              const what = `${dtype} C=${c} ignore=${ignore} in place=${inPlace} [${values.join(', ')}]`;
              expect(got.bad, what).toBe(expected.bad ?? -1);
              if (expected.bad === undefined) {
                expect(Array.from(got.out), what).toEqual(Array.from(expected.out!));
              } else {
                bads++;
                expect(got.value, what).toBe(String(labels[expected.bad]));
                expect(Array.from(got.out), what).toEqual(
                  Array.from(markIgnored(labels.subarray(0, expected.bad), ignore ?? Number.MAX_SAFE_INTEGER, c)),
                );
              }
            }
          }
        }
      }
      expect(bads).toBeGreaterThan(50);
    },
  );

  it('finds one bad label at every position of a long run, in the SIMD steps and the tail', () => {
    for (const dtype of Object.keys(TYPES) as Dtype[]) {
      const T = TYPES[dtype];
      const big = T === BigInt64Array || T === BigUint64Array;
      const rows = 23;
      for (const bad of specials(dtype, 5).filter((v) => v < 0n || v >= 5n)) {
        for (let at = 0; at < rows; at++) {
          const values = Array.from({ length: rows }, (_, i) => (i === at ? bad : BigInt(i % 5)));
          const labels = big ? (T as typeof BigInt64Array).from(values) : (T as typeof Int32Array).from(values, Number);
          const got = module(labels, dtype, 5, undefined, big);
          expect(got.bad, `${dtype} ${bad} at ${at}`).toBe(at);
          expect(got.value).toBe(String(bad));
          expect(Array.from(got.out)).toEqual(values.slice(0, at).map(Number));
        }
      }
    }
  });
});
