// 16-bit float logits (float16, bfloat16) as raw bits in a Uint16Array: the GPU reads them, the CPU widens them.
import type { HalfDtype } from '../core/types.js';

/**
 * True for 'float16' and 'bfloat16'.
 *
 * @example
 * isHalfDtype('bfloat16'); // true
 */
export function isHalfDtype(d: unknown): d is HalfDtype {
  return d === 'float16' || d === 'bfloat16';
}

/**
 * The float32 bits of a float16's bits, exactly, NaN payloads kept (numpy's widening).
 *
 * @example
 * float16BitsToFloat32Bits(0x3c00); // 0x3f800000 (1)
 */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0;
  if (frac === 0) return sign >>> 0;
  let e = 113;
  while ((frac & 0x400) === 0) {
    frac <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((frac & 0x3ff) << 13)) >>> 0;
}

let f16Table: Uint32Array | undefined;

/**
 * Widens 16-bit float bits to a fresh Float32Array, exactly.
 *
 * @example
 * widenHalves(Uint16Array.of(0x3c00, 0xfc00, 0x7e00), 'float16'); // Float32Array [1, -Infinity, NaN]
 */
export function widenHalves(bits: Uint16Array, dtype: HalfDtype): Float32Array {
  const n = bits.length;
  const out = new Uint32Array(n);
  if (dtype === 'bfloat16') {
    for (let i = 0; i < n; i++) out[i] = bits[i]! << 16;
  } else {
    const t = (f16Table ??= Uint32Array.from({ length: 65536 }, (_, h) => float16BitsToFloat32Bits(h)));
    for (let i = 0; i < n; i++) out[i] = t[bits[i]!]!;
  }
  return new Float32Array(out.buffer);
}
