import { InputError } from '../../core/errors.js';
import { addSampleRow, addSampleSums, emptyMultilabelCounts, sumWeights, type FormattedMultilabelBatch, type MultilabelCounts } from './multilabel.js';
import { orderKey } from '../../format/order-key.js';
import { fixedPointExponent, fromFixedPoint, toFixedPoint } from '../../format/weights.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { bufferSource } from '../../engine/error-scope.js';
import { getPipeline } from '../../engine/pipelines.js';
import { writeArray } from '../../engine/write-array.js';
import { planTaskGpu, targetsToU32, type TaskGpuCounter, type TaskGpuOptions, type TaskGpuPlan } from '../../engine/task-gpu.js';

/** The GPU multilabel update: per label TP/FP/FN and per row sample sums, exact on the host. */
export type MultilabelGpuCounter = TaskGpuCounter<FormattedMultilabelBatch, MultilabelCounts>;

/** One kernel: `multilabel`, or `multilabel_weighted` (weights after the targets, 96-bit cells). */
interface Kernel {
  weighted: boolean;
  plan: TaskGpuPlan;
  pipeline: GPUComputePipeline;
  /** Bytes of the per label cells before the per row stats. */
  cellBytes: number;
  group?: GPUBindGroup;
  scratch: Uint32Array;
}

/** What folding one chunk needs: its rows and the fixed-point exponent of its weights. */
interface ChunkInfo {
  start: number;
  rows: number;
  exponent: number;
}

/**
 * Creates a {@link MultilabelGpuCounter} running shaders/multilabel.wgsl on `device`: label j is
 * predicted when its float32 score >= thresholds[j], compared as order keys exactly like the CPU path.
 * Each chunk's counts and per-row stats are read back while the next chunk runs, so u32 counts never
 * overflow. Batches with sample weights run `multilabel_weighted`: exact fixed-point sums of each
 * chunk's weights, one rounding per cell and chunk (see src/format/weights.ts).
 *
 * @example
 * const counter = createMultilabelGpuCounter(device, 5, Float32Array.of(0.5, 0.5, 0.5, 0.5, 0.5));
 * await counter.update(formatMultilabelBatch({ scores, targets }, 5));
 * const counts = counter.committed();
 * counter.destroy();
 */
export function createMultilabelGpuCounter(device: GPUDevice, numLabels: number, thresholds: Float32Array, options: TaskGpuOptions = {}): MultilabelGpuCounter {
  const runner = createChunkRunner(device, 'multilabel');
  const STORAGE_IN = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const kernel = (weighted: boolean): Kernel => {
    const cellBytes = numLabels * (weighted ? 36 : 12);
    const what = `${numLabels} labels${weighted ? ' with sample weights' : ''}`;
    const plan = planTaskGpu(device.limits, Math.max(numLabels * 4 + (weighted ? 8 : 0), 12), options, what, cellBytes, 'numLabels');
    const pipeline = getPipeline(device, weighted ? 'multilabel_weighted' : 'multilabel', { NUM_LABELS: numLabels, WORKGROUP_SIZE: plan.workgroupSize });
    return { weighted, plan, pipeline, cellBytes, scratch: new Uint32Array(0) };
  };
  const plain = kernel(false);
  let weightedKernel: Kernel | undefined;
  const params = runner.buffer('params', 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const keys = runner.buffer('thresholds', numLabels * 4, STORAGE_IN);
  device.queue.writeBuffer(keys, 0, Uint32Array.from(thresholds, orderKey));

  /** The kernel's buffers for `rows` rows (grown as needed) and its bind group. */
  const fit = (k: Kernel, rows: number): { scores: GPUBuffer; targets: GPUBuffer; counts: GPUBuffer } => {
    const cap = capacityFor(rows, k.plan.chunkRows);
    const words = cap * (numLabels + (k.weighted ? 2 : 0));
    const tag = k.weighted ? ' (weighted)' : '';
    const scores = runner.grow(`scores${tag}`, cap * numLabels * 4, STORAGE_IN);
    const targets = runner.grow(`targets${k.weighted ? ' and weights' : ''}`, words * 4, STORAGE_IN);
    const counts = runner.grow(`counts and row stats${tag}`, k.cellBytes + cap * 12, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    if (k.scratch.length < words) k.scratch = new Uint32Array(words);
    if (!k.group || scores.grew || targets.grew || counts.grew) {
      k.group = device.createBindGroup({
        label: `confmat multilabel${tag}`,
        layout: k.pipeline.getBindGroupLayout(0),
        entries: [params, scores.buffer, targets.buffer, keys, counts.buffer].map((b, binding) => ({ binding, resource: { buffer: b } })),
      });
    }
    return { scores: scores.buffer, targets: targets.buffer, counts: counts.buffer };
  };


  const updateChunks = async (host: MultilabelCounts, batch: FormattedMultilabelBatch): Promise<void> => {
    const { weights } = batch;
    if (weights && !weightedKernel) {
      const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      if (numLabels * 36 + 12 > maxBinding) throw new InputError('weights', `sample weights with ${numLabels} labels need ${numLabels * 36} bytes of GPU cells, the device allows ${maxBinding}: count on the CPU instead (--backend cpu)`, undefined, numLabels * 36);
      weightedKernel = kernel(true);
    }
    const k = weights ? weightedKernel! : plain;
    const partial = emptyMultilabelCounts(numLabels);
    await runner.chunks<ChunkInfo>(batch.rows, k.plan.chunkRows, {
      encode: (encoder, start, n) => {
        const { scores, targets, counts } = fit(k, n);
        writeArray(device.queue, scores, 0, batch.scores, start * numLabels, n * numLabels);
        targetsToU32(batch.targets, start * numLabels, n * numLabels, k.scratch);
        const exponent = weights ? fixedPointExponent(weights.subarray(start, start + n)) : 0;
        if (weights) toFixedPoint(weights, start, n, exponent, k.scratch.subarray(n * numLabels));
        device.queue.writeBuffer(targets, 0, bufferSource(k.scratch), 0, n * (numLabels + (weights ? 2 : 0)));
        device.queue.writeBuffer(params, 0, Uint32Array.of(n, 0, 0, 0));
        const pass = encoder.beginComputePass({ label: 'confmat multilabel chunk' });
        pass.setPipeline(k.pipeline);
        pass.setBindGroup(0, k.group!);
        pass.dispatchWorkgroups(groupsFor(n, k.plan.workgroupSize, k.plan.maxWorkgroups));
        pass.end();
        return { source: counts, bytes: k.cellBytes + n * 12, clearBytes: k.cellBytes, info: { start, rows: n, exponent } };
      },
      fold: (c, { start, rows: n, exponent }) => {
        const into = [partial.tp, partial.fp, partial.fn];
        for (let j = 0; j < numLabels; j++) {
          for (let x = 0; x < 3; x++) {
            if (!weights) into[x]![j]! += c[3 * j + x]!;
            else {
              const w = 3 * (3 * j + x);
              if (c[w] !== 0 || c[w + 1] !== 0 || c[w + 2] !== 0) into[x]![j]! += fromFixedPoint(c[w]!, c[w + 1]!, c[w + 2]!, exponent);
            }
          }
        }
        const r = c.subarray(k.cellBytes / 4);
        if (weights) for (let i = 0; i < n; i++) addSampleRow(partial.samples, r[3 * i]!, r[3 * i + 1]!, r[3 * i + 2]!, weights[start + i]!);
        else for (let i = 0; i < n; i++) addSampleRow(partial.samples, r[3 * i]!, r[3 * i + 1]!, r[3 * i + 2]!);
      },
    });
    for (let j = 0; j < numLabels; j++) {
      host.tp[j]! += partial.tp[j]!;
      host.fp[j]! += partial.fp[j]!;
      host.fn[j]! += partial.fn[j]!;
    }
    if (weights) {
      host.rows += sumWeights(weights);
      host.weighted = true;
    } else host.rows += batch.rows;
    addSampleSums(host.samples, partial.samples);
  };

  return { ...runnerCounter(runner, 'the multilabel update', () => emptyMultilabelCounts(numLabels), updateChunks), plan: plain.plan };
}
