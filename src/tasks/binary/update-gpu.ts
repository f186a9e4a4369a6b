import { InputError } from '../../core/errors.js';
import { emptySweepCounts, type BinaryBatch, type SweepCounts } from './binary.js';
import { orderKey } from '../../format/order-key.js';
import { fixedPointExponent, fromFixedPoint, toFixedPoint } from '../../format/weights.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { bufferSource } from '../../engine/error-scope.js';
import { getPipeline } from '../../engine/pipelines.js';
import { writeArray } from '../../engine/write-array.js';
import { planTaskGpu, targetsToU32, type TaskGpuCounter, type TaskGpuOptions, type TaskGpuPlan } from '../../engine/task-gpu.js';

/** The GPU threshold sweep: bin counts of positives and negatives over K thresholds, exact on the host. */
export type SweepGpuCounter = TaskGpuCounter<BinaryBatch, SweepCounts>;

/** One kernel: `threshold_sweep`, or `threshold_sweep_weighted` (weights after the targets, 96-bit cells). */
interface Kernel {
  weighted: boolean;
  plan: TaskGpuPlan;
  pipeline: GPUComputePipeline;
  counts: GPUBuffer;
  countsBytes: number;
  group?: GPUBindGroup;
  scratch: Uint32Array;
}

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
  const kernel = (weighted: boolean): Kernel => {
    const tag = weighted ? ' (weighted)' : '';
    const countsBytes = (weighted ? 3 : 1) * 2 * (k + 1) * 4;
    const plan = planTaskGpu(device.limits, weighted ? 12 : 4, options, `${k} thresholds${weighted ? ' with sample weights' : ''}`, 0, 'thresholds');
    const pipeline = getPipeline(device, weighted ? 'threshold_sweep_weighted' : 'threshold_sweep', { NUM_THRESHOLDS: k, WORKGROUP_SIZE: plan.workgroupSize });
    const counts = runner.buffer(`counts${tag}`, countsBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    return { weighted, plan, pipeline, counts, countsBytes, scratch: new Uint32Array(0) };
  };
  const plain = kernel(false);
  let weightedKernel: Kernel | undefined;
  const params = runner.buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const keys = runner.buffer('thresholds', k * 4, STORAGE_IN);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));

  /** The kernel's input buffers for `rows` rows (grown as needed) and its bind group. */
  const fit = (kn: Kernel, rows: number): { scores: GPUBuffer; targets: GPUBuffer } => {
    const cap = capacityFor(rows, kn.plan.chunkRows);
    const words = cap * (kn.weighted ? 3 : 1);
    const scores = runner.grow(`scores${kn.weighted ? ' (weighted)' : ''}`, cap * 4, STORAGE_IN);
    const targets = runner.grow(`targets${kn.weighted ? ' and weights' : ''}`, words * 4, STORAGE_IN);
    if (kn.scratch.length < words) kn.scratch = new Uint32Array(words);
    if (!kn.group || scores.grew || targets.grew) {
      kn.group = device.createBindGroup({
        label: `confmat sweep${kn.weighted ? ' (weighted)' : ''}`,
        layout: kn.pipeline.getBindGroupLayout(0),
        entries: [params, scores.buffer, targets.buffer, keys, kn.counts].map((b, binding) => ({ binding, resource: { buffer: b } })),
      });
    }
    return { scores: scores.buffer, targets: targets.buffer };
  };


  const updateChunks = async (host: SweepCounts, batch: BinaryBatch): Promise<void> => {
    const { weights } = batch;
    if (weights && !weightedKernel) {
      const bytes = 6 * (k + 1) * 4;
      const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      if (bytes > maxBinding) throw new InputError('weights', `sample weights with ${k} thresholds need ${bytes} bytes of GPU cells, the device allows ${maxBinding}: use fewer thresholds or count on the CPU (--backend cpu)`, undefined, bytes);
      weightedKernel = kernel(true);
    }
    const kn = weights ? weightedKernel! : plain;
    const partial = emptySweepCounts(thresholds);
    await runner.chunks<number>(batch.scores.length, kn.plan.chunkRows, {
      encode: (encoder, start, n) => {
        const { scores, targets } = fit(kn, n);
        writeArray(device.queue, scores, 0, batch.scores, start, n);
        targetsToU32(batch.targets, start, n, kn.scratch);
        const exponent = weights ? fixedPointExponent(weights.subarray(start, start + n)) : 0;
        if (weights) toFixedPoint(weights, start, n, exponent, kn.scratch.subarray(n));
        device.queue.writeBuffer(targets, 0, bufferSource(kn.scratch), 0, n * (weights ? 3 : 1));
        device.queue.writeBuffer(params, 0, Uint32Array.of(n, 0, 0, 0));
        const pass = encoder.beginComputePass({ label: 'confmat sweep chunk' });
        pass.setPipeline(kn.pipeline);
        pass.setBindGroup(0, kn.group!);
        pass.dispatchWorkgroups(groupsFor(n, kn.plan.workgroupSize, kn.plan.maxWorkgroups));
        pass.end();
        return { source: kn.counts, bytes: kn.countsBytes, clearBytes: kn.countsBytes, info: exponent };
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

  return { ...runnerCounter(runner, 'the threshold sweep', () => emptySweepCounts(thresholds), updateChunks), plan: plain.plan };
}
