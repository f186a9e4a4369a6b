/**
 * Two models compared on the same rows: the joint table of (true class, A's prediction, B's prediction), or where
 * C^3 cells are too many both confusion matrices and the per-class 2 x 2 right/wrong table. No Node built-ins.
 *
 * @module
 */
import { InputError } from '../../core/errors.js';
import type { ConfusionMatrixResult, HalfDtype, LabelArray, LogitsDtype } from '../../core/types.js';
import { isGpuBuffer } from '../../engine/gpu-batch.js';
import { checkClassIndices, isLabelArray, logitsFormat, MAX_HOST_MATRIX_BYTES,
  validateNumClasses } from '../../format/validate.js';
import { mcnemar, type McNemarResult } from '../../stats/mcnemar.js';
import { reduceCounts } from '../multiclass/reduce.js';
import { markIgnored } from '../multiclass/select.js';

/** Up to C^3 <= 2^24 cells (C <= 256) `joint: 'auto'` counts the joint table (read back once a batch: 64 MiB). */
const MAX_JOINT_CELLS = 2 ** 24;

/**
 * One batch of a comparison: N labels and, for each model, row-major N x C logits (float32, or float16/bfloat16 bits
 * in a Uint16Array with `logitsDtype` / `logitsDtypeB`) or N predicted classes. Host arrays only.
 */
export interface ComparisonBatch {
  labels: LabelArray;
  /** Model A's scores; the prediction is each row's argmax (ties: the first maximum; a NaN: its first NaN). */
  logits?: Float32Array | Uint16Array | undefined;
  logitsDtype?: LogitsDtype | undefined;
  /** Model A's predicted classes, instead of `logits`. */
  preds?: LabelArray | undefined;
  /** Model B's scores, as `logits`. */
  logitsB?: Float32Array | Uint16Array | undefined;
  logitsDtypeB?: LogitsDtype | undefined;
  /** Model B's predicted classes, instead of `logitsB`. */
  predsB?: LabelArray | undefined;
}

/** One model's validated input: logits (16-bit ones with `half`) or predicted classes in [0, C). */
export interface ModelInput {
  logits?: Float32Array | Uint16Array;
  half?: HalfDtype;
  preds?: LabelArray;
}

/** A validated batch: labels in [0, C), or C where the row is ignored (`ignoreIndex`); both models' inputs. */
export interface FormattedComparisonBatch {
  rows: number;
  numClasses: number;
  labels: LabelArray;
  a: ModelInput;
  b: ModelInput;
}

/** Everything a comparison derives from its counts. */
export interface ComparisonResult {
  numClasses: number;
  /** True when the joint table was counted (`counts`); false: both matrices and the right/wrong table only. */
  joint: boolean;
  /**
   * The joint table, C^3 cells: `counts[(t * C + a) * C + b]` rows of true class t that A predicted a and B
   * predicted b. A paired bootstrap resamples it (multinomially) and calls {@link comparisonFromJoint}.
   */
  counts?: Float64Array;
  /** Model A's confusion matrix. */
  a: ConfusionMatrixResult;
  /** Model B's confusion matrix. */
  b: ConfusionMatrixResult;
  /**
   * Per true class t, 4 cells at 4 t + k, k = 2 (A wrong) + (B wrong): both right, A right and B wrong, A wrong and
   * B right, both wrong.
   */
  rightWrong: Float64Array;
  /** McNemar's test on the discordant rows (b: A right and B wrong, c: A wrong and B right). */
  mcnemar: McNemarResult;
  /** Rows counted. */
  total: number;
}

/** True when C^3 cells of `numClasses` fit {@link MAX_JOINT_CELLS} and, with `maxBytes`, that many bytes of u32. */
export function jointFits(numClasses: number, maxBytes = Infinity): boolean {
  const cells = numClasses ** 3;
  return cells <= MAX_JOINT_CELLS && cells * 4 <= maxBytes;
}

/** Cells of a comparison's counts: C^3 (joint), else 2 C^2 + 4 C. */
export function comparisonCells(numClasses: number, joint: boolean): number {
  return joint ? numClasses ** 3 : 2 * numClasses * numClasses + 4 * numClasses;
}

/** Checks C for a comparison: an integer >= 1 whose counts (float64 on the host) take at most 4 GiB per matrix. */
export function validateComparisonClasses(numClasses: unknown, joint: boolean): asserts numClasses is number {
  validateNumClasses(numClasses);
  if (joint && numClasses ** 3 * 8 > MAX_HOST_MATRIX_BYTES) {
    throw new InputError('numClasses',
      `numClasses ${numClasses} is too large for the joint table: C^3 float64 counts need ${
        numClasses ** 3 * 8
      } bytes, the limit is ${MAX_HOST_MATRIX_BYTES} (pass joint: false)`, undefined, numClasses);
  }
}

/** Model `side`'s input of a batch: exactly one of logits or preds, sized and checked against `rows` and C. */
function formatModel(batch: ComparisonBatch, side: 'A' | 'B', rows: number, c: number): ModelInput {
  const [lk, pk, dk] = side === 'A' ?
    (['logits', 'preds', 'logitsDtype'] as const) :
    (['logitsB', 'predsB', 'logitsDtypeB'] as const);
  const [logits, preds] = [batch[lk], batch[pk]];
  if ((logits === undefined) === (preds === undefined)) {
    throw new InputError(lk, `model ${side} needs exactly one of ${lk} or ${pk}`);
  }
  if (isGpuBuffer(logits) || isGpuBuffer(preds)) {
    throw new InputError(logits ? lk : pk, 'a comparison takes host arrays, not GPU buffers');
  }
  const rename = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof InputError) || side === 'A') throw e;
      const field = e.field === 'logits' ? lk : e.field === 'preds' ? pk : e.field === 'logitsDtype' ? dk : e.field;
      throw new InputError(field, e.message.replace(/^logits/, lk), e.index, e.value);
    }
  };
  if (preds !== undefined) {
    const checked = rename(() => checkClassIndices('preds', preds, c));
    if (checked.length !== rows) {
      throw new InputError(pk, `${pk} hold ${checked.length} values, labels ${rows}: they must have the same length`,
        undefined, checked.length);
    }
    return { preds: checked };
  }
  const half = rename(() => logitsFormat(logits, batch[dk]));
  if (logits!.length !== rows * c) {
    throw new InputError(lk,
      `${lk} hold ${logits!.length} values, expected N x C = ${rows} x ${c} = ${rows * c} (N from labels)`, undefined,
      logits!.length);
  }
  return { logits: logits!, ...(half ? { half } : {}) };
}

/**
 * Validates a comparison batch: labels in [0, C) (rows labelled `ignoreIndex` marked C, to be skipped), and for each
 * model exactly one of logits (N x C) or predicted classes (N) in [0, C).
 */
export function formatComparisonBatch(batch: ComparisonBatch, numClasses: number,
  ignoreIndex?: number): FormattedComparisonBatch {
  if (batch === null || typeof batch !== 'object') {
    throw new InputError('batch', 'a comparison batch must be an object { labels, logits | preds, logitsB | predsB }');
  }
  const labels = ignoreIndex === undefined || !isLabelArray(batch.labels) ?
    checkClassIndices('labels', batch.labels, numClasses) :
    markIgnored(batch.labels, ignoreIndex, numClasses);
  const rows = labels.length;
  return { rows, numClasses, labels, a: formatModel(batch, 'A', rows, numClasses),
    b: formatModel(batch, 'B', rows, numClasses) };
}

/** A result from the joint table or from both matrices and the right/wrong table (`cells` as the counters lay out). */
export function comparisonResult(cells: Float64Array, numClasses: number, joint: boolean): ComparisonResult {
  const c = numClasses;
  const cc = c * c;
  let [a, b, rightWrong] = [new Float64Array(cc), new Float64Array(cc), new Float64Array(4 * c)];
  if (joint) {
    for (let t = 0; t < c; t++) {
      for (let p = 0; p < c; p++) {
        for (let q = 0; q < c; q++) {
          const n = cells[(t * c + p) * c + q]!;
          if (n === 0) continue;
          a[t * c + p]! += n;
          b[t * c + q]! += n;
          rightWrong[4 * t + (p === t ? 0 : 2) + (q === t ? 0 : 1)]! += n;
        }
      }
    }
  } else {
    [a, b, rightWrong] = [cells.slice(0, cc), cells.slice(cc, 2 * cc), cells.slice(2 * cc)];
  }
  let [discordantB, discordantC] = [0, 0];
  for (let t = 0; t < c; t++) {
    discordantB += rightWrong[4 * t + 1]!;
    discordantC += rightWrong[4 * t + 2]!;
  }
  const [ra, rb] = [reduceCounts(a, c), reduceCounts(b, c)];
  return { numClasses: c, joint, ...(joint ? { counts: cells.slice() } : {}), a: ra, b: rb, rightWrong,
    mcnemar: mcnemar(discordantB, discordantC), total: ra.total };
}

/**
 * The comparison of a joint table (C^3 cells, `(t * C + a) * C + b`): both matrices, the right/wrong table and
 * McNemar's test. The seam of a paired bootstrap: resample `result.counts`, then call this.
 *
 * @example
 * const r = await cmp.compute();
 * comparisonFromJoint(r.counts!, r.numClasses).mcnemar.exactPValue === r.mcnemar.exactPValue; // true
 */
export function comparisonFromJoint(joint: Float64Array, numClasses: number): ComparisonResult {
  if (joint.length !== numClasses ** 3) {
    throw new InputError('counts',
      `a joint table of ${numClasses} classes has ${numClasses ** 3} cells, got ${joint.length}`, undefined,
      joint.length);
  }
  return comparisonResult(joint, numClasses, true);
}
