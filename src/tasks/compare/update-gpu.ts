import { addInto } from '../../engine/accumulator.js';
import { capacityFor, createChunkRunner, groupsFor, runnerCounter } from '../../engine/chunk-runner.js';
import { checkBinding, placeRows, planTaskGpu, type TaskGpuCounter,
  type TaskGpuOptions } from '../../engine/task-gpu.js';
import { compareWgsl } from '../../engine/wgsl/compare.generated.js';
import { comparisonCells, type FormattedComparisonBatch, type ModelInput } from './compare.js';

/** The GPU comparison: both models' predictions of each row counted in one pass of shaders/compare.wgsl. */
export type ComparisonGpuCounter = TaskGpuCounter<FormattedComparisonBatch, Float64Array>;

/** Rows counted on the device between read-backs: no u32 cell can pass 2^32 - 1. */
const FLUSH_ROWS = 2 ** 32 - 1;

/** Override constants of one model's input: class indices, f32 logits or halves. */
const modelConstants = (m: ModelInput, side: 'A' | 'B'): Record<string, number> => ({
  [`${side}_PREDS`]: m.preds ? 1 : 0,
  [`${side}_HALF_INF`]: m.half === 'float16' ? 0x7c00 : m.half === 'bfloat16' ? 0x7f80 : 0,
});

/**
 * Creates a {@link ComparisonGpuCounter} on `device`: each chunk's labels and both models' logits (or classes) are
 * uploaded and counted with one atomicAdd per row into the joint table (or three into both matrices and the
 * right/wrong table), which stays on the device until the batch ends, then comes back once into float64 totals.
 */
export function createComparisonGpuCounter(device: GPUDevice, numClasses: number, joint: boolean,
  options: TaskGpuOptions = {}): ComparisonGpuCounter {
  const c = numClasses;
  const cells = comparisonCells(c, joint);
  const what = joint ? `the joint table of ${c} classes (C^3 x 4 bytes)` : `the two matrices of ${c} classes`;
  checkBinding(device.limits, cells * 4, 'numClasses', what);
  const plan = planTaskGpu(device.limits, c * 4, options, `${c} classes`, 0, 'numClasses');
  const runner = createChunkRunner(device, 'compare', { compare: compareWgsl });
  const counts = runner.buffer('counts', cells * 4);

  const updateChunks = async (host: Float64Array, batch: FormattedComparisonBatch): Promise<void> => {
    const partial = new Float64Array(cells);
    const constants = { NUM_CLASSES: c, WORKGROUP_SIZE: plan.workgroupSize, JOINT: joint ? 1 : 0,
      ...modelConstants(batch.a, 'A'), ...modelConstants(batch.b, 'B') };
    let pending = 0;
    await runner.chunks<undefined>(batch.rows, plan.chunkRows, { encode: (encoder, start, n) => {
      const cap = capacityFor(n, plan.chunkRows);
      const place = (m: ModelInput, name: string) =>
        m.preds ?
          placeRows(runner, m.preds, name, start, n, 1, cap).binding :
          placeRows(runner, m.logits!, name, start, n, c, cap, m.half !== undefined).binding;
      const bound = { model_a: place(batch.a, 'model a'), model_b: place(batch.b, 'model b'),
        labels: placeRows(runner, batch.labels, 'labels', start, n, 1, cap).binding, counts };
      runner.dispatch(encoder, 'compare_count', constants, bound, groupsFor(n, plan.workgroupSize, plan.maxWorkgroups));
      pending += n;
      const next = Math.min(plan.chunkRows, batch.rows - start - n);
      if (next > 0 && pending + next <= FLUSH_ROWS) return undefined;
      pending = 0;
      return { source: counts, bytes: cells * 4, clearBytes: cells * 4, info: undefined };
    }, fold: (words) => addInto(partial, words.subarray(0, cells)) });
    addInto(host, partial);
  };

  return { ...runnerCounter(runner, 'the comparison', () => new Float64Array(cells), updateChunks), plan };
}
