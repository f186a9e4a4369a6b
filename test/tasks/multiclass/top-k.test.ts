import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { confusionMatrix, createConfusionMatrix } from '../../../src/index.js';
import { readNpyFile } from '../../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../../helpers/random.js';

const expected = JSON.parse(readFileSync('test/fixtures/topk/expected.json', 'utf8')) as {
  k: { k: number; hits: number; perClass: number[] }[];
};

describe('top-k hits', () => {
  it('the CPU path equals sklearn top_k_accuracy_score on heavy ties and signed zeros, k = 1..C', async () => {
    const logits = (await readNpyFile('test/fixtures/topk/logits.npy')).data as Float32Array;
    const labels = (await readNpyFile('test/fixtures/topk/labels.npy')).data as Int32Array;
    for (const { k, hits, perClass } of expected.k) {
      const r = await confusionMatrix({ logits, labels }, { numClasses: 7, topK: k });
      expect(Array.from(r.topK!.hits)).toEqual(perClass);
      expect(r.topK!.accuracy).toBe(hits / 2000);
    }
  });

  it('refuses predicted-class batches, which have no scores to rank', async () => {
    await expect(
      confusionMatrix({ preds: new Uint8Array([0]), labels: new Uint8Array([0]) }, { numClasses: 2, topK: 1 }),
    ).rejects.toThrow('top-k needs logits');
  });

  for (const adapter of TEST_ADAPTERS) {
    it(`GPU == CPU on ${adapter.name}: sklearn's fixture, NaN, +-Inf, ties, k = 1..C, across chunks`, async () => {
      const gpu = await requireDevice(adapter.options);
      try {
        const logits = (await readNpyFile('test/fixtures/topk/logits.npy')).data as Float32Array;
        const labels = (await readNpyFile('test/fixtures/topk/labels.npy')).data as Int32Array;
        for (const { k, perClass } of [expected.k[0]!, expected.k[2]!]) {
          const r = await checked(gpu.device, () =>
            confusionMatrix({ logits, labels }, { numClasses: 7, topK: k, device: gpu.device, chunkRows: 300 }));
          expect(Array.from(r.topK!.hits)).toEqual(perClass);
        }
        const rand = rng(17);
        for (const c of [2, 5, 33]) {
          const batch = { logits: makeLogits(rand, 700, c, 'special'), labels: makeLabels(rand, 700, c) };
          for (const k of [1, 2, c - 1, c]) {
            const cpu = await confusionMatrix(batch, { numClasses: c, topK: k });
            const gm = createConfusionMatrix({ numClasses: c, topK: k, device: gpu.device, chunkRows: 256,
              histogram: 'global' });
            await checked(gpu.device, () => gm.update(batch));
            const got = await gm.compute();
            expect(Array.from(got.topK!.hits)).toEqual(Array.from(cpu.topK!.hits));
            expect(got.counts).toEqual(cpu.counts);
            gm.destroy();
          }
        }
      } finally {
        gpu.destroy();
      }
    });
  }
});
