import { createMultilabelMatrix, type MultilabelMatrix } from '../tasks/multilabel/matrix.js';
import { InputError } from '../core/errors.js';
import type { MultilabelResult } from '../tasks/multilabel/multilabel.js';
import { openBackend, type OpenBackend } from '../node/open-backend.js';
import { readClassNames } from '../read/class-names.js';
import { sliceRows, type ArraySource } from '../read/open-array.js';
import type { BackendReport } from '../report/json.js';
import { checkOutputs } from './outputs.js';
import { createProgress } from './progress.js';
import { openWeights } from './eval-inputs.js';
import { checkTaskFlags, lockstep, openScores, openTargets, parseThreshold, toScores, toTargets, toWeights, plotData } from './task-input.js';
import { parseShard, shardRows } from './shard.js';
import { multilabelSvg, renderMultilabelReport, type TaskFormat } from './task-report.js';
import { backendOptions, engineOptions, oneOf, type CliValues } from './usage.js';

const READ_CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * `confmat eval --task multilabel --scores S --targets Y`: N x L scores against N x L {0, 1}
 * targets, one 2 x 2 matrix per label (sklearn's `multilabel_confusion_matrix`), with per label and
 * averaged precision, recall and F1. Returns the exit status.
 *
 * @example
 * await runEvalMultilabel({ task: 'multilabel', scores: 'p.npy', targets: 'y.npy', threshold: '0.5' });
 */
export async function runEvalMultilabel(values: CliValues): Promise<number> {
  const files = checkTaskFlags({ ...values, shard: undefined }, 'multilabel');
  const shard = parseShard(values);
  const outPath = values.out as string | undefined;
  const plotPath = values.plot as string | undefined;
  const format = oneOf<TaskFormat>(values, 'format', ['json', 'table', 'csv', 'markdown'], outPath === undefined && process.stdout.isTTY && !shard ? 'table' : 'json');
  const threshold = parseThreshold(values, true);
  const { choice, device: deviceOptions } = backendOptions(values);
  const { chunkRows } = engineOptions(values);
  const weightsPath = values['sample-weight'] as string | undefined;
  const outputs = await checkOutputs(values);

  const sources: ArraySource[] = [];
  let backend: OpenBackend | undefined;
  let ml: MultilabelMatrix | undefined;
  let result: MultilabelResult;
  let labels: string[];
  try {
    const scores = await openScores(files.scores, 2);
    sources.push(scores);
    const targets = await openTargets(files.targets, scores);
    sources.push(targets);
    const weights = weightsPath === undefined ? undefined : await openWeights(weightsPath, scores);
    if (weights) sources.push(weights);
    const numLabels = scores.shape[1]!;
    if (Array.isArray(threshold) && threshold.length !== numLabels) {
      throw new InputError('threshold', `--threshold gives ${threshold.length} thresholds but ${files.scores} has ${numLabels} labels`);
    }
    labels = typeof values.classes === 'string' ? await readClassNames(values.classes, numLabels) : Array.from({ length: numLabels }, (_, j) => String(j));
    if (scores.dtype === 'f8') process.stderr.write('confmat: float64 scores are rounded to float32 before the threshold comparison\n');
    backend = await openBackend(choice, deviceOptions, undefined, { softwareAdapter: 'cpu' });
    ml = createMultilabelMatrix({ numLabels, threshold, device: backend.device, ...(chunkRows === undefined ? {} : { chunkRows }) });
    const range = shard ? shardRows(shard, scores.rows) : { start: 0, end: scores.rows };
    const progress = createProgress(range.end - range.start, process.stderr);
    const rows = (src: ArraySource): ArraySource => sliceRows(src, range.start, range.end);
    for await (const [start, s, y, w] of lockstep(rows(scores), rows(targets), Math.max(1, Math.floor(READ_CHUNK_BYTES / (numLabels * 8))), weights && rows(weights))) {
      const sampleWeights = w === undefined ? {} : { weights: toWeights(w, weightsPath!, range.start + start) };
      await ml.update({ scores: toScores(s), targets: toTargets(y, files.targets, range.start + start, numLabels), ...sampleWeights });
      progress.update(start + s.length / numLabels);
    }
    progress.finish();
    result = await ml.compute();
  } finally {
    ml?.destroy();
    backend?.destroy();
    await Promise.all(sources.map((s) => s.close()));
  }
  const report: BackendReport = { name: backend.name, adapter: backend.adapter };
  const shards = shard ? { count: shard.count, indices: [shard.index] } : undefined;
  const text = renderMultilabelReport(format, result, labels, report, shards);
  await outputs.commit(text, plotPath === undefined ? undefined : plotData(plotPath, multilabelSvg(result, labels)));
  return 0;
}
