import { InputError } from '../../core/errors.js';
import { isEmulated } from '../../engine/chunk-plan.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import type { KernelName } from '../../engine/pipelines.js';
import { planTaskGpu, type TaskGpuCounter, type TaskGpuOptions, writeTargets } from '../../engine/task-gpu.js';
import { writeArray } from '../../engine/write-array.js';
import { addRows, emptyPerClassCounts, type FormattedPerClassBatch, type PerClassCounts } from './per-class.js';

/**
 * From this many classes on, `kernel: 'auto'` argmaxes each row with a whole workgroup
 * (`per_class_wide`) instead of one invocation (`per_class_rows`): a 32 MiB chunk then holds at
 * most 8192 rows, too few to occupy a GPU one invocation per row, and each row is long enough to
 * split among a workgroup with coalesced reads. Not on CPU-emulated adapters (SwiftShader,
 * llvmpipe), where each workgroup barrier is a switch between emulated invocations: there the wide
 * kernel was 2x (C = 100000) to 70x (C = 2000) slower than one invocation per row.
 *
 * @example
 * WIDE_FROM_CLASSES; // 1024
 */
export const WIDE_FROM_CLASSES = 1024;

/** Options of {@link createPerClassGpuCounter}. */
export interface PerClassGpuOptions extends TaskGpuOptions {
  /**
   * 'rows': one invocation per row; 'wide': one workgroup per row; 'auto' (default): wide from {@link
   * WIDE_FROM_CLASSES} classes, except on CPU-emulated adapters.
   */
  kernel?: 'auto' | 'rows' | 'wide' | undefined;
}

/** The GPU per-class update: argmax and compare on the device, only misclassified rows come back. */
export interface PerClassGpuCounter extends TaskGpuCounter<FormattedPerClassBatch, PerClassCounts> {
  /** The argmax kernel in use for logits. */
  readonly kernel: 'rows' | 'wide';
}

const HEADER = 8;

/**
 * Creates a {@link PerClassGpuCounter} running shaders/per-class.wgsl on `device`. Per chunk the
 * kernel appends each misclassified row's (label, prediction) through an atomic cursor; the host
 * reads back that list (at most two u32 per row of the chunk) and, holding the labels, adds
 * support, TP, FP, FN and the sparse pairs into float64 totals once the whole batch has passed.
 * Nothing accumulates on the device past a chunk, so no u32 can overflow, and there is no O(C)
 * read-back per chunk; a chunk's list comes back while the next one runs.
 */
export function createPerClassGpuCounter(device: GPUDevice, numClasses: number,
  options: PerClassGpuOptions = {}): PerClassGpuCounter {
  const plan = planTaskGpu(device.limits, Math.max(numClasses * 4, 8), options, `${numClasses} classes`, HEADER * 4,
    'numClasses');
  const wideByDefault = numClasses >= WIDE_FROM_CLASSES && !isEmulated(device.adapterInfo);
  const kernel = options.kernel === 'rows' || options.kernel === 'wide' ?
    options.kernel :
    wideByDefault ?
    'wide' :
    'rows';
  const wideSize = 2 ** Math.floor(Math.log2(plan.workgroupSize));
  const runner = createChunkRunner(device, 'per-class');
  let errors = new Uint32Array(1024);

  const refuse = (batch: FormattedPerClassBatch, field: 'labels' | 'preds', bad: number, firstBits: number): never => {
    const row = ~firstBits >>> 0;
    const value = field === 'labels' ? batch.labels[row] : batch.preds?.[row];
    const what = field === 'labels' ? 'label' : 'predicted class';
    throw new InputError(field,
      `index ${row}: ${what} ${
        String(value)
      } is outside [0, ${numClasses}) (${bad} such rows in this chunk, found on the GPU)`, row, value);
  };

  const updateChunks = async (host: PerClassCounts, batch: FormattedPerClassBatch): Promise<void> => {
    const name: KernelName = batch.logits ?
      (kernel === 'wide' ? 'per_class_wide' : 'per_class_rows') :
      'per_class_preds';
    let numErrors = 0;
    const wide = name === 'per_class_wide';
    const constants = { NUM_CLASSES: numClasses, WORKGROUP_SIZE: wide ? wideSize : plan.workgroupSize };
    await runner.chunks<undefined>(batch.rows, plan.chunkRows, { encode: (encoder, start, n) => {
      const cap = capacityFor(n, plan.chunkRows);
      const labels = runner.grow('labels', cap * 4).buffer;
      const tally = runner.grow('tally', (HEADER + 2 * cap) * 4).buffer;
      writeTargets(runner, labels, batch.labels, 1, start, n);
      const input = runner.grow(batch.logits ? 'logits' : 'preds', cap * (batch.logits ? numClasses : 1) * 4).buffer;
      if (batch.logits) writeArray(device.queue, input, 0, batch.logits, start * numClasses, n * numClasses);
      else writeTargets(runner, input, batch.preds!, 1, start, n);
      const count = wide ? Math.min(n, plan.maxWorkgroups) : groupsFor(n, plan.workgroupSize, plan.maxWorkgroups);
      runner.dispatch(encoder, name, constants, { labels, tally, [batch.logits ? 'logits' : 'preds']: input }, count);
      return { source: tally, bytes: (HEADER + 2 * n) * 4, clearBytes: HEADER * 4, info: undefined };
    }, fold: (got) => {
      if (got[1] !== 0) refuse(batch, 'labels', got[1]!, got[2]!);
      if (got[3] !== 0) refuse(batch, 'preds', got[3]!, got[4]!);
      const count = got[0]!;
      if (2 * (numErrors + count) > errors.length) {
        const grown = new Uint32Array(Math.max(errors.length * 2, 2 * (numErrors + count)));
        grown.set(errors.subarray(0, 2 * numErrors));
        errors = grown;
      }
      errors.set(got.subarray(HEADER, HEADER + 2 * count), 2 * numErrors);
      numErrors += count;
    } });
    addRows(host, batch.labels, errors, numErrors);
  };

  return { ...runnerCounter(runner, 'the per-class update', () => emptyPerClassCounts(numClasses), updateChunks), plan,
    kernel };
}
