// Statistical tests use fixed seeds (deterministic); their limits are set for a false-alarm rate of 1e-4 each, the
// rate at which a correct generator would fail on a fresh seed.
import { describe, expect, it } from 'vitest';
import { createRandom, MAX_SEED } from '../../src/stats/random.js';
import { chiSquare, statsFixture } from './helpers.js';

const take = (seed: number, n: number): number[] => {
  const r = createRandom(seed);
  return Array.from({ length: n }, () => r.next());
};

describe('createRandom', () => {
  it('gives the same stream for the same seed, and different streams for different seeds', () => {
    expect(take(42, 100)).toEqual(take(42, 100));
    // seeds that differ only in the high half, in the low half, and a pair that collided when the high half was
    // folded into the low one by a multiply
    const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, 0x27d4eb2d, 2 ** 52, 2 ** 52 + 1, MAX_SEED, MAX_SEED - 1, 2 ** 33,
      0x4fa9d65a, ...Array.from({ length: 300 }, (_, i) => i * 0x1000193 + (i % 7) * 2 ** 40)];
    const firsts = new Set(seeds.map((s) => take(s, 2).join(',')));
    expect(firsts.size).toBe(new Set(seeds).size);
  });

  it('draws the stream of a reference xoshiro128** (Python, test/fixtures/stats) for seeds up to 2^53 - 1', () => {
    for (const [seed, doubles] of statsFixture.random) {
      expect(take(seed, doubles.length), `seed ${seed}`).toEqual(doubles);
    }
  });

  it('takes integer seeds 0..2^53-1 and refuses others', () => {
    expect(() => createRandom(MAX_SEED).next()).not.toThrow();
    for (const bad of [-1, 2 ** 53, 1.5, NaN, Infinity]) expect(() => createRandom(bad)).toThrow(RangeError);
  });

  it('is uniform on [0, 1): 1,000 bins, and the lowest 6 of the 53 bits', () => {
    const r = createRandom(20261204);
    const m = 400_000;
    const bins = new Float64Array(1000);
    const low = new Float64Array(64);
    let outside = 0;
    for (let i = 0; i < m; i++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) outside++;
      bins[Math.floor(u * 1000)]!++;
      low[(u * 2 ** 53) % 64]!++;
    }
    expect(outside).toBe(0);
    for (const obs of [bins, low]) {
      const { stat, limit } = chiSquare(obs, new Float64Array(obs.length).fill(m / obs.length));
      expect(stat).toBeLessThan(limit);
    }
  });

  it('has no correlation between consecutive draws (pairs on a 20 x 20 grid)', () => {
    const r = createRandom(7);
    const grid = new Float64Array(400);
    const m = 200_000;
    for (let i = 0; i < m; i++) grid[Math.floor(r.next() * 20) * 20 + Math.floor(r.next() * 20)]!++;
    const { stat, limit } = chiSquare(grid, new Float64Array(400).fill(m / 400));
    expect(stat).toBeLessThan(limit);
  });
});
