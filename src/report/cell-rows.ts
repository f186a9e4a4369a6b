/**
 * The rows of chosen cells (src/tasks/cell-rows) as JSON, CSV or a short text list: `confmat eval --rows-of` and the
 * demo page's downloads. No Node built-ins.
 *
 * @module
 */
import type { CellRowsResult } from '../tasks/cell-rows/cell-rows.js';
import { csvField, visibleText } from './escape.js';

/** Rows the text format lists per cell. */
const TEXT_ROWS = 20;

/** One listed row of the report, as JSON and CSV write it. */
interface ReportRow {
  row: number;
  id?: string;
  true: number;
  pred: number;
  true_name?: string;
  pred_name?: string;
  score_true?: number | null;
  score_pred?: number | null;
}

/** The rows of every cell, in cell order then row order. */
function reportRows(r: CellRowsResult, ids?: string[], classes?: string[]): ReportRow[] {
  return r.cells.flatMap((cell) =>
    cell.rows.map((x): ReportRow => ({ row: x.row, ...(ids && { id: ids[x.row]! }), true: cell.true, pred: cell.pred,
      ...(classes && { true_name: classes[cell.true]!, pred_name: classes[cell.pred]! }),
      ...(x.scoreTrue !== undefined && { score_true: x.scoreTrue, score_pred: x.scorePred! }) })
    )
  );
}

/** The rows of `r` in `format`: JSON (an array of rows), CSV (a row a line) or a short text list. */
export function renderRowsOf(format: string, r: CellRowsResult, ids?: string[], classes?: string[]): string {
  const rows = reportRows(r, ids, classes);
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  if (format === 'csv') {
    const cols = ['row', ...(ids ? ['id'] : []), 'true', 'pred', ...(classes ? ['true_name', 'pred_name'] : []),
      'score_true', 'score_pred'] as const;
    const field = (v: unknown): string => (v === undefined || v === null ? '' : csvField(v as string | number));
    const lines = rows.map((x) => cols.map((k) => field(x[k as keyof ReportRow])).join(','));
    return `${[cols.join(','), ...lines].join('\n')}\n`;
  }
  const name = (k: number): string => (classes ? `${k} (${visibleText(classes[k]!)})` : String(k));
  const out: string[] = [];
  for (const cell of r.cells) {
    const shown = cell.rows.slice(0, TEXT_ROWS);
    const more = cell.count > shown.length ? `, the first ${shown.length} listed` : '';
    out.push(`true ${name(cell.true)}, predicted ${name(cell.pred)}: ${cell.count} rows${more}`);
    for (const x of shown) {
      const id = ids ? `  ${visibleText(ids[x.row]!)}` : '';
      const scores = x.scoreTrue === undefined ?
        '' :
        `  score_true ${x.scoreTrue.toPrecision(6)}  score_pred ${x.scorePred!.toPrecision(6)}`;
      out.push(`  row ${x.row}${id}${scores}`);
    }
  }
  return `${out.join('\n')}\n`;
}
