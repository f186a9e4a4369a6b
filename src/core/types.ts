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

/**
 * A batch whose inputs may already live in GPU buffers on the evaluator's device (zero-copy):
 * logits as f32 (N x C, row-major), labels and predictions as u32 or i32. Any mix of host arrays
 * and buffers works; `rows` defaults to what the buffers hold. Class indices in buffers are checked
 * on the GPU: an out-of-range one refuses the whole batch, naming its index.
 */
export type GpuBatch =
  | { logits: Float32Array | GPUBuffer; labels: LabelArray | GPUBuffer; preds?: undefined; rows?: number }
  | { preds: LabelArray | GPUBuffer; labels: LabelArray | GPUBuffer; logits?: undefined; rows?: number };

/** A batch that passed validation: labels and predictions are known to lie in [0, numClasses). */
export interface FormattedBatch {
  rows: number;
  numClasses: number;
  labels: LabelArray;
  logits?: Float32Array;
  preds?: LabelArray;
}

/** A validated batch for the GPU: class indices in host arrays lie in [0, numClasses); those in buffers are checked on the GPU. */
export interface FormattedGpuBatch {
  rows: number;
  numClasses: number;
  labels: LabelArray | GPUBuffer;
  logits?: Float32Array | GPUBuffer;
  preds?: LabelArray | GPUBuffer;
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
  /** With the `topK` option: rows whose label is among the k highest logits, per true class (sklearn's top_k_accuracy_score). */
  topK?: { k: number; hits: Float64Array; accuracy: number };
}
