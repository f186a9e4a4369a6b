import { describe, expect, it } from 'vitest';
import { confusionOrder, hierarchicalOrder, permuteCounts } from '../../web/reorder.js';
import { plantedConfusion } from '../helpers/planted.js';
import { rng } from '../helpers/random.js';

/** How many contiguous runs each group makes in `order` (1 each when every group is one block). */
function runs(order: number[], group: Int32Array): number[] {
  const out = new Array<number>(Math.max(...group) + 1).fill(0);
  order.forEach((k, i) => {
    if (i === 0 || group[order[i - 1]!] !== group[k]) out[group[k]!]!++;
  });
  return out;
}

describe('web/reorder hierarchicalOrder: average linkage on the symmetrised, row-normalized confusion', () => {
  it('the example: 0 and 2 confused, 1 apart', () => {
    expect(hierarchicalOrder(new Float64Array([5, 0, 1, 0, 5, 0, 1, 0, 5]), 3)).toEqual([0, 2, 1]);
  });

  it('recovers 25 planted groups of 40 among 1000 shuffled classes as 25 blocks; greedy chaining does not', () => {
    const { counts, group } = plantedConfusion(1000, 25, 200, 3);
    const order = hierarchicalOrder(counts, 1000);
    expect(order.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(runs(order, group)).toEqual(new Array(25).fill(1));
    const greedy = runs(confusionOrder(counts, 1000), group);
    expect(greedy.reduce((a, b) => a + b)).toBeGreaterThan(25);
  });

  it('is deterministic: the same order twice, ties (an all-zero off-diagonal) in index order', () => {
    const { counts } = plantedConfusion(300, 10, 50, 9);
    expect(hierarchicalOrder(counts, 300)).toEqual(hierarchicalOrder(counts.slice(), 300));
    const diag = new Float64Array(16);
    for (let i = 0; i < 4; i++) diag[i * 5] = 3;
    expect(hierarchicalOrder(diag, 4)).toEqual([0, 1, 2, 3]);
    const star = diag.slice();
    star.set([3, 1, 1, 1]);
    expect(hierarchicalOrder(star, 4)).toEqual([0, 1, 2, 3]);
  });

  it('is always a permutation, empty rows and 0, 1, 2 classes too', () => {
    const r = rng(11);
    for (const c of [0, 1, 2, 7, 60]) {
      const m = Float64Array.from({ length: c * c }, () => (r() < 0.1 ? Math.floor(r() * 9) : 0));
      const order = hierarchicalOrder(m, c);
      expect(order.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: c }, (_, i) => i));
      expect(permuteCounts(m, c, order).reduce((s, v) => s + v, 0)).toBe(m.reduce((s, v) => s + v, 0));
    }
  });
});
