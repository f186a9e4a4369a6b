import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auc, averagePrecision, binaryCounts, createThresholdSweep, InputError, parseNpy, prCurve,
  rocCurve } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { resolveSweepThresholds } from '../../../src/tasks/binary/binary.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { rng } from '../../helpers/random.js';

const dir = 'test/fixtures/binary';
const npy = (name: string) => parseNpy(new Uint8Array(readFileSync(`${dir}/${name}.npy`)), name);
const scores = npy('scores').data as Float32Array;
const targets = npy('targets').data as BigInt64Array;
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as {
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  rocAuc: number;
  averagePrecision: number;
  'at0.5': { matrix: number[][] };
  grid: { thresholds: number[]; tps: number[]; fps: number[] };
};

/** -0 and +0 are one threshold; confmat writes it as +0. */
const plus0 = (xs: number[]) => xs.map((x) => (x === 0 ? 0 : x));
const close = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((x, i) => expect(x, `point ${i}`).toBeCloseTo(want[i]!, 14));
};

/** Scores with NaN, +-Inf, -0/+0 and many ties exactly at the thresholds; targets 0/1. */
function tricky(rows: number, seed: number): { scores: Float32Array; targets: Uint8Array } {
  const rand = rng(seed);
  const specials = [NaN, Infinity, -Infinity, -0, 0, 0.25, 0.5, 1e-45, -1e-45];
  const s = Float32Array.from({ length: rows },
    () => (rand() < 0.2 ? specials[Math.floor(rand() * specials.length)]! : Math.floor(rand() * 16) / 8 - 1));
  return { scores: s, targets: Uint8Array.from({ length: rows }, () => (rand() < 0.3 ? 1 : 0)) };
}

describe('threshold sweep on the CPU', () => {
  it("equals sklearn's roc_curve, precision_recall_curve, auc and average_precision_score at sklearn's thresholds", async () => {
    const sweep = createThresholdSweep({ thresholds: expected.roc.thresholds });
    await sweep.update({ scores, targets });
    const r = await sweep.compute();
    expect(r.thresholds).toEqual(plus0(expected.roc.thresholds));
    const roc = rocCurve(r);
    close(roc.fpr, expected.roc.fpr);
    close(roc.tpr, expected.roc.tpr);
    const pr = prCurve(r);
    close(pr.precision, expected.pr.precision);
    close(pr.recall, expected.pr.recall);
    expect(pr.thresholds).toEqual(plus0(expected.pr.thresholds));
    expect(auc(roc.fpr, roc.tpr)).toBeCloseTo(expected.rocAuc, 14);
    expect(averagePrecision(pr)).toBeCloseTo(expected.averagePrecision, 14);
  });

  it('equals numpy counts on a coarse grid and sklearn confusion_matrix at 0.5', async () => {
    const sweep = createThresholdSweep({ thresholds: [...expected.grid.thresholds].reverse() });
    await sweep.update({ scores: scores.subarray(0, 100), targets: targets.subarray(0, 100) });
    await sweep.update({ scores: scores.subarray(100), targets: targets.subarray(100) });
    const r = await sweep.compute();
    expect(r.thresholds).toEqual(expected.grid.thresholds);
    expect(r.tps).toEqual(expected.grid.tps);
    expect(r.fps).toEqual(expected.grid.fps);
    expect(binaryCounts(r, 0.5).matrix).toEqual(expected['at0.5'].matrix);
  });

  it('dedupes thresholds as float32, -0 as +0, and refuses NaN, none and bad targets', async () => {
    expect(Array.from(resolveSweepThresholds([0.5, 0.1, 0.5, -0, 0, 0.1000000001]))).toEqual([0, Math.fround(0.1),
      0.5]);
    expect(() => resolveSweepThresholds([0.5, NaN])).toThrow(/threshold 1 is NaN/);
    expect(() => resolveSweepThresholds([])).toThrow(InputError);
    const sweep = createThresholdSweep({ thresholds: [0.5] });
    await expect(sweep.update({ scores: new Float32Array(3), targets: Int16Array.of(0, 1, -1) })).rejects.toThrow(
      /index 2: target -1 is not 0 or 1/,
    );
    expect((await sweep.compute()).positives).toBe(0);
  });

  it('counts ties at a threshold as reached and NaN as reaching none', async () => {
    const sweep = createThresholdSweep({ thresholds: [0, 0.5] });
    await sweep.update({ scores: Float32Array.of(0.5, -0, NaN, 0.4999999, Infinity),
      targets: Uint8Array.of(1, 1, 1, 0, 0) });
    const r = await sweep.compute();
    expect(r).toEqual({ thresholds: [0.5, 0], tps: [1, 2], fps: [1, 2], positives: 3, negatives: 2 });
  });
});

describe.each(TEST_ADAPTERS)('threshold sweep GPU == CPU on $name', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());

  it('equals sklearn at its thresholds', async () => {
    const sweep = createThresholdSweep({ thresholds: expected.roc.thresholds, device: gpu.device });
    expect(sweep.backend).toBe('gpu');
    await checked(gpu.device, () => sweep.update({ scores, targets }));
    const r = await sweep.compute();
    close(rocCurve(r).fpr, expected.roc.fpr);
    close(rocCurve(r).tpr, expected.roc.tpr);
    close(prCurve(r).precision, expected.pr.precision);
    expect(auc(rocCurve(r).fpr, rocCurve(r).tpr)).toBeCloseTo(expected.rocAuc, 14);
    sweep.destroy();
  });

  it.each([[1, 1], [63, 2], [64, 3], [65, 17], [257, 64], [3000, 255]])(
    '%i rows, %i thresholds, small chunks and workgroups: bit for bit the CPU',
    async (rows, k) => {
      const { scores: s, targets: t } = tricky(rows, rows + k);
      const grid = Array.from({ length: k }, (_, i) => (k === 1 ? 0 : -1.25 + (2.5 * i) / (k - 1)));
      grid[0] = -0;
      if (k > 2) grid[k - 1] = Infinity;
      const cpu = createThresholdSweep({ thresholds: grid });
      const dev = createThresholdSweep({ thresholds: grid, device: gpu.device, chunkRows: 100, workgroupSize: 64,
        maxWorkgroups: 2 });
      await cpu.update({ scores: s, targets: t });
      await checked(gpu.device, () => dev.update({ scores: s, targets: t }));
      expect(await dev.compute()).toEqual(await cpu.compute());
      dev.destroy();
    },
  );
});
