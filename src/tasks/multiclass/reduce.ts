import type { ConfusionMatrixResult } from '../../core/types.js';

/**
 * Reduces accumulated counts to a result: totals, the diagonal, accuracy. Copies `counts`.
 * With `weighted`, counts are sums of sample weights (any finite values) and the result says so.
 *
 * @example
 * const r = reduceCounts(new Float64Array([3, 1, 0, 4]), 2);
 * r.total; // 8
 * r.accuracy; // 0.875
 */
export function reduceCounts(counts: Float64Array, numClasses: number, weighted = false): ConfusionMatrixResult {
  let total = 0;
  let correct = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  for (let t = 0; t < numClasses; t++) correct += counts[t * numClasses + t]!;
  if (!weighted && !Number.isSafeInteger(total)) {
    throw new RangeError(`the total count ${total} exceeds 2^53: counts would no longer be exact`);
  }
  return { numClasses, counts: counts.slice(), total, correct, accuracy: total === 0 ? 0 : correct / total, ...(weighted ? { weighted } : {}) };
}

/**
 * The matrix as an array of rows (true class) of counts (predicted class), as JSON prints it.
 *
 * @example
 * matrixRows(reduceCounts(new Float64Array([3, 1, 0, 4]), 2)); // [[3, 1], [0, 4]]
 */
export function matrixRows(result: Pick<ConfusionMatrixResult, 'counts' | 'numClasses'>): number[][] {
  const { counts, numClasses: c } = result;
  const rows: number[][] = [];
  for (let t = 0; t < c; t++) rows.push(Array.from(counts.subarray(t * c, (t + 1) * c)));
  return rows;
}
