/** A seeded uniform generator: the same seed gives the same stream on every platform. */
export interface Random {
  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number;
}

export { MAX_SEED } from '../core/limits.js';

/** MurmurHash3's 32-bit finalizer: a bijection of the 32-bit words with fmix32(0) = 0. */
function fmix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  return [s, fmix32(s)];
}

/**
 * xoshiro128** seeded through splitmix32 from the low 32 bits of an integer seed in [0, 2^53), the high bits mixed
 * into the third word (one-to-one: distinct seeds give distinct states); two outputs make one 53-bit double.
 */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer 0..2^53-1, got ${seed}`);
  let mix = seed >>> 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) [mix, s[i]] = splitmix32(mix);
  s[2]! ^= fmix32(Math.floor(seed / 2 ** 32));
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  const word = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  return { next: () => ((word() >>> 5) * 67108864 + (word() >>> 6)) / 9007199254740992 };
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
