/**
 * String labels (`cat`, `dog`) for the CLI: the class names, as sklearn infers them (the sorted unique values of the
 * labels and predictions together) or as `--classes` lists them, and the string sources mapped to class indices.
 *
 * @module
 */
import { byCodePoint } from '../core/code-point.js';
import { InputError } from '../core/errors.js';
import { readClassList, readClassNames } from '../read/class-names.js';
import { type ArraySource, type ChunkData, sliceRows } from '../read/open-array.js';
import { flag } from './flags.js';
import { shardRows } from './shard.js';
import { type CliValues, UsageError } from './usage.js';

const kindName = (s: ArraySource): string => (s.kind === 's' ? 'strings' : `numbers (dtype ${s.dtype})`);

/** Refuses string and numeric label inputs together, as sklearn does ("Mix of label input types"). */
function checkNotMixed(inputs: ArraySource[]): void {
  const text = inputs.find((s) => s.kind === 's');
  const num = inputs.find((s) => s.kind !== 's');
  if (!text || !num) return;
  throw new InputError(num === inputs[0] ? 'labels' : 'preds',
    `Mix of label input types (string and number): ${text.file} holds strings but ${num.file} holds ` +
      `${kindName(num)}; give both as strings (or both as class indices)`);
}

/** The sorted unique strings of rows [start, end) of string sources. */
async function uniqueStrings(sources: ArraySource[], start: number, end: number): Promise<string[]> {
  const seen = new Set<string>();
  for (const s of sources) {
    for await (const { data } of sliceRows(s, start, end).chunks(1 << 16)) {
      for (const x of data as string[]) seen.add(x);
    }
  }
  return [...seen].sort(byCodePoint);
}

/** Class indices of string chunks by `index`; an unknown string refused naming file, row and value. */
function indicesOf(src: ArraySource, index: Map<string, number>, [field, unknown]: [string, string], start: number,
  data: ChunkData): Int32Array {
  const names = data as string[];
  const out = new Int32Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const k = index.get(names[i]!);
    if (k === undefined) {
      throw new InputError(field, `${src.file}: row ${start + i}: ${unknown.replace('%s', JSON.stringify(names[i]))}`,
        start + i, names[i]);
    }
    out[i] = k;
  }
  return out;
}

/** A string source read as int32 class indices by `index` (name -> class); `unknown`: the field and why not. */
function indexSource(src: ArraySource, index: Map<string, number>, unknown: [string, string]): ArraySource {
  const mapped = (chunks: AsyncIterable<{ start: number; data: ChunkData }>, offset: number) =>
    (async function*() {
      for await (const { start, data } of chunks) {
        yield { start: start + offset, data: indicesOf(src, index, unknown, start + offset, data) };
      }
    })();
  return { file: src.file, dtype: 'i4', kind: 'i', shape: src.shape, rows: src.rows, rowLength: src.rowLength,
    chunks: (n) => mapped(src.chunks(n), 0),
    rangeChunks: (start, end, n) => mapped(sliceRows(src, start, end).chunks(n), start), close: () => src.close() };
}

/** String labels mapped to class indices: the sources to count, and the class names. */
export interface NamedClasses {
  labels: ArraySource;
  /** The predictions mapped, when they were given (not logits). */
  preds: ArraySource | undefined;
  names: string[];
  /** Where the names came from, for messages. */
  from: string;
}

/** What {@link stringClasses} reads beside the labels. */
export interface StringInputs {
  /** Predictions of the run (absent with logits, whose columns are the classes). */
  preds?: ArraySource | undefined;
  /** With logits: their column count. */
  columns?: number | undefined;
  /** Other predictions whose strings join the inferred classes (compare's other model). */
  also?: ArraySource[] | undefined;
  /** The `--classes` file (default: `values.classes`). */
  classes?: string | undefined;
}

/**
 * For string labels: the class names (`--classes` in its order, else the sorted unique strings of the labels and
 * predictions of this run's rows, its --shard's only) and the inputs mapped to class indices; undefined for
 * numeric labels and predictions. Refuses a mix of strings and numbers, string labels with logits but no --classes,
 * --ignore-index and a --num-classes that disagrees.
 */
export async function stringClasses(values: CliValues, labels: ArraySource,
  inputs: StringInputs): Promise<NamedClasses | undefined> {
  const { preds, columns, also = [], classes = typeof values.classes === 'string' ? values.classes : undefined } =
    inputs;
  const all = [labels, ...(preds ? [preds] : []), ...also];
  checkNotMixed(all);
  if (labels.kind !== 's') return undefined;
  if (values['ignore-index'] !== undefined) {
    throw new UsageError(`--ignore-index takes a class index; ${labels.file} holds string labels`);
  }
  let names: string[];
  let from: string;
  if (columns !== undefined) {
    const why = 'the logits columns are class indices: string labels need --classes NAMES.txt naming the columns ' +
      'in order';
    if (classes === undefined) throw new UsageError(`${labels.file} holds string labels; ${why}`);
    [names, from] = [await readClassNames(classes, columns), `--classes ${classes}`];
  } else if (classes !== undefined) {
    [names, from] = [await readClassList(classes), `--classes ${classes}`];
  } else {
    const shard = flag(values, 'shard');
    const { start, end } = shard ? shardRows(shard, labels.rows) : { start: 0, end: labels.rows };
    names = await uniqueStrings(all, start, end);
    from = `the sorted unique labels and predictions${shard ? ' of this shard' : ''}`;
  }
  const wanted = flag(values, 'num-classes');
  if (wanted !== undefined && wanted !== names.length) {
    throw new UsageError(`--num-classes ${wanted} disagrees with the ${names.length} classes of ${from}`);
  }
  const index = new Map(names.map((n, i) => [n, i]));
  const notOne = `is not one of the ${names.length} classes of ${from}`;
  return { labels: indexSource(labels, index, ['labels', `label %s ${notOne}`]),
    preds: preds && indexSource(preds, index, ['preds', `predicted class %s ${notOne}`]), names, from };
}
