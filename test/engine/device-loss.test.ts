import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, type ConfusionMatrix, confusionMatrix, createConfusionMatrix } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { loseOnSubmit, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const C = 7;

function makeBatches(seed: number, count: number): Batch[] {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const n = 150 + Math.floor(rand() * 400);
    return k % 3 === 2 ?
      { preds: makeLabels(rand, n, C, Uint8Array), labels: makeLabels(rand, n, C, Int16Array) } :
      { logits: makeLogits(rand, n, C, 'special'), labels: makeLabels(rand, n, C) };
  });
}

async function oracle(batches: Batch[]): Promise<Float64Array> {
  const cm = createConfusionMatrix({ numClasses: C });
  for (const b of batches) await cm.update(b);
  return (await cm.compute()).counts;
}

for (const adapter of TEST_ADAPTERS) {
  describe(`device loss on ${adapter.name}`, () => {
    const opened: NodeGpu[] = [];
    const open = async (): Promise<NodeGpu> => {
      const g = await requireDevice(adapter.options);
      opened.push(g);
      return g;
    };
    afterEach(() => {
      for (const g of opened.splice(0)) g.destroy();
    });

    // Small chunks and early flushes, so a loss can land between chunks, between flushes, or mid-read-back.
    const engine = { chunkRows: 64, flushEvery: 200 };

    it.each([1, 2, 3, 5, 8, 13, 21, 34])('lost at submit %i: goes on on the CPU, nothing lost or counted twice',
      async (at) => {
        const { device } = await open();
        const batches = makeBatches(at, 9);
        const warnings: string[] = [];
        const cm = createConfusionMatrix({ numClasses: C, device, ...engine, warn: (m) => warnings.push(m) });
        loseOnSubmit(device, at);
        for (const b of batches) await cm.update(b);
        expect((await cm.compute()).counts).toEqual(await oracle(batches));
        expect(cm.backend).toBe('cpu');
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(
          /device was lost \(destroyed.*counting on the CPU from here on; no accepted batch is lost/,
        );
        cm.destroy();
      });

    it('lost while idle between updates, and updates issued without awaiting: a new device takes over', async () => {
      const first = await open();
      const batches = makeBatches(99, 12);
      const warnings: string[] = [];
      let second: NodeGpu | undefined;
      const cm = createConfusionMatrix({ numClasses: C, device: first.device, ...engine, warn: (m) => warnings.push(m),
        recover: async () => {
          second = await open();
          return second.device;
        } });
      await cm.update(batches[0]!);
      first.device.destroy();
      await new Promise((r) => setTimeout(r, 20));
      const inFlight = batches.slice(1, 6).map((b) => cm.update(b));
      await Promise.all(inFlight);
      expect(cm.backend).toBe('gpu');
      loseOnSubmit(second!.device, 4);
      await Promise.all(batches.slice(6).map((b) => cm.update(b)));
      expect((await cm.compute()).counts).toEqual(await oracle(batches));
      expect(warnings.map((w) => w.replace(/\(.*?\)/, '(...)'))).toEqual([
        'confmat: the GPU device was lost (...); going on with a new device; no accepted batch is lost',
        'confmat: the GPU device was lost (...); going on with a new device; no accepted batch is lost',
      ]);
      cm.destroy();
    });

    it('a recover callback that fails falls back to the CPU, said aloud', async () => {
      const { device } = await open();
      const batches = makeBatches(5, 4);
      const warnings: string[] = [];
      const cm = createConfusionMatrix({ numClasses: C, device, ...engine, warn: (m) => warnings.push(m), recover: () =>
        Promise.reject(new Error('no adapter left')) });
      loseOnSubmit(device, 2);
      for (const b of batches) await cm.update(b);
      expect((await cm.compute()).counts).toEqual(await oracle(batches));
      expect(warnings[0]).toBe('confmat: no new device (no adapter left)');
      expect(warnings[1]).toMatch(/counting on the CPU from here on/);
    });

    it('a batch held in buffers of the lost device is refused, not half-counted; earlier batches are kept', async () => {
      const { device } = await open();
      const cm: ConfusionMatrix = createConfusionMatrix({ numClasses: C, device, ...engine, warn: () => undefined });
      const before = makeBatches(8, 2);
      for (const b of before) await cm.update(b);
      const labels = makeLabels(rng(1), 500, C, Uint32Array) as Uint32Array;
      const yb = device.createBuffer({ size: labels.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(yb, 0, labels as Uint32Array<ArrayBuffer>);
      loseOnSubmit(device, 3);
      await expect(cm.update({ preds: labels, labels: yb })).rejects.toThrow(
        /lives in GPU buffers of a device that is gone.*not counted; earlier batches are kept/,
      );
      expect((await cm.compute()).counts).toEqual(await oracle(before));
      const after = makeBatches(9, 2);
      for (const b of after) await cm.update(b);
      expect((await cm.compute()).counts).toEqual(await oracle([...before, ...after]));
    });

    it('the one-shot function recovers too', async () => {
      const { device } = await open();
      const [batch] = makeBatches(3, 1);
      loseOnSubmit(device, 2);
      const r = await confusionMatrix(batch!, { numClasses: C, device, chunkRows: 64, warn: () => undefined });
      expect(r.counts).toEqual(await oracle([batch!]));
    });
  });
}
