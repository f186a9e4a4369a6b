import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { isGpuBuffer } from '../../engine/gpu-batch.js';
import { checkBinding, chunkStep, countAt, placeRows, planTaskGpu, valueAt } from '../../engine/task-gpu.js';
import type { TaskGpuCounter, TaskGpuOptions, TaskGpuPlan } from '../../engine/task-gpu.js';
import { thresholdSweepWgsl } from '../../engine/wgsl/threshold-sweep.generated.js';
import { orderKey } from '../../format/order-key.js';
import { targetError } from '../multilabel/multilabel.js';
import { addSweepCounts, type BinaryBatch, emptySweepCounts, type SweepCounts } from './binary.js';

/** The GPU threshold sweep: bin counts of positives and negatives over K thresholds, exact on the host. */
export type SweepGpuCounter = TaskGpuCounter<BinaryBatch & { rows: number }, SweepCounts>;

/**
 * Creates a {@link SweepGpuCounter} running shaders/threshold-sweep.wgsl on `device` for ascending
 * distinct float32 `thresholds` (see resolveSweepThresholds): one pass, O(log K) per row. Batches
 * with sample weights run `threshold_sweep_weighted`: exact fixed-point sums of each chunk's
 * weights, one rounding per bin and chunk (see src/format/weights.ts).
 */
export function createSweepGpuCounter(device: GPUDevice, thresholds: Float32Array,
  options: TaskGpuOptions = {}): SweepGpuCounter {
  const k = thresholds.length;
  const runner = createChunkRunner(device, 'sweep', { 'threshold-sweep': thresholdSweepWgsl });
  const planFor = (weighted: boolean): TaskGpuPlan => {
    const what = `${k} thresholds${weighted ? ' with sample weights' : ''}`;
    return planTaskGpu(device.limits, weighted ? 12 : 4, options, what, 0, 'thresholds');
  };
  const plan = planFor(false);
  let weightedPlan: TaskGpuPlan | undefined;
  const keys = runner.buffer('thresholds', k * 4);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));

  const updateChunks = async (host: SweepCounts, batch: BinaryBatch & { rows: number }): Promise<void> => {
    const { weights } = batch;
    // Weighted: 96-bit cells; else u32 cells and the bad-target tally (shaders/threshold-sweep.wgsl).
    const countsBytes = weights ? 3 * 2 * (k + 1) * 4 : (2 * (k + 1) + 1) * 4;
    if (weights) checkBinding(device.limits, countsBytes, 'weights', `sample weights with ${k} thresholds`);
    const p = weights ? (weightedPlan ??= planFor(true)) : plan;
    const kernel = weights ? 'threshold_sweep_weighted' : 'threshold_sweep';
    const check: Record<string, number> = isGpuBuffer(batch.targets) ? { CHECK_TARGETS: 1 } : {};
    const partial = emptySweepCounts(thresholds);
    const step = chunkStep(p.chunkRows, batch.rows, isGpuBuffer(batch.scores) || isGpuBuffer(batch.targets));
    await runner.chunks<[number, number | undefined]>(batch.rows, step, { encode: (encoder, start, n) => {
      const cap = capacityFor(n, p.chunkRows);
      const counts = runner.grow('counts', countsBytes).buffer;
      const scores = placeRows(runner, batch.scores, 'scores', start, n, 1, cap).binding;
      const { binding: targets, exponent } = placeRows(runner, batch.targets, 'targets and weights', start, n, 1, cap,
        false, weights);
      const constants = { NUM_THRESHOLDS: k, WORKGROUP_SIZE: p.workgroupSize, ...check };
      const groups = groupsFor(n, p.workgroupSize, p.maxWorkgroups);
      runner.dispatch(encoder, kernel, constants, { scores, targets, thresholds: keys, counts }, groups);
      return { source: counts, bytes: countsBytes, clearBytes: countsBytes, info: [start, exponent] };
    }, fold: async (c, [start, exponent]) => {
      const tally = weights ? 0 : c[2 * (k + 1)]!;
      if (tally !== 0) {
        const [index, t] = [start + (~tally >>> 0), batch.targets];
        throw targetError(index, 1, true, isGpuBuffer(t) ? await valueAt(runner, t, index) : t[index]);
      }
      for (let b = 0; b <= k; b++) {
        partial.pos[b]! += countAt(c, b, exponent);
        partial.neg[b]! += countAt(c, k + 1 + b, exponent);
      }
    } });
    addSweepCounts(host, { ...partial, weighted: weights !== undefined });
  };

  const counter = runnerCounter(runner, 'the threshold sweep', () => emptySweepCounts(thresholds), updateChunks);
  return { ...counter, plan };
}
