import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auc, averagePrecision, binaryCounts, binaryStateResult, createMultilabelMatrix, createThresholdSweep,
  mergeBinaryStates, mergeMultilabelStates, multilabelMetrics, type MultilabelResult, multilabelStateResult,
  parseBinaryState, parseMultilabelState, parseNpy, prCurve, rocCurve, type SweepResult } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { rng } from '../helpers/random.js';

const dir = 'test/fixtures/weights-tasks';
const npy = (name: string) => parseNpy(new Uint8Array(readFileSync(`${dir}/${name}.npy`)), name).data;
interface Scores {
  precision: number;
  recall: number;
  f1: number;
}
interface MlCase {
  name: string;
  thresholds: number[];
  matrices: number[][][];
  perLabel: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  micro: Scores;
  macro: Scores;
  weighted: Scores;
  samples: Scores;
}
interface Grid {
  tps: number[];
  fps: number[];
  matrix: number[][];
}
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as {
  multilabel: { rows: number; labels: number; totalWeight: number; cases: MlCase[] };
  binary: { roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
    pr: { precision: number[]; recall: number[]; thresholds: number[] }; auc: number; rocAuc: number;
    averagePrecision: number; positives: number; negatives: number;
    grid: { thresholds: number[]; weights: Grid; signed: Grid } };
};
const ml = { scores: npy('ml-scores') as Float32Array, targets: npy('ml-targets') as Uint8Array,
  weights: npy('ml-weights') as Float64Array, L: expected.multilabel.labels };
const bin = { scores: npy('bin-scores') as Float32Array, targets: npy('bin-targets') as BigInt64Array,
  weights: npy('bin-weights') as Float64Array, signed: npy('bin-signed-weights') as Float64Array };
const REL = 1e-12;

/** |a - b| <= rel * max(|a|, |b|, 1e-300) element by element (cells of sums of weights). */
function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = REL): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    if (!(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300))) {
      expect.fail(`${what}[${i}]: ${a} vs sklearn ${b}`);
    }
  }
}

function expectSklearnMultilabel(r: MultilabelResult, c: MlCase): void {
  expect(r.weighted).toBe(true);
  close([r.rows], [expected.multilabel.totalWeight], 'sum of weights');
  close(r.matrices.flat(2), c.matrices.flat(2), 'matrices');
  const m = multilabelMetrics(r);
  for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
    close(m.perLabel.map((x) => x[key]), c.perLabel[key], key);
  }
  for (const avg of ['micro', 'macro', 'weighted', 'samples'] as const) {
    const got = m[`${avg}Avg`];
    close([got.precision, got.recall, got.f1], [c[avg].precision, c[avg].recall, c[avg].f1], `${avg} average`);
  }
}

function expectSklearnCurves(r: SweepResult): void {
  const e = expected.binary;
  expect(r.weighted).toBe(true);
  close([r.positives, r.negatives], [e.positives, e.negatives], 'positives and negatives');
  const roc = rocCurve(r);
  close(roc.fpr, e.roc.fpr, 'fpr');
  close(roc.tpr, e.roc.tpr, 'tpr');
  const pr = prCurve(r);
  close(pr.precision, e.pr.precision, 'precision');
  close(pr.recall, e.pr.recall, 'recall');
  close([auc(roc.fpr, roc.tpr)], [e.rocAuc], 'roc_auc_score');
  close([auc(roc.fpr, roc.tpr)], [e.auc], 'auc');
  close([averagePrecision(pr)], [e.averagePrecision], 'average_precision_score');
}

/** Multiples of 1/8 in [-4, 60) (zeros and negatives too): every sum is exact in float64 and in fixed point, so GPU == CPU bit for bit. */
function dyadic(rand: () => number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.floor(rand() * 512 - 32) / 8);
}

/** Scores with NaN, +-Inf, -0/+0, subnormals and ties at the thresholds. */
function tricky(rand: () => number, n: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity, -0, 0, 0.5, 1e-45, -1e-45];
  return Float32Array.from({ length: n },
    () => (rand() < 0.2 ? specials[Math.floor(rand() * specials.length)]! : Math.floor(rand() * 16) / 8 - 1));
}

describe('multilabel with sample weights on the CPU', () => {
  it.each(expected.multilabel.cases.map((c) => [c.name, c]))(
    'equals sklearn (multilabel_confusion_matrix, precision_recall_fscore_support with sample_weight): thresholds %s',
    async (_, c) => {
      const m = createMultilabelMatrix({ numLabels: ml.L, threshold: c.thresholds });
      await m.update(ml);
      expectSklearnMultilabel(await m.compute(), c);
    },
  );

  it('refuses NaN and infinite weights, wrong lengths and non-float arrays, naming the index; counts nothing of them', async () => {
    const m = createMultilabelMatrix({ numLabels: 2 });
    const batch = { scores: new Float32Array(6), targets: new Uint8Array(6) };
    await expect(m.update({ ...batch, weights: Float64Array.of(1, NaN, 1) })).rejects.toThrow(
      'index 1: weight NaN is not finite',
    );
    await expect(m.update({ ...batch, weights: Float32Array.of(1, 1, Infinity) })).rejects.toThrow(
      'index 2: weight Infinity is not finite',
    );
    await expect(m.update({ ...batch, weights: Float64Array.of(1, 1) })).rejects.toThrow('2 sample weights for 3 rows');
    await expect(m.update({ ...batch, weights: Int32Array.of(1, 1, 1) as unknown as Float64Array })).rejects.toThrow(
      'got Int32Array',
    );
    expect((await m.compute()).rows).toBe(0);
    expect((await m.compute()).weighted).toBeUndefined();
  });

  it('unweighted batches weigh 1; weight 1 everywhere equals no weights', async () => {
    const a = createMultilabelMatrix({ numLabels: ml.L });
    const b = createMultilabelMatrix({ numLabels: ml.L });
    await a.update({ scores: ml.scores, targets: ml.targets });
    await b.update({ scores: ml.scores, targets: ml.targets,
      weights: new Float64Array(expected.multilabel.rows).fill(1) });
    const [ra, rb] = [await a.compute(), await b.compute()];
    expect(rb.weighted).toBe(true);
    expect({ ...rb, weighted: undefined }).toEqual(ra);
  });
});

describe('threshold sweep with sample weights on the CPU', () => {
  it("equals sklearn's roc_curve, precision_recall_curve, roc_auc_score and average_precision_score with sample_weight at sklearn's thresholds", async () => {
    const sweep = createThresholdSweep({ thresholds: expected.binary.roc.thresholds });
    await sweep.update({ scores: bin.scores, targets: bin.targets, weights: bin.weights });
    expectSklearnCurves(await sweep.compute());
  });

  it.each(['weights', 'signed'] as const)(
    'equals numpy sums on a grid and confusion_matrix at 0.5 (%s weights), over two batches',
    async (key) => {
      const e = expected.binary.grid;
      const w = bin[key];
      const sweep = createThresholdSweep({ thresholds: e.thresholds });
      await sweep.update({ scores: bin.scores.subarray(0, 200), targets: bin.targets.subarray(0, 200),
        weights: w.subarray(0, 200) });
      await sweep.update({ scores: bin.scores.subarray(200), targets: bin.targets.subarray(200),
        weights: w.subarray(200) });
      const r = await sweep.compute();
      expect(r.thresholds).toEqual(e.thresholds);
      close(r.tps, e[key].tps, 'tps', 1e-12);
      close(r.fps, e[key].fps, 'fps', 1e-12);
      close(binaryCounts(r, 0.5).matrix.flat(), e[key].matrix.flat(), 'matrix at 0.5', 1e-12);
    },
  );

  it('refuses a NaN weight naming its index, and counts nothing of the batch', async () => {
    const sweep = createThresholdSweep({ thresholds: [0.5] });
    await expect(
      sweep.update({ scores: new Float32Array(3), targets: new Uint8Array(3),
        weights: Float64Array.of(0, -Infinity, 1) }),
    ).rejects.toThrow('index 1: weight -Infinity is not finite');
    expect(await sweep.compute()).toEqual({ thresholds: [0.5], tps: [0], fps: [0], positives: 0, negatives: 0 });
  });
});

describe('states with sample weights', () => {
  it('multilabel: parts merge to the single run within float64 rounding; the state says sampleWeight and refuses unweighted parts', async () => {
    const c = expected.multilabel.cases[1]!;
    const whole = createMultilabelMatrix({ numLabels: ml.L, threshold: c.thresholds });
    await whole.update(ml);
    const cuts = [0, 77, 150, 151, 400];
    const parts: any[] = []; // JSON states, edited below
    for (let i = 0; i + 1 < cuts.length; i++) {
      const part = createMultilabelMatrix({ numLabels: ml.L, threshold: c.thresholds });
      const [a, b] = [cuts[i]!, cuts[i + 1]!];
      await part.update({ scores: ml.scores.subarray(a * ml.L, b * ml.L),
        targets: ml.targets.subarray(a * ml.L, b * ml.L), weights: ml.weights.subarray(a, b) });
      parts.push(JSON.parse(JSON.stringify(await part.state({ shards: { count: 4, indices: [i] } }))));
    }
    expect(parts[0].options).toEqual({ numLabels: ml.L, sampleWeight: true });
    const merged = mergeMultilabelStates(
      [parts[2], parts[0], parts[3], parts[1]].map((p, i) => parseMultilabelState(p, `part-${i}.json`)),
    );
    expectSklearnMultilabel(multilabelStateResult(merged), c);
    const single = await whole.compute();
    close(multilabelStateResult(merged).matrices.flat(2), single.matrices.flat(2), 'merged vs single', 1e-13);

    const plain = createMultilabelMatrix({ numLabels: ml.L, threshold: c.thresholds });
    await plain.update({ scores: ml.scores.subarray(0, ml.L), targets: ml.targets.subarray(0, ml.L) });
    const unweighted = await plain.state({ shards: { count: 4, indices: [3] } });
    expect(() => mergeMultilabelStates([parts[0], unweighted], ['a.json', 'b.json'])).toThrow(
      'b.json: counted without sample weights, but a.json was counted with sample weights (--sample-weight): weighted and unweighted parts do not merge',
    );

    const edited = structuredClone(parts[0]);
    edited.matrices[2][0][1] += 0.5;
    expect(() => parseMultilabelState(edited, 'p.json')).toThrow(
      /p.json: \$.matrices\[2\]: TN \+ FP \+ FN \+ TP = .* \(edited or corrupt file\?\)/,
    );
    expect(() => parseMultilabelState({ ...parts[0], rows: 'x' }, 'p.json')).toThrow(
      'p.json: $.rows: a sum of sample weights must be a finite number',
    );
    expect(() => parseMultilabelState({ ...parts[0], options: { numLabels: ml.L, sampleWeight: 1 } }, 'p.json'))
      .toThrow('$.options.sampleWeight: must be true when present');
    expect(() => parseMultilabelState({ ...parts[0], options: { numLabels: ml.L } }, 'p.json')).toThrow(
      /p.json: \$.rows: count must be an integer/,
    );

    const back = createMultilabelMatrix({ numLabels: ml.L, threshold: c.thresholds });
    await back.load(merged);
    expectSklearnMultilabel(await back.compute(), c);
  });

  it('binary: parts merge to the single run within float64 rounding; mixed parts are refused', async () => {
    const thresholds = expected.binary.roc.thresholds;
    const parts: any[] = []; // JSON states, edited below
    for (const [a, b] of [[0, 123], [123, 124], [124, 500]] as const) {
      const sweep = createThresholdSweep({ thresholds });
      await sweep.update({ scores: bin.scores.subarray(a, b), targets: bin.targets.subarray(a, b),
        weights: bin.weights.subarray(a, b) });
      parts.push(
        JSON.parse(
          JSON.stringify(await sweep.state({ threshold: 0.5, shards: { count: 3, indices: [parts.length] } })),
        ),
      );
    }
    expect(parts[0].options).toEqual({ sampleWeight: true });
    const merged = mergeBinaryStates(parts.map((p, i) => parseBinaryState(p, `part-${i}.json`)));
    const { result } = binaryStateResult(merged);
    expectSklearnCurves(result);

    const plain = createThresholdSweep({ thresholds });
    await plain.update({ scores: bin.scores, targets: bin.targets });
    const unweighted = await plain.state({ threshold: 0.5 });
    expect(() => mergeBinaryStates([unweighted, { ...parts[0], shards: undefined }], ['u.json', 'w.json'])).toThrow(
      'w.json: counted with sample weights (--sample-weight), but u.json was counted without sample weights',
    );

    const edited = structuredClone(parts[2]);
    edited.matrix[0][0] += 1;
    expect(() => parseBinaryState(edited, 'p.json')).toThrow('p.json: $.matrix: TN + FP');
    expect(() => parseBinaryState({ ...parts[2], positives: null }, 'p.json')).toThrow(
      '$.positives: a sum of sample weights must be a finite number',
    );

    const sweep = createThresholdSweep({ thresholds });
    await sweep.load(merged);
    expectSklearnCurves(await sweep.compute());
  });
});

describe.each(TEST_ADAPTERS)('sample weights on the GPU ($name)', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());

  it.each(expected.multilabel.cases.map((c) => [c.name, c]))(
    'multilabel equals sklearn with sample_weight: thresholds %s (one chunk and small chunks)',
    async (_, c) => {
      for (const opts of [{}, { chunkRows: 64, workgroupSize: 32, maxWorkgroups: 1 }]) {
        const m = createMultilabelMatrix({ numLabels: ml.L, threshold: c.thresholds, device: gpu.device, ...opts });
        expect(m.backend).toBe('gpu');
        await checked(gpu.device, () => m.update(ml));
        expectSklearnMultilabel(await m.compute(), c);
        m.destroy();
      }
    },
  );

  it('the sweep equals sklearn with sample_weight at its thresholds, and on the grid with signed weights', async () => {
    const sweep = createThresholdSweep({ thresholds: expected.binary.roc.thresholds, device: gpu.device,
      chunkRows: 128 });
    await checked(gpu.device, () => sweep.update({ scores: bin.scores, targets: bin.targets, weights: bin.weights }));
    expectSklearnCurves(await sweep.compute());
    sweep.destroy();
    const e = expected.binary.grid;
    const grid = createThresholdSweep({ thresholds: e.thresholds, device: gpu.device });
    await checked(gpu.device, () => grid.update({ scores: bin.scores, targets: bin.targets, weights: bin.signed }));
    const r = await grid.compute();
    close(r.tps, e.signed.tps, 'tps');
    close(r.fps, e.signed.fps, 'fps');
    close(binaryCounts(r, 0.5).matrix.flat(), e.signed.matrix.flat(), 'matrix at 0.5');
    grid.destroy();
  });

  it.each([[1, 1], [63, 3], [64, 7], [257, 5], [1000, 13]])(
    'multilabel, %i rows x %i labels, dyadic weights (negative and zero too), weighted and unweighted batches: bit for bit the CPU',
    async (rows, labels) => {
      const rand = rng(rows * 7 + labels);
      const scores = tricky(rand, rows * labels);
      const targets = Uint8Array.from({ length: rows * labels }, () => (rand() < 0.4 ? 1 : 0));
      const weights = dyadic(rand, rows);
      const threshold = Array.from({ length: labels }, (_, j) => [0.5, -0, Infinity, -1][j % 4]!);
      const cpu = createMultilabelMatrix({ numLabels: labels, threshold });
      const dev = createMultilabelMatrix({ numLabels: labels, threshold, device: gpu.device, chunkRows: 100,
        workgroupSize: 64, maxWorkgroups: 2 });
      for (const m of [cpu, dev]) {
        await checked(gpu.device, () => m.update({ scores, targets, weights }));
        await checked(gpu.device, () => m.update({ scores, targets }));
        await checked(gpu.device, () => m.update({ scores, targets, weights: Float32Array.from(weights, (w) => -w) }));
      }
      const want = await cpu.compute();
      expect(want.weighted).toBe(true);
      expect(await dev.compute()).toEqual(want);
      dev.destroy();
    },
  );

  it.each([[1, 1], [65, 2], [257, 17], [3000, 255]])(
    'sweep, %i rows, %i thresholds, dyadic weights, weighted and unweighted batches: bit for bit the CPU',
    async (rows, k) => {
      const rand = rng(rows + 31 * k);
      const scores = tricky(rand, rows);
      const targets = Uint8Array.from({ length: rows }, () => (rand() < 0.3 ? 1 : 0));
      const weights = dyadic(rand, rows);
      const grid = Array.from({ length: k }, (_, i) => (k === 1 ? 0 : -1.25 + (2.5 * i) / (k - 1)));
      if (k > 2) grid[k - 1] = Infinity;
      const cpu = createThresholdSweep({ thresholds: grid });
      const dev = createThresholdSweep({ thresholds: grid, device: gpu.device, chunkRows: 100, workgroupSize: 64,
        maxWorkgroups: 2 });
      for (const s of [cpu, dev]) {
        await checked(gpu.device, () => s.update({ scores, targets, weights }));
        await checked(gpu.device, () => s.update({ scores, targets }));
      }
      const want = await cpu.compute();
      expect(want.weighted).toBe(true);
      expect(await dev.compute()).toEqual(want);
      dev.destroy();
    },
  );

  it('weights spanning 12 decades: within 1e-6 relative of the CPU (fixed point rounds each weight to 2^-52 of its chunk largest)', async () => {
    const rand = rng(5);
    const rows = 2000;
    const scores = Float32Array.from({ length: rows * 3 }, () => rand());
    const targets = Uint8Array.from({ length: rows * 3 }, () => (rand() < 0.5 ? 1 : 0));
    const weights = Float64Array.from({ length: rows }, () => 10 ** (rand() * 12 - 6));
    const cpu = createMultilabelMatrix({ numLabels: 3 });
    const dev = createMultilabelMatrix({ numLabels: 3, device: gpu.device, chunkRows: 512 });
    await cpu.update({ scores, targets, weights });
    await checked(gpu.device, () => dev.update({ scores, targets, weights }));
    const [a, b] = [await dev.compute(), await cpu.compute()];
    close(a.matrices.flat(2), b.matrices.flat(2), 'GPU vs CPU', 1e-6);
    expect(a.sampleSums).toEqual(b.sampleSums);
    dev.destroy();
  });
});
