/** Any integer typed array accepted for labels or class-index predictions. */
export type LabelArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array
  | Uint32Array | BigInt64Array | BigUint64Array;

/** Per-sample weights (sklearn's `sample_weight`): one finite value per row, on the host; absent: 1 per row. */
export type SampleWeights = Float32Array | Float64Array;

/** One batch of N samples: row-major N x C logits, or N predicted class indices, and N labels; optional weights. */
export type Batch = { weights?: SampleWeights | undefined }
  & ({ logits: Float32Array | Uint16Array; logitsDtype?: LogitsDtype | undefined; labels: LabelArray;
    preds?: undefined } | { preds: LabelArray; labels: LabelArray; logits?: undefined; logitsDtype?: undefined });

/** The 16-bit float formats of logits: IEEE binary16 (numpy float16) and bfloat16 (the top half of a float32). */
export type HalfDtype = 'float16' | 'bfloat16';

/** How logits are stored: 'float32' (the default), or 16-bit floats as their raw bits (Uint16Array, packed halves). */
export type LogitsDtype = 'float32' | HalfDtype;

/**
 * A batch whose inputs may live in GPU buffers on the evaluator's device (f32 or packed-half logits, u32 or i32 class
 * indices, checked on the GPU); `rows` defaults to what the buffers hold.
 */
export type GpuBatch = { weights?: SampleWeights | undefined }
  & ({ logits: Float32Array | Uint16Array | GPUBuffer; logitsDtype?: LogitsDtype | undefined;
    labels: LabelArray | GPUBuffer; preds?: undefined; rows?: number } | { preds: LabelArray | GPUBuffer;
    labels: LabelArray | GPUBuffer; logits?: undefined; logitsDtype?: undefined; rows?: number });

/** A batch that passed validation: labels and predictions are known to lie in [0, numClasses). */
export interface FormattedBatch {
  rows: number;
  numClasses: number;
  labels: LabelArray;
  logits?: Float32Array;
  preds?: LabelArray;
  /** Checked sample weights (finite, one per row); absent: 1 per row. */
  weights?: SampleWeights;
}

/** A validated batch for the GPU: class indices in host arrays lie in [0, numClasses), buffers are checked there. */
export interface FormattedGpuBatch {
  rows: number;
  numClasses: number;
  labels: LabelArray | GPUBuffer;
  /** f32 logits, or 16-bit ones (their bits, or a buffer of packed halves) when `logitsDtype` is set. */
  logits?: Float32Array | Uint16Array | GPUBuffer;
  /** Set when `logits` hold 16-bit floats. */
  logitsDtype?: HalfDtype;
  preds?: LabelArray | GPUBuffer;
  /** Checked sample weights, on the host (finite, one per row); absent: 1 per row. */
  weights?: SampleWeights;
}

/** The reduced result: C x C counts, rows = true class, columns = predicted class. */
export interface ConfusionMatrixResult {
  numClasses: number;
  /**
   * Row-major C x C counts; exact integers (below 2^53), or sums of sample weights when `weighted`. `counts[t * C +
   * p]`.
   */
  counts: Float64Array;
  /** Number of samples counted (the sum of their weights when `weighted`). */
  total: number;
  /** Samples on the diagonal (their weight when `weighted`). */
  correct: number;
  /** True when some batch carried sample weights: counts are then sums of weights (unweighted rows weigh 1). */
  weighted?: boolean;
  /** correct / total, 0 when total is 0. */
  accuracy: number;
  /**
   * Ascending cell indices (`t * C + p`) holding every nonzero count, when the counting kept them: the CPU file path
   * sets it where the matrix has far more cells than rows (C = 10,000 from 3,355 rows: 3,355 cells of 10^8), so the
   * metrics and reports visit these cells only. Absent: walk the whole matrix.
   */
  nonzero?: Uint32Array;
  /**
   * With the `topK` option: rows whose label is among the k highest logits, per true class (sklearn's
   * top_k_accuracy_score).
   */
  topK?: { k: number; hits: Float64Array; accuracy: number };
}

/**
 * A framework's tensor as `update()` takes it, matched by shape (confmat imports no framework): a TensorFlow.js
 * `tf.Tensor` (int32 or float32; counted in place from `dataToGPU()` when its webgpu backend shares the matrix's
 * device) or an onnxruntime `Tensor` (`data`, `dims`, `type`; a `gpuBuffer` on the matrix's device counted in place).
 */
export type FrameworkTensor = { shape: number[]; dtype: string; dataSync(): unknown; data(): Promise<unknown> } | {
  dims: readonly number[];
  type: string;
};

type TensorField = 'labels' | 'preds' | 'predsB' | 'targets' | 'logits' | 'logitsB' | 'scores' | 'weights';

/**
 * A task's batch as `update()` takes it: each array input may also be a {@link FrameworkTensor} or a plain array of
 * numbers (flat, or one array per row), converted with every item checked.
 */
export type WithTensors<B> = B extends unknown ?
  {
    [K in keyof B]: K extends TensorField ?
      [B[K]] extends [undefined] ? B[K] : B[K] | FrameworkTensor | number[] | number[][] :
      B[K];
  } :
  never;
