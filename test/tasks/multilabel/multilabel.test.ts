import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMultilabelMatrix, InputError, multilabelMetrics, type MultilabelResult,
  parseNpy } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { rng } from '../../helpers/random.js';

const dir = 'test/fixtures/multilabel';
const npy = (name: string) => parseNpy(new Uint8Array(readFileSync(`${dir}/${name}.npy`)), name);
interface Scores {
  precision: number;
  recall: number;
  f1: number;
}
interface Case {
  name: string;
  input: 'scores' | 'logits';
  thresholds: number[];
  matrices: number[][][];
  perLabel: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  micro: Scores;
  macro: Scores;
  weighted: Scores;
  samples: Scores;
}
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as { meta: { rows: number; labels: number };
  cases: Case[] };
const targets = npy('targets').data as Uint8Array;
const inputs = { scores: npy('scores').data as Float32Array, logits: npy('logits').data as Float32Array };
const L = expected.meta.labels;

function expectSklearn(result: MultilabelResult, c: Case): void {
  expect(result.matrices).toEqual(c.matrices);
  const m = multilabelMetrics(result);
  for (const [key, want] of Object.entries(c.perLabel)) {
    m.perLabel.forEach((x, j) => expect(x[key as keyof Case['perLabel'] & keyof typeof x]).toBeCloseTo(want[j]!, 12));
  }
  for (const avg of ['micro', 'macro', 'weighted', 'samples'] as const) {
    const got = m[`${avg}Avg`];
    for (const k of ['precision', 'recall', 'f1'] as const) expect(got[k], `${avg} ${k}`).toBeCloseTo(c[avg][k], 12);
  }
}

/** Scores with ties at the thresholds, NaN (quiet, signalling, negative), +-Inf, -0 and +0. */
function tricky(rows: number, labels: number, seed: number): { scores: Float32Array; targets: Uint8Array } {
  const rand = rng(seed);
  const scores = new Float32Array(rows * labels);
  const bits = new Uint32Array(scores.buffer);
  const specials = [NaN, Infinity, -Infinity, -0, 0, 0.5, 0.5, 1e-45, -1e-45];
  for (let i = 0; i < scores.length; i++) {
    const u = rand();
    if (u < 0.15) scores[i] = specials[Math.floor(rand() * specials.length)]!;
    else if (u < 0.17) bits[i] = 0x7f800001;
    else if (u < 0.19) bits[i] = 0xffc00000;
    else scores[i] = Math.floor(rand() * 8) / 8 - 0.25;
  }
  const targets = Uint8Array.from({ length: rows * labels }, () => (rand() < 0.4 ? 1 : 0));
  return { scores, targets };
}

describe('the multilabel and sweep kernels', () => {
  it.each(['multilabel', 'threshold-sweep'])(
    '%s.wgsl binds at most 4 storage buffers (the compatibility-level default)',
    (name) => {
      const wgsl = readFileSync(`shaders/${name}.wgsl`, 'utf8');
      expect(wgsl.match(/var<storage/g)!.length).toBeLessThanOrEqual(4);
    },
  );
});

describe('multilabel on the CPU', () => {
  it.each(expected.cases.map((c) => [c.name, c]))('equals sklearn: %s', async (_, c) => {
    const ml = createMultilabelMatrix({ numLabels: L, threshold: c.thresholds });
    await ml.update({ scores: inputs[c.input], targets });
    expectSklearn(await ml.compute(), c);
  });

  it('adds batches and resets', async () => {
    const c = expected.cases[0]!;
    const ml = createMultilabelMatrix({ numLabels: L });
    const half = 150 * L;
    await ml.update({ scores: inputs.scores.subarray(0, half), targets: targets.subarray(0, half) });
    await ml.update({ scores: inputs.scores.subarray(half), targets: targets.subarray(half) });
    expect((await ml.compute()).matrices).toEqual(c.matrices);
    await ml.reset();
    expect((await ml.compute()).rows).toBe(0);
  });

  it('names the row, column and value of a target that is not 0 or 1', async () => {
    const ml = createMultilabelMatrix({ numLabels: 3 });
    const bad = new Int32Array([0, 1, 0, 1, 0, 2]);
    await expect(ml.update({ scores: new Float32Array(6), targets: bad })).rejects.toThrow(
      /row 1, column 2: target 2 is not 0 or 1/,
    );
    await expect(ml.update({ scores: new Float32Array(6), targets: new Int8Array([0, 0, 0, 0, -1, 0]) })).rejects
      .toThrow(/row 1, column 1: target -1/);
    await expect(ml.update({ scores: new Float32Array(5), targets: new Uint8Array(5) })).rejects.toBeInstanceOf(
      InputError,
    );
    expect((await ml.compute()).rows).toBe(0);
    expect(() => createMultilabelMatrix({ numLabels: 3, threshold: [0.5, NaN, 0.5] })).toThrow(/threshold 1 is NaN/);
    expect(() => createMultilabelMatrix({ numLabels: 3, threshold: [0.5, 0.5] })).toThrow(
      /2 thresholds given for 3 labels/,
    );
  });

  it('predicts a label when score >= threshold, -0 equal to +0, NaN never', async () => {
    const ml = createMultilabelMatrix({ numLabels: 1, threshold: 0 });
    await ml.update({ scores: Float32Array.of(-0, 0, NaN, -1e-45, 1e-45), targets: Uint8Array.of(1, 1, 1, 1, 1) });
    expect((await ml.compute()).matrices[0]).toEqual([[0, 0], [2, 3]]);
  });
});

describe.each(TEST_ADAPTERS)('multilabel GPU == CPU on $name', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());

  it.each(expected.cases.map((c) => [c.name, c]))('equals sklearn: %s', async (_, c) => {
    const ml = createMultilabelMatrix({ numLabels: L, threshold: c.thresholds, device: gpu.device });
    expect(ml.backend).toBe('gpu');
    await checked(gpu.device, () => ml.update({ scores: inputs[c.input], targets }));
    expectSklearn(await ml.compute(), c);
    ml.destroy();
  });

  it.each([[1, 1, 0], [63, 3, 0.5], [64, 7, 0], [65, 2, 0.5], [257, 5, 0], [1000, 13, 0.5]])(
    'rows %i x %i labels, threshold %d, small chunks and workgroups: bit for bit the CPU',
    async (rows, labels, threshold) => {
      const { scores, targets: t } = tricky(rows, labels, rows * 31 + labels);
      const perLabel = Array.from({ length: labels },
        (_, j) => (j % 3 === 0 ? threshold : j % 3 === 1 ? -0 : Infinity));
      const cpu = createMultilabelMatrix({ numLabels: labels, threshold: perLabel });
      const dev = createMultilabelMatrix({ numLabels: labels, threshold: perLabel, device: gpu.device, chunkRows: 100,
        workgroupSize: 64, maxWorkgroups: 2 });
      await cpu.update({ scores, targets: t });
      await checked(gpu.device, () => dev.update({ scores, targets: t }));
      await checked(gpu.device, () => dev.update({ scores, targets: t }));
      await cpu.update({ scores, targets: t });
      expect(await dev.compute()).toEqual(await cpu.compute());
      dev.destroy();
    },
  );

  it('refuses a bad target before counting and counts nothing of it', async () => {
    const ml = createMultilabelMatrix({ numLabels: 2, device: gpu.device });
    await expect(ml.update({ scores: new Float32Array(4), targets: BigInt64Array.of(0n, 1n, 1n, 3n) })).rejects.toThrow(
      /row 1, column 1: target 3/,
    );
    await ml.update({ scores: Float32Array.of(0.9, 0.1), targets: BigInt64Array.of(1n, 0n) });
    const r = await ml.compute();
    expect(r.rows).toBe(1);
    expect(r.matrices).toEqual([[[0, 0], [0, 1]], [[1, 0], [0, 0]]]);
    ml.destroy();
  });
});
