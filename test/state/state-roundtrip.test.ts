import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, createConfusionMatrix, mergeStates } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

describe('state() and load()', () => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(TEST_ADAPTERS[0]!.options);
  });
  afterAll(() => gpu?.destroy());

  it('a GPU shard and a CPU shard, saved as JSON and loaded, equal one run over both; counts past 2^32 stay exact', async () => {
    const c = 6;
    const rand = rng(31);
    const batches: Batch[] = Array.from({ length: 4 },
      () => ({ logits: makeLogits(rand, 400, c, 'special'), labels: makeLabels(rand, 400, c) }));
    const single = createConfusionMatrix({ numClasses: c });
    for (const b of batches) await single.update(b);
    const a = createConfusionMatrix({ numClasses: c, device: gpu.device });
    const b = createConfusionMatrix({ numClasses: c });
    for (const [i, batch] of batches.entries()) await (i % 2 ? a : b).update(batch);
    const parts = [JSON.stringify(await a.state({ shards: { count: 2, indices: [0] } })),
      JSON.stringify(await b.state({ shards: { count: 2, indices: [1] } }))];
    const merged = createConfusionMatrix({ numClasses: c, device: gpu.device });
    for (const p of parts) await merged.load(JSON.parse(p));
    expect((await merged.compute()).counts).toEqual((await single.compute()).counts);
    expect(mergeStates(parts.map((p) => JSON.parse(p))).counts).toEqual(Array.from((await single.compute()).counts));

    const big = await merged.state();
    big.counts[0] = 2 ** 32 + 5;
    await merged.load(big);
    await merged.update({ preds: new Uint8Array([0, 0]), labels: new Uint8Array([0, 0]) });
    expect((await merged.compute()).counts[0]).toBe((await single.compute()).counts[0]! + 2 ** 32 + 5 + 2);
    await expect(merged.load({ ...big, numClasses: 5, counts: big.counts.slice(0, 25), options: { numClasses: 5 } }))
      .rejects.toThrow('the state counts 5 classes, this matrix 6');
    for (const m of [a, b, merged]) m.destroy();
  });
});
