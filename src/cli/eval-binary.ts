import { InputError } from '../core/errors.js';
import type { SweepResult } from '../tasks/binary/binary.js';
import { openBackend, type OpenBackend } from '../node/open-backend.js';
import { sliceRows, type ArraySource } from '../read/open-array.js';
import type { BackendReport } from '../report/json.js';
import { createThresholdSweep, type ThresholdSweep } from '../tasks/binary/matrix.js';
import { checkOutputs } from './outputs.js';
import { createProgress } from './progress.js';
import { openWeights } from './eval-inputs.js';
import { checkTaskFlags, lockstep, openScores, openTargets, parseThreshold, toScores, toTargets, toWeights, plotData } from './task-input.js';
import { parseShard, shardRows } from './shard.js';
import { binarySvg, renderBinaryReport, type TaskFormat } from './task-report.js';
import { backendOptions, engineOptions, oneOf, UsageError, type CliValues } from './usage.js';

const READ_CHUNK_ROWS = 4 * 1024 * 1024;

/** `--thresholds`: K (an integer >= 2: evenly spaced over the finite scores) or a comma list. */
function parseSweep(values: CliValues): { count: number } | { list: number[] } | undefined {
  const v = values.thresholds;
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError('--thresholds needs a value');
  if (/^\s*\d+\s*$/.test(v)) {
    const k = Number(v);
    if (!Number.isSafeInteger(k) || k < 2 || k > 1 << 20) throw new UsageError(`--thresholds K must be an integer in [2, 1048576], got '${v}'`);
    return { count: k };
  }
  const list = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (list.some((x) => Number.isNaN(x))) throw new UsageError(`--thresholds must be a count K or a comma list of numbers, got '${v}'`);
  return { list };
}

/** K thresholds evenly spaced from the smallest to the largest finite score (one streaming pass over the whole file, shards included, so every shard gets the same K). */
async function spacedThresholds(scores: ArraySource, k: number): Promise<number[]> {
  let lo = Infinity;
  let hi = -Infinity;
  for await (const { data } of scores.chunks(READ_CHUNK_ROWS)) {
    const s = toScores(data);
    for (let i = 0; i < s.length; i++) {
      const x = s[i]!;
      if (Number.isFinite(x)) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
  }
  if (lo > hi) throw new InputError('scores', `${scores.file}: no finite score to space --thresholds over`);
  return Array.from({ length: k }, (_, i) => (i === k - 1 ? hi : lo + ((hi - lo) * i) / (k - 1)));
}

/**
 * `confmat eval --task binary --scores S --targets Y [--threshold T] [--thresholds K|list]`: the
 * 2 x 2 matrix at T (score >= T is positive) and, with --thresholds, ROC and precision-recall points
 * and their areas, all counted in one pass. Returns the exit status.
 *
 * @example
 * await runEvalBinary({ task: 'binary', scores: 's.npy', targets: 'y.npy', thresholds: '101' });
 */
export async function runEvalBinary(values: CliValues): Promise<number> {
  const files = checkTaskFlags({ ...values, shard: undefined }, 'binary');
  const shard = parseShard(values);
  const outPath = values.out as string | undefined;
  const plotPath = values.plot as string | undefined;
  const format = oneOf<TaskFormat>(values, 'format', ['json', 'table', 'csv', 'markdown'], outPath === undefined && process.stdout.isTTY && !shard ? 'table' : 'json');
  const threshold = Math.fround(parseThreshold(values, false) as number);
  const sweepSpec = parseSweep(values);
  if (plotPath !== undefined && sweepSpec === undefined) throw new UsageError('--plot with --task binary draws ROC and PR curves: it needs --thresholds K or a list');
  const { choice, device: deviceOptions } = backendOptions(values);
  const { chunkRows } = engineOptions(values);
  const weightsPath = values['sample-weight'] as string | undefined;
  const outputs = await checkOutputs(values);

  const sources: ArraySource[] = [];
  let backend: OpenBackend | undefined;
  let sweep: ThresholdSweep | undefined;
  let result: SweepResult;
  try {
    const scores = await openScores(files.scores, 1);
    sources.push(scores);
    const targets = await openTargets(files.targets, scores);
    sources.push(targets);
    const weights = weightsPath === undefined ? undefined : await openWeights(weightsPath, scores);
    if (weights) sources.push(weights);
    if (scores.dtype === 'f8') process.stderr.write('confmat: float64 scores are rounded to float32 before the threshold comparison\n');
    const grid = sweepSpec === undefined ? [] : 'list' in sweepSpec ? sweepSpec.list : await spacedThresholds(scores, sweepSpec.count);
    backend = await openBackend(choice, deviceOptions, undefined, { softwareAdapter: 'cpu' });
    sweep = createThresholdSweep({ thresholds: [...grid, threshold], device: backend.device, ...(chunkRows === undefined ? {} : { chunkRows }) });
    const range = shard ? shardRows(shard, scores.rows) : { start: 0, end: scores.rows };
    const progress = createProgress(range.end - range.start, process.stderr);
    const rows = (src: ArraySource): ArraySource => sliceRows(src, range.start, range.end);
    for await (const [start, s, y, w] of lockstep(rows(scores), rows(targets), READ_CHUNK_ROWS, weights && rows(weights))) {
      const sampleWeights = w === undefined ? {} : { weights: toWeights(w, weightsPath!, range.start + start) };
      await sweep.update({ scores: toScores(s), targets: toTargets(y, files.targets, range.start + start, 1), ...sampleWeights });
      progress.update(start + s.length);
    }
    progress.finish();
    result = await sweep.compute();
  } finally {
    sweep?.destroy();
    backend?.destroy();
    await Promise.all(sources.map((s) => s.close()));
  }
  const report: BackendReport = { name: backend.name, adapter: backend.adapter };
  const withSweep = sweepSpec !== undefined;
  const shards = shard ? { count: shard.count, indices: [shard.index] } : undefined;
  const text = renderBinaryReport(format, result, threshold, withSweep, report, shards);
  await outputs.commit(text, plotPath === undefined ? undefined : plotData(plotPath, binarySvg(result)));
  return 0;
}
