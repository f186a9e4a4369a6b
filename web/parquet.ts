/**
 * Parquet files on the demo page, read in memory with hyparquet (loaded only when a `.parquet` file arrives): the
 * labels from a column named as `csvLabels` looks for, the predictions from a column named pred/y_pred/... or the
 * logits from a list column (logits, scores, probs...). One file may hold both, as a Hugging Face eval split does.
 *
 * @module
 */
import type { LabelArray } from '../src/core/types.js';
import type { Predictions } from './inputs.js';
import { LABEL_COLUMNS, PRED_COLUMNS } from './parse-csv.js';

/** List columns read as logits, by name (any list column of numbers when none of these is there). */
const LOGIT_COLUMNS = ['logits', 'scores', 'probs', 'probabilities', 'outputs', 'y_score'];

/** What a Parquet file gave: the predictions and the labels it holds (at least one of them). */
export interface ParquetInputs {
  preds?: Predictions;
  labels?: LabelArray;
}

const lower = (names: string[], wanted: string[]): string | undefined =>
  names.find((n) => wanted.includes(n.toLowerCase()));

/** Column `name` of `rows` as int32 class indices, or an error naming the file, the row and the value. */
function classColumn(file: string, rows: Record<string, unknown>[], name: string): Int32Array {
  return Int32Array.from(rows, (r, i) => {
    const v = r[name];
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
      throw new Error(`${file}: column '${name}', row ${i}: ${String(v)} is not an integer class index`);
    }
    return n;
  });
}

/** A list column of numbers as N x C float32 logits (every row C long). */
function logitColumn(file: string, rows: Record<string, unknown>[], name: string): Predictions {
  const c = (rows[0]?.[name] as unknown[] | undefined)?.length ?? 0;
  const logits = new Float32Array(rows.length * c);
  rows.forEach((r, i) => {
    const v = r[name];
    if (!Array.isArray(v) || v.length !== c) {
      throw new Error(
        `${file}: column '${name}', row ${i}: ${
          Array.isArray(v) ? `${v.length} values, row 0 has ${c}` : `${String(v)} is not a list of numbers`
        }`,
      );
    }
    v.forEach((x, j) => {
      if (typeof x !== 'number') throw new Error(`${file}: column '${name}', row ${i}, item ${j}: ${String(x)}`);
      logits[i * c + j] = x;
    });
  });
  if (c < 1) throw new Error(`${file}: column '${name}' holds empty lists`);
  return { kind: 'logits', logits, rows: rows.length, numClasses: c, file };
}

/**
 * The labels and predictions a Parquet file holds, by column name; an error listing the columns when it holds neither.
 *
 * @example
 * const { preds, labels } = await readParquet('eval.parquet', await file.arrayBuffer());
 */
export async function readParquet(file: string, buffer: ArrayBuffer): Promise<ParquetInputs> {
  const [{ parquetMetadata, parquetReadObjects, parquetSchema }, { compressors }] = await Promise.all([
    import('hyparquet'),
    import('hyparquet-compressors'),
  ]);
  let columns: { name: string; list: boolean }[];
  try {
    columns = parquetSchema(parquetMetadata(buffer)).children.map((c) => ({ name: c.element.name,
      list: c.children.length > 0 || c.element.repetition_type === 'REPEATED' })
    );
  } catch (e) {
    throw new Error(`${file}: not a readable Parquet file (${(e as Error).message})`, { cause: e });
  }
  const names = columns.map((c) => c.name);
  const lists = columns.filter((c) => c.list).map((c) => c.name);
  const label = lower(names, LABEL_COLUMNS);
  const pred = lower(names, PRED_COLUMNS);
  const logit = lower(lists, LOGIT_COLUMNS) ?? (pred === undefined ? lists[0] : undefined);
  const wanted = [label, pred ?? logit].filter((n): n is string => n !== undefined);
  if (wanted.length === 0) {
    throw new Error(
      `${file}: no column of labels (${LABEL_COLUMNS.join('/')}), predictions ` +
        `(${PRED_COLUMNS.join('/')}) or logits (a list column); it has ${names.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  const rows = await parquetReadObjects({ file: buffer, columns: wanted, compressors }) as Record<string, unknown>[];
  const out: ParquetInputs = {};
  if (label !== undefined) out.labels = classColumn(file, rows, label);
  if (pred !== undefined) out.preds = { kind: 'preds', preds: classColumn(file, rows, pred), rows: rows.length, file };
  else if (logit !== undefined) out.preds = logitColumn(file, rows, logit);
  return out;
}
