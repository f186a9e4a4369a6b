/** Any integer typed array accepted for labels or class-index predictions. */
export type LabelArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** One batch of N samples: row-major N x C logits, or N predicted class indices, and N labels. */
export type Batch =
  | { logits: Float32Array; labels: LabelArray; preds?: undefined }
  | { preds: LabelArray; labels: LabelArray; logits?: undefined };

/** A batch that passed validation: labels and predictions are known to lie in [0, numClasses). */
export interface FormattedBatch {
  rows: number;
  numClasses: number;
  labels: LabelArray;
  logits?: Float32Array;
  preds?: LabelArray;
}

/** The reduced result: C x C counts, rows = true class, columns = predicted class. */
export interface ConfusionMatrixResult {
  numClasses: number;
  /** Row-major C x C counts; exact integers (below 2^53). `counts[t * C + p]`. */
  counts: Float64Array;
  /** Number of samples counted. */
  total: number;
  /** Samples on the diagonal. */
  correct: number;
  /** correct / total, 0 when total is 0. */
  accuracy: number;
}
