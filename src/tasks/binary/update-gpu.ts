import { emptySweepCounts, type BinaryBatch, type SweepCounts } from './binary.js';
import { orderKey } from '../../format/order-key.js';
import { fromFixedPoint } from '../../format/weights.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { writeArray } from '../../engine/write-array.js';
import { checkBinding, planTaskGpu, writeTargets } from '../../engine/task-gpu.js';
import type { TaskGpuCounter, TaskGpuOptions, TaskGpuPlan } from '../../engine/task-gpu.js';

/** The GPU threshold sweep: bin counts of positives and negatives over K thresholds, exact on the host. */
export type SweepGpuCounter = TaskGpuCounter<BinaryBatch, SweepCounts>;

/**
 * Creates a {@link SweepGpuCounter} running shaders/threshold-sweep.wgsl on `device` for ascending
 * distinct float32 `thresholds` (see resolveSweepThresholds): one pass, O(log K) per row. Batches
 * with sample weights run `threshold_sweep_weighted`: exact fixed-point sums of each chunk's
 * weights, one rounding per bin and chunk (see src/format/weights.ts).
 *
 * @example
 * const counter = createSweepGpuCounter(device, resolveSweepThresholds([0.25, 0.5, 0.75]));
 * await counter.update(formatBinaryBatch({ scores, targets }));
 * const result = sweepResult(counter.committed());
 * counter.destroy();
 */
export function createSweepGpuCounter(device: GPUDevice, thresholds: Float32Array, options: TaskGpuOptions = {}): SweepGpuCounter {
  const k = thresholds.length;
  const runner = createChunkRunner(device, 'sweep');
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const what = `${k} thresholds`;
  const plan = planTaskGpu(device.limits, 4, options, what, 0, 'thresholds');
  let weightedPlan: TaskGpuPlan | undefined;
  const keys = runner.buffer('thresholds', k * 4, STORAGE_IN);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));

  const updateChunks = async (host: SweepCounts, batch: BinaryBatch): Promise<void> => {
    const { weights } = batch;
    const words = weights ? 3 : 1;
    const countsBytes = words * 2 * (k + 1) * 4;
    if (weights && !weightedPlan) {
      checkBinding(device.limits, countsBytes, 'weights', `sample weights with ${what}`);
      weightedPlan = planTaskGpu(device.limits, 12, options, `${what} with sample weights`, 0, 'thresholds');
    }
    const p = weights ? weightedPlan! : plan;
    const kernel = weights ? 'threshold_sweep_weighted' : 'threshold_sweep';
    const partial = emptySweepCounts(thresholds);
    await runner.chunks<number>(batch.scores.length, p.chunkRows, {
      encode: (encoder, start, n) => {
        const cap = capacityFor(n, p.chunkRows);
        const scores = runner.grow('scores', cap * 4, STORAGE_IN).buffer;
        const targets = runner.grow('targets and weights', cap * words * 4, STORAGE_IN).buffer;
        const counts = runner.grow('counts', countsBytes, STORAGE_IN | GPUBufferUsage.COPY_SRC).buffer;
        writeArray(device.queue, scores, 0, batch.scores, start, n);
        const exponent = writeTargets(runner, targets, batch.targets, 1, start, n, weights);
        const constants = { NUM_THRESHOLDS: k, WORKGROUP_SIZE: p.workgroupSize };
        const groups = groupsFor(n, p.workgroupSize, p.maxWorkgroups);
        runner.dispatch(encoder, kernel, constants, { scores, targets, thresholds: keys, counts }, groups);
        return { source: counts, bytes: countsBytes, clearBytes: countsBytes, info: exponent };
      },
      fold: (c, exponent) => {
        for (let b = 0; b <= k; b++) {
          if (!weights) {
            partial.pos[b]! += c[b]!;
            partial.neg[b]! += c[k + 1 + b]!;
            continue;
          }
          for (const [into, cell] of [[partial.pos, b], [partial.neg, k + 1 + b]] as const) {
            const w = 3 * cell;
            if (c[w] !== 0 || c[w + 1] !== 0 || c[w + 2] !== 0) into[b]! += fromFixedPoint(c[w]!, c[w + 1]!, c[w + 2]!, exponent);
          }
        }
      },
    });
    for (let b = 0; b <= k; b++) {
      host.pos[b]! += partial.pos[b]!;
      host.neg[b]! += partial.neg[b]!;
    }
    if (weights) host.weighted = true;
  };

  const counter = runnerCounter(runner, 'the threshold sweep', () => emptySweepCounts(thresholds), updateChunks);
  return { ...counter, plan };
}
