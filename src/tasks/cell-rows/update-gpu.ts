import type { LabelArray } from '../../core/types.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { hasGpuInputs } from '../../engine/gpu-batch.js';
import { cellRowsWgsl } from '../../engine/shaders.generated.js';
import { checkBinding, chunkStep, indexOutOfRange, placeRows, planTaskGpu, type TaskGpuCounter,
  type TaskGpuOptions } from '../../engine/task-gpu.js';
import type { FormattedPerClassBatch } from '../per-class/per-class.js';
import { addCellRowsCounts, cellRow, type CellRowsCounts, emptyCellRowsCounts } from './cell-rows.js';

const HEADER = 8;

/**
 * Creates a counter of the rows of `cells` running shaders/cell-rows.wgsl on `device`. Per chunk the kernel appends
 * each row of a wanted cell (its index, cell and scores) through an atomic cursor; the output holds one slot per row
 * of the chunk (a row lands in at most one cell), so it is bounded by the chunk and never overflows. The host sorts
 * a chunk's entries by row (the appends come in no fixed order), then appends each cell's rows in chunk order up to
 * `limit` and counts the rest: the result is the CPU path's, whatever the order of the atomics.
 */
export function createCellRowsGpuCounter(device: GPUDevice, numClasses: number, cells: readonly [number, number][],
  limit: number, options: TaskGpuOptions = {}): TaskGpuCounter<FormattedPerClassBatch, CellRowsCounts> {
  checkBinding(device.limits, cells.length * 8, 'cells', `${cells.length} cells`);
  const plan = planTaskGpu(device.limits, Math.max(numClasses * 4, 16), options, `${numClasses} classes`, HEADER * 4,
    'numClasses');
  const runner = createChunkRunner(device, 'cell rows', { 'cell-rows': cellRowsWgsl });
  const table = runner.buffer('cells', cells.length * 8);
  device.queue.writeBuffer(table, 0, Uint32Array.from(cells.flat()));

  const updateChunks = async (host: CellRowsCounts, batch: FormattedPerClassBatch): Promise<void> => {
    const { rows, logits, preds, labels } = batch;
    const words = logits ? 4 : 2;
    const partial = emptyCellRowsCounts(cells, limit);
    const scores = new Float32Array(2);
    const bits = new Uint32Array(scores.buffer);
    const constants = { NUM_CLASSES: numClasses, NUM_CELLS: cells.length, WORKGROUP_SIZE: plan.workgroupSize };
    const step = chunkStep(plan.chunkRows, rows, hasGpuInputs(batch));
    await runner.chunks<number>(rows, step, { encode: (encoder, start, n) => {
      const cap = capacityFor(n, plan.chunkRows);
      const place = (x: LabelArray | GPUBuffer | Float32Array, field: string, width = 1) =>
        placeRows(runner, x, field, start, n, width, cap).binding;
      const out = runner.grow(`out ${words}`, (HEADER + words * cap) * 4).buffer;
      const input = logits ? place(logits as Float32Array, 'logits', numClasses) : place(preds!, 'preds');
      const bound = { labels: place(labels, 'labels'), [logits ? 'logits' : 'preds']: input, cells: table, out };
      const kernel = logits ? 'cell_rows_logits' : 'cell_rows_preds';
      runner.dispatch(encoder, kernel, constants, bound, groupsFor(n, plan.workgroupSize, plan.maxWorkgroups));
      return { source: out, bytes: (HEADER + words * n) * 4, clearBytes: HEADER * 4, info: start };
    }, fold: (got, start) => {
      if (got[1] !== 0) throw indexOutOfRange('labels', got[1]!, got[2]!, numClasses, labels);
      if (got[3] !== 0) throw indexOutOfRange('preds', got[3]!, got[4]!, numClasses, preds);
      const entries = got[0]!;
      const order = Array.from({ length: entries }, (_, e) => e);
      order.sort((a, b) => got[HEADER + words * a]! - got[HEADER + words * b]!);
      for (const e of order) {
        const at = HEADER + words * e;
        const cell = partial.cells[got[at + 1]!]!;
        cell.count++;
        if (cell.rows.length >= limit) continue;
        if (!logits) {
          cell.rows.push(cellRow(start + got[at]!));
          continue;
        }
        bits.set(got.subarray(at + 2, at + 4));
        cell.rows.push(cellRow(start + got[at]!, scores[0], scores[1]));
      }
    } });
    partial.rows = rows;
    addCellRowsCounts(host, partial);
  };

  return { ...runnerCounter(runner, 'the cell rows update', () => emptyCellRowsCounts(cells, limit), updateChunks),
    plan };
}
