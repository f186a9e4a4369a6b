const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The order-preserving u32 key of `x` rounded to float32, as the shaders compute it: for non-NaN
 * a, b, `a < b` as float32 exactly when `orderKey(a) < orderKey(b)`; -0 maps as +0.
 *
 * @example
 * orderKey(-1) < orderKey(-0); // true
 */
export function orderKey(x: number): number {
  f32[0] = x;
  let b = u32[0]!;
  if (b === 0x80000000) b = 0;
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}
