import { afterEach, describe, expect, it } from 'vitest';
import type { AccumulatorOptions } from '../../src/engine/accumulator.js';
import type { NodeGpu } from '../../src/node/index.js';
import { createThresholdSweep } from '../../src/tasks/binary/matrix.js';
import { createMultilabelMatrix } from '../../src/tasks/multilabel/matrix.js';
import { createPerClassMatrix } from '../../src/tasks/per-class/matrix.js';
import { SparseCounts } from '../../src/tasks/per-class/per-class.js';
import { loseOnSubmit, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

/** A task as the tests drive it: make a matrix, feed it batches, compare results as JSON. */
interface Task {
  name: string;
  make(
    options: AccumulatorOptions & { chunkRows?: number },
  ): { backend: 'gpu' | 'cpu'; update(b: unknown): Promise<void>; compute(): Promise<unknown>; destroy(): void };
  batches(seed: number, count: number): unknown[];
}

const L = 4;
const C = 40;
const scores = (rand: () => number, n: number): Float32Array =>
  Float32Array.from({ length: n }, () => Math.round(rand() * 20) / 20);
const targets = (rand: () => number, n: number): Uint8Array =>
  Uint8Array.from({ length: n }, () => (rand() < 0.4 ? 1 : 0));
const sizes = (rand: () => number): number => 150 + Math.floor(rand() * 300);

const TASKS: Task[] = [{ name: 'multilabel',
  make: (o) =>
    createMultilabelMatrix({ numLabels: L, threshold: [0.3, 0.5, 0.5, 0.7], ...o }) as ReturnType<Task['make']>,
  batches: (seed, count) => {
    const rand = rng(seed);
    return Array.from({ length: count }, (_, k) => {
      const n = sizes(rand);
      return { scores: scores(rand, n * L), targets: targets(rand, n * L),
        ...(k % 3 === 1 ? { weights: Float64Array.from({ length: n }, () => 0.5 + rand()) } : {}) };
    });
  } }, { name: 'threshold sweep',
  make: (o) => createThresholdSweep({ thresholds: [0.1, 0.25, 0.5, 0.75, 0.9], ...o }) as ReturnType<Task['make']>,
  batches: (seed, count) => {
    const rand = rng(seed);
    return Array.from({ length: count }, (_, k) => {
      const n = sizes(rand);
      return { scores: scores(rand, n), targets: targets(rand, n),
        ...(k % 3 === 1 ? { weights: Float64Array.from({ length: n }, () => 0.5 + rand()) } : {}) };
    });
  } }, { name: 'per-class', make: (o) => createPerClassMatrix({ numClasses: C, ...o }) as ReturnType<Task['make']>,
  batches: (seed, count) => {
    const rand = rng(seed);
    return Array.from({ length: count }, (_, k) => {
      const n = sizes(rand);
      return k % 3 === 2 ?
        { preds: makeLabels(rand, n, C), labels: makeLabels(rand, n, C) } :
        { logits: makeLogits(rand, n, C, 'special'), labels: makeLabels(rand, n, C) };
    });
  } }];

/** Results as JSON: typed arrays as lists, sparse pairs as sorted [key, count] entries (not their hash layout). */
const json = (x: unknown): string =>
  JSON.stringify(x, (_, v: unknown) => {
    if (ArrayBuffer.isView(v)) return Array.from(v as Float64Array);
    if (v instanceof SparseCounts) {
      const entries: [number, number][] = [];
      v.forEach((key, count) => entries.push([key, count]));
      return entries.sort((a, b) => a[0] - b[0]);
    }
    return v;
  });

for (const adapter of TEST_ADAPTERS) {
  describe.each(TASKS)(`every task on the one engine, on ${adapter.name}: $name`, (task) => {
    const opened: NodeGpu[] = [];
    const open = async (): Promise<NodeGpu> => {
      const g = await requireDevice(adapter.options);
      opened.push(g);
      return g;
    };
    afterEach(() => {
      for (const g of opened.splice(0)) g.destroy();
    });
    const oracle = async (batches: unknown[]): Promise<string> => {
      const m = task.make({});
      for (const b of batches) await m.update(b);
      return json(await m.compute());
    };

    it.each([1, 2, 3, 5, 8])('lost at submit %i: goes on on the CPU, nothing lost or counted twice', async (at) => {
      const { device } = await open();
      const batches = task.batches(at, 7);
      const warnings: string[] = [];
      const m = task.make({ device, chunkRows: 64, warn: (w) => warnings.push(w) });
      loseOnSubmit(device, at);
      for (const b of batches) await m.update(b);
      expect(json(await m.compute())).toBe(await oracle(batches));
      expect(m.backend).toBe('cpu');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/device was lost .*counting on the CPU from here on; no accepted batch is lost/);
      m.destroy();
    });

    it('updates issued without awaiting count once each, in any case with a device lost midway and a new one', async () => {
      const first = await open();
      const batches = task.batches(42, 10);
      const warnings: string[] = [];
      const m = task.make({ device: first.device, chunkRows: 64, warn: (w) => warnings.push(w), recover: async () =>
        (await open()).device });
      await Promise.all(batches.slice(0, 4).map((b) => m.update(b)));
      first.device.destroy();
      await new Promise((r) => setTimeout(r, 20));
      await Promise.all(batches.slice(4).map((b) => m.update(b)));
      expect(json(await m.compute())).toBe(await oracle(batches));
      expect(m.backend).toBe('gpu');
      expect(warnings).toEqual([
        expect.stringMatching(/device was lost .*going on with a new device; no accepted batch is lost/),
      ]);
      m.destroy();
      await expect(m.compute()).rejects.toThrow(/was destroyed/);
    });
  });
}
