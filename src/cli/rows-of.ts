/**
 * `confmat eval --rows-of T,P`: the rows of chosen cells of the confusion matrix (with --ids, their ids), as JSON, CSV
 * or a short text list.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { ioError, readTextFile } from '../read/file-io.js';
import { sliceRows } from '../read/open-array.js';
import { renderRowsOf } from '../report/cell-rows.js';
import type { CellRowsResult, CellSpec } from '../tasks/cell-rows/cell-rows.js';
import { createCellRows } from '../tasks/cell-rows/matrix.js';
import { type PerClassBatch, validatePerClassClasses } from '../tasks/per-class/per-class.js';
import { asLabels, chunkBatch, type MulticlassInputs, openMulticlass } from './eval-multiclass.js';
import type { EvalTask } from './eval.js';
import { denseFlag, flag } from './flags.js';
import { located } from './inputs.js';
import { type CliValues, UsageError } from './usage.js';

/** Rows listed per cell: the first ones by index (the count stays exact). */
const LIMIT = 1000;

/** One `--rows-of` value: `T,P` (a cell) or `T,*` (every off-diagonal cell of true class T). */
export function parseRowsOf(value: string): CellSpec {
  const m = /^\s*(\d+)\s*,\s*(\d+|\*)\s*$/.exec(value);
  if (!m) throw new UsageError(`--rows-of must be TRUE,PRED or TRUE,* (class indices, e.g. 3,5), got '${value}'`);
  return { true: Number(m[1]), pred: m[2] === '*' ? '*' : Number(m[2]) };
}

/** The ids of --ids: one per line (a final empty line ignored); their count must be the rows of the inputs. */
async function readIds(path: string, rows: number, labels: string): Promise<string[]> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (e) {
    throw new InputError('ids', `${path}: ${ioError(path, undefined, e).detail}`);
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== rows) {
    throw new InputError('ids', `--ids ${path} holds ${lines.length} lines but ${labels} holds ${rows} rows`, undefined,
      lines.length);
  }
  return lines;
}

/**
 * `confmat eval --rows-of`: the rows of the cells asked for, on the GPU or the CPU (argmax rules of the matrix), with
 * --ids their ids; the flags that shape the matrix or its metrics do not combine with it.
 */
export function rowsOfTask(values: CliValues): EvalTask<CellRowsResult> {
  const given = [denseFlag(values),
    ...(['ci', 'shard', 'ignore-index'] as const).filter((k) => values[k] !== undefined)];
  if (given[0] ?? given[1]) {
    throw new UsageError(
      `--${String(given[0] ?? given[1])} does not combine with --rows-of (it lists rows, not metrics)`,
    );
  }
  const raw = flag(values, 'rows-of') ?? [];
  const specs = raw.map(parseRowsOf);
  const chunkRows = flag(values, 'chunk-rows');
  const limit = flag(values, 'rows-limit') ?? LIMIT;
  let inputs: MulticlassInputs;
  let ids: string[] | undefined;
  let warned = false;
  return { async open(sources) {
    inputs = await openMulticlass(values, sources, validatePerClassClasses, false);
    const c = inputs.numClasses;
    specs.forEach((s, i) => {
      const bad = [s.true, s.pred].find((k) => typeof k === 'number' && k >= c);
      if (bad !== undefined) throw new UsageError(`--rows-of ${raw[i]}: class ${bad} is outside [0, ${c})`);
    });
    const idsPath = flag(values, 'ids');
    if (idsPath !== undefined) ids = await readIds(idsPath, inputs.labels.rows, inputs.files.labels!);
    return inputs.labels.rows;
  }, counter(backend, { start, end }) {
    const { numClasses: c, files } = inputs;
    const [input, labels] = [sliceRows(inputs.input, start, end), sliceRows(inputs.labels, start, end)];
    const cr = createCellRows({ numClasses: c, cells: specs, limit, device: backend.device, chunkRows });
    return { streams: [input, labels], rowLength: input.rowLength,
      update: (_start, _n, [data, y]) => cr.update(chunkBatch(values, input, data!, asLabels(y!), c) as PerClassBatch),
      locate: (e, at) => located(e, at, files), compute: () => cr.compute(), destroy: () => cr.destroy() };
  }, report(format, result) {
    for (const cell of result.cells) {
      if (!cell.truncated || warned) continue;
      warned = true;
      process.stderr.write(
        `confmat: --rows-of lists the first ${limit} rows of a cell; some cells hold more` +
          ' (--rows-limit N lists more)\n',
      );
    }
    return renderRowsOf(format, result, ids, inputs.classes);
  } };
}
