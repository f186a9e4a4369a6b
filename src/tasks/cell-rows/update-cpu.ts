import type { FormattedBatch } from '../../core/types.js';
import { argmaxRow } from '../multiclass/update-cpu.js';
import type { FormattedPerClassBatch } from '../per-class/per-class.js';
import { cellRow, type CellRowsCounts } from './cell-rows.js';

/** The index of each cell of `counts` by key `true * numClasses + pred`. */
function cellIndex(counts: CellRowsCounts, numClasses: number): Map<number, number> {
  return new Map(counts.cells.map((c, k) => [c.true * numClasses + c.pred, k]));
}

/** The cell-rows CPU update, oracle of the GPU path: each row's argmax or prediction against its label, in order. */
export function cellRowsCpuUpdate(counts: CellRowsCounts, batch: FormattedPerClassBatch): void {
  const { rows, numClasses: c, labels, logits, preds } = batch as FormattedBatch;
  const index = cellIndex(counts, c);
  for (let i = 0; i < rows; i++) {
    const t = Number(labels[i]!);
    const p = logits ? argmaxRow(logits, i * c, c) : Number(preds![i]!);
    const k = index.get(t * c + p);
    if (k === undefined) continue;
    const cell = counts.cells[k]!;
    if (cell.rows.length < counts.limit) {
      const row = counts.rows + i;
      cell.rows.push(logits ? cellRow(row, logits[i * c + t]!, logits[i * c + p]!) : cellRow(row));
    }
    cell.count++;
  }
  counts.rows += rows;
}
