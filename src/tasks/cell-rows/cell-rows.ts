/**
 * Cell rows: from a cell (true class, predicted class) to its samples. The rows of each requested cell, by their
 * global index over every batch so far (rows counted before + index in the batch), ascending, the first `limit`
 * kept with their scores, the count exact. No Node built-ins.
 *
 * @module
 */
import { InputError } from '../../core/errors.js';

/** A cell to gather: `true` and `pred` class indices; `pred` absent or `'*'`: every off-diagonal cell of `true`. */
export interface CellSpec {
  true: number;
  pred?: number | '*' | undefined;
}

/** One gathered row: its global index and, for logits, the scores of its true and predicted class. */
export interface CellRow {
  row: number;
  /** The logit of the true class (absent for predicted classes). */
  scoreTrue?: number;
  /** The logit of the predicted class, the row's largest (absent for predicted classes). */
  scorePred?: number;
  /** scorePred - scoreTrue (absent for predicted classes). */
  margin?: number;
}

/** One cell's rows: `count` rows fell in it, the first `rows.length` of them (at most the limit) listed. */
export interface CellRowsCell {
  true: number;
  pred: number;
  count: number;
  rows: CellRow[];
  /** True when `count` exceeds the rows listed. */
  truncated: boolean;
}

/** What {@link createCellRows} returns: the rows counted and each requested cell, sorted by true then pred. */
export interface CellRowsResult {
  numClasses: number;
  /** Rows seen over every batch. */
  rows: number;
  limit: number;
  cells: CellRowsCell[];
}

/** Running totals: rows seen and each resolved cell's count and first rows. */
export interface CellRowsCounts {
  rows: number;
  limit: number;
  cells: { true: number; pred: number; count: number; rows: CellRow[] }[];
}

/**
 * The cells of `specs` for `numClasses` classes, sorted by (true, pred), each once; `'*'` expands to every
 * off-diagonal cell of its true class. A class out of range is an InputError on `cells` naming the spec's index.
 *
 * @example
 * resolveCells([{ true: 1 }, { true: 0, pred: 2 }], 3); // [[0, 2], [1, 0], [1, 2]]
 */
export function resolveCells(specs: readonly CellSpec[], numClasses: number): [number, number][] {
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new InputError('cells', 'cells must be a non-empty array of { true, pred } (pred absent or "*": all)');
  }
  const keys = new Set<number>();
  const check = (v: unknown, i: number, what: string): number => {
    if (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < numClasses) return v as number;
    throw new InputError('cells', `cells[${i}]: ${what} class ${String(v)} is outside [0, ${numClasses})`, i, v);
  };
  specs.forEach((s, i) => {
    const t = check(s?.true, i, 'true');
    if (s.pred !== undefined && s.pred !== '*') keys.add(t * numClasses + check(s.pred, i, 'predicted'));
    else for (let p = 0; p < numClasses; p++) if (p !== t) keys.add(t * numClasses + p);
  });
  return [...keys].sort((a, b) => a - b).map((k) => [Math.floor(k / numClasses), k % numClasses]);
}

/** Checks `limit`: an integer >= 0 or Infinity (every row); default 1000. */
export function validateLimit(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (limit === Infinity || (Number.isSafeInteger(limit) && limit >= 0)) return limit;
  throw new InputError('limit', `limit must be an integer >= 0 or Infinity, got ${String(limit)}`, undefined, limit);
}

/** Zeroed counts for resolved `cells`. */
export function emptyCellRowsCounts(cells: readonly [number, number][], limit: number): CellRowsCounts {
  return { rows: 0, limit, cells: cells.map(([t, p]) => ({ true: t, pred: p, count: 0, rows: [] })) };
}

/** Adds `from`, counted after `into` (its rows come after into's), into `into`: counts add, rows append to the cap. */
export function addCellRowsCounts(into: CellRowsCounts, from: CellRowsCounts): void {
  into.cells.forEach((cell, k) => {
    const theirs = from.cells[k]!;
    cell.count += theirs.count;
    for (const r of theirs.rows) {
      if (cell.rows.length >= into.limit) break;
      cell.rows.push({ ...r, row: r.row + into.rows });
    }
  });
  into.rows += from.rows;
}

/** A row's entry: its index with, when the scores are known, both scores and their margin. */
export function cellRow(row: number, scoreTrue?: number, scorePred?: number): CellRow {
  if (scoreTrue === undefined || scorePred === undefined) return { row };
  return { row, scoreTrue, scorePred, margin: scorePred - scoreTrue };
}

/** The result of some counts: a copy, each cell flagged when rows were left out. */
export function cellRowsResult(counts: CellRowsCounts, numClasses: number): CellRowsResult {
  const cells = counts.cells.map((c) => ({ true: c.true, pred: c.pred, count: c.count,
    rows: c.rows.map((r) => ({ ...r })), truncated: c.count > c.rows.length })
  );
  return { numClasses, rows: counts.rows, limit: counts.limit, cells };
}
