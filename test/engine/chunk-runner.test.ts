import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { capacityFor, type ChunkRunner, createChunkRunner, groupsFor } from '../../src/engine/chunk-runner.js';
import { planTaskGpu } from '../../src/engine/task-gpu.js';
import type { NodeGpu } from '../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';

describe('chunk sizes', () => {
  it('grows buffers in powers of two from 256 rows up to the chunk, and caps workgroups', () => {
    expect([capacityFor(1, 4096), capacityFor(300, 4096), capacityFor(4000, 4096), capacityFor(5000, 4096)]).toEqual([
      256,
      512,
      4096,
      4096,
    ]);
    expect([groupsFor(1000, 256, 65535), groupsFor(0, 256, 65535), groupsFor(1e9, 256, 65535)]).toEqual([4, 1, 65535]);
  });

  it('names the count a task is too large in: labels, classes or thresholds', () => {
    const limits = { maxStorageBufferBindingSize: 1024, maxBufferSize: 1024, maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupsPerDimension: 65535 } as GPUSupportedLimits;
    for (const field of ['numLabels', 'numClasses', 'thresholds']) {
      let error: unknown;
      try {
        planTaskGpu(limits, 4096, {}, 'too wide', 0, field);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe(field);
    }
  });
});

/** A task that writes each chunk's row count and first row into a 2-word result, so the test sees every chunk. */
function rowsTask(runner: ChunkRunner, log: string[], failAt?: number) {
  const out = runner.buffer('result', 8, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  const folded: [number, number][] = [];
  const steps = { encode: (_: GPUCommandEncoder, start: number, rows: number) => {
    log.push(`encode ${start}`);
    runner.device.queue.writeBuffer(out, 0, Uint32Array.of(rows, start));
    return { source: out, bytes: 8, clearBytes: 8, info: start };
  }, fold: (words: Uint32Array, start: number) => {
    log.push(`fold ${start}`);
    if (start === failAt) throw new InputError('labels', `bad chunk at ${start}`);
    folded.push([words[0]!, words[1]!]);
  } };
  return { steps, folded };
}

describe.each(TEST_ADAPTERS)('the chunk runner on $name', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());

  it('folds every chunk in order, the next chunk encoded before the last one is folded', async () => {
    const runner = createChunkRunner(gpu.device, 'test', {});
    const log: string[] = [];
    const { steps, folded } = rowsTask(runner, log);
    await checked(gpu.device, () => runner.run('the test', () => runner.chunks(1000, 300, steps)));
    expect(folded).toEqual([[300, 0], [300, 300], [300, 600], [100, 900]]);
    expect(log).toEqual(['encode 0', 'encode 300', 'fold 0', 'encode 600', 'fold 300', 'encode 900', 'fold 600',
      'fold 900']);
    runner.destroy();
  });

  it('a fold that refuses the batch rejects it, leaves nothing mapped, and the next batch runs', async () => {
    const runner = createChunkRunner(gpu.device, 'test', {});
    const bad = rowsTask(runner, [], 300);
    await expect(runner.run('the test', () => runner.chunks(1000, 300, bad.steps))).rejects.toThrow(/bad chunk at 300/);
    const good = rowsTask(runner, []);
    await checked(gpu.device, () => runner.run('the test', () => runner.chunks(500, 300, good.steps)));
    expect(good.folded).toEqual([[300, 0], [200, 300]]);
    runner.destroy();
    await expect(runner.run('the test', () => runner.chunks(10, 300, good.steps))).rejects.toThrow(
      /this GPU test counter was destroyed/,
    );
  });

  it('grows a named buffer only when it must, and says so', () => {
    const runner = createChunkRunner(gpu.device, 'test', {});
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const a = runner.grow('scores', 1000, usage);
    const b = runner.grow('scores', 800, usage);
    const c = runner.grow('scores', 4000, usage);
    expect([a.grew, b.grew, c.grew]).toEqual([true, false, true]);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer.size).toBeGreaterThanOrEqual(4000);
    expect(c.buffer.label).toBe('confmat test scores');
    runner.destroy();
  });
});
