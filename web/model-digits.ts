/**
 * The model page's data: sklearn's 1797 digits (web/model-data/digits.u8, 8 x 8 pixels of 0..16 and a label each),
 * and larger sets made of them: row i is digit i mod 1797, as is for the first 1797 rows, with uniform noise after.
 *
 * @module
 */

/** Pixels per digit, the model's input width. */
export const FEATURES = 64;
/** Rows of sklearn's digits. */
export const DIGITS = 1797;
/** The noise added to each pixel of the repeated digits: uniform in [-NOISE, NOISE], clamped to 0..16. */
const NOISE = 4;

/** The digits: row-major pixels and labels. */
export interface Digits {
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Reads digits.u8: 1797 x 64 pixels, then 1797 labels.
 *
 * @example
 * const digits = parseDigits(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export function parseDigits(bytes: Uint8Array): Digits {
  if (bytes.length !== DIGITS * (FEATURES + 1)) {
    throw new Error(`digits.u8: ${bytes.length} bytes, expected ${DIGITS * (FEATURES + 1)}`);
  }
  return { pixels: bytes.subarray(0, DIGITS * FEATURES), labels: bytes.subarray(DIGITS * FEATURES) };
}

/** A 32-bit hash of a row index (splitmix-like), the seed of the row's noise: batches of any size agree. */
function rowSeed(i: number): number {
  let h = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * Rows `start` .. `start + n - 1` of the set: the model's inputs (float32, n x 64) and their labels (int32).
 *
 * @example
 * const { x, labels } = digitRows(digits, 0, 1797); // the digits as they are
 */
export function digitRows(d: Digits, start: number,
  n: number): { x: Float32Array<ArrayBuffer>; labels: Int32Array<ArrayBuffer> } {
  const x = new Float32Array(n * FEATURES);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = start + r;
    const j = i % DIGITS;
    labels[r] = d.labels[j]!;
    const src = d.pixels.subarray(j * FEATURES, (j + 1) * FEATURES);
    const out = x.subarray(r * FEATURES, (r + 1) * FEATURES);
    if (i < DIGITS) {
      out.set(src);
      continue;
    }
    let s = rowSeed(i);
    for (let k = 0; k < FEATURES; k++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      out[k] = Math.min(16, Math.max(0, src[k]! + (2 * u - 1) * NOISE));
    }
  }
  return { x, labels };
}
