/** A seeded uniform generator: the same seed gives the same stream on every platform. */
export interface Random {
  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number;
}

/** The largest seed {@link createRandom} takes (seeds are integers 0..2^53 - 1). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/**
 * xoshiro128** seeded through splitmix32 from both 32-bit halves of an integer seed in [0, 2^53); two outputs make
 * one 53-bit double.
 */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer 0..2^53-1, got ${seed}`);
  let mix = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2d);
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) [mix, s[i]] = splitmix32(mix);
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
