import type { LabelArray } from '../../src/index.js';

/** A seeded PRNG (mulberry32): tests are reproducible from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type LogitStyle = 'random' | 'ties' | 'special';

/**
 * N x C logits. 'ties' draws from four values so rows often hold equal maxima; 'special' mixes in
 * NaN (quiet, signalling, negative), +-Inf, -0, +0, subnormals and ties.
 */
export function makeLogits(rand: () => number, rows: number, numClasses: number, style: LogitStyle): Float32Array {
  const out = new Float32Array(rows * numClasses);
  const bits = new Uint32Array(out.buffer);
  const specials = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, 1];
  for (let i = 0; i < out.length; i++) {
    if (style === 'ties') out[i] = Math.floor(rand() * 4);
    else if (style === 'special' && rand() < 0.08) {
      const k = Math.floor(rand() * (specials.length + 2));
      if (k === specials.length) bits[i] = 0x7f800001; // signalling NaN
      else if (k === specials.length + 1) bits[i] = 0xffc00000; // negative quiet NaN
      else out[i] = specials[k]!;
    } else out[i] = rand() * 8 - 4;
  }
  return out;
}

export const LABEL_TYPES = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  BigInt64Array, BigUint64Array] as const;

/** N labels in [0, C) in the given typed array type (C must fit the type). */
export function makeLabels(rand: () => number, rows: number, numClasses: number,
  type: (typeof LABEL_TYPES)[number] = Int32Array): LabelArray {
  const values = Array.from({ length: rows }, () => Math.floor(rand() * numClasses));
  if (type === BigInt64Array || type === BigUint64Array) return type.from(values.map(BigInt));
  return (type as Int32ArrayConstructor).from(values);
}
