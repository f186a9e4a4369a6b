/**
 * The score tasks of `confmat eval` (--task multilabel, --task binary): scores against 0/1 targets.
 *
 * @module
 */
import { InputError } from '../core/errors.js';
import type { SampleWeights } from '../core/types.js';
import type { NumericArray } from '../read/npy.js';
import { readClassNames } from '../read/class-names.js';
import { sliceRows, type ArraySource } from '../read/open-array.js';
import type { SweepResult } from '../tasks/binary/binary.js';
import { createThresholdSweep } from '../tasks/binary/matrix.js';
import { createMultilabelMatrix } from '../tasks/multilabel/matrix.js';
import type { MultilabelResult } from '../tasks/multilabel/multilabel.js';
import type { EvalTask, TaskCounter } from './eval.js';
import { flag } from './flags.js';
import { asWeights, openScores, openTargets, openWeights, plotData, READ_CHUNK_BYTES, toScores, toTargets } from './inputs.js';
import { binarySvg, multilabelSvg, renderBinaryReport, renderMultilabelReport } from './task-report.js';
import { engineOptions, UsageError, type CliValues } from './usage.js';

/** A task's matrix of scores against targets. */
interface ScoreMatrix<R> {
  update(batch: { scores: Float32Array; targets: Uint8Array; weights?: SampleWeights }): Promise<void>;
  compute(): Promise<R>;
  destroy(): void;
}

/** Checks the score task's flags and opens --scores (`dims`-D), --targets and --sample-weight. */
function scoreInputs(values: CliValues, task: string, dims: 1 | 2) {
  const { scores: scoresPath, targets: targetsPath, plot } = values;
  if (typeof scoresPath !== 'string' || typeof targetsPath !== 'string') throw new UsageError(`--task ${task} needs --scores S and --targets Y`);
  if (typeof plot === 'string' && !/\.(svg|png)$/i.test(plot)) throw new UsageError(`--plot ${plot}: --task ${task} draws .svg or .png`);
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
      if (scores.dtype === 'f8') process.stderr.write('confmat: float64 scores are rounded to float32 before the threshold comparison\n');
      return scores;
    },
    /** The counter of `m` over rows [start, end). */
    counter<R>(m: ScoreMatrix<R>, { start: first, end }: { start: number; end: number }): TaskCounter<R> {
      const width = inputs[0]!.rowLength;
      return {
        streams: inputs.map((s) => sliceRows(s, first, end)),
        rowLength: width,
        update: (start, _n, [s, y, w]: NumericArray[]) =>
          m.update({ scores: toScores(s!), targets: toTargets(y!, targetsPath, first + start, width), ...(w ? { weights: asWeights(w) } : {}) }),
        compute: () => m.compute(),
        destroy: () => m.destroy(),
      };
    },
  };
}

/**
 * `--task multilabel`: N x L scores against N x L {0, 1} targets, one 2 x 2 matrix per label
 * (sklearn's `multilabel_confusion_matrix`), with per label and averaged precision, recall and F1.
 *
 * @example
 * await runTask(values, multilabelTask(values));
 */
export function multilabelTask(values: CliValues): EvalTask<MultilabelResult> {
  const io = scoreInputs(values, 'multilabel', 2);
  const threshold = flag(values, 'threshold') ?? 0.5;
  const { chunkRows } = engineOptions(values);
  let labels: string[];
  return {
    async open(sources) {
      const scores = await io.open(sources);
      const numLabels = scores.shape[1]!;
      if (Array.isArray(threshold) && threshold.length !== numLabels) {
        throw new InputError('threshold', `--threshold gives ${threshold.length} thresholds but ${scores.file} has ${numLabels} labels`);
      }
      labels = typeof values.classes === 'string' ? await readClassNames(values.classes, numLabels) : Array.from({ length: numLabels }, (_, j) => String(j));
      return scores.rows;
    },
    counter: (backend, range) => io.counter(createMultilabelMatrix({ numLabels: labels.length, threshold, device: backend.device, chunkRows }), range),
    report: (format, result, backend, shards) => renderMultilabelReport(format, result, labels, backend, shards),
    plot: (path, result) => plotData(path, multilabelSvg(result, labels)),
  };
}

/** K thresholds evenly spaced from the smallest to the largest finite score (a pass over the whole file, so every shard gets the same K). */
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
 * `--task binary`: the 2 x 2 matrix at --threshold T (score >= T is positive) and, with
 * --thresholds, ROC and precision-recall points and their areas, all counted in one pass.
 *
 * @example
 * await runTask(values, binaryTask(values));
 */
export function binaryTask(values: CliValues): EvalTask<SweepResult> {
  const io = scoreInputs(values, 'binary', 1);
  const t = flag(values, 'threshold') ?? 0.5;
  if (Array.isArray(t)) throw new UsageError(`--threshold ${String(values.threshold)}: a binary task takes one threshold (use --thresholds for a sweep)`);
  const threshold = Math.fround(t);
  const sweep = flag(values, 'thresholds');
  if (values.plot !== undefined && sweep === undefined) throw new UsageError('--plot with --task binary draws ROC and PR curves: it needs --thresholds K or a list');
  const { chunkRows } = engineOptions(values);
  let grid: number[];
  return {
    async open(sources) {
      const scores = await io.open(sources);
      grid = sweep === undefined ? [] : 'list' in sweep ? sweep.list : await spacedThresholds(scores, sweep.count);
      return scores.rows;
    },
    counter: (backend, range) => io.counter(createThresholdSweep({ thresholds: [...grid, threshold], device: backend.device, chunkRows }), range),
    report: (format, result, backend, shards) => renderBinaryReport(format, result, threshold, sweep !== undefined, backend, shards),
    plot: (path, result) => plotData(path, binarySvg(result)),
  };
}
