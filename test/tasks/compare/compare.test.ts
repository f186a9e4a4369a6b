import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComparisonBatch, type ComparisonOptions, type ComparisonResult, createComparison, createConfusionMatrix,
  InputError, type LabelArray, parseNpy } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { comparisonFromJoint } from '../../../src/tasks/compare/compare.js';
import { pairedIntervals } from '../../../src/tasks/compare/paired-intervals.js';
import { computeMetrics } from '../../../src/tasks/multiclass/metrics.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { LABEL_TYPES, makeLabels, makeLogits, rng } from '../../helpers/random.js';

const FIXTURE = 'test/fixtures/compare';
const npy = (name: string) => parseNpy(new Uint8Array(readFileSync(`${FIXTURE}/${name}.npy`)), name).data;
const expected = JSON.parse(readFileSync(`${FIXTURE}/expected.json`, 'utf8')) as { matrixA: number[][];
  matrixB: number[][]; joint: number[];
  mcnemar: { b: number; c: number; statistic: number; pValue: number; exactPValue: number } };

/** Everything counted, as plain data, for toEqual. */
const plain = (r: ComparisonResult) => ({ joint: r.joint, counts: r.counts && Array.from(r.counts),
  a: Array.from(r.a.counts), b: Array.from(r.b.counts), rightWrong: Array.from(r.rightWrong), total: r.total,
  mcnemar: r.mcnemar });

async function compare(options: ComparisonOptions, batches: ComparisonBatch[]): Promise<ComparisonResult> {
  const cmp = createComparison(options);
  try {
    for (const b of batches) await cmp.update(b);
    return await cmp.compute();
  } finally {
    cmp.destroy();
  }
}

function expectFixture(r: ComparisonResult): void {
  const rows = (x: Float64Array) => Array.from({ length: 10 }, (_, t) => Array.from(x.subarray(10 * t, 10 * t + 10)));
  expect(rows(r.a.counts)).toEqual(expected.matrixA);
  expect(rows(r.b.counts)).toEqual(expected.matrixB);
  if (r.joint) expect(Array.from(r.counts!)).toEqual(expected.joint);
  const m = expected.mcnemar;
  expect([r.mcnemar.b, r.mcnemar.c]).toEqual([m.b, m.c]);
  expect(r.mcnemar.statistic).toBeCloseTo(m.statistic, 12);
  expect(r.mcnemar.pValue / m.pValue).toBeCloseTo(1, 11);
  expect(r.mcnemar.exactPValue / m.exactPValue).toBeCloseTo(1, 11);
}

const fixtureBatch = (): ComparisonBatch => ({ logits: npy('a') as Float32Array, logitsB: npy('b') as Float32Array,
  labels: npy('labels') as LabelArray });

describe('comparison on the CPU', () => {
  it('matches sklearn and statsmodels on two digits classifiers, joint or not', async () => {
    for (const joint of [true, false]) expectFixture(await compare({ numClasses: 10, joint }, [fixtureBatch()]));
  });

  it('its matrices are each model alone, and joint and split counts agree', async () => {
    const rand = rng(7);
    for (const c of [1, 2, 5, 17]) {
      const labels = makeLabels(rand, 500, c);
      const [logits, logitsB] = [makeLogits(rand, 500, c, 'special'), makeLogits(rand, 500, c, 'ties')];
      const batch = { logits, logitsB, labels };
      const [joint, split] = [await compare({ numClasses: c, joint: true }, [batch]),
        await compare({ numClasses: c, joint: false }, [batch])];
      const alone = async (x: Float32Array) => {
        const cm = createConfusionMatrix({ numClasses: c });
        await cm.update({ logits: x, labels });
        return Array.from((await cm.compute()).counts);
      };
      expect(Array.from(joint.a.counts)).toEqual(await alone(logits));
      expect(Array.from(joint.b.counts)).toEqual(await alone(logitsB));
      expect({ ...plain(split), joint: true, counts: undefined }).toEqual({ ...plain(joint), counts: undefined });
      expect(plain(comparisonFromJoint(joint.counts!, c))).toEqual(plain(joint));
    }
  });

  it('counts the right/wrong table and McNemar from rows', async () => {
    // rows: (t, a, b) = (0,0,0) (0,0,1) (1,0,1) (1,1,0) (1,0,0) (2,2,2), class 2 ignored once (label -1)
    const labels = Int8Array.of(0, 0, 1, 1, 1, 2, -1);
    const [preds, predsB] = [Uint8Array.of(0, 0, 0, 1, 0, 2, 0), Uint8Array.of(0, 1, 1, 0, 0, 2, 1)];
    for (const joint of [true, false]) {
      const r = await compare({ numClasses: 3, joint, ignoreIndex: -1 }, [{ preds, predsB, labels }]);
      expect(Array.from(r.rightWrong)).toEqual([1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
      expect([r.mcnemar.b, r.mcnemar.c, r.total]).toEqual([2, 1, 6]);
      expect([r.a.correct, r.b.correct]).toEqual([4, 3]);
    }
  });

  it('exposes the joint table for the paired bootstrap (pairedIntervals)', async () => {
    const r = await compare({ numClasses: 10 }, [fixtureBatch()]);
    const d = pairedIntervals(r.counts!, 10, { level: 0.95, resamples: 200, seed: 1 });
    const [a, b] = [computeMetrics(r.a.counts, 10), computeMetrics(r.b.counts, 10)];
    expect(d.accuracy.estimate).toBeCloseTo(b.accuracy - a.accuracy, 14);
    expect(d.macroF1.estimate).toBeCloseTo(b.macroAvg.f1 - a.macroAvg.f1, 14);
    expect(d.accuracy.high).toBeLessThan(0);
  });

  it('picks the joint table up to C^3 = 2^24 cells', () => {
    expect([256, 257].map((c) => createComparison({ numClasses: c }).joint)).toEqual([true, false]);
    expect(createComparison({ numClasses: 3, joint: false }).joint).toBe(false);
  });

  it('refuses bad batches, naming the field, the index and the value', async () => {
    const cmp = createComparison({ numClasses: 3 });
    const labels = Int32Array.of(0, 1, 2);
    const logits = new Float32Array(9);
    const refused = async (batch: ComparisonBatch) => cmp.update(batch).then(() => undefined, (e: unknown) => e);
    const e1 = (await refused({ logits, predsB: Int32Array.of(0, 3, 1), labels })) as InputError;
    expect([e1 instanceof InputError, e1.field, e1.index, e1.value]).toEqual([true, 'predsB', 1, 3]);
    expect(e1.message).toBe('index 1: predicted class 3 is outside [0, 3)');
    const e2 = (await refused({ logits, logitsB: new Float32Array(6), labels })) as InputError;
    expect([e2.field, e2.message]).toEqual(['logitsB',
      'logitsB hold 6 values, expected N x C = 3 x 3 = 9 (N from labels)']);
    const e3 = (await refused({ preds: Int32Array.of(0, 1), predsB: labels, labels })) as InputError;
    expect([e3.field, e3.message]).toEqual(['preds', 'preds hold 2 values, labels 3: they must have the same length']);
    const e4 = (await refused({ logits, labels } as ComparisonBatch)) as InputError;
    expect([e4.field, e4.message]).toEqual(['logitsB', 'model B needs exactly one of logitsB or predsB']);
    const e5 = (await refused({ logits, logitsB: new Uint16Array(9), labels })) as InputError;
    expect(e5.field).toBe('logitsB');
    expect((await compare({ numClasses: 3 }, [])).total).toBe(0);
    cmp.destroy();
  });

  it('saves and loads its counts, refusing another setup', async () => {
    const a = createComparison({ numClasses: 10, joint: false });
    await a.update(fixtureBatch());
    const saved = JSON.parse(JSON.stringify(await a.state()));
    const b = createComparison({ numClasses: 10, joint: false });
    await b.load(saved);
    expectFixture(await b.compute());
    await expect(createComparison({ numClasses: 10 }).load(saved)).rejects.toThrow(/counted with/);
  });
});

/** Random 16-bit float bits, with NaNs, infinities and signed zeros of `dtype` now and then. */
function halfBits(rand: () => number, n: number, dtype: 'float16' | 'bfloat16'): Uint16Array {
  const special = dtype === 'float16' ?
    [0x7c00, 0xfc00, 0x7e00, 0xfe01, 0x8000, 0, 0x3c00] :
    [0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x8000, 0, 0x3f80];
  return Uint16Array.from({ length: n },
    () =>
      rand() < 0.1 ?
        special[Math.floor(rand() * special.length)]! :
        rand() < 0.3 ?
        special[6]! :
        Math.floor(rand() * 0x10000));
}

type Kind = 'f32' | 'float16' | 'bfloat16' | 'preds';

/** Model input of `kind` for `rows` rows of C classes, in the batch fields of model `side`. */
function model(rand: () => number, kind: Kind, rows: number, c: number, side: '' | 'B'): Partial<ComparisonBatch> {
  if (kind === 'preds') return { [`preds${side}`]: makeLabels(rand, rows, c, Uint16Array) };
  if (kind === 'f32') return { [`logits${side}`]: makeLogits(rand, rows, c, rand() < 0.5 ? 'special' : 'ties') };
  return { [`logits${side}`]: halfBits(rand, rows * c, kind), [`logitsDtype${side}`]: kind };
}

describe.each(TEST_ADAPTERS)('comparison on the GPU ($name) equals the CPU', ({ options: adapter }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(adapter);
  });
  afterAll(() => gpu?.destroy());

  it('on the digits fixture', async () => {
    for (const joint of [true, false]) {
      const r = await checked(gpu.device, () =>
        compare({ numClasses: 10, joint, device: gpu.device, chunkRows: 100 }, [fixtureBatch()]));
      expect(r.joint).toBe(joint);
      expectFixture(r);
    }
  });

  it('past the joint table (C = 257: both matrices and the right/wrong table)', async () => {
    const rand = rng(3);
    const c = 257;
    const labels = makeLabels(rand, 700, c, Uint16Array);
    const batch = { labels, logits: makeLogits(rand, 700, c, 'special'), predsB: makeLabels(rand, 700, c) };
    const cpu = await compare({ numClasses: c }, [batch]);
    const onGpu = await checked(gpu.device,
      () => compare({ numClasses: c, device: gpu.device, chunkRows: 128 }, [batch]));
    expect([cpu.joint, onGpu.joint]).toEqual([false, false]);
    expect(plain(onGpu)).toEqual(plain(cpu));
  });

  it('for random shapes, chunk edges, ties, NaN/Inf, halves, ignored rows and label types', async () => {
    const kinds = ['f32', 'float16', 'bfloat16', 'preds'] as const;
    const arb = fc.record({ c: fc.constantFrom(1, 2, 3, 10, 64, 65), a: fc.constantFrom(...kinds),
      b: fc.constantFrom(...kinds), joint: fc.boolean(), ignore: fc.boolean(),
      labelType: fc.nat({ max: LABEL_TYPES.length - 1 }), seed: fc.nat(),
      rows: fc.array(
        fc.oneof(fc.nat({ max: 5 }), fc.constantFrom(63, 64, 65, 127, 128, 129, 257), fc.nat({ max: 400 })),
        { minLength: 1, maxLength: 3 },
      ), chunkRows: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
      workgroupSize: fc.constantFrom(7, 64),
      maxWorkgroups: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) });
    await fc.assert(fc.asyncProperty(arb, async (k) => {
      const rand = rng(k.seed);
      const type = LABEL_TYPES[k.labelType]!;
      const ignoreIndex = k.ignore ? (type === Uint8Array || type === Uint8ClampedArray ? 255 : 100) : undefined;
      const batches = k.rows.map((n) => {
        const labels = makeLabels(rand, n, k.c, type);
        if (ignoreIndex !== undefined) {
          for (let i = 0; i < n; i += 3) {
            labels[i] = type.name.startsWith('Big') ? BigInt(ignoreIndex) as never : ignoreIndex as never;
          }
        }
        return { labels, ...model(rand, k.a, n, k.c, ''), ...model(rand, k.b, n, k.c, 'B') } as ComparisonBatch;
      });
      const chunkRows = k.chunkRows && Math.max(k.chunkRows, Math.ceil(Math.max(...k.rows) / 6));
      const options = { numClasses: k.c, joint: k.joint, ignoreIndex };
      const cpu = await compare(options, batches);
      const onGpu = await checked(gpu.device,
        () =>
          compare({ ...options, device: gpu.device, chunkRows, workgroupSize: k.workgroupSize,
            maxWorkgroups: k.maxWorkgroups }, batches));
      expect(plain(onGpu)).toEqual(plain(cpu));
    }), { numRuns: Number(process.env.CONFMAT_FUZZ_COMPARE ?? 60), seed: 20261204 });
  }, 600_000);
});
