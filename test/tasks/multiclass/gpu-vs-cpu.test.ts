import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, confusionMatrix, type ConfusionMatrixOptions, type ConfusionMatrixResult,
  createConfusionMatrix } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { createGpuCounter } from '../../../src/tasks/multiclass/update-gpu.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { LABEL_TYPES, type LogitStyle, makeLabels, makeLogits, rng } from '../../helpers/random.js';

async function bothPaths(device: GPUDevice, batch: Batch,
  options: Omit<ConfusionMatrixOptions, 'device'>): Promise<ConfusionMatrixResult> {
  const cpu = await confusionMatrix(batch, options);
  const gpu = await checked(device, () => confusionMatrix(batch, { ...options, device }));
  expect(gpu.total).toBe(cpu.total);
  expectSameCounts(gpu.counts, cpu.counts);
  return gpu;
}

/** Deep equality on a million cells is slow in expect(); report the first differing cell instead. */
function expectSameCounts(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  const i = a.findIndex((v, k) => v !== b[k]);
  expect(i === -1 ? 'equal' : `cell ${i}: ${a[i]} != ${b[i]}`).toBe('equal');
}

for (const adapter of TEST_ADAPTERS) {
  describe(`GPU == CPU on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    let wg: number;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
      wg = Math.min(256, device.limits.maxComputeInvocationsPerWorkgroup);
    });
    afterAll(() => gpu?.destroy());

    const histograms = ['global', 'private', 'local'] as const;
    const fits = (histogram: (typeof histograms)[number], c: number) =>
      histogram === 'global' ||
      (histogram === 'private' ? c * c * 4 <= device.limits.maxComputeWorkgroupStorageSize : c * c <= 100);

    it.each([1, 2, 3, 10, 64, 65, 90, 91])('C = %i, N around workgroup boundaries, every histogram', async (c) => {
      const rand = rng(c);
      for (const n of [0, 1, wg - 1, wg, wg + 1, 2 * wg + 3, 5000]) {
        const batch = { logits: makeLogits(rand, n, c, 'random'), labels: makeLabels(rand, n, c) };
        for (const histogram of histograms) {
          if (!fits(histogram, c)) continue;
          const r = await bothPaths(device, batch, { numClasses: c, histogram });
          expect(r.total).toBe(n);
        }
      }
    });

    it('C = 1000 (global atomics), N = 0, 1, 257, 3001', async () => {
      const rand = rng(1000);
      for (const n of [0, 1, 257, 3001]) {
        await bothPaths(device, { logits: makeLogits(rand, n, 1000, 'special'), labels: makeLabels(rand, n, 1000) }, {
          numClasses: 1000,
        });
      }
    });

    it.each(['ties', 'special'] as LogitStyle[])('%s: equal maxima, NaN, +-Inf, -0, subnormals', async (style) => {
      const rand = rng(style.length);
      for (const c of [2, 3, 10, 91]) {
        const batch = { logits: makeLogits(rand, 4000, c, style), labels: makeLabels(rand, 4000, c) };
        for (const histogram of histograms) {
          if (!fits(histogram, c)) continue;
          await bothPaths(device, batch, { numClasses: c, histogram });
        }
      }
    });

    it('rows of only NaN, only -Inf, only +Inf, and NaN after +Inf', async () => {
      const rows = [[NaN, NaN, NaN], [-Infinity, -Infinity, -Infinity], [Infinity, Infinity, Infinity], [Infinity, 1,
        NaN], [-0, 0, -0], [0, -0, 0], [1e-45, 0, 1e-45]];
      const logits = new Float32Array(rows.flat());
      const labels = new Uint8Array([0, 0, 0, 1, 1, 2, 2]);
      const r = await bothPaths(device, { logits, labels }, { numClasses: 3 });
      expect(Array.from(r.counts)).toEqual([3, 0, 0, 1, 0, 1, 2, 0, 0]);
    });

    it.each(LABEL_TYPES.map((t) => [t.name, t] as const))('labels as %s, logits and class indices', async (_, type) => {
      const rand = rng(type.name.length);
      const c = 7;
      const n = 3 * wg + 5;
      const labels = makeLabels(rand, n, c, type);
      await bothPaths(device, { logits: makeLogits(rand, n, c, 'ties'), labels }, { numClasses: c, chunkRows: 100 });
      await bothPaths(device, { preds: makeLabels(rand, n, c, type), labels }, { numClasses: c, chunkRows: 100 });
    });

    it('one class only: every sample on the single cell', async () => {
      const rand = rng(1);
      const r = await bothPaths(device, { logits: makeLogits(rand, 999, 1, 'special'), labels: new Uint8Array(999) }, {
        numClasses: 1,
      });
      expect(Array.from(r.counts)).toEqual([999]);
    });

    it('forced tiny chunks around the chunk boundary, and early flushes', async () => {
      const rand = rng(7);
      const c = 5;
      for (const chunkRows of [1, 7, 64]) {
        for (const n of [chunkRows - 1, chunkRows, chunkRows + 1, 2 * chunkRows, 2 * chunkRows + 1,
          10 * chunkRows + 3]) {
          const batch = { logits: makeLogits(rand, n, c, 'ties'), labels: makeLabels(rand, n, c) };
          await bothPaths(device, batch, { numClasses: c, chunkRows });
          await bothPaths(device, batch, { numClasses: c, chunkRows, flushEvery: 3 });
        }
      }
    });

    it('dispatch boundaries: more rows than workgroups x invocations runs the grid-stride loop', async () => {
      const rand = rng(11);
      for (const c of [4, 50]) {
        for (const n of [127, 128, 129, 1000]) {
          const batch = { logits: makeLogits(rand, n, c, 'random'), labels: makeLabels(rand, n, c) };
          for (const histogram of histograms) {
            if (!fits(histogram, c)) continue;
            await bothPaths(device, batch, { numClasses: c, workgroupSize: 32, maxWorkgroups: 2, histogram });
            await bothPaths(device, batch, { numClasses: c, workgroupSize: 32, maxWorkgroups: 1, histogram });
          }
        }
      }
    });

    it('accumulates many updates with flushes in between, compute mid-stream, reset', async () => {
      const rand = rng(3);
      const c = 6;
      const cpu = createConfusionMatrix({ numClasses: c });
      const gm = createConfusionMatrix({ numClasses: c, device, chunkRows: 50, flushEvery: 120 });
      await checked(device, async () => {
        for (let k = 0; k < 12; k++) {
          const n = Math.floor(rand() * 300);
          const batch: Batch = k % 2 ?
            { logits: makeLogits(rand, n, c, 'special'), labels: makeLabels(rand, n, c, Uint16Array) } :
            { preds: makeLabels(rand, n, c), labels: makeLabels(rand, n, c, BigInt64Array) };
          await cpu.update(batch);
          await gm.update(batch);
          if (k % 5 === 4) expect((await gm.compute()).counts).toEqual((await cpu.compute()).counts);
        }
        expect((await gm.compute()).counts).toEqual((await cpu.compute()).counts);
        await gm.reset();
        await gm.update({ preds: new Uint8Array([1, 2]), labels: new Uint8Array([1, 1]) });
        const after = await gm.compute();
        expect(after.total).toBe(2);
        expect(after.counts[c + 1]).toBe(1);
        expect(after.counts[c + 2]).toBe(1);
      });
      gm.destroy();
    });

    it('updates issued without awaiting are counted in order, none lost', async () => {
      const rand = rng(5);
      const c = 4;
      const batches = Array.from({ length: 8 },
        () => ({ logits: makeLogits(rand, 333, c, 'random'), labels: makeLabels(rand, 333, c) }));
      const gm = createConfusionMatrix({ numClasses: c, device, chunkRows: 100 });
      const cpu = createConfusionMatrix({ numClasses: c });
      await checked(device, async () => {
        await Promise.all(batches.map((b) => gm.update(b)));
        for (const b of batches) await cpu.update(b);
        expect((await gm.compute()).counts).toEqual((await cpu.compute()).counts);
      });
      gm.destroy();
    });

    it('flushes the u32 counts before any cell could pass flushEvery', async () => {
      const counter = createGpuCounter(device, 2, { chunkRows: 4, flushEvery: 10 });
      const labels = new Uint32Array(25);
      await checked(device, async () => {
        await counter.update({ rows: 25, numClasses: 2, labels, preds: labels });
        expect(counter.stats).toEqual({ chunks: 7, flushes: 3 });
        expect(Array.from(await counter.read())).toEqual([25, 0, 0, 0]);
      });
      expect(counter.stats.flushes).toBe(3);
      counter.destroy();
    });

    it('the histogram kernel refuses out-of-range indices that bypass validation, naming the first row', async () => {
      for (const histogram of histograms) {
        const counter = createGpuCounter(device, 3, { histogram, chunkRows: 4, flushEvery: 8 });
        await counter.update({ rows: 3, numClasses: 3, labels: new Uint32Array([0, 1, 2]),
          preds: new Uint32Array([0, 1, 1]) });
        const labels = new Uint32Array(20).fill(1);
        labels[13] = 3;
        labels[17] = 7;
        await expect(counter.update({ rows: 20, numClasses: 3, labels, preds: new Uint32Array(20) })).rejects.toThrow(
          'index 13: label is outside [0, 3) (1 such rows among rows [0, 16) of this batch)',
        );
        const preds = new Uint32Array(20);
        preds[19] = 0xffffffff;
        preds[2] = 5;
        await expect(counter.update({ rows: 20, numClasses: 3, labels: new Uint32Array(20), preds })).rejects.toThrow(
          'index 2: predicted class is outside [0, 3) (1 such rows among rows [0, 8)',
        );
        expect(Array.from(await counter.read())).toEqual([1, 0, 0, 0, 1, 0, 0, 1, 0]);
        await counter.update({ rows: 1, numClasses: 3, labels: new Uint32Array([2]), preds: new Uint32Array([2]) });
        expect(Array.from(await counter.read())).toEqual([1, 0, 0, 0, 1, 0, 0, 1, 1]);
        counter.destroy();
      }
    });

    it('a GPU validation error fails the update instead of giving a wrong matrix', async () => {
      const gm = createConfusionMatrix({ numClasses: 3, device });
      const queue = device.queue;
      const original = queue.writeBuffer;
      queue.writeBuffer = function(this: GPUQueue, buffer: GPUBuffer, _offset: number, ...rest: unknown[]) {
        return (original as (...a: unknown[]) => undefined).call(this, buffer, buffer.size + 256, ...rest);
      } as typeof original;
      try {
        await expect(gm.update({ preds: new Uint8Array([1, 2]), labels: new Uint8Array([1, 1]) })).rejects.toThrow(
          /the GPU failed during update/,
        );
      } finally {
        queue.writeBuffer = original;
      }
      await expect(gm.compute()).rejects.toThrow(/failed earlier: the GPU failed during update \(validation\)/);
    });

    it('a destroyed matrix refuses further work', async () => {
      const gm = createConfusionMatrix({ numClasses: 2, device });
      gm.destroy();
      await expect(gm.update({ preds: new Uint8Array([1]), labels: new Uint8Array([1]) })).rejects.toThrow('destroyed');
    });
  });
}
