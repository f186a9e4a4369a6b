import type { ConfusionMatrixResult } from '../../core/types.js';

/**
 * Reduces counts to a result: total, diagonal, accuracy; `weighted`: sums of sample weights. The counts are copied
 * unless `owned` (the caller hands them over: at C = 10,000 the copy is 800 MB). `nonzero`: ascending indices of
 * cells holding every nonzero count (kept on the result; only those are read).
 */
export function reduceCounts(counts: Float64Array, numClasses: number, weighted = false, owned = false,
  nonzero?: Uint32Array): ConfusionMatrixResult {
  let total = 0;
  let correct = 0;
  if (nonzero) {
    for (const i of nonzero) {
      total += counts[i]!;
      if (i % (numClasses + 1) === 0) correct += counts[i]!;
    }
  } else {
    for (let i = 0; i < counts.length; i++) total += counts[i]!;
    for (let t = 0; t < numClasses; t++) correct += counts[t * numClasses + t]!;
  }
  if (!weighted && !Number.isSafeInteger(total)) {
    throw new RangeError(`the total count ${total} exceeds 2^53: counts would no longer be exact`);
  }
  const accuracy = total === 0 ? 0 : correct / total;
  return { numClasses, counts: owned ? counts : counts.slice(), total, correct, accuracy,
    ...(weighted ? { weighted } : {}), ...(nonzero && { nonzero }) };
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
