import type { HalfDtype } from '../../src/core/types.js';

const SPECIALS = {
  float16: [0x7e00, 0xfe00, 0x7c01, 0xfc01, 0x7fff, 0x7c00, 0xfc00, 0x8000, 0, 1, 0x8001, 0x3ff, 0x7bff, 0xfbff],
  bfloat16: [0x7fc0, 0xffc0, 0x7f81, 0xff81, 0x7fff, 0x7f80, 0xff80, 0x8000, 0, 1, 0x8001, 0x7f7f, 0xff7f],
};
/** -2, -1, -0, +0, 1, 2: ties, and -0 == +0. */
const SMALL = { float16: [0xc000, 0xbc00, 0x8000, 0, 0x3c00, 0x4000],
  bfloat16: [0xc000, 0xbf80, 0x8000, 0, 0x3f80, 0x4000] };

/**
 * N x C half patterns and labels in [0, C): most rows from six small values (ties, -0/+0), some of finite
 * random patterns, some with NaN, +-Inf or subnormals planted.
 */
export function halfRows(rand: () => number, rows: number, c: number,
  dtype: HalfDtype): { bits: Uint16Array; labels: Int32Array } {
  const bits = new Uint16Array(rows * c);
  const nanFrom = dtype === 'float16' ? 0x7c00 : 0x7f80;
  for (let r = 0; r < rows; r++) {
    const style = rand();
    for (let j = r * c; j < (r + 1) * c; j++) {
      if (style < 0.6) bits[j] = SMALL[dtype][Math.floor(rand() * 6)]!;
      else {
        const b = Math.floor(rand() * 0x10000);
        bits[j] = (b & 0x7fff) > nanFrom ? b & 0xbfff : b;
      }
    }
    if (style > 0.9) {
      bits[r * c + Math.floor(rand() * c)] = SPECIALS[dtype][Math.floor(rand() * SPECIALS[dtype].length)]!;
    }
  }
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * c));
  return { bits, labels };
}
