import { InputError } from '../core/errors.js';
import { MAX_PER_CLASS_CLASSES, validatePerClassClasses, type PerClassResult } from '../tasks/per-class/per-class.js';
import type { LabelArray } from '../core/types.js';
import { openBackend, type OpenBackend } from '../node/open-backend.js';
import { createPerClassMatrix, type PerClassMatrix } from '../tasks/per-class/matrix.js';
import { readClassNames } from '../read/class-names.js';
import type { ArraySource } from '../read/open-array.js';
import { perClassCsv, perClassJson, perClassMarkdown, perClassTable } from '../report/per-class.js';
import type { BackendReport } from '../report/json.js';
import { cpuArgmax } from '../tasks/multiclass/update-cpu.js';
import { checkOutputs } from './outputs.js';
import { createProgress } from './progress.js';
import { asLabels, ignoreIndexOption, located, lockstep, maxIndex, openClassIndices, openLogits, READ_CHUNK_BYTES } from './eval-inputs.js';
import { shapeText } from '../read/npy.js';
import { backendOptions, engineOptions, oneOf, positiveInt, UsageError, type CliValues } from './usage.js';

/**
 * True when `e` is the dense path refusing C because its C x C matrix does not fit the host or the
 * device, and per-class mode can take that C: `confmat eval` then counts per class instead.
 *
 * @example
 * if (denseTooLarge(e)) return runEvalPerClass(values, e);
 */
export function denseTooLarge(e: unknown): e is InputError {
  return e instanceof InputError && e.field === 'numClasses' && Number.isSafeInteger(e.value) && (e.value as number) > 1 && (e.value as number) <= MAX_PER_CLASS_CLASSES;
}

/** Flags of `confmat eval` that need the C x C matrix (or a mergeable state), with the reason. */
const DENSE_ONLY: Record<string, string> = {
  plot: 'draws the C x C matrix',
  'class-subset': 'selects rows and columns of the C x C matrix',
  'top-k': 'is counted with the C x C matrix',
  shard: 'writes a mergeable C x C state',
  'sample-weight': 'weights the C x C matrix',
};

function checkFlags(values: CliValues): void {
  const task = values.task ?? 'multiclass';
  if (task !== 'multiclass') throw new UsageError(`--per-class applies to --task multiclass, not --task ${String(task)}`);
  for (const [flag, why] of Object.entries(DENSE_ONLY)) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} ${why}, which per-class mode does not build: drop --${flag} (per-class mode: per class metrics and the most confused pairs)`);
  }
  if (values.normalize !== undefined && values.normalize !== 'none') throw new UsageError('--normalize applies to the C x C matrix, which per-class mode does not build');
  if (values.threads === 'auto' || (positiveInt(values, 'threads') ?? 1) > 1) throw new UsageError('--threads applies to the dense CPU path; per-class mode counts on one thread or the GPU');
}








/** Index in the chunk of the `k`-th row whose label is not `ignore`. */
function keptRow(labels: LabelArray, ignore: number | undefined, k: number): number {
  if (ignore === undefined) return k;
  const target = labels instanceof BigInt64Array || labels instanceof BigUint64Array ? BigInt(ignore) : ignore;
  for (let i = 0, seen = 0; i < labels.length; i++) {
    if (labels[i] === target) continue;
    if (seen++ === k) return i;
  }
  return k;
}

/**
 * `confmat eval --per-class` (or C too large for the dense matrix, `reason` being the dense path's
 * refusal, noted on stderr; unless a flag needs the matrix, e.g. --plot, when the refusal stands
 * with a hint): per class TP, FP, FN, support, precision, recall and F1, the averages,
 * and the most confused pairs from a sparse count, in O(C) memory; on the GPU or the CPU. Inputs
 * are checked and streamed as in the dense path; the report is written atomically. Returns the
 * exit status.
 *
 * @example
 * await runEvalPerClass({ logits: 'logits.npy', labels: 'labels.npy', 'per-class': true });
 */
export async function runEvalPerClass(values: CliValues, reason?: InputError): Promise<number> {
  if (reason) {
    const flag = Object.keys(DENSE_ONLY).find((f) => values[f] !== undefined) ?? (values.normalize !== undefined && values.normalize !== 'none' ? 'normalize' : undefined);
    if (flag) throw new InputError('numClasses', `${reason.message}; per-class mode (--per-class) would count without the matrix, but --${flag} needs it`, undefined, reason.value);
    process.stderr.write(`confmat: ${reason.message}; counting per class instead (per-class mode: per class metrics and the most confused pairs, no C x C matrix)\n`);
  }
  checkFlags(values);
  const logitsPath = values.logits as string | undefined;
  const predsPath = values.preds as string | undefined;
  const labelsPath = values.labels as string | undefined;
  if (!labelsPath) throw new UsageError('eval needs --labels Y.npy');
  if ((logitsPath === undefined) === (predsPath === undefined)) throw new UsageError('eval needs exactly one of --logits L.npy or --preds P.npy');
  const outPath = values.out as string | undefined;
  const format = oneOf(values, 'format', ['json', 'table', 'csv', 'markdown'] as const, outPath === undefined && process.stdout.isTTY ? 'table' : 'json');
  const wanted = positiveInt(values, 'num-classes');
  const { choice, device: deviceOptions } = backendOptions(values);
  const { chunkRows } = engineOptions(values);
  const ignoreIndex = ignoreIndexOption(values);
  const outputs = await checkOutputs(values);

  const sources: ArraySource[] = [];
  let backend: OpenBackend | undefined;
  let pc: PerClassMatrix | undefined;
  let result: PerClassResult;
  let classes: string[] | undefined;
  try {
    const labels = await openClassIndices(labelsPath, 'labels');
    sources.push(labels);
    let input: ArraySource;
    let numClasses: number;
    let classSource: string;
    if (logitsPath !== undefined) {
      input = await openLogits(logitsPath, wanted);
      sources.push(input);
      numClasses = input.shape[1]!;
      classSource = `${logitsPath}: shape ${shapeText(input.shape)}`;
      if (input.rows !== labels.rows) throw new InputError('labels', `${labelsPath} holds ${labels.rows} labels but ${logitsPath} has ${input.rows} rows (shape ${shapeText(input.shape)})`);
      if (input.dtype === 'f8') process.stderr.write('confmat: float64 logits: argmax runs on the host in double precision; the backend counts the predictions\n');
    } else {
      input = await openClassIndices(predsPath!, 'predictions');
      sources.push(input);
      if (input.rows !== labels.rows) throw new InputError('preds', `${labelsPath} holds ${labels.rows} labels but ${predsPath} holds ${input.rows} predictions`);
      numClasses = wanted ?? Math.max(1, (await maxIndex(labels, ignoreIndex)) + 1, (await maxIndex(input)) + 1);
      if (wanted === undefined && !reason) process.stderr.write(`confmat: --num-classes not given; using ${numClasses} (largest class index + 1)\n`);
      classSource = wanted === undefined ? `${labelsPath}, ${predsPath}: largest class index + 1 = ${numClasses}` : `--num-classes ${numClasses}`;
    }
    try {
      validatePerClassClasses(numClasses);
    } catch (e) {
      throw e instanceof InputError ? new InputError('numClasses', `${classSource}: ${e.message}`, undefined, e.value) : e;
    }
    if (typeof values.classes === 'string') classes = await readClassNames(values.classes, numClasses);

    backend = await openBackend(choice, deviceOptions, undefined, { softwareAdapter: 'cpu' });
    pc = createPerClassMatrix({ numClasses, device: backend.device, ignoreIndex, ...(chunkRows === undefined ? {} : { chunkRows }) });
    const files: Record<string, string> = { labels: labelsPath, preds: predsPath ?? logitsPath! };
    const rowsPerChunk = Math.max(1, Math.floor(READ_CHUNK_BYTES / (input.rowLength * 8)));
    const progress = createProgress(labels.rows, process.stderr);
    for await (const [start, data, labelData] of lockstep([input, labels], rowsPerChunk)) {
      const y = asLabels(labelData!);
      try {
        if (predsPath !== undefined) await pc.update({ preds: asLabels(data!), labels: y });
        else if (data instanceof Float64Array) await pc.update({ preds: cpuArgmax(data, numClasses), labels: y });
        else await pc.update({ logits: data as Float32Array, labels: y });
      } catch (e) {
        throw located(e, start, files, (k) => keptRow(y, ignoreIndex, k));
      }
      progress.update(start + y.length);
    }
    progress.finish();
    result = await pc.compute();
  } finally {
    pc?.destroy();
    backend?.destroy();
    await Promise.all(sources.map((s) => s.close()));
  }
  const report: BackendReport = { name: backend.name, adapter: backend.adapter };
  const options = { classes, ignoreIndex };
  let text: string;
  if (format === 'json') text = `${JSON.stringify(perClassJson(result, report, options))}\n`;
  else if (format === 'csv') text = perClassCsv(result, options);
  else if (format === 'markdown') text = perClassMarkdown(result, options);
  else text = `${perClassTable(result, options)}\ncounted on the ${backend.name.toUpperCase()}${backend.adapter ? `: ${backend.adapter}` : ''}\n`;
  await outputs.commit(text);
  return 0;
}
