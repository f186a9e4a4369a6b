/**
 * The multiclass tasks of `confmat eval`: the C x C matrix (with its fast CPU paths) and per-class mode.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import { MAX_PER_CLASS_CLASSES } from '../core/limits.js';
import type { Batch, ConfusionMatrixResult, LabelArray } from '../core/types.js';
import { checkClassIndices, formatBatch, isLabelArray, validateNumClasses } from '../format/validate.js';
import { cpuUpdateFromFile, cpuUpdateFromFileAsync } from '../node/cpu-file.js';
import { isLogitsFileDtype } from '../node/cpu-worker-messages.js';
import type { CpuWorkerCounter } from '../node/cpu-workers.js';
import { type NumericArray, shapeText } from '../read/npy.js';
import { type ArraySource, sliceRows } from '../read/open-array.js';
import type { MatrixIntervals } from '../tasks/multiclass/intervals.js';
import type { ConfusionMatrix } from '../tasks/multiclass/matrix.js';
import { createNonzeroCells, sortedCells } from '../tasks/multiclass/nonzero.js';
import { reduceCounts } from '../tasks/multiclass/reduce.js';
import { dropIgnored, selectClasses } from '../tasks/multiclass/select.js';
import { cpuArgmax } from '../tasks/multiclass/update-cpu.js';
import type { EvalTask } from './eval.js';
import { flag } from './flags.js';
import { asWeights, located, openInto, openWeights } from './inputs.js';
import { intervalOptions } from './interval-options.js';
import { plotColors, renderPlot, renderReport } from './render.js';
import { type NamedClasses, stringClasses } from './string-labels.js';
import { type CliValues, UsageError } from './usage.js';

/** Opens a 1-D integer file of labels or predicted classes into `sources`, refusing floats and other shapes. */
function openClassIndices(sources: ArraySource[], spec: string, what: 'labels' | 'predictions'): Promise<ArraySource> {
  const ints = 'integers (int8..int64, uint8..uint64 or bool)';
  return openInto(sources, spec, { role: 'labels' }, (s) => {
    return [s.kind === 'f' && `dtype ${s.dtype}: ${what} must be ${ints}`,
      s.shape.length !== 1 && `shape ${shapeText(s.shape)}: ${what} must be 1-D (N,)`];
  });
}

/** Largest class index over a streamed source, for inferring C from class-index files. */
async function maxIndex(src: ArraySource, ignore?: number): Promise<number> {
  let m = -1;
  for await (const { data } of src.chunks(1 << 20)) {
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v !== ignore) m = Math.max(m, v);
    }
  }
  return m;
}

/** A chunk of class indices as an integer typed array (the readers give one for integer files). */
export function asLabels(data: NumericArray): LabelArray {
  if (!isLabelArray(data)) throw new TypeError(`not an integer array: ${data.constructor.name}`);
  return data;
}

/** One chunk's batch: its predictions, the host's argmax of float64 logits, or the float32 or half logits. */
export function chunkBatch(values: CliValues, input: ArraySource, data: NumericArray, labels: LabelArray,
  c: number): Batch {
  if (values.preds !== undefined) return { preds: asLabels(data), labels };
  if (data instanceof Float64Array) return { preds: cpuArgmax(data, c), labels };
  const logitsDtype = input.dtype === 'bf16' ? 'bfloat16' : 'float16';
  return data instanceof Uint16Array ? { logits: data, logitsDtype, labels } : { logits: data as Float32Array, labels };
}

/** True when `e` is the dense path refusing a C x C matrix too large to fit, for a C that per-class mode takes. */
export function denseTooLarge(e: unknown): e is InputError {
  const c = e instanceof InputError && e.field === 'numClasses' ? e.value : undefined;
  return Number.isSafeInteger(c) && (c as number) > 1 && (c as number) <= MAX_PER_CLASS_CLASSES;
}

/** The opened multiclass inputs: labels, logits or predictions, weights, C and the files for messages. */
export interface MulticlassInputs {
  labels: ArraySource;
  input: ArraySource;
  weights: ArraySource | undefined;
  numClasses: number;
  classes: string[] | undefined;
  files: Record<string, string>;
  /** Adds where C came from to a refusal of C. */
  classesFrom(e: unknown): unknown;
  /** Whether the labels were strings (the names in `classes`). */
  strings: boolean;
}

/** What {@link openMulticlass} reads beyond `values`: compare's other predictions and --classes, a --shard rule. */
export interface OpenMore {
  /** Predictions of another model whose strings join the inferred class names (compare). */
  alsoPreds?: string[] | undefined;
  /** The --classes file for string labels (compare reads the names of numeric labels itself). */
  classes?: string | undefined;
  /** With --shard, numeric predictions need --num-classes: this message says so. */
  shardNeedsC?: string | undefined;
}

/**
 * Opens and checks --labels and --logits or --preds (and --sample-weight), with C checked by `validate`; with
 * `halves`, float16/bfloat16 logits come as their bits (Uint16Array), for the GPU. String labels and predictions
 * come mapped to class indices, the class names in `classes` (see `stringClasses`).
 */
export async function openMulticlass(values: CliValues, sources: ArraySource[], validate: (c: number) => void,
  halves: boolean, quiet = false, more: OpenMore = {}): Promise<MulticlassInputs> {
  const { logits, preds, labels: labelsPath, 'sample-weight': weightsPath } = values as Partial<Record<string, string>>;
  const [labelsName, logitsName, predsName] = [labelsPath, logits, preds].map(inputName);
  const wanted = flag(values, 'num-classes');
  let labels = await openClassIndices(sources, labelsPath!, 'labels');
  let input: ArraySource;
  let numClasses: number;
  let classSource: string;
  let named: NamedClasses | undefined;
  const classesPath = more.classes ?? (typeof values.classes === 'string' ? values.classes : undefined);
  if (logits !== undefined) {
    input = await openInto(sources, logits, { role: 'logits', halves }, (s) => {
      const shape = `shape ${shapeText(s.shape)}: logits`;
      return [s.kind !== 'f' && `dtype ${s.dtype}: logits must be floating point (float16, float32 or float64)`,
        s.shape.length !== 2 && `${shape} must be 2-D (N, C)`,
        s.shape[1]! < 1 && `${shape} have no class columns (C must be >= 1)`];
    });
    numClasses = input.shape[1]!;
    const disagrees = `--num-classes ${wanted} disagrees with ${logitsName}, which has ${numClasses} columns`;
    if (wanted !== undefined && wanted !== numClasses) throw new UsageError(disagrees);
    classSource = `${logitsName}: shape ${shapeText(input.shape)}`;
    const rows = `${labelsName} holds ${labels.rows} labels but ${logitsName} has ${input.rows} rows`;
    if (input.rows !== labels.rows) throw new InputError('labels', `${rows} (shape ${shapeText(input.shape)})`);
    const f8 = input.dtype === 'f8';
    if (f8 && values['top-k'] !== undefined) {
      throw new UsageError(`--top-k: ${logitsName} holds float64 logits; top-k ranks float16/32 logits only`);
    }
    const host = 'argmax runs on the host in double precision; the backend counts the predictions';
    if (f8) process.stderr.write(`confmat: float64 logits: ${host}\n`);
    named = await stringClasses(values, labels, { columns: numClasses, classes: classesPath });
  } else {
    input = await openClassIndices(sources, preds!, 'predictions');
    const holds = `${labelsName} holds ${labels.rows} labels but ${predsName} holds ${input.rows} predictions`;
    if (input.rows !== labels.rows) throw new InputError('preds', holds);
    const also = [];
    for (const p of more.alsoPreds ?? []) also.push(await openClassIndices(sources, p, 'predictions'));
    named = await stringClasses(values, labels, { preds: input, also, classes: classesPath });
    if (named) {
      [numClasses, classSource] = [named.names.length, named.from];
    } else {
      if (flag(values, 'shard') && more.shardNeedsC && wanted === undefined) throw new UsageError(more.shardNeedsC);
      const largest = async () => Math.max(await maxIndex(labels, flag(values, 'ignore-index')), await maxIndex(input));
      numClasses = wanted ?? Math.max(1, (await largest()) + 1);
      const using = `using ${numClasses} (largest class index + 1)`;
      if (wanted === undefined && !quiet) process.stderr.write(`confmat: --num-classes not given; ${using}\n`);
      classSource = wanted === undefined ?
        `${labelsName}, ${predsName}: largest class index + 1 = ${numClasses}` :
        `--num-classes ${numClasses}`;
    }
  }
  if (named) [labels, input] = [named.labels, named.preds ?? input];
  const classesFrom = (e: unknown): unknown => {
    const ours = e instanceof InputError && e.field === 'numClasses';
    return ours ? new InputError('numClasses', `${classSource}: ${e.message}`, undefined, e.value) : e;
  };
  try {
    validate(numClasses);
  } catch (e) {
    throw classesFrom(e);
  }
  const classNames = async (path: string) => (await import('../read/class-names.js')).readClassNames(path, numClasses);
  const classes = named?.names ?? (typeof values.classes === 'string' ? await classNames(values.classes) : undefined);
  const weights = weightsPath === undefined ? undefined : await openWeights(sources, weightsPath, labels, labelsName);
  const files = { labels: labelsName!, preds: predsName ?? logitsName!,
    ...(weightsPath && { weights: inputName(weightsPath) }) };
  return { labels, input, weights, numClasses, classes, files, classesFrom, strings: named !== undefined };
}

/** An input as messages name it: `-` (standard input) as `<stdin>`, `-:field` as `<stdin>:field`. */
function inputName<T extends string | undefined>(spec: T): T {
  return (spec !== undefined && /^-(:|$)/.test(spec) ? `<stdin>${spec.slice(1)}` : spec) as T;
}

/** Refuses a command line without --labels, or without exactly one of --logits and --preds. */
export function checkInputs(values: CliValues): void {
  if (!values.labels) throw new UsageError('eval needs --labels Y.npy');
  const one = 'eval needs exactly one of --logits L.npy or --preds P.npy';
  if ((values.logits === undefined) === (values.preds === undefined)) throw new UsageError(one);
}

/**
 * The dense multiclass task: the C x C matrix of argmax(logits) or predictions vs labels, on the
 * backend or on CPU worker threads (--threads); raw float32 logits (and integer labels) in files are
 * read by the workers themselves, or on one CPU thread straight into the counts.
 */
export function multiclassTask(values: CliValues): EvalTask<ConfusionMatrixResult> {
  checkInputs(values);
  const same = 'every shard must count the same classes, whatever its slice holds';
  const shardNeedsC = `--shard with --preds needs --num-classes C: ${same}`;
  const engine = { chunkRows: flag(values, 'chunk-rows'), histogram: flag(values, 'histogram') };
  const [threads, ignoreIndex] = [flag(values, 'threads') ?? 1, flag(values, 'ignore-index')];
  const [subset, topK] = [flag(values, 'class-subset'), flag(values, 'top-k')];
  const combine = 'and does not combine with --threads or --class-subset';
  if (topK !== undefined && (values.preds !== undefined || threads > 1 || subset)) {
    throw new UsageError(`--top-k needs --logits (the scores to rank), ${combine}`);
  }
  const normalize = flag(values, 'normalize') ?? 'none';
  const ci = intervalOptions(values);
  let drawn: MatrixIntervals | undefined;
  const intervals = async (r: ConfusionMatrixResult) =>
    ci ? (drawn ??= (await import('../tasks/multiclass/intervals.js')).matrixIntervals(r, ci)) : undefined;
  let inputs: MulticlassInputs;
  let classes: string[] | undefined;
  return { async open(sources) {
    inputs = await openMulticlass(values, sources, validateNumClasses, values.backend !== 'cpu', false, {
      shardNeedsC,
    });
    classes = inputs.classes;
    return inputs.labels.rows;
  }, async counter(backend, { start: first, end }) {
    const { numClasses: c, files, classesFrom } = inputs;
    const [labels, input] = [sliceRows(inputs.labels, first, end), sliceRows(inputs.input, first, end)];
    const weights = inputs.weights && sliceRows(inputs.weights, first, end);
    const warn = (line: string): boolean => process.stderr.write(`${line}\n`);
    let workers: CpuWorkerCounter | undefined;
    const cpuWorkers = threads > 1 ? await import('../node/cpu-workers.js') : undefined;
    const workerThreads = cpuWorkers?.usefulThreads(threads, labels.rows) ?? 1;
    try {
      const cpu = workerThreads > 1 && backend.name === 'cpu';
      if (cpu) workers = cpuWorkers!.createCpuWorkerCounter({ numClasses: c, threads: workerThreads });
    } catch (e) {
      throw e instanceof RangeError ? new UsageError(`--threads ${workerThreads}: ${e.message}`) : e;
    }
    // raw float32 (or float16, bfloat16) logits in a file: read in cache-sized pieces by the worker threads, or
    // by this thread on the CPU when nothing needs the logits as an array (top-k, ignore_index, weights); raw
    // integer labels too (checked in WebAssembly), so that this thread does nothing per row with workers
    const rawLogits = input.raw && isLogitsFileDtype(input.raw.dtype) ?
      { ...input.raw, dtype: input.raw.dtype } :
      undefined;
    const plain = backend.name === 'cpu' && topK === undefined && ignoreIndex === undefined && !weights;
    const fileRows = workers || plain ? rawLogits : undefined;
    const fileCounts = fileRows && !workers ? new Float64Array(c * c) : undefined;
    const nonzero = fileCounts && createNonzeroCells(c);
    // the matrix (and the GPU code it loads) only for what neither the workers nor the file path count
    let cm: ConfusionMatrix | undefined;
    if (!workers && !fileCounts) {
      const { createConfusionMatrix } = await import('../tasks/multiclass/matrix.js');
      try {
        const { device, recover } = backend;
        cm = createConfusionMatrix({ numClasses: c, device, ...engine, ignoreIndex, topK, recover, warn });
      } catch (e) {
        throw classesFrom(e);
      }
    }
    const ignoreFits = ignoreIndex === undefined || (ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 32);
    const intLabels = labels.raw && /^[iub][1248]$/.test(labels.raw.dtype) ? labels.raw : undefined;
    const rawLabels = fileRows && !weights && ignoreFits ? intLabels : undefined;
    const logitsAt = (start: number) => ({ path: fileRows!.path, dtype: fileRows!.dtype,
      byteOffset: fileRows!.byteOffset + start * c * (fileRows!.dtype === 'f4' ? 4 : 2) });
    const kept = (batch: Batch): Batch => (ignoreIndex === undefined ? batch : dropIgnored(batch, ignoreIndex, c));
    const count = (b: Batch): Promise<void> => (workers ? workers.update(formatBatch(kept(b), c)) : cm!.update(b));
    return { streams: rawLabels ? [] : [...(fileRows ? [] : [input]), labels, ...(weights ? [weights] : [])],
      rowLength: input.rowLength, async update(start, n, parts) {
      if (rawLabels) {
        const byteOffset = rawLabels.byteOffset + start * Number(rawLabels.dtype.slice(1));
        const y = { path: rawLabels.path, byteOffset, dtype: rawLabels.dtype, rows: n, index0: first + start };
        if (workers) return workers.updateFromFile(logitsAt(start), y, { ignoreIndex });
        // reading ahead pays below C = 1000 (bench/NOTES.md CPU 24): equal at 1000, 7 % slower at 10,000
        if (c < 1000) return cpuUpdateFromFileAsync(fileCounts!, logitsAt(start), y, c, { nonzero });
        return cpuUpdateFromFile(fileCounts!, logitsAt(start), y, c, nonzero);
      }
      const [data, labelData, weightData] = fileRows ? [undefined, ...parts] : parts;
      const y = asLabels(labelData!);
      const w = weightData === undefined ? {} : { weights: asWeights(weightData) };
      const at = fileRows && logitsAt(start);
      if (at && workers) await workers.updateFromFile(at, y, { ignoreIndex, ...w });
      else if (at) cpuUpdateFromFile(fileCounts!, at, checkClassIndices('labels', y, c), c, nonzero);
      else await count({ ...chunkBatch(values, input, data!, y, c), ...w });
    }, locate: (e, start) => located(e, rawLabels ? 0 : start, files), async compute() {
      let counts: Float64Array | undefined;
      try {
        counts = workers ? await workers.read() : fileCounts;
      } catch (e) {
        throw rawLabels ? located(e, 0, files) : e;
      }
      const cells = workers ? workers.nonzero() : sortedCells(nonzero);
      let result = counts ? reduceCounts(counts, c, weights !== undefined, true, cells) : await cm!.compute();
      if (!subset) return result;
      try {
        result = selectClasses(result, subset);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        throw new InputError('classes', `--class-subset: ${e.message}`, e.index, e.value);
      }
      classes = subset.map((k) => classes?.[k] ?? String(k));
      return result;
    },
      backend: (b) => ({ ...b, name: (cm?.backend ?? b.name) === b.name ? b.name : 'mixed',
        ...(workers && { threads: workers.threads }) }), async destroy() {
      await workers?.destroy();
      cm?.destroy();
    } };
  }, async report(format, result, backend, shards) {
    const [tty, stateOptions] = [values.out === undefined && process.stdout.isTTY, { ignoreIndex, classSubset: subset,
      ...(inputs.strings && { stringLabels: true as const }) }];
    return renderReport(format, result, backend, { classes, normalize, tty, shards, stateOptions,
      intervals: await intervals(result) });
  },
    plot: async (path, result) =>
      renderPlot(path, result, { classes, normalize, intervals: await intervals(result),
        plotColors: plotColors(values) }) };
}
