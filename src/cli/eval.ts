import { extname } from 'node:path';
import { createConfusionMatrix, type ConfusionMatrix } from '../tasks/multiclass/matrix.js';
import { InputError } from '../core/errors.js';
import type { Normalize } from '../tasks/multiclass/metrics.js';
import type { Batch, ConfusionMatrixResult } from '../core/types.js';
import { checkClassIndices, formatBatch, validateNumClasses } from '../format/validate.js';
import { reduceCounts } from '../tasks/multiclass/reduce.js';
import { MAX_STATE_CLASSES } from '../state/state.js';
import { dropIgnored, selectClasses } from '../tasks/multiclass/select.js';
import { cpuUpdateFromFile } from '../node/cpu-file.js';
import { createCpuWorkerCounter, usefulThreads, type CpuWorkerCounter } from '../node/cpu-workers.js';
import { openBackend, type OpenBackend } from '../node/open-backend.js';
import { readClassNames } from '../read/class-names.js';
import { sliceRows, type ArraySource } from '../read/open-array.js';
import { cpuArgmax } from '../tasks/multiclass/update-cpu.js';
import { checkOutputs } from './outputs.js';
import { createProgress } from './progress.js';
import type { BackendReport } from '../report/json.js';
import { renderPlot, type OutputFormat } from './render.js';
import { parseShard, renderReport, shardRows } from './shard.js';
import { backendOptions, engineOptions, oneOf, positiveInt, threadsOption, UsageError, type CliValues } from './usage.js';
import { runEvalBinary } from './eval-binary.js';
import { runEvalMultilabel } from './eval-multilabel.js';
import { denseTooLarge, runEvalPerClass } from './eval-per-class.js';
import { asLabels, asWeights, ignoreIndexOption, located, lockstep, maxIndex, openClassIndices, openLogits, openWeights, READ_CHUNK_BYTES } from './eval-inputs.js';
import { shapeText } from '../read/npy.js';

/** `--class-subset 3,1,2`: class indices, in the order the report lists them. */
function classSubset(values: CliValues): number[] | undefined {
  const v = values['class-subset'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\s*\d+(\s*,\s*\d+)*\s*$/.test(v)) throw new UsageError(`--class-subset must be class indices separated by commas (e.g. 3,1,2), got '${String(v)}'`);
  return v.split(',').map((x) => Number(x.trim()));
}


/**
 * `confmat eval`: opens the inputs (.npy, .npz:member, .safetensors:tensor, CSV) and checks their
 * headers before counting anything, streams them in lockstep with bounded memory, counts on the
 * chosen backend, then writes the report (stdout or --out) and the heatmap (--plot), atomically.
 * With --per-class, or when the C x C matrix does not fit the host or the device (noted on stderr),
 * it counts per class instead (src/cli/eval-per-class.ts). Returns the exit status.
 */
export async function runEval(values: CliValues): Promise<number> {
  if (values['per-class'] !== undefined) return runEvalPerClass(values);
  try {
    return await runEvalDense(values);
  } catch (e) {
    if (!denseTooLarge(e)) throw e;
    return runEvalPerClass(values, e);
  }
}

/** The dense C x C path of {@link runEval}; a C too large for it falls back to per-class mode there. */
async function runEvalDense(values: CliValues): Promise<number> {
  const task = oneOf(values, 'task', ['multiclass', 'multilabel', 'binary'] as const, 'multiclass');
  if (task !== 'multiclass') {
    for (const flag of ['ignore-index', 'class-subset', 'top-k']) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --task multiclass`);
  }
  if (task === 'multilabel') return runEvalMultilabel(values);
  if (task === 'binary') return runEvalBinary(values);
  for (const flag of ['scores', 'targets', 'threshold', 'thresholds']) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --task multilabel or --task binary`);
  }
  const logitsPath = values.logits as string | undefined;
  const predsPath = values.preds as string | undefined;
  const labelsPath = values.labels as string | undefined;
  if (!labelsPath) throw new UsageError('eval needs --labels Y.npy');
  if ((logitsPath === undefined) === (predsPath === undefined)) throw new UsageError('eval needs exactly one of --logits L.npy or --preds P.npy');
  const outPath = values.out as string | undefined;
  const plotPath = values.plot as string | undefined;
  const shard = parseShard(values);
  const format = oneOf<OutputFormat>(values, 'format', ['json', 'table', 'csv', 'markdown'], outPath === undefined && process.stdout.isTTY && !shard ? 'table' : 'json');
  const normalize = oneOf<Normalize>(values, 'normalize', ['none', 'true', 'pred', 'all'], 'none');
  if (plotPath !== undefined && !['.svg', '.png', '.html'].includes(extname(plotPath).toLowerCase())) {
    throw new UsageError(`--plot ${plotPath}: the file must end in .svg, .png or .html`);
  }
  const wantedClasses = positiveInt(values, 'num-classes');
  if (shard && predsPath !== undefined && wantedClasses === undefined) {
    throw new UsageError('--shard with --preds needs --num-classes C: every shard must count the same classes, whatever its slice holds');
  }
  const { choice, device: deviceOptions } = backendOptions(values);
  const engine = engineOptions(values);
  const threads = threadsOption(values);
  const ignoreIndex = ignoreIndexOption(values);
  const subset = classSubset(values);
  const topK = positiveInt(values, 'top-k', MAX_STATE_CLASSES, 'the largest C of a C x C matrix; any K >= C counts every row');
  if (topK !== undefined && (predsPath !== undefined || threads > 1 || subset)) {
    throw new UsageError('--top-k needs --logits (the scores to rank), and does not combine with --threads or --class-subset');
  }
  const weightsPath = values['sample-weight'] as string | undefined;

  const outputs = await checkOutputs(values);

  const sources: ArraySource[] = [];
  let backend: OpenBackend | undefined;
  let cm: ConfusionMatrix | undefined;
  let workers: CpuWorkerCounter | undefined;
  let result: ConfusionMatrixResult;
  let classes: string[] | undefined;
  try {
    const labels = await openClassIndices(labelsPath, 'labels');
    sources.push(labels);
    let input: ArraySource;
    let numClasses: number;
    let classSource: string;
    if (logitsPath !== undefined) {
      input = await openLogits(logitsPath, wantedClasses, choice !== 'cpu');
      sources.push(input);
      numClasses = input.shape[1]!;
      classSource = `${logitsPath}: shape ${shapeText(input.shape)}`;
      if (input.rows !== labels.rows) {
        throw new InputError('labels', `${labelsPath} holds ${labels.rows} labels but ${logitsPath} has ${input.rows} rows (shape ${shapeText(input.shape)})`);
      }
      if (input.dtype === 'f8' && topK !== undefined) throw new UsageError(`--top-k: ${logitsPath} holds float64 logits; top-k ranks float16/32 logits only`);
      if (input.dtype === 'f8') process.stderr.write('confmat: float64 logits: argmax runs on the host in double precision; the backend counts the predictions\n');
    } else {
      input = await openClassIndices(predsPath!, 'predictions');
      sources.push(input);
      if (input.rows !== labels.rows) throw new InputError('preds', `${labelsPath} holds ${labels.rows} labels but ${predsPath} holds ${input.rows} predictions`);
      numClasses = wantedClasses ?? Math.max(1, (await maxIndex(labels, ignoreIndex)) + 1, (await maxIndex(input)) + 1);
      if (wantedClasses === undefined) process.stderr.write(`confmat: --num-classes not given; using ${numClasses} (largest class index + 1)\n`);
      classSource = wantedClasses === undefined ? `${labelsPath}, ${predsPath}: largest class index + 1 = ${numClasses}` : `--num-classes ${numClasses}`;
    }
    const classesFrom = (e: unknown): unknown => (e instanceof InputError && e.field === 'numClasses' ? new InputError('numClasses', `${classSource}: ${e.message}`, undefined, e.value) : e);
    try {
      validateNumClasses(numClasses);
    } catch (e) {
      throw classesFrom(e);
    }
    if (typeof values.classes === 'string') classes = await readClassNames(values.classes, numClasses);
    const range = shard ? shardRows(shard, labels.rows) : { start: 0, end: labels.rows };
    const labelRows = sliceRows(labels, range.start, range.end);
    const inputRows = sliceRows(input, range.start, range.end);
    let weightRows: ArraySource | undefined;
    if (weightsPath !== undefined) {
      const weights = await openWeights(weightsPath, labels, labelsPath);
      sources.push(weights);
      weightRows = sliceRows(weights, range.start, range.end);
    }

    backend = await openBackend(choice, deviceOptions, undefined, { softwareAdapter: 'cpu' });
    try {
      cm = createConfusionMatrix({ numClasses, device: backend.device, ...engine, ignoreIndex, topK, recover: backend.recover, warn: (line) => process.stderr.write(`${line}\n`) });
    } catch (e) {
      throw classesFrom(e);
    }
    const workerThreads = usefulThreads(threads, labelRows.rows);
    if (workerThreads > 1 && backend.name === 'cpu') {
      try {
        workers = createCpuWorkerCounter({ numClasses, threads: workerThreads });
      } catch (e) {
        throw e instanceof RangeError ? new UsageError(`--threads ${workerThreads}: ${e.message}`) : e;
      }
    }
    const count = (batch: Batch): Promise<void> =>
      workers ? workers.update(formatBatch(ignoreIndex === undefined ? batch : dropIgnored(batch, ignoreIndex, numClasses), numClasses)) : cm!.update(batch);
    const files: Record<string, string> = { labels: labelsPath, preds: predsPath ?? logitsPath!, ...(weightsPath !== undefined ? { weights: weightsPath } : {}) };
    const rowsPerChunk = Math.max(1, Math.floor(READ_CHUNK_BYTES / (input.rowLength * 8)));
    const progress = createProgress(labelRows.rows, process.stderr);
    // raw float32 logits in a file: read in cache-sized pieces by the worker threads, or by this thread
    // on the CPU when nothing needs the logits as an array (top-k, ignore_index, weights); raw integer
    // labels too, by the workers, so that this thread does nothing per row
    const rawLogits = inputRows.raw?.dtype === 'f4' ? inputRows.raw : undefined;
    const fileRows = workers || (backend.name === 'cpu' && topK === undefined && ignoreIndex === undefined && weightRows === undefined) ? rawLogits : undefined;
    const fileCounts = fileRows && !workers ? new Float64Array(numClasses * numClasses) : undefined;
    const rawLabels = workers && fileRows && !weightRows && labelRows.raw && /^[iub][1248]$/.test(labelRows.raw.dtype) && (ignoreIndex === undefined || (ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 32)) ? labelRows.raw : undefined;
    const logitsAt = (start: number) => ({ path: fileRows!.path, byteOffset: fileRows!.byteOffset + start * numClasses * 4 });
    for (let start = 0; rawLabels && start < labelRows.rows; start += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, labelRows.rows - start);
      const at = { path: rawLabels.path, byteOffset: rawLabels.byteOffset + start * Number(rawLabels.dtype.slice(1)), dtype: rawLabels.dtype, rows: n, index0: range.start + start };
      try {
        await workers!.updateFromFile(logitsAt(start), at, { ignoreIndex });
      } catch (e) {
        throw located(e, 0, files);
      }
      progress.update(start + n);
    }
    const streams = rawLabels ? [] : [...(fileRows ? [] : [inputRows]), labelRows, ...(weightRows ? [weightRows] : [])];
    for await (const [start, ...parts] of streams.length ? lockstep(streams, rowsPerChunk) : []) {
      const [data, labelData, weightData] = fileRows ? [undefined, ...parts] : parts;
      const y = asLabels(labelData!);
      const w = weightData === undefined ? {} : { weights: asWeights(weightData) };
      try {
        const at = fileRows && logitsAt(start);
        if (at && workers) await workers.updateFromFile(at, y, { ignoreIndex, ...w });
        else if (at) cpuUpdateFromFile(fileCounts!, at, checkClassIndices('labels', y, numClasses), numClasses);
        else if (predsPath !== undefined) await count({ preds: asLabels(data!), labels: y, ...w });
        else if (data instanceof Float64Array) await count({ preds: cpuArgmax(data, numClasses), labels: y, ...w });
        else if (data instanceof Uint16Array) await count({ logits: data, logitsDtype: input.dtype === 'bf16' ? 'bfloat16' : 'float16', labels: y, ...w });
        else await count({ logits: data as Float32Array, labels: y, ...w });
      } catch (e) {
        throw located(e, range.start + start, files);
      }
      progress.update(start + y.length);
    }
    progress.finish();
    let counts: Float64Array | undefined;
    try {
      counts = workers ? await workers.read() : fileCounts;
    } catch (e) {
      throw rawLabels ? located(e, 0, files) : e;
    }
    result = counts ? reduceCounts(counts, numClasses, weightRows !== undefined) : await cm.compute();
    if (subset) {
      try {
        result = selectClasses(result, subset);
      } catch (e) {
        throw e instanceof InputError ? new InputError('classes', `--class-subset: ${e.message}`, e.index, e.value) : e;
      }
      classes = subset.map((k) => classes?.[k] ?? String(k));
    }
  } finally {
    await workers?.destroy();
    cm?.destroy();
    backend?.destroy();
    await Promise.all(sources.map((s) => s.close()));
  }

  const backendReport: BackendReport = { name: cm!.backend === backend.name ? backend.name : 'mixed', adapter: backend.adapter, ...(workers ? { threads: workers.threads } : {}) };
  const shards = shard ? { count: shard.count, indices: [shard.index] } : undefined;
  const text = renderReport(format, result, backendReport, { classes, normalize, color: outPath === undefined && process.stdout.isTTY && !process.env.NO_COLOR, width: process.stdout.columns }, shards, {
    ...(ignoreIndex !== undefined ? { ignoreIndex } : {}),
    ...(subset ? { classSubset: subset } : {}),
  });
  await outputs.commit(text, plotPath === undefined ? undefined : renderPlot(plotPath, result, { classes, normalize }));
  return 0;
}
