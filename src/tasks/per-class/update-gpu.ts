import { isEmulated } from '../../engine/chunk-plan.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { hasGpuInputs, isGpuBuffer } from '../../engine/gpu-batch.js';
import type { KernelName } from '../../engine/pipelines.js';
import { perClassWgsl } from '../../engine/shaders.generated.js';
import { chunkStep, indexOutOfRange, placeRows, planTaskGpu, type TaskGpuCounter,
  type TaskGpuOptions } from '../../engine/task-gpu.js';
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
  const runner = createChunkRunner(device, 'per-class', { 'per-class': perClassWgsl });
  let errors = new Uint32Array(1024);

  const updateChunks = async (host: PerClassCounts, batch: FormattedPerClassBatch): Promise<void> => {
    const { rows, logits, preds } = batch;
    const name: KernelName = logits ? (kernel === 'wide' ? 'per_class_wide' : 'per_class_rows') : 'per_class_preds';
    let numErrors = 0;
    const wide = name === 'per_class_wide';
    const constants = { NUM_CLASSES: numClasses, WORKGROUP_SIZE: wide ? wideSize : plan.workgroupSize };
    // Labels in a buffer are copied after the chunk's error list and read back with it: the host adds support.
    const readLabels = isGpuBuffer(batch.labels);
    const labels = isGpuBuffer(batch.labels) ? new Uint32Array(rows) : batch.labels;
    const step = chunkStep(plan.chunkRows, rows, hasGpuInputs(batch));
    await runner.chunks<[number, number]>(rows, step, { encode: (encoder, start, n) => {
      const cap = capacityFor(n, plan.chunkRows);
      const place = (x: FormattedPerClassBatch['labels'] | Float32Array, field: string, width = 1) =>
        placeRows(runner, x, field, start, n, width, cap).binding;
      const tally = runner.grow('tally', (HEADER + (readLabels ? 3 : 2) * cap) * 4).buffer;
      const input = logits ? place(logits as Float32Array, 'logits', numClasses) : place(preds!, 'preds');
      const count = wide ? Math.min(n, plan.maxWorkgroups) : groupsFor(n, plan.workgroupSize, plan.maxWorkgroups);
      const bound = { labels: place(batch.labels, 'labels'), [logits ? 'logits' : 'preds']: input,
        tally: readLabels ? { buffer: tally, size: (HEADER + 2 * n) * 4 } : tally };
      runner.dispatch(encoder, name, constants, bound, count);
      if (isGpuBuffer(batch.labels)) {
        encoder.copyBufferToBuffer(batch.labels, start * 4, tally, (HEADER + 2 * n) * 4, n * 4);
      }
      return { source: tally, bytes: (HEADER + (readLabels ? 3 : 2) * n) * 4, clearBytes: HEADER * 4,
        info: [start, n] };
    }, fold: (got, [start, n]) => {
      if (readLabels) (labels as Uint32Array).set(got.subarray(HEADER + 2 * n, HEADER + 3 * n), start);
      if (got[1] !== 0) throw indexOutOfRange('labels', got[1]!, got[2]!, numClasses, labels);
      if (got[3] !== 0) throw indexOutOfRange('preds', got[3]!, got[4]!, numClasses, preds);
      const count = got[0]!;
      if (2 * (numErrors + count) > errors.length) {
        const grown = new Uint32Array(Math.max(errors.length * 2, 2 * (numErrors + count)));
        grown.set(errors.subarray(0, 2 * numErrors));
        errors = grown;
      }
      errors.set(got.subarray(HEADER, HEADER + 2 * count), 2 * numErrors);
      numErrors += count;
    } });
    addRows(host, labels, errors, numErrors);
  };

  return { ...runnerCounter(runner, 'the per-class update', () => emptyPerClassCounts(numClasses), updateChunks), plan,
    kernel };
}
