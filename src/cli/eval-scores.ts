/**
 * The score tasks of `confmat eval` (--task multilabel, --task binary): scores against 0/1 targets.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import type { SampleWeights } from '../core/types.js';
import { readClassNames } from '../read/class-names.js';
import { NpyError, type NumericArray, shapeText } from '../read/npy.js';
import { type ArraySource, openArray, sliceRows } from '../read/open-array.js';
import type { SweepResult } from '../tasks/binary/binary.js';
import { createThresholdSweep } from '../tasks/binary/matrix.js';
import { createMultilabelMatrix } from '../tasks/multilabel/matrix.js';
import type { MultilabelResult } from '../tasks/multilabel/multilabel.js';
import type { EvalTask, TaskCounter } from './eval.js';
import { engineOptions, flag } from './flags.js';
import { asWeights, openWeights, READ_CHUNK_BYTES } from './inputs.js';
import { renderScoreReport, scorePlot, type ScoreReport } from './task-report.js';
import { type CliValues, UsageError } from './usage.js';

/** Opens a float score array: (N, L) for `dims` 2 (multilabel), else (N,) or (N, 1). */
async function openScores(spec: string, dims: 1 | 2): Promise<ArraySource> {
  const src = await openArray(spec, { role: 'logits' });
  const fail = async (message: string): Promise<never> => {
    await src.close();
    throw new NpyError(spec, undefined, message);
  };
  if (src.kind !== 'f') await fail(`dtype ${src.dtype}: scores must be floating point (float16, float32 or float64)`);
  const [n, cols] = [src.shape.length, src.shape[1]!];
  const ok = dims === 2 ? n === 2 && cols >= 1 : n === 1 || (n === 2 && cols === 1);
  const want = dims === 2 ? '2-D (N, L)' : '1-D (N,) or (N, 1): one score per row, higher = positive';
  if (!ok) await fail(`shape ${shapeText(src.shape)}: scores must be ${want}`);
  return src;
}

/** Opens a 0/1 target array (integers, bool, or floats that are exactly 0 or 1) shaped like the scores. */
async function openTargets(spec: string, scores: ArraySource): Promise<ArraySource> {
  const src = await openArray(spec, scores.rowLength > 1 ? { role: 'logits' } : { role: 'labels' });
  if (src.rows !== scores.rows || src.rowLength !== scores.rowLength) {
    await src.close();
    const shapes = `${spec} has shape ${shapeText(src.shape)} but ${scores.file} has shape ${shapeText(scores.shape)}`;
    throw new InputError('targets', `${shapes}: targets must match the scores`);
  }
  return src;
}

/** Targets of one chunk as 0/1 bytes; anything else is refused naming the file, row, column and value. */
function toTargets(data: NumericArray, file: string, firstRow: number, width: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === 1 || v === 1n) out[i] = 1;
    else if (v !== 0 && v !== 0n) {
      const row = firstRow + Math.floor(i / width);
      const where = width > 1 ? `row ${row}, column ${i % width}` : `index ${row}`;
      throw new InputError('targets', `${file}: ${where}: target ${String(v)} is not 0 or 1`, row, v);
    }
  }
  return out;
}

/** Scores of one chunk as float32 (float64 rounds; the caller notes it once). */
function toScores(data: NumericArray): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as Float64Array);
}

/** A task's matrix of scores against targets. */
interface ScoreMatrix<R> {
  update(batch: { scores: Float32Array; targets: Uint8Array; weights?: SampleWeights }): Promise<void>;
  compute(): Promise<R>;
  destroy(): void;
}

/** Checks the score task's flags and opens --scores (`dims`-D), --targets and --sample-weight. */
function scoreInputs(values: CliValues, task: string, dims: 1 | 2) {
  const { scores: scoresPath, targets: targetsPath, plot } = values;
  if (typeof scoresPath !== 'string' || typeof targetsPath !== 'string') {
    throw new UsageError(`--task ${task} needs --scores S and --targets Y`);
  }
  const draws = `--task ${task} draws .svg or .png`;
  if (typeof plot === 'string' && !/\.(svg|png)$/i.test(plot)) throw new UsageError(`--plot ${plot}: ${draws}`);
  const inputs: ArraySource[] = [];
  return {
    inputs,
    /** Opens the inputs (in `sources` too, for closing). */
    async open(sources: ArraySource[]): Promise<ArraySource> {
      const scores = await openScores(scoresPath, dims);
      sources.push(scores);
      sources.push(await openTargets(targetsPath, scores));
      if (typeof values['sample-weight'] === 'string') sources.push(await openWeights(values['sample-weight'], scores));
      inputs.push(...sources);
      const note = 'confmat: float64 scores are rounded to float32 before the threshold comparison\n';
      if (scores.dtype === 'f8') process.stderr.write(note);
      return scores;
    },
    /** The counter of `m` over rows [start, end). */
    counter<R>(m: ScoreMatrix<R>, { start: first, end }: { start: number; end: number }): TaskCounter<R> {
      const width = inputs[0]!.rowLength;
      return { streams: inputs.map((s) => sliceRows(s, first, end)), rowLength: width,
        update: (start, _n, [s, y, w]: NumericArray[]) => {
          const targets = toTargets(y!, targetsPath, first + start, width);
          return m.update({ scores: toScores(s!), targets, ...(w && { weights: asWeights(w) }) });
        }, compute: () => m.compute(), destroy: () => m.destroy() };
    },
  };
}

/**
 * `--task multilabel`: N x L scores against 0/1 targets, one 2 x 2 matrix per label, and their metrics.
 *
 * @example
 * await runTask(values, multilabelTask(values));
 */
export function multilabelTask(values: CliValues): EvalTask<MultilabelResult> {
  const io = scoreInputs(values, 'multilabel', 2);
  const threshold = flag(values, 'threshold') ?? 0.5;
  const { chunkRows } = engineOptions(values);
  let labels: string[];
  const report = (result: MultilabelResult): ScoreReport => ({ task: 'multilabel', result, labels });
  return { async open(sources) {
    const scores = await io.open(sources);
    const numLabels = scores.shape[1]!;
    if (Array.isArray(threshold) && threshold.length !== numLabels) {
      const has = `${scores.file} has ${numLabels} labels`;
      throw new InputError('threshold', `--threshold gives ${threshold.length} thresholds but ${has}`);
    }
    const names = values.classes;
    const numbered = Array.from({ length: numLabels }, (_, j) => String(j));
    labels = typeof names === 'string' ? await readClassNames(names, numLabels) : numbered;
    return scores.rows;
  },
    counter: ({ device }, range) =>
      io.counter(createMultilabelMatrix({ numLabels: labels.length, threshold, device, chunkRows }), range),
    report: (format, result, backend, shards) => renderScoreReport(format, report(result), backend, shards),
    plot: (path, result) => scorePlot(path, report(result)) };
}

/** K thresholds evenly spaced over the finite scores (a pass over the whole file: every shard gets the same K). */
async function spacedThresholds(scores: ArraySource, k: number): Promise<number[]> {
  let lo = Infinity;
  let hi = -Infinity;
  for await (const { data } of scores.chunks(READ_CHUNK_BYTES / 8)) {
    for (const x of toScores(data)) {
      if (Number.isFinite(x)) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    }
  }
  if (lo > hi) throw new InputError('scores', `${scores.file}: no finite score to space --thresholds over`);
  return Array.from({ length: k }, (_, i) => (i === k - 1 ? hi : lo + ((hi - lo) * i) / (k - 1)));
}

/**
 * `--task binary`: the 2 x 2 matrix at --threshold T and, with --thresholds, ROC and PR curves, in one pass.
 *
 * @example
 * await runTask(values, binaryTask(values));
 */
export function binaryTask(values: CliValues): EvalTask<SweepResult> {
  const io = scoreInputs(values, 'binary', 1);
  const t = flag(values, 'threshold') ?? 0.5;
  if (Array.isArray(t)) {
    const one = 'a binary task takes one threshold (use --thresholds for a sweep)';
    throw new UsageError(`--threshold ${String(values.threshold)}: ${one}`);
  }
  const threshold = Math.fround(t);
  const sweep = flag(values, 'thresholds');
  if (values.plot !== undefined && sweep === undefined) {
    throw new UsageError('--plot with --task binary draws ROC and PR curves: it needs --thresholds K or a list');
  }
  const { chunkRows } = engineOptions(values);
  let grid: number[];
  const report = (result: SweepResult): ScoreReport => ({ task: 'binary', result, threshold, sweep: !!sweep });
  return { async open(sources) {
    const scores = await io.open(sources);
    grid = sweep === undefined ? [] : 'list' in sweep ? sweep.list : await spacedThresholds(scores, sweep.count);
    return scores.rows;
  },
    counter: ({ device }, range) =>
      io.counter(createThresholdSweep({ thresholds: [...grid, threshold], device, chunkRows }), range),
    report: (format, result, backend, shards) => renderScoreReport(format, report(result), backend, shards),
    plot: (path, result) => scorePlot(path, report(result)) };
}
