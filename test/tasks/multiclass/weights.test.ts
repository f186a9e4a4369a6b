import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixedPointExponent, fromFixedPoint, toFixedPoint } from '../../../src/format/weights.js';
import { type Batch, computeMetrics, confusionMatrix, createConfusionMatrix, parseState } from '../../../src/index.js';
import { readNpyFile } from '../../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../../helpers/random.js';

interface Expected {
  numClasses: number;
  counts: number[][];
  present: number[];
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  averages: Record<'macro' | 'weighted' | 'micro', { precision: number; recall: number; f1: number }>;
  accuracy: number;
  top2: number;
}
const expected = JSON.parse(readFileSync('test/fixtures/weights/expected.json', 'utf8')) as Expected;

async function fixture(): Promise<{ logits: Float32Array; labels: Int32Array; weights: Float64Array }> {
  const logits = (await readNpyFile('test/fixtures/weights/logits.npy')).data as Float32Array;
  const labels = (await readNpyFile('test/fixtures/weights/labels.npy')).data as Int32Array;
  const weights = (await readNpyFile('test/fixtures/weights/weights.npy')).data as Float64Array;
  return { logits, labels, weights };
}

/** |a - b| <= rel * max(|a|, |b|, floor), cell by cell. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, floor = 1e-300): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    if (Math.abs(a - b) > rel * Math.max(Math.abs(a), Math.abs(b), floor)) {
      expect.fail(`cell ${i}: ${a} vs ${b} (relative tolerance ${rel})`);
    }
  }
}

/** Weights that are multiples of 1/8 in [-4, 60): sums of them are exact in float64, so GPU and CPU must agree bit for bit. */
function dyadicWeights(rand: () => number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.floor(rand() * 512 - 32) / 8);
}

function checkSklearn(r: Awaited<ReturnType<typeof confusionMatrix>>, rel: number): void {
  const c = expected.numClasses;
  expect(r.weighted).toBe(true);
  expectClose(r.counts, expected.counts.flat(), rel);
  expect(r.accuracy).toBeCloseTo(expected.accuracy, 12);
  expect(r.topK!.accuracy).toBeCloseTo(expected.top2, 12);
  const m = computeMetrics(r.counts, c);
  const pick = (f: 'precision' | 'recall' | 'f1' | 'support'): number[] =>
    expected.present.map((k) => m.perClass[k]![f]);
  expectClose(pick('precision'), expected.precision, rel);
  expectClose(pick('recall'), expected.recall, rel);
  expectClose(pick('f1'), expected.f1, rel);
  expectClose(pick('support'), expected.support, rel, 1);
  expectClose([m.macroAvg.precision, m.macroAvg.recall, m.macroAvg.f1], Object.values(expected.averages.macro), rel);
  expectClose([m.weightedAvg.precision, m.weightedAvg.recall, m.weightedAvg.f1],
    Object.values(expected.averages.weighted), rel);
  expectClose([m.microAvg.f1], [expected.averages.micro.f1], rel);
}

describe('sample weights: fixed point', () => {
  it('round-trips signed weights through (lo, hi) words and 96-bit cells', () => {
    const w = new Float64Array([-1, 0.5, 3, -0.125, 0]);
    const s = fixedPointExponent(w);
    expect(3 * 2 ** s).toBeLessThan(2 ** 52);
    expect(3 * 2 ** s).toBeGreaterThanOrEqual(2 ** 51);
    const out = new Uint32Array(10);
    toFixedPoint(w, 0, 5, s, out);
    for (let i = 0; i < 5; i++) {
      const hi = out[2 * i + 1]!;
      expect(fromFixedPoint(out[2 * i]!, hi, hi & 0x80000000 ? 0xffffffff : 0, s)).toBe(w[i]);
    }
    expect(fromFixedPoint(0xfffffff0, 0xffffffff, 0xffffffff, 4)).toBe(-1);
  });

  it('keeps the exponent finite for tiny, huge and zero weights', () => {
    for (const v of [1e-300, 5e-324, 1e300, 1.7e308, 1, 0]) {
      const w = new Float64Array([v, v / 3]);
      const s = fixedPointExponent(w);
      const out = new Uint32Array(4);
      toFixedPoint(w, 0, 2, s, out);
      const back = fromFixedPoint(out[0]!, out[1]!, 0, s);
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -51);
    }
  });

  it('refuses NaN, Inf, wrong lengths and non-float weights, naming the index', async () => {
    const labels = new Int32Array([0, 1, 1]);
    const preds = new Int32Array([0, 1, 0]);
    await expect(confusionMatrix({ preds, labels, weights: new Float64Array([1, NaN, 1]) }, { numClasses: 2 })).rejects
      .toThrow('index 1: weight NaN is not finite');
    await expect(confusionMatrix({ preds, labels, weights: new Float32Array([1, 1, -Infinity]) }, { numClasses: 2 }))
      .rejects.toThrow('index 2: weight -Infinity is not finite');
    await expect(confusionMatrix({ preds, labels, weights: new Float64Array([1, 1]) }, { numClasses: 2 })).rejects
      .toThrow('2 sample weights for 3 rows');
    await expect(
      confusionMatrix({ preds, labels, weights: new Int32Array([1, 1, 1]) as unknown as Float64Array }, {
        numClasses: 2,
      }),
    ).rejects.toThrow('Float32Array or Float64Array on the host, got Int32Array');
  });

  it('the CPU path equals sklearn (confusion_matrix, precision_recall_fscore_support, accuracy, top-2) with sample_weight', async () => {
    const batch = await fixture();
    checkSklearn(await confusionMatrix(batch, { numClasses: expected.numClasses, topK: 2 }), 1e-12);
  });

  it('drops ignored rows with their weights; unweighted batches weigh 1', async () => {
    const cm = createConfusionMatrix({ numClasses: 2, ignoreIndex: -100 });
    await cm.update({ preds: new Int8Array([0, 1, 1]), labels: new Int8Array([0, -100, 1]),
      weights: new Float64Array([0.25, 100, 2]) });
    await cm.update({ preds: new Int8Array([1]), labels: new Int8Array([1]) });
    const r = await cm.compute();
    expect(Array.from(r.counts)).toEqual([0.25, 0, 0, 3]);
    expect(r.total).toBe(3.25);
    expect(r.weighted).toBe(true);
    const saved = JSON.parse(JSON.stringify(await cm.state()));
    expect(saved.options).toEqual({ numClasses: 2, ignoreIndex: -100, sampleWeight: true });
    await cm.reset();
    expect((await cm.compute()).weighted).toBeUndefined();
    await cm.load(saved);
    const back = await cm.compute();
    expect(back.weighted).toBe(true);
    expect(Array.from(back.counts)).toEqual([0.25, 0, 0, 3]);
    expect(() => parseState({ ...saved, counts: [0.25, 0, NaN, 3] }, 'part.json')).toThrow(
      'part.json: $.counts[2]: a sum of sample weights must be a finite number',
    );
    expect(() => parseState({ ...saved, options: { numClasses: 2, ignoreIndex: -100 } }, 'part.json')).toThrow(
      'part.json: $.counts[0]: count must be an integer',
    );
    cm.destroy();
  });
});

describe('sample weights on the GPU', () => {
  for (const adapter of TEST_ADAPTERS) {
    it(`equals sklearn on ${adapter.name} (within 1e-12 relative), across chunks and flushes`, async () => {
      const gpu = await requireDevice(adapter.options);
      try {
        const batch = await fixture();
        for (const opts of [{}, { chunkRows: 256, flushEvery: 700 }]) {
          const r = await checked(gpu.device, () =>
            confusionMatrix(batch, { numClasses: expected.numClasses, topK: 2, device: gpu.device, ...opts }));
          checkSklearn(r, 1e-12);
        }
      } finally {
        gpu.destroy();
      }
    });

    it(`GPU == CPU bit for bit on ${adapter.name}: dyadic weights (negative too), logits and preds, top-k, ignore, both histograms`, async () => {
      const gpu = await requireDevice(adapter.options);
      try {
        const rand = rng(29);
        for (const c of [1, 2, 3, 10, 37]) {
          for (const rows of [0, 1, 255, 256, 257, 1000]) {
            const weights = dyadicWeights(rand, rows);
            const labels = makeLabels(rand, rows, c);
            const batches: Batch[] = [{ logits: makeLogits(rand, rows, c, rows % 2 ? 'special' : 'ties'), labels,
              weights }, { preds: makeLabels(rand, rows, c), labels, weights }];
            for (const batch of batches) {
              const topK = batch.logits && c > 1 ? 2 : 0;
              const cpu = await confusionMatrix(batch, { numClasses: c, topK });
              for (const histogram of ['global', 'private'] as const) {
                if (histogram === 'private' && c * c * 4 > gpu.device.limits.maxComputeWorkgroupStorageSize) continue;
                const got = await checked(gpu.device, () =>
                  confusionMatrix(batch, { numClasses: c, topK, device: gpu.device, chunkRows: 256, histogram }));
                expect(Array.from(got.counts)).toEqual(Array.from(cpu.counts));
                if (topK) expect(Array.from(got.topK!.hits)).toEqual(Array.from(cpu.topK!.hits));
              }
            }
          }
        }
      } finally {
        gpu.destroy();
      }
    });

    it(`carries exactly on ${adapter.name}: thousands of near-2^52 fixed-point weights in one cell, mixed with unweighted batches`, async () => {
      const gpu = await requireDevice(adapter.options);
      try {
        const rand = rng(31);
        const rows = 4096;
        // Weights in [1, 2) with 52 significant bits: every add carries out of the low word about half the time.
        const weights = Float64Array.from({ length: rows }, () =>
          1 + Math.floor(rand() * 2 ** 26) * 2 ** -26 + Math.floor(rand() * 2 ** 25) * 2 ** -51);
        weights[7] = -1.75;
        const labels = new Int32Array(rows);
        const preds = new Int32Array(rows);
        const cm = createConfusionMatrix({ numClasses: 2, device: gpu.device, chunkRows: 1024 });
        await checked(gpu.device, () => cm.update({ preds, labels, weights }));
        await checked(gpu.device, () => cm.update({ preds: new Int32Array([1]), labels: new Int32Array([1]) }));
        const r = await cm.compute();
        cm.destroy();
        let want = 0;
        for (const w of weights) want += w;
        expect(r.counts[0]).toBeCloseTo(want, 9);
        expect(Math.abs(r.counts[0]! - want)).toBeLessThanOrEqual(want * 1e-13);
        expect(Array.from(r.counts.subarray(1))).toEqual([0, 0, 1]);
      } finally {
        gpu.destroy();
      }
    });

    it(`keeps 1e-6 relative over nine decades of weights on ${adapter.name}`, async () => {
      const gpu = await requireDevice(adapter.options);
      try {
        const rand = rng(37);
        const rows = 5000;
        const c = 4;
        const weights = Float64Array.from({ length: rows }, () => 10 ** (rand() * 9 - 6));
        const batch = { logits: makeLogits(rand, rows, c, 'random'), labels: makeLabels(rand, rows, c), weights };
        const cpu = await confusionMatrix(batch, { numClasses: c });
        const got = await checked(gpu.device, () => confusionMatrix(batch, { numClasses: c, device: gpu.device }));
        expectClose(got.counts, cpu.counts, 1e-9);
      } finally {
        gpu.destroy();
      }
    });
  }

  it('refuses a batch with a bad label anywhere and keeps earlier weighted batches', async () => {
    const gpu = await requireDevice(TEST_ADAPTERS[0]!.options);
    try {
      const cm = createConfusionMatrix({ numClasses: 3, device: gpu.device });
      await cm.update({ preds: new Int32Array([2]), labels: new Int32Array([1]), weights: new Float64Array([0.5]) });
      const labels = gpu.device.createBuffer({ size: 16,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      gpu.device.queue.writeBuffer(labels, 0, new Int32Array([0, 1, 7, 2]));
      await expect(cm.update({ preds: new Int32Array([0, 1, 2, 2]), labels, weights: new Float64Array([1, 1, 1, 1]) }))
        .rejects.toThrow(/index 2: label 7/);
      const r = await cm.compute();
      expect(Array.from(r.counts)).toEqual([0, 0, 0, 0, 0, 0.5, 0, 0, 0]);
      cm.destroy();
      labels.destroy();
    } finally {
      gpu.destroy();
    }
  });
});
