import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmulated } from '../../../src/engine/chunk-plan.js';
import { formatBatch } from '../../../src/format/validate.js';
import { computeMetrics, createPerClassMatrix, InputError, type LabelArray, parseNpy, type PerClassBatch,
  type PerClassMatrixOptions, type PerClassResult, topConfusions, topPairs } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { SparseCounts } from '../../../src/tasks/per-class/per-class.js';
import { createPerClassGpuCounter, WIDE_FROM_CLASSES } from '../../../src/tasks/per-class/update-gpu.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { LABEL_TYPES, makeLabels, makeLogits, rng } from '../../helpers/random.js';

const FIXTURE = 'test/fixtures/per-class';
const fixtureNpy = (name: string) =>
  parseNpy(new Uint8Array(readFileSync(`${FIXTURE}/${name}.npy`)), name).data as Uint16Array;
interface Scores {
  precision: number;
  recall: number;
  f1: number;
}
const sk = JSON.parse(readFileSync(`${FIXTURE}/expected.json`, 'utf8')) as { meta: { numClasses: number };
  total: number; accuracy: number; balancedAccuracy: number; presentClasses: number; distinctPairs: number;
  macro: Scores; weighted: Scores; micro: Scores; topPairs: [number, number, number][];
  sample: { classes: number[]; precision: number[]; recall: number[]; f1: number[]; support: number[]; tp: number[];
    predicted: number[] } };

/** Checks a result of the fixture against sklearn's and numpy's figures. */
function expectSklearnPerClass(r: PerClassResult): void {
  expect([r.numClasses, r.total, r.presentClasses, r.distinctPairs]).toEqual([sk.meta.numClasses, sk.total,
    sk.presentClasses, sk.distinctPairs]);
  expect(r.accuracy).toBeCloseTo(sk.accuracy, 12);
  expect(r.balancedAccuracy).toBeCloseTo(sk.balancedAccuracy, 12);
  for (const [avg, want] of [['macroAvg', sk.macro], ['weightedAvg', sk.weighted], ['microAvg', sk.micro]] as const) {
    for (const k of ['precision', 'recall', 'f1'] as const) expect(r[avg][k], `${avg} ${k}`).toBeCloseTo(want[k], 12);
  }
  sk.sample.classes.forEach((k, i) => {
    for (const f of ['precision', 'recall', 'f1'] as const) {
      expect(r.perClass[f][k], `class ${k} ${f}`).toBeCloseTo(sk.sample[f][i]!, 12);
    }
    expect([r.perClass.support[k], r.perClass.tp[k], r.perClass.predicted[k]]).toEqual([sk.sample.support[i],
      sk.sample.tp[i], sk.sample.predicted[i]]);
  });
  expect(topPairs(r, 20).map((x) => [x.true, x.pred, x.count])).toEqual(sk.topPairs);
}

/** The result's counts as plain data: per class arrays and the sorted list of pairs. */
function counts(r: PerClassResult): { support: number[]; predicted: number[]; tp: number[]; pairs: number[][] } {
  const pairs: number[][] = [];
  r.pairs.forEach((key, n) => pairs.push([key, n]));
  pairs.sort((a, b) => a[0]! - b[0]!);
  return { support: Array.from(r.perClass.support), predicted: Array.from(r.perClass.predicted),
    tp: Array.from(r.perClass.tp), pairs };
}

/** Wide rows: each row random, four-valued ties, one NaN somewhere, +-Inf, all -Inf, or signed zeros. */
function wideLogits(rand: () => number, rows: number, c: number): Float32Array {
  const out = new Float32Array(rows * c);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < rows; i++) {
    const kind = Math.floor(rand() * 7);
    const row = out.subarray(i * c, (i + 1) * c);
    for (let j = 0; j < c; j++) {
      row[j] = kind === 1 ?
        Math.floor(rand() * 4) :
        kind === 4 ?
        -Infinity :
        kind === 5 ?
        (rand() < 0.5 ? -0 : 0) :
        rand() * 8 - 4;
    }
    if (kind === 2) row[Math.floor(rand() * c)] = NaN;
    if (kind === 3) {
      row[Math.floor(rand() * c)] = Infinity;
      row[Math.floor(rand() * c)] = Infinity;
    }
    if (kind === 6) {
      bits[i * c + Math.floor(rand() * c)] = 0xffc00000;
      bits[i * c + Math.floor(rand() * c)] = 0x7f800001;
    }
  }
  return out;
}

async function bothPaths(device: GPUDevice, batches: PerClassBatch[],
  options: Omit<PerClassMatrixOptions, 'device'>): Promise<PerClassResult> {
  const cpu = createPerClassMatrix(options);
  const gpu = createPerClassMatrix({ ...options, device });
  try {
    for (const b of batches) {
      await cpu.update(b);
      await checked(device, () => gpu.update(b));
    }
    const [x, y] = [await cpu.compute(), await checked(device, () => gpu.compute())];
    expect(y.total).toBe(x.total);
    expect(counts(y)).toEqual(counts(x));
    return y;
  } finally {
    gpu.destroy();
  }
}

describe('per-class mode on the CPU', () => {
  it.each([1, 2, 3, 10, 91])('equals the dense matrix and its metrics, C = %i', async (c) => {
    const rand = rng(c + 17);
    for (const style of ['random', 'ties', 'special'] as const) {
      const n = 3000;
      const batch = { logits: makeLogits(rand, n, c, style), labels: makeLabels(rand, n, c) };
      const dense = new Float64Array(c * c);
      cpuUpdate(dense, formatBatch(batch, c));
      const m = computeMetrics(dense, c);
      const pc = createPerClassMatrix({ numClasses: c });
      await pc.update(batch);
      const r = await pc.compute();
      for (const k of ['total', 'correct', 'accuracy', 'balancedAccuracy', 'presentClasses'] as const) {
        expect(r[k], k).toBe(m[k]);
      }
      expect(r.kappa).toBeCloseTo(m.kappa, 14);
      expect(r.mcc).toBeCloseTo(m.mcc, 14);
      for (const avg of ['macroAvg', 'weightedAvg', 'microAvg'] as const) expect(r[avg]).toEqual(m[avg]);
      m.perClass.forEach((x, k) => {
        expect([r.perClass.precision[k], r.perClass.recall[k], r.perClass.f1[k], r.perClass.support[k],
          r.perClass.predicted[k]]).toEqual([x.precision, x.recall, x.f1, x.support, x.predicted]);
        expect(r.perClass.tp[k]! + r.perClass.fn[k]!).toBe(x.support);
        expect(r.perClass.tp[k]! + r.perClass.fp[k]!).toBe(x.predicted);
        expect(r.perClass.tp[k]).toBe(dense[k * c + k]);
      });
      expect(topPairs(r, 25)).toEqual(topConfusions(dense, c, 25));
      expect(topPairs(r, Infinity)).toEqual(topConfusions(dense, c, c * c));
      expect(r.distinctPairs).toBe(Array.from(dense).filter((v, i) => v > 0 && i % (c + 1) !== 0).length);
    }
  });

  it('equals sklearn and numpy on C = 30000, N = 20000 (test/fixtures/per-class)', async () => {
    const pc = createPerClassMatrix({ numClasses: sk.meta.numClasses });
    await pc.update({ preds: fixtureNpy('preds'), labels: fixtureNpy('labels') });
    expectSklearnPerClass(await pc.compute());
  });

  it('skips ignoreIndex rows, adds batches, resets, and refuses a bad batch whole', async () => {
    const pc = createPerClassMatrix({ numClasses: 5, ignoreIndex: -100 });
    await pc.update({ preds: Int32Array.of(1, 2, 4), labels: Int32Array.of(1, -100, 3) });
    await pc.update({ preds: Int32Array.of(0), labels: Int32Array.of(0) });
    await expect(pc.update({ preds: Int32Array.of(0, 1), labels: Int32Array.of(0, 7) })).rejects.toThrow(
      /index 1: label 7 is outside \[0, 5\)/,
    );
    await expect(pc.update({ preds: Int32Array.of(0, -1), labels: Int32Array.of(0, 1) })).rejects.toThrow(
      /index 1: predicted class -1/,
    );
    const r = await pc.compute();
    expect([r.total, r.correct]).toEqual([3, 2]);
    expect(topPairs(r, 5)).toEqual([{ true: 3, pred: 4, count: 1, share: 1 }]);
    await pc.reset();
    expect((await pc.compute()).total).toBe(0);
  });

  it('refuses C outside [1, 2^24], logits of the wrong length, weights', async () => {
    expect(() => createPerClassMatrix({ numClasses: 0 })).toThrow(InputError);
    expect(() => createPerClassMatrix({ numClasses: 2 ** 24 + 1 })).toThrow(/at most 16777216/);
    const pc = createPerClassMatrix({ numClasses: 3 });
    await expect(pc.update({ logits: new Float32Array(5), labels: Int32Array.of(0, 1) })).rejects.toThrow(
      /expected N x C = 2 x 3/,
    );
    await expect(
      pc.update({ preds: Int32Array.of(0), labels: Int32Array.of(0), weights: Float32Array.of(2) } as PerClassBatch),
    ).rejects.toThrow(/sample weights/);
  });

  it('topPairs orders by count, then true class, then predicted class', () => {
    const c = 100000;
    const pairs = new SparseCounts(1);
    for (const [t, p, n] of [[5, 1, 3], [2, 9, 3], [2, 3, 3], [99999, 0, 7], [1, 2, 1]] as const) {
      pairs.add(t * c + p, n);
    }
    const support = new Float64Array(c).fill(10);
    const top = topPairs({ numClasses: c, pairs, perClass: { support } as PerClassResult['perClass'] }, 4);
    expect(top.map((x) => [x.true, x.pred, x.count])).toEqual([[99999, 0, 7], [2, 3, 3], [2, 9, 3], [5, 1, 3]]);
    expect(topPairs({ numClasses: c, pairs, perClass: { support } as PerClassResult['perClass'] }, 5000).length).toBe(
      5,
    );
  });

  it('SparseCounts holds keys up to 2^48 through many growths, like a Map', () => {
    const rand = rng(3);
    const s = new SparseCounts(1);
    const m = new Map<number, number>();
    for (let i = 0; i < 200000; i++) {
      const key = i % 3 === 0 ? Math.floor(rand() * 2 ** 48) : Math.floor(rand() * 5000);
      s.add(key, 2);
      m.set(key, (m.get(key) ?? 0) + 2);
    }
    expect(s.size).toBe(m.size);
    let sum = 0;
    s.forEach((k, n) => {
      expect(m.get(k)).toBe(n);
      sum += n;
    });
    expect(sum).toBe(400000);
    const copy = s.clone();
    copy.add(12345678901, 1);
    expect(s.get(12345678901)).toBe(m.get(12345678901) ?? 0);
  });
});

for (const adapter of TEST_ADAPTERS) {
  describe(`per-class GPU == CPU on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    let wg: number;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
      wg = Math.min(256, device.limits.maxComputeInvocationsPerWorkgroup);
    });
    afterAll(() => gpu?.destroy());

    it.each([1, 2, 3, 64, 65, 200])(
      'one invocation per row: C = %i, N around workgroup and chunk boundaries, ties, NaN, Inf',
      async (c) => {
        const rand = rng(c);
        for (const n of [0, 1, wg - 1, wg + 1, 1500]) {
          const batches = [{ logits: makeLogits(rand, n, c, 'special'), labels: makeLabels(rand, n, c) }, {
            logits: makeLogits(rand, n, c, 'ties'),
            labels: makeLabels(rand, n, c),
          }];
          const r = await bothPaths(device, batches, { numClasses: c, kernel: 'rows', chunkRows: n > 1000 ? 1000 : 97,
            maxWorkgroups: n > 1000 ? 2 : undefined });
          expect(r.total).toBe(2 * n);
        }
      },
    );

    it.each([1, 2, 31, 32, 33, 127, 128, 129, 1000, WIDE_FROM_CLASSES - 1, WIDE_FROM_CLASSES, WIDE_FROM_CLASSES + 1,
      3001])('one workgroup per row: C = %i, rows of ties, NaN, +-Inf, -0', async (c) => {
        const rand = rng(c + 1);
        const n = c > 500 ? 150 : 600;
        const batch = { logits: wideLogits(rand, n, c), labels: makeLabels(rand, n, c) };
        for (const workgroupSize of c === 1000 ? [32, 64, wg] : [wg]) {
          await bothPaths(device, [batch], { numClasses: c, kernel: 'wide', chunkRows: 61, workgroupSize,
            maxWorkgroups: 40 });
        }
      });

    it('equals sklearn and numpy on C = 30000, N = 20000 (test/fixtures/per-class)', async () => {
      const pc = createPerClassMatrix({ numClasses: sk.meta.numClasses, device, chunkRows: 7000 });
      await checked(device, () => pc.update({ preds: fixtureNpy('preds'), labels: fixtureNpy('labels') }));
      expectSklearnPerClass(await pc.compute());
      pc.destroy();
    });

    it('auto picks the wide kernel from WIDE_FROM_CLASSES classes, except on CPU-emulated adapters', () => {
      const emulated = isEmulated(device.adapterInfo);
      const wide = createPerClassGpuCounter(device, WIDE_FROM_CLASSES, { kernel: 'wide' });
      expect(wide.kernel).toBe('wide');
      wide.destroy();
      for (const [c, kernel] of [[WIDE_FROM_CLASSES - 1, 'rows'], [WIDE_FROM_CLASSES,
        emulated ? 'rows' : 'wide']] as const) {
        const counter = createPerClassGpuCounter(device, c);
        expect(counter.kernel).toBe(kernel);
        counter.destroy();
      }
    });

    it('predicted classes of every label width, ignoreIndex, several batches', async () => {
      const rand = rng(9);
      for (const type of LABEL_TYPES) {
        const c = type === Int8Array || type === Uint8Array || type === Uint8ClampedArray ? 100 : 20000;
        const labels = makeLabels(rand, 3000, c, type);
        const preds = makeLabels(rand, 3000, c, type);
        for (let i = 0; i < 3000; i += 3) (preds as Int32Array)[i] = (labels as Int32Array)[i]!;
        const ignore = Number(labels[5]!);
        await bothPaths(device, [{ preds, labels }, { preds: preds.subarray(0, 700) as LabelArray,
          labels: labels.subarray(0, 700) as LabelArray }], { numClasses: c, chunkRows: 1024, ignoreIndex: ignore });
      }
    });

    it('C = 40000, beyond the dense matrix on this device: equals the CPU, and a refused batch adds nothing', async () => {
      const c = 40000;
      const rand = rng(40000);
      const labels = makeLabels(rand, 120, c);
      const logits = makeLogits(rand, 120, c, 'random');
      for (let i = 0; i < 120; i += 2) logits[i * c + Number(labels[i]!)] = 10;
      const r = await bothPaths(device, [{ logits, labels }], { numClasses: c });
      expect(r.correct).toBeGreaterThanOrEqual(60);
      const pc = createPerClassMatrix({ numClasses: c, device });
      await checked(device, () => pc.update({ logits, labels }));
      const bad = Int32Array.from(labels as Int32Array);
      bad[77] = c;
      await expect(pc.update({ logits, labels: bad })).rejects.toThrow(new RegExp(`index 77: label ${c} is outside`));
      expect(counts(await pc.compute())).toEqual(counts(r));
      pc.destroy();
    });

    it('the kernel refuses an out-of-range label or prediction itself, naming the first row', async () => {
      for (const [name, batch] of [['logits', { rows: 300, numClasses: 5,
        labels: Uint32Array.from({ length: 300 }, (_, i) => (i === 201 || i === 250 ? 9 : i % 5)),
        logits: new Float32Array(1500) }], ['preds', { rows: 300, numClasses: 5, labels: new Uint32Array(300),
        preds: Uint32Array.from({ length: 300 }, (_, i) => (i >= 123 ? 5 : 1)) }]] as const) {
        for (const kernel of ['rows', 'wide'] as const) {
          const counter = createPerClassGpuCounter(device, 5, { kernel, chunkRows: 100 });
          const field = name === 'preds' ? 'predicted class 5' : 'label 9';
          await expect(counter.update(batch)).rejects.toThrow(
            new RegExp(`index ${name === 'preds' ? 123 : 201}: ${field} is outside \\[0, 5\\)`),
          );
          expect(counter.committed().support.every((v) => v === 0)).toBe(true);
          await counter.update({ rows: 2, numClasses: 5, labels: Uint32Array.of(1, 2), preds: Uint32Array.of(1, 3) });
          const read = counter.committed();
          expect([Array.from(read.support), read.pairs.get(2 * 5 + 3)]).toEqual([[0, 1, 1, 0, 0], 1]);
          counter.destroy();
        }
      }
    });
  });
}
