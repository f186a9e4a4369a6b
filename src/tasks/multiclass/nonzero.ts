/**
 * The cells a count turns nonzero, listed while it counts, so that metrics and reports of a matrix with far more
 * cells than rows (C = 10,000 from a few thousand rows) visit those cells only. Isomorphic.
 *
 * @module
 */

/**
 * The cells a count starting from zero has turned nonzero, in the order reached. `cells` is dropped (undefined) past
 * `limit` cells, or when counts arrive some way that does not list them: the whole matrix is walked then.
 */
export interface NonzeroCells {
  cells: number[] | undefined;
  readonly limit: number;
}

/** A list for a fresh count of C x C cells, kept up to C^2 / 16 cells (beyond it a walk of the matrix is as quick). */
export function createNonzeroCells(numClasses: number): NonzeroCells {
  return { cells: [], limit: Math.floor((numClasses * numClasses) / 16) };
}

/** The listed cells ascending, or undefined when the list was dropped. */
export function sortedCells(nonzero: NonzeroCells | undefined): Uint32Array | undefined {
  return nonzero?.cells && Uint32Array.from(nonzero.cells).sort();
}

/** counts[i32[lab + i] * c + i32[pred + i]] += 1 for i < n, listing in `nonzero` the cells that turn nonzero. */
export function countPairs(counts: Float64Array, c: number, i32: Int32Array, lab: number, pred: number, n: number,
  nonzero?: NonzeroCells): void {
  const list = nonzero?.cells;
  if (!list) {
    for (let i = 0; i < n; i++) counts[i32[lab + i]! * c + i32[pred + i]!]! += 1;
    return;
  }
  for (let i = 0; i < n; i++) {
    const k = i32[lab + i]! * c + i32[pred + i]!;
    if (counts[k]!++ === 0) list.push(k);
  }
  if (list.length > nonzero.limit) nonzero.cells = undefined;
}
