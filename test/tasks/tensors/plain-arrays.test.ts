import { describe, expect, it } from 'vitest';
import { confusionMatrix, createComparison, createConfusionMatrix, createMultilabelMatrix, createPerClassMatrix,
  createThresholdSweep, InputError } from '../../../src/index.js';
import { cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { makeLabels, makeLogits, rng } from '../../helpers/random.js';

/** The InputError `p` rejects with. */
async function refusal(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

const oracle = (logits: Float32Array, labels: Int32Array, c: number): number[] => {
  const counts = new Float64Array(c * c);
  cpuUpdate(counts, { rows: labels.length, numClasses: c, logits, labels });
  return Array.from(counts);
};

describe('options', () => {
  it('confusionMatrix(batch) without options is an InputError naming what it needs', async () => {
    const batch = { preds: new Uint8Array([0, 1]), labels: new Uint8Array([0, 0]) };
    const e = await refusal((confusionMatrix as (b: unknown) => Promise<unknown>)(batch));
    expect(e.field).toBe('options');
    expect(e.message).toBe('confusionMatrix(batch, options) needs options { numClasses, ... }, got undefined');
  });

  it.each(
    [['createConfusionMatrix', createConfusionMatrix], ['createPerClassMatrix', createPerClassMatrix], [
      'createComparison',
      createComparison,
    ], ['createMultilabelMatrix', createMultilabelMatrix], ['createThresholdSweep', createThresholdSweep]] as const,
  )('%s() without options is an InputError', (name, create) => {
    for (const bad of [undefined, null, 3]) {
      let e: unknown;
      try {
        (create as (o: unknown) => unknown)(bad);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(
        new RegExp(`^${name}\\(options\\) needs options \\{ \\w+, \\.\\.\\. \\}`),
      );
    }
  });
});

describe('plain number arrays', () => {
  const c = 4;
  const rand = rng(16);
  const logits = makeLogits(rand, 50, c, 'ties');
  const labels = makeLabels(rand, 50, c) as Int32Array;
  const rows = Array.from({ length: 50 }, (_, i) => Array.from(logits.subarray(i * c, (i + 1) * c)));

  it('counts flat and nested logits and number[] labels as their typed arrays', async () => {
    const expected = oracle(logits, labels, c);
    const flat = await confusionMatrix({ logits: Array.from(logits), labels: Array.from(labels) }, { numClasses: c });
    expect(Array.from(flat.counts)).toEqual(expected);
    const nested = await confusionMatrix({ logits: rows, labels: Array.from(labels) }, { numClasses: c });
    expect(Array.from(nested.counts)).toEqual(expected);
  });

  it('counts number[] preds, weights, and big integers refused as out of range', async () => {
    const preds = [0, 1, 1, 3];
    const r = await confusionMatrix({ preds, labels: [0, 1, 0, 3], weights: [0.5, 1, 2, 1] }, { numClasses: c });
    expect(Array.from(r.counts)).toEqual([0.5, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(r.weighted).toBe(true);
    const e = await refusal(confusionMatrix({ preds: [0, 1], labels: [0, 2 ** 40] }, { numClasses: c }));
    expect([e.field, e.index, e.value]).toEqual(['labels', 1, BigInt(2 ** 40)]);
  });

  it('names the index and value of a label that is not an integer', async () => {
    const e = await refusal(confusionMatrix({ preds: [0, 1, 1], labels: [0, 1.5, 1] }, { numClasses: c }));
    expect([e.field, e.index, e.value, e.message]).toEqual(['labels', 1, 1.5, 'index 1: label 1.5 is not an integer']);
    const p = await refusal(confusionMatrix({ preds: [0, '1'] as never, labels: [0, 1] }, { numClasses: c }));
    expect([p.field, p.index, p.message]).toEqual(['preds', 1,
      'index 1: predicted class "1" (string) is not an integer']);
  });

  it('names the index of a logit that is not a number and a row of the wrong width', async () => {
    const flat = Array.from(logits) as unknown[];
    flat[7] = null;
    const e = await refusal(confusionMatrix({ logits: flat as never, labels }, { numClasses: c }));
    expect([e.field, e.index, e.value]).toEqual(['logits', 7, null]);
    const short = rows.map((r, i) => (i === 3 ? r.slice(1) : r));
    const w = await refusal(confusionMatrix({ logits: short, labels }, { numClasses: c }));
    expect([w.field, w.index, w.message]).toEqual(['logits', 3,
      'logits[3] holds 3 values, expected an array of 4 (one per row)']);
  });

  it('says what it cannot take: the field, the type found and what is accepted', async () => {
    const e = await refusal(confusionMatrix({ preds: new Map() as never, labels }, { numClasses: c }));
    expect(e.field).toBe('preds');
    expect(e.message).toBe(
      'preds must be an integer typed array, an array of integers, a TensorFlow.js or onnxruntime tensor of integers ' +
        'or a GPUBuffer, got Map',
    );
    for (const [value, found] of [[null, 'null'], ['0,1', 'string'], [3, 'number']] as const) {
      const l = await refusal(confusionMatrix({ preds: [0, 1], labels: value as never }, { numClasses: c }));
      expect([l.field, l.message]).toEqual(['labels',
        expect.stringMatching(new RegExp(`^labels must be .*, got ${found}$`))]);
    }
    const s = await refusal(createThresholdSweep({ thresholds: [0.5] }).update({ scores: {} as never, targets: [1] }));
    expect(s.message).toMatch(/^scores must be a Float32Array, an array of numbers, a float32 .* got Object$/);
  });

  it('takes plain arrays in every task', async () => {
    const ml = createMultilabelMatrix({ numLabels: 2 });
    await ml.update({ scores: [[0.9, 0.1], [0.2, 0.8]], targets: [[1, 0], [1, 1]] });
    expect((await ml.compute()).matrices).toEqual([[[0, 0], [1, 1]], [[1, 0], [0, 1]]]);
    const sweep = createThresholdSweep({ thresholds: [0.5] });
    await sweep.update({ scores: [0.9, 0.1, 0.6], targets: [1, 0, 0] });
    expect((await sweep.compute()).fps).toEqual([1]);
    const pc = createPerClassMatrix({ numClasses: c });
    await pc.update({ logits: rows, labels: Array.from(labels) });
    const perClass = await pc.compute();
    const dense = oracle(logits, labels, c);
    expect(Array.from(perClass.perClass.tp)).toEqual([0, 1, 2, 3].map((k) => dense[k * c + k]));
    const cmp = createComparison({ numClasses: c });
    await cmp.update({ labels: Array.from(labels), logits: rows, predsB: Array.from(labels) });
    const r = await cmp.compute();
    expect(Array.from(r.a.counts)).toEqual(dense);
    expect(r.b.accuracy).toBe(1);
  });
});
