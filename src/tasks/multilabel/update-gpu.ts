import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { isGpuBuffer } from '../../engine/gpu-batch.js';
import { checkBinding, chunkStep, countAt, placeRows, planTaskGpu, valueAt } from '../../engine/task-gpu.js';
import type { TaskGpuCounter, TaskGpuOptions, TaskGpuPlan } from '../../engine/task-gpu.js';
import { multilabelWgsl } from '../../engine/wgsl/multilabel.generated.js';
import { orderKey } from '../../format/order-key.js';
import { addMultilabelCounts, addSampleRow, emptyMultilabelCounts, sumWeights, targetError } from './multilabel.js';
import type { FormattedMultilabelBatch, MultilabelCounts } from './multilabel.js';
import { createOutcomeTally } from './row-outcomes.js';

/** The GPU multilabel update: per label TP/FP/FN and per row sample sums, exact on the host. */
export type MultilabelGpuCounter = TaskGpuCounter<FormattedMultilabelBatch, MultilabelCounts>;

/**
 * Creates a {@link MultilabelGpuCounter} running shaders/multilabel.wgsl on `device`: label j is
 * predicted when its float32 score >= thresholds[j], compared as order keys exactly like the CPU path.
 * Each chunk's counts and per-row stats are read back while the next chunk runs, so u32 counts never
 * overflow. Batches with sample weights run `multilabel_weighted`: exact fixed-point sums of each
 * chunk's weights, one rounding per cell and chunk (see src/format/weights.ts). With `outcomes`, unweighted
 * batches also read back each row's outcome per label (2 bits) for the table of row outcomes.
 */
export function createMultilabelGpuCounter(device: GPUDevice, numLabels: number, thresholds: Float32Array,
  options: TaskGpuOptions = {}, outcomes = false): MultilabelGpuCounter {
  const runner = createChunkRunner(device, 'multilabel', { multilabel: multilabelWgsl });
  const words = outcomes ? Math.ceil(numLabels / 16) : 0;
  const planFor = (weighted: boolean): TaskGpuPlan => {
    const what = `${numLabels} labels${weighted ? ' with sample weights' : ''}`;
    const rowBytes = Math.max(numLabels * 4 + (weighted ? 8 : 0), 12 + (weighted ? 0 : 4 * words));
    return planTaskGpu(device.limits, rowBytes, options, what, weighted ? numLabels * 36 : numLabels * 12 + 4);
  };
  const plan = planFor(false);
  let weightedPlan: TaskGpuPlan | undefined;
  const keys = runner.buffer('thresholds', numLabels * 4);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));

  const updateChunks = async (host: MultilabelCounts, batch: FormattedMultilabelBatch): Promise<void> => {
    const { weights } = batch;
    // Weighted: 96-bit TP/FP/FN cells; else u32 cells and the bad-target tally (shaders/multilabel.wgsl).
    const cellBytes = weights ? numLabels * 36 : numLabels * 12 + 4;
    if (weights) checkBinding(device.limits, cellBytes + 12, 'weights', `sample weights with ${numLabels} labels`);
    const p = weights ? (weightedPlan ??= planFor(true)) : plan;
    const kernel = weights ? 'multilabel_weighted' : 'multilabel';
    const check: Record<string, number> = isGpuBuffer(batch.targets) ? { CHECK_TARGETS: 1 } : {};
    const keep = !weights && host.outcomes !== undefined && host.outcomes !== null ? words : 0;
    const rowWords = 3 + keep;
    const partial = emptyMultilabelCounts(numLabels, keep > 0);
    if (keep === 0 && host.outcomes !== undefined) partial.outcomes = null;
    const outcomeTally = createOutcomeTally(numLabels);
    const step = chunkStep(p.chunkRows, batch.rows, isGpuBuffer(batch.scores) || isGpuBuffer(batch.targets));
    await runner.chunks(batch.rows, step, { encode: (encoder, start, n) => {
      const cap = capacityFor(n, p.chunkRows);
      const stats = `counts and row stats${weights ? ' (weighted)' : ''}`;
      const counts = runner.grow(stats, cellBytes + cap * 4 * rowWords).buffer;
      const scores = placeRows(runner, batch.scores, 'scores', start, n, numLabels, cap).binding;
      const { binding: targets, exponent } = placeRows(runner, batch.targets, 'targets and weights', start, n,
        numLabels, cap, false, weights);
      const constants = { NUM_LABELS: numLabels, WORKGROUP_SIZE: p.workgroupSize, ...check,
        ...(keep > 0 && { OUTCOME_WORDS: keep }) };
      const groups = groupsFor(n, p.workgroupSize, p.maxWorkgroups);
      runner.dispatch(encoder, kernel, constants, { scores, targets, thresholds: keys, counts }, groups);
      const info = { start, rows: n, exponent };
      return { source: counts, bytes: cellBytes + n * 4 * rowWords, clearBytes: cellBytes, info };
    }, fold: async (c, { start, rows: n, exponent }) => {
      const tally = weights ? 0 : c[3 * numLabels]!;
      if (tally !== 0) {
        const [index, t] = [start * numLabels + (~tally >>> 0), batch.targets];
        throw targetError(index, numLabels, false, isGpuBuffer(t) ? await valueAt(runner, t, index) : t[index]);
      }
      const into = [partial.tp, partial.fp, partial.fn];
      for (let j = 0; j < numLabels; j++) for (let x = 0; x < 3; x++) into[x]![j]! += countAt(c, 3 * j + x, exponent);
      const r = c.subarray(cellBytes / 4);
      for (let i = 0; i < n; i++) {
        addSampleRow(partial.samples, r[3 * i]!, r[3 * i + 1]!, r[3 * i + 2]!, weights?.[start + i]);
      }
      for (let i = 0, at = 3 * n; i < n && keep > 0; i++, at += keep) outcomeTally.add(r, at);
      if (keep > 0) partial.outcomes = outcomeTally.flush(partial.outcomes!);
    } });
    partial.rows = weights ? sumWeights(weights) : batch.rows;
    partial.weighted = weights !== undefined;
    addMultilabelCounts(host, partial);
  };

  const counter = runnerCounter(runner, 'the multilabel update', () => emptyMultilabelCounts(numLabels, outcomes),
    updateChunks);
  return { ...counter, plan };
}
