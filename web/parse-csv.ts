/**
 * In-memory CSV / TSV / whitespace-separated numbers for the demo page, following the rules of the
 * Node reader `src/read/csv.ts` (which streams from files): delimiter from the first line (tab,
 * then `;`, then `,`, then whitespace), a header when a field of line 1 is not a number (or when it
 * reads `0,1,...,C-1` above non-integers, as pandas writes), double-quoted fields, a UTF-8 BOM,
 * `\r\n`, blank lines only at the end. Errors read `file:line:column: detail`.
 *
 * @module
 */
import { type CsvDelimiter, detectDelimiter, parseCsvNumber } from '../src/read/csv-syntax.js';

/** A parsed table: `values` row-major `rows x columns`. */
export interface CsvTable {
  header: string[] | undefined;
  rows: number;
  columns: number;
  values: Float64Array;
  /** `file:line:column` of the value at a data row and column (0-based), for error messages. */
  where(row: number, column: number): string;
}

/** Column names that `csvLabels` picks from a table with several columns. */
export const LABEL_COLUMNS = ['label', 'labels', 'y', 'y_true', 'target', 'true', 'class'];

/** Column names that `csvPredictions` reads as predicted classes. */
export const PRED_COLUMNS = ['pred', 'preds', 'y_pred', 'prediction', 'predictions', 'predicted', 'yhat', 'y_hat'];

type Delimiter = CsvDelimiter;

function fail(file: string, line: number, column: number, detail: string): never {
  throw new Error(`${file}:${line}:${column}: ${detail}`);
}

/** Splits one line into [field, 0-based start] pairs; throws [at, detail] for a bad quote. */
function splitLine(text: string, delim: Delimiter): [string, number][] {
  const out: [string, number][] = [];
  const n = text.length;
  let i = 0;
  const isSep = (
    c: string | undefined,
  ): boolean => (delim === 'whitespace' ? c === ' ' || c === '\t' : delim !== 'none' && c === delim);
  for (;;) {
    if (delim === 'whitespace') {
      while (i < n && isSep(text[i])) i++;
      if (i >= n) return out;
    }
    let j = i;
    while (j < n && text[j] === ' ') j++;
    if (text[j] === '"') {
      let v = '';
      let k = j + 1;
      for (;;) {
        const q = text.indexOf('"', k);
        if (q < 0) throw [j, 'unterminated quoted field (a quoted field cannot span lines)'];
        v += text.slice(k, q);
        if (text[q + 1] === '"') {
          v += '"';
          k = q + 2;
        } else {
          k = q + 1;
          break;
        }
      }
      while (delim !== 'whitespace' && k < n && text[k] === ' ') k++;
      if (k < n && !isSep(text[k])) throw [k, 'unexpected text after a closing quote'];
      out.push([v, j]);
      if (k >= n) return out;
      i = k + 1;
    } else {
      let k = i;
      while (k < n && !isSep(text[k])) k++;
      out.push([text.slice(i, k), i]);
      if (k >= n) return out;
      i = k + 1;
    }
  }
}

/** A number as numpy, pandas or Python write it (the Node reader's rule). */
export const parseNumber = parseCsvNumber;

const clip = (s: string, n = 40): string => (s.length <= n ? s : `${s.slice(0, n)}...`);

/**
 * Parses a whole CSV text into numbers.
 *
 * @param file the name used in error messages
 * @example
 * parseCsvTable('a,b\n1,2\n3,4\n', 'x.csv'); // { header: ['a', 'b'], rows: 2, columns: 2, values: [1, 2, 3, 4] }
 */
export function parseCsvTable(text: string, file: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end === 0) throw new Error(`${file}: empty file: no header and no data rows`);
  const first = lines[0]!.replace(/\r$/, '');
  const delim = detectDelimiter(first);
  let header: string[] | undefined;
  let columns = 0;
  const values: number[] = [];
  let pending: string[] | undefined;
  for (let l = 0; l < end; l++) {
    const text = lines[l]!.replace(/\r$/, '');
    const line = l + 1;
    if (text.trim() === '') {
      fail(file, line, 1, `blank line before line ${line + 1}; blank lines are only allowed at the end of the file`);
    }
    let fields: [string, number][];
    try {
      fields = splitLine(text, delim);
    } catch (e) {
      if (!Array.isArray(e)) throw e;
      fail(file, line, (e[0] as number) + 1, e[1] as string);
    }
    if (l === 0) {
      columns = fields.length;
      const names = fields.map(([f]) => f.trim());
      if (fields.some(([f]) => parseNumber(f) === undefined)) {
        header = names;
        continue;
      }
      if (columns >= 2 && names.every((f, j) => f === String(j))) {
        pending = names;
        continue;
      }
    } else if (fields.length !== columns) {
      fail(file, line, 1,
        `expected ${columns} fields (line 1 has ${columns}), found ${fields.length}: ${
          JSON.stringify(clip(text, 80))
        }`);
    }
    const row: number[] = [];
    for (const [f, at] of fields) {
      const v = parseNumber(f);
      if (v === undefined) {
        fail(file, line, at + 1,
          f.trim() === '' ? 'empty field (missing value?)' : `non-numeric field ${JSON.stringify(clip(f.trim()))}`);
      }
      row.push(v);
    }
    if (pending) {
      if (row.some((v) => !Number.isInteger(v))) header = pending;
      else values.push(...pending.map(Number));
      pending = undefined;
    }
    values.push(...row);
  }
  if (pending) values.push(...pending.map(Number));
  const skip = header ? 1 : 0;
  const where = (row: number, column: number): string => {
    const at = splitLine(lines[row + skip]!.replace(/\r$/, ''), delim)[column]?.[1] ?? 0;
    return `${file}:${row + skip + 1}:${at + 1}`;
  };
  return { header, rows: values.length / columns, columns, values: Float64Array.from(values), where };
}

/**
 * Logits from a CSV: one row per sample, float32 (`Math.fround` of each parsed number, as the CLI does).
 *
 * @example
 * const { logits, rows, numClasses } = csvLogits(await file.text(), file.name);
 */
export function csvLogits(text: string, file: string): { logits: Float32Array; rows: number; numClasses: number } {
  const t = parseCsvTable(text, file);
  return { logits: Float32Array.from(t.values), rows: t.rows, numClasses: t.columns };
}

/**
 * What a predictions CSV holds: predicted classes when it has one column (one logit per row would predict class 0
 * always) or a column named as in {@link PRED_COLUMNS}, else N x C logits.
 *
 * @example
 * csvPredictions('pred\n3\n1\n', 'preds.csv'); // { kind: 'preds', preds: Int32Array [3, 1] }
 */
export function csvPredictions(text: string, file: string): { kind: 'preds'; preds: Int32Array } | { kind: 'logits';
  logits: Float32Array; rows: number; numClasses: number } {
  const t = parseCsvTable(text, file);
  const named = t.header?.findIndex((h) => PRED_COLUMNS.includes(h.toLowerCase())) ?? -1;
  if (t.columns === 1 || named >= 0) {
    return { kind: 'preds', preds: integerColumn(t, Math.max(0, named), 'prediction') };
  }
  return { kind: 'logits', logits: Float32Array.from(t.values), rows: t.rows, numClasses: t.columns };
}

/** Column `col` of a table as int32, each value an integer (`3` or `3.0`), else an error at its line and column. */
function integerColumn(t: CsvTable, col: number, what: string): Int32Array {
  const out = new Int32Array(t.rows);
  for (let r = 0; r < t.rows; r++) {
    const v = t.values[r * t.columns + col]!;
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new Error(
        `${t.where(r, col)}: ${what} ${String(v)} is ${
          Number.isInteger(v) ? 'outside the int32 range' : 'not an integer'
        }`,
      );
    }
    out[r] = v;
  }
  return out;
}

/**
 * Labels from a CSV: one column of integers (`3` or `3.0`), or the column named as in
 * {@link LABEL_COLUMNS} when there are several.
 *
 * @example
 * csvLabels('label\n3\n2\n', 'labels.csv'); // Int32Array [3, 2]
 */
export function csvLabels(text: string, file: string): Int32Array {
  const t = parseCsvTable(text, file);
  let col = 0;
  if (t.columns > 1) {
    col = t.header ? t.header.findIndex((h) => LABEL_COLUMNS.includes(h.toLowerCase())) : -1;
    if (col < 0) {
      const what = t.header ?
        `columns ${t.header.map((h) => `'${h}'`).join(', ')}` :
        `${t.columns} columns and no header row`;
      throw new Error(`${file}: labels need one column or one named ${LABEL_COLUMNS.join('/')}; the file has ${what}`);
    }
  }
  return integerColumn(t, col, 'label');
}
