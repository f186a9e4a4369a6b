/**
 * The score tasks of `confmat eval` (--task multilabel, --task binary): scores against 0/1 targets.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import type { SampleWeights } from '../core/types.js';
import { readClassNames } from '../read/class-names.js';
import { type NumericArray, shapeText } from '../read/npy.js';
import { type ArraySource, sliceRows } from '../read/open-array.js';
import { numeric } from '../read/row-source.js';
import type { SweepResult } from '../tasks/binary/binary.js';
import { type SweepIntervals, sweepIntervals } from '../tasks/binary/intervals.js';
import { createThresholdSweep } from '../tasks/binary/matrix.js';
import { type LabelIntervals, labelIntervals } from '../tasks/multilabel/intervals.js';
import { createMultilabelMatrix } from '../tasks/multilabel/matrix.js';
import type { MultilabelResult } from '../tasks/multilabel/multilabel.js';
import type { EvalTask } from './eval.js';
import { flag } from './flags.js';
import { asWeights, openInto, openWeights, READ_CHUNK_BYTES } from './inputs.js';
import { intervalOptions } from './interval-options.js';
import { renderScoreReport, scorePlot, type ScoreReport } from './task-report.js';
import { type CliValues, UsageError } from './usage.js';

/** Opens a float score array into `sources`: (N, L) for `dims` 2 (multilabel), else (N,) or (N, 1). */
function openScores(sources: ArraySource[], spec: string, dims: 1 | 2): Promise<ArraySource> {
  const want = dims === 2 ? '2-D (N, L)' : '1-D (N,) or (N, 1): one score per row, higher = positive';
  return openInto(sources, spec, { role: 'logits' }, (s) => {
    const [n, cols] = [s.shape.length, s.shape[1]!];
    const ok = dims === 2 ? n === 2 && cols >= 1 : n === 1 || (n === 2 && cols === 1);
    const float = 'floating point (float16, float32 or float64)';
    return [s.kind !== 'f' && `dtype ${s.dtype}: scores must be ${float}`,
      !ok && `shape ${shapeText(s.shape)}: scores must be ${want}`];
  });
}

/** Opens 0/1 targets (integers, bool, or floats that are exactly 0 or 1) shaped like the scores into `sources`. */
async function openTargets(sources: ArraySource[], spec: string, scores: ArraySource): Promise<void> {
  const src = await openInto(sources, spec, scores.rowLength > 1 ? { role: 'logits' } : { role: 'labels' },
    (s) => [s.kind === 's' && 'dtype str: targets must be 0 or 1 (integers, bool or floats), not strings']);
  if (src.rows !== scores.rows || src.rowLength !== scores.rowLength) {
    const shapes = `${spec} has shape ${shapeText(src.shape)} but ${scores.file} has shape ${shapeText(scores.shape)}`;
    throw new InputError('targets', `${shapes}: targets must match the scores`);
  }
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

/** A score task: its inputs opened and checked (then `opened` sees the scores), counted by `matrix`. */
function scoreTask<R>(values: CliValues, task: 'multilabel' | 'binary', opened: (scores: ArraySource) => Promise<void>,
  matrix: (device: GPUDevice | undefined, chunkRows: number | undefined) => ScoreMatrix<R>,
  report: (result: R) => ScoreReport): EvalTask<R> {
  const { scores: scoresPath, targets: targetsPath } = values;
  if (typeof scoresPath !== 'string' || typeof targetsPath !== 'string') {
    throw new UsageError(`--task ${task} needs --scores S and --targets Y`);
  }
  const chunkRows = flag(values, 'chunk-rows');
  let inputs: ArraySource[];
  return { async open(sources) {
    const scores = await openScores(sources, scoresPath, task === 'multilabel' ? 2 : 1);
    await openTargets(sources, targetsPath, scores);
    if (typeof values['sample-weight'] === 'string') await openWeights(sources, values['sample-weight'], scores);
    inputs = [...sources];
    const note = 'confmat: float64 scores are rounded to float32 before the threshold comparison\n';
    if (scores.dtype === 'f8') process.stderr.write(note);
    await opened(scores);
    return scores.rows;
  }, counter({ device }, { start: first, end }) {
    const [m, width] = [matrix(device, chunkRows), inputs[0]!.rowLength];
    return { streams: inputs.map((s) => sliceRows(s, first, end)), rowLength: width, update: (start, _n, [s, y, w]) => {
      const targets = toTargets(y!, targetsPath, first + start, width);
      return m.update({ scores: toScores(s!), targets, ...(w && { weights: asWeights(w) }) });
    }, compute: () => m.compute(), destroy: () => m.destroy() };
  }, report: (format, result, backend, shards) => renderScoreReport(format, report(result), backend, shards),
    plot: (path, result) => scorePlot(path, report(result)) };
}

/** `--task multilabel`: N x L scores against 0/1 targets, one 2 x 2 matrix per label, and their metrics. */
export function multilabelTask(values: CliValues): EvalTask<MultilabelResult> {
  const [threshold, ci] = [flag(values, 'threshold') ?? 0.5, intervalOptions(values)];
  let labels: string[];
  let drawn: LabelIntervals | undefined;
  return scoreTask(values, 'multilabel', async (scores) => {
    const numLabels = scores.shape[1]!;
    if (Array.isArray(threshold) && threshold.length !== numLabels) {
      const has = `${scores.file} has ${numLabels} labels`;
      throw new InputError('threshold', `--threshold gives ${threshold.length} thresholds but ${has}`);
    }
    const names = values.classes;
    const numbered = Array.from({ length: numLabels }, (_, j) => String(j));
    labels = typeof names === 'string' ? await readClassNames(names, numLabels) : numbered;
  },
    (device, chunkRows) =>
      createMultilabelMatrix({ numLabels: labels.length, threshold, device, chunkRows,
        rowOutcomes: ci !== undefined || values.shard !== undefined }),
    (result) => ({ task: 'multilabel', result, labels, intervals: ci && (drawn ??= labelIntervals(result, ci)) }));
}

/** K thresholds evenly spaced over the finite scores (a pass over the whole file: every shard gets the same K). */
async function spacedThresholds(scores: ArraySource, k: number): Promise<number[]> {
  let lo = Infinity;
  let hi = -Infinity;
  for await (const { data } of scores.chunks(READ_CHUNK_BYTES / 8)) {
    for (const x of toScores(numeric(data))) {
      if (Number.isFinite(x)) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    }
  }
  if (lo > hi) throw new InputError('scores', `${scores.file}: no finite score to space --thresholds over`);
  return Array.from({ length: k }, (_, i) => (i === k - 1 ? hi : lo + ((hi - lo) * i) / (k - 1)));
}

/** `--task binary`: the 2 x 2 matrix at --threshold T and, with --thresholds, ROC and PR curves, in one pass. */
export function binaryTask(values: CliValues): EvalTask<SweepResult> {
  const [t, sweep, ci] = [flag(values, 'threshold') ?? 0.5, flag(values, 'thresholds'), intervalOptions(values)];
  let grid: number[];
  let drawn: SweepIntervals | undefined;
  const task = scoreTask(values, 'binary', async (scores) => {
    grid = sweep === undefined ? [] : 'list' in sweep ? sweep.list : await spacedThresholds(scores, sweep.count);
  }, (device, chunkRows) => createThresholdSweep({ thresholds: [...grid, threshold], device, chunkRows }),
    (result) => ({ task: 'binary', result, threshold, sweep: !!sweep,
      intervals: ci && (drawn ??= sweepIntervals(result, threshold, ci)) }));
  if (Array.isArray(t)) {
    const one = 'a binary task takes one threshold (use --thresholds for a sweep)';
    throw new UsageError(`--threshold ${String(values.threshold)}: ${one}`);
  }
  const threshold = Math.fround(t);
  if (values.plot !== undefined && sweep === undefined) {
    throw new UsageError('--plot with --task binary draws ROC and PR curves: it needs --thresholds K or a list');
  }
  return task;
}
