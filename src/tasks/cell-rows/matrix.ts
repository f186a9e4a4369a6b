import { InputError } from '../../core/errors.js';
import type { WithTensors } from '../../core/types.js';
import { type AccumulatorOptions, type TaskMatrix, taskMatrix } from '../../engine/accumulator.js';
import { hasGpuInputs } from '../../engine/gpu-batch.js';
import type { TaskGpuOptions } from '../../engine/task-gpu.js';
import { classFields } from '../../engine/tensor-inputs.js';
import { requireOptions } from '../../format/validate.js';
import { formatPerClassBatch, type PerClassBatch, validatePerClassClasses } from '../per-class/per-class.js';
import { addCellRowsCounts, type CellRowsResult, cellRowsResult, type CellSpec, emptyCellRowsCounts, resolveCells,
  validateLimit } from './cell-rows.js';
import { cellRowsCpuUpdate } from './update-cpu.js';
import { createCellRowsGpuCounter } from './update-gpu.js';

/** Options of {@link createCellRows}. */
export interface CellRowsOptions extends TaskGpuOptions, AccumulatorOptions {
  /** C, up to 2^24. */
  numClasses: number;
  /** The cells whose rows to gather: `{ true: 3, pred: 5 }`, or `{ true: 3 }` for every off-diagonal cell of 3. */
  cells: readonly CellSpec[];
  /** Rows listed per cell: the first `limit` by index (counts stay exact). Default 1000; Infinity: all. */
  limit?: number | undefined;
}

/**
 * The rows of chosen cells, gathered batch by batch: `update` takes N x C float32 logits (or N predicted classes) and
 * N labels, as per-class mode does; `compute` lists each cell's rows by their index over every batch so far.
 */
export type CellRows = Omit<TaskMatrix<WithTensors<PerClassBatch>, CellRowsResult, never, never>, 'state' | 'load'> & {
  readonly numClasses: number;
};

/**
 * Creates a gatherer of the rows that fall in chosen cells of the confusion matrix (true class, predicted class), on
 * the GPU when given a device, else on the CPU; both give the same result: per cell the exact count and the first
 * `limit` rows by index, ascending, with the logits of the true and the predicted class and their margin. Rows are
 * numbered over every batch (rows counted before + index in the batch). Argmax rules of the dense path.
 *
 * @example
 * const cr = createCellRows({ numClasses: 10, cells: [{ true: 3, pred: 5 }, { true: 7 }], device });
 * await cr.update({ logits, labels });   // Float32Array N x C, any integer array
 * const { cells } = await cr.compute();
 * cells[0]; // { true: 3, pred: 5, count: 12, rows: [{ row: 41, scoreTrue: 0.2, scorePred: 1.9, margin: 1.7 }...] }
 * cr.destroy();
 */
export function createCellRows(options: CellRowsOptions): CellRows {
  const { numClasses, cells: specs } = requireOptions(options, 'createCellRows(options)', 'numClasses');
  validatePerClassClasses(numClasses);
  const [cells, limit] = [resolveCells(specs, numClasses), validateLimit(options.limit)];
  const empty = () => emptyCellRowsCounts(cells, limit);
  const refuse = (): never => {
    throw new InputError('state', 'cell rows have no state: count the batches again');
  };
  const task = { name: 'cell rows', empty, add: addCellRowsCounts, count: cellRowsCpuUpdate,
    gpu: (device: GPUDevice) => createCellRowsGpuCounter(device, numClasses, cells, limit, options),
    resident: hasGpuInputs, inputs: classFields(numClasses, true),
    format: (b: PerClassBatch) => formatPerClassBatch(b, numClasses),
    result: (counts: ReturnType<typeof empty>) => cellRowsResult(counts, numClasses), state: refuse, load: refuse };
  return taskMatrix(task, options, { numClasses });
}

/**
 * One-shot: the rows of `options.cells` in one batch, on `options.device` when given, else on the CPU.
 *
 * @example
 * const r = await cellRows({ preds: new Uint8Array([1, 1, 0]), labels: new Uint8Array([0, 1, 0]) }, {
 *   numClasses: 2, cells: [{ true: 0, pred: 1 }] });
 * r.cells[0].rows; // [{ row: 0 }]
 */
export async function cellRows(batch: WithTensors<PerClassBatch>, options: CellRowsOptions): Promise<CellRowsResult> {
  const cr = createCellRows(requireOptions(options, 'cellRows(batch, options)', 'numClasses'));
  try {
    await cr.update(batch);
    return await cr.compute();
  } finally {
    cr.destroy();
  }
}
