/**
 * The demo's inputs from dropped or chosen files: logits or predicted classes (`.npy`, CSV/TSV/TXT),
 * labels (`.npy`, CSV) and class names (`.txt` one per line, or `.json`). Pure: bytes in, arrays out.
 *
 * @module
 */
import type { LabelArray } from '../src/core/types.js';
import { parseNpy } from '../src/read/npy.js';
import { cpuArgmax } from '../src/tasks/multiclass/update-cpu.js';
import { csvLabels, csvPredictions } from './parse-csv.js';

/** What a predictions file held: float32 logits (N x C), or class indices. */
export type Predictions = { kind: 'logits'; logits: Float32Array; rows: number; numClasses: number; file: string;
  note?: string } | { kind: 'preds'; preds: LabelArray; rows: number; numClasses?: undefined; file: string;
  note?: string };

const isNpy = (name: string): boolean => name.toLowerCase().endsWith('.npy');
const text = (bytes: Uint8Array): string => new TextDecoder('utf-8').decode(bytes);

function integerData(name: string, what: string, arr: ReturnType<typeof parseNpy>): LabelArray {
  if (arr.kind === 'f') {
    throw new Error(`${name}: dtype ${arr.descr}: ${what} must be integers (int8..int64, uint8..uint64 or bool)`);
  }
  return arr.data as LabelArray;
}

/**
 * Logits (`(N, C)` float16/32/64 `.npy` or a CSV of N rows x C numbers) or predicted class indices
 * (a 1-D integer `.npy`, a one-column CSV, or a CSV column named pred, y_pred, prediction...). float64 logits are compared in double precision here (argmax on the
 * host, as the CLI does), then counted as class indices.
 *
 * @example
 * const p = readPredictions('logits.npy', new Uint8Array(await file.arrayBuffer()));
 */
export function readPredictions(name: string, bytes: Uint8Array): Predictions {
  if (!isNpy(name)) {
    const p = csvPredictions(text(bytes), name);
    return p.kind === 'preds' ?
      { kind: 'preds', preds: p.preds, rows: p.preds.length, file: name } :
      { kind: 'logits', logits: p.logits, rows: p.rows, numClasses: p.numClasses, file: name };
  }
  const arr = parseNpy(bytes, name);
  const shape = arr.shape;
  if (shape.length === 2 && arr.kind === 'f') {
    const [rows, c] = shape as [number, number];
    if (arr.data instanceof Float64Array) {
      const preds = cpuArgmax(arr.data, c);
      return { kind: 'preds', preds, rows, file: name,
        note: 'float64 logits: argmax in double precision on the CPU, then counted' };
    }
    return { kind: 'logits', logits: arr.data as Float32Array, rows, numClasses: c, file: name };
  }
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
    return { kind: 'preds', preds: integerData(name, 'predicted classes', arr), rows: shape[0]!, file: name };
  }
  throw new Error(
    `${name}: shape (${shape.join(', ')}): expected logits (N, C) of floats or predicted classes (N,) of integers`,
  );
}

/**
 * Labels: a 1-D (or `(N, 1)`) integer or bool `.npy`, or a CSV of one integer column.
 *
 * @example
 * const labels = readLabels('labels.npy', bytes);
 */
export function readLabels(name: string, bytes: Uint8Array): LabelArray {
  if (!isNpy(name)) return csvLabels(text(bytes), name);
  const arr = parseNpy(bytes, name);
  if (!(arr.shape.length === 1 || (arr.shape.length === 2 && arr.shape[1] === 1))) {
    throw new Error(`${name}: shape (${arr.shape.join(', ')}): labels must be 1-D (N,)`);
  }
  return integerData(name, 'labels', arr);
}

/**
 * Class names as the CLI's `--classes` reads them: a JSON array of strings, a JSON object of
 * index -> name, or one name per line.
 *
 * @example
 * readClassNames('names.txt', 'cat\ndog\n'); // ['cat', 'dog']
 */
export function readClassNames(name: string, source: string): string[] {
  const trimmed = source.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(trimmed)) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      throw new Error(`${name}: not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    const entries: [number, unknown][] = Array.isArray(value) ?
      value.map((v, i) => [i, v]) :
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [Number(k), v]);
    const names: string[] = [];
    for (const [i, v] of entries) {
      if (!Number.isInteger(i) || i < 0) {
        throw new Error(`${name}: key ${JSON.stringify(String(i))} is not a class index`);
      }
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new Error(`${name}: class ${i}: name must be a string, got ${JSON.stringify(v)}`);
      }
      names[i] = String(v);
    }
    const hole = Array.from(names, (n) => n).findIndex((n) => n === undefined);
    if (hole >= 0 || names.length !== entries.length) {
      throw new Error(`${name}: class ${hole >= 0 ? hole : names.length} has no name`);
    }
    return names;
  }
  const lines = trimmed.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const empty = lines.findIndex((l) => l.trim() === '');
  if (empty >= 0) throw new Error(`${name}: line ${empty + 1}: empty class name`);
  return lines.map((l) => l.trim());
}

/**
 * The class count of an evaluation: the logits' width, else the class names' count, else one
 * more than the largest label or prediction.
 *
 * @example
 * classCount({ kind: 'preds', preds, rows: 3, file: 'p.npy' }, labels, undefined); // max + 1
 */
export function classCount(p: Predictions, labels: LabelArray, names: string[] | undefined): number {
  if (p.kind === 'logits') return p.numClasses;
  if (names) return names.length;
  let max = -1;
  for (const a of [p.preds, labels]) for (const v of a) if (Number(v) > max) max = Number(v);
  return max + 1;
}

/**
 * Which input a dropped file most likely is, from its name: class names (`.txt` / `.json` with
 * "class" or "name" in it), predictions ("pred", "logit", "score", "prob", "output", "yhat": `y_pred.npy`),
 * labels ("label", "target", "y_true", "truth", "gt", "ground", a lone "y"), else logits.
 *
 * @example
 * guessRole('val.labels.npy'); // 'labels'
 * guessRole('y_pred.npy'); // 'logits' (logits or predicted classes)
 */
export function guessRole(name: string): 'logits' | 'labels' | 'classes' {
  const n = name.toLowerCase();
  if (/\.(txt|json)$/.test(n) && /class|name/.test(n)) return 'classes';
  if (/pred|logit|score|prob|output|y_?hat/.test(n)) return 'logits';
  if (/label|target|y_true|truth|ground|(^|[^a-z])(y|gt)([^a-z]|$)/.test(n)) return 'labels';
  return 'logits';
}

/**
 * The role of each of several files dropped at once, or why they cannot be told apart: two files
 * that look like the same input (the page would keep one and drop the other).
 *
 * @example
 * routeFiles(['y_pred.npy', 'y_true.npy']); // { roles: ['logits', 'labels'] }
 */
export function routeFiles(names: string[]): { roles: ('logits' | 'labels' | 'classes')[] } | { error: string } {
  const roles = names.map(guessRole);
  const what = { logits: 'predictions', labels: 'labels', classes: 'class names' };
  for (const role of ['logits', 'labels', 'classes'] as const) {
    const same = names.filter((_, i) => roles[i] === role);
    if (same.length > 1) {
      return {
        error: `${same.map((n) => `'${n}'`).join(' and ')} all look like ${what[role]} from their names: ` +
          'drop each file on its own box (predictions, labels, class names)',
      };
    }
  }
  return { roles };
}
