import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, type ConfusionMatrixOptions, createConfusionMatrix } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

function batchesFor(seed: number, c: number, count: number): Batch[] {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const n = Math.floor(rand() * 700);
    return k % 2 ?
      { preds: makeLabels(rand, n, c), labels: makeLabels(rand, n, c, Uint16Array) } :
      { logits: makeLogits(rand, n, c, 'ties'), labels: makeLabels(rand, n, c) };
  });
}

async function sequential(c: number, batches: Batch[]): Promise<Float64Array> {
  const cm = createConfusionMatrix({ numClasses: c });
  for (const b of batches) await cm.update(b);
  return (await cm.compute()).counts;
}

for (const adapter of TEST_ADAPTERS) {
  describe(`concurrency on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
    });
    afterAll(() => gpu?.destroy());

    it('several evaluators on one device, their updates interleaved in random order, equal running them one after another', async () => {
      const specs: (Omit<ConfusionMatrixOptions, 'device'> & { seed: number })[] = [{ numClasses: 3, seed: 1,
        chunkRows: 50 }, { numClasses: 3, seed: 2, histogram: 'private', flushEvery: 90 }, { numClasses: 10, seed: 3 },
        { numClasses: 41, seed: 4, chunkRows: 64, workgroupSize: 32 }, { numClasses: 1, seed: 5 }];
      const work = specs.map((spec) => ({ spec, batches: batchesFor(spec.seed, spec.numClasses, 8),
        cm: createConfusionMatrix({ ...spec, device }) })
      );
      const order = work.flatMap((w, i) => w.batches.map((b) => [i, b] as const));
      const rand = rng(77);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      // Each evaluator's own batches keep their relative order; across evaluators everything interleaves.
      const perEvaluator = work.map(() => [] as Batch[]);
      await checked(device, () =>
        Promise.all(order.map(([i, b]) => (perEvaluator[i]!.push(b), work[i]!.cm.update(b)))));
      for (const [i, w] of work.entries()) {
        expect((await w.cm.compute()).counts).toEqual(await sequential(w.spec.numClasses, perEvaluator[i]!));
        expect(w.cm.backend).toBe('gpu');
        w.cm.destroy();
      }
    });

    it('update, compute and reset issued without awaiting run in call order', async () => {
      const c = 5;
      const [b1, b2, b3, b4] = batchesFor(9, c, 4) as [Batch, Batch, Batch, Batch];
      for (const device_ of [device, undefined]) {
        const cm = createConfusionMatrix({ numClasses: c, device: device_, chunkRows: 64 });
        const calls = [cm.update(b1), cm.update(b2), cm.compute(), cm.update(b3), cm.reset(), cm.update(b4),
          cm.compute()] as const;
        const results = await Promise.all(calls);
        expect(results[2]!.counts).toEqual(await sequential(c, [b1, b2]));
        expect(results[6]!.counts).toEqual(await sequential(c, [b4]));
        cm.destroy();
      }
    });

    it('a refused batch among concurrent ones leaves the others counted exactly once', async () => {
      const c = 4;
      const good = batchesFor(13, c, 6);
      const bad: Batch = { preds: new Int32Array([0, 1, 9]), labels: new Int32Array([0, 1, 2]) };
      const cm = createConfusionMatrix({ numClasses: c, device, chunkRows: 64 });
      const settled = await Promise.allSettled([...good.slice(0, 3).map((b) => cm.update(b)), cm.update(bad),
        ...good.slice(3).map((b) => cm.update(b))]);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled',
        'fulfilled', 'fulfilled']);
      expect((await cm.compute()).counts).toEqual(await sequential(c, good));
      cm.destroy();
    });
  });
}
