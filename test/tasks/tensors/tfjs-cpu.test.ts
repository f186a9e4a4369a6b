import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusionMatrix, createConfusionMatrix, createMultilabelMatrix, createPerClassMatrix, createThresholdSweep,
  frameworkDevice, InputError } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../../helpers/random.js';

async function refusal(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

const C = 5;
const N = 300;
const rand = rng(160);
const logits = makeLogits(rand, N, C, 'ties');
const labels = makeLabels(rand, N, C) as Int32Array;
const expected = (() => {
  const counts = new Float64Array(C * C);
  cpuUpdate(counts, { rows: N, numClasses: C, logits, labels });
  return Array.from(counts);
})();

let gpu: NodeGpu;
beforeAll(async () => {
  await tf.setBackend('cpu');
  gpu = await requireDevice(TEST_ADAPTERS[0]!.options);
});
afterAll(() => gpu?.destroy());

describe('TensorFlow.js tensors on the cpu backend', () => {
  it('are counted from their data, on the CPU and on a device, as the CPU oracle counts their numbers', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(logits, [N, C]);
    const y = tf.tensor1d(labels, 'int32');
    for (const device of [undefined, gpu.device]) {
      const cm = createConfusionMatrix({ numClasses: C, device });
      await cm.update({ logits: x, labels: y });
      await cm.update({ preds: tf.argMax(x, 1), labels: tf.tensor2d(labels, [N, 1], 'float32') });
      expect(Array.from((await cm.compute()).counts)).toEqual(expected.map((v) => 2 * v));
      cm.destroy();
    }
    expect(await frameworkDevice(tf)).toBeUndefined();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 4);
  });

  it('feed the other tasks: per-class, multilabel (bool targets too), threshold sweep', async () => {
    const pc = createPerClassMatrix({ numClasses: C, device: gpu.device });
    await pc.update({ logits: tf.tensor2d(logits, [N, C]), labels: tf.tensor1d(labels, 'int32') });
    expect(Array.from((await pc.compute()).perClass.tp)).toEqual([0, 1, 2, 3, 4].map((k) => expected[k * C + k]));
    pc.destroy();
    const ml = createMultilabelMatrix({ numLabels: 2 });
    await ml.update({ scores: tf.tensor2d([[0.9, 0.1], [0.2, 0.8]]),
      targets: tf.tensor2d([[1, 0], [1, 1]], [2, 2], 'bool') });
    expect((await ml.compute()).matrices).toEqual([[[0, 0], [1, 1]], [[1, 0], [0, 1]]]);
    const sweep = createThresholdSweep({ thresholds: [0.5] });
    await sweep.update({ scores: tf.tensor2d([0.9, 0.1, 0.6], [3, 1]), targets: tf.tensor1d([1, 0, 0], 'int32') });
    expect((await sweep.compute()).fps).toEqual([1]);
  });

  it('refuse float labels that are not integers, naming the index and value', async () => {
    const e = await refusal(
      confusionMatrix({ preds: tf.tensor1d([0, 1, 2], 'int32'), labels: tf.tensor1d([0, 2.5, 1]) }, { numClasses: C }),
    );
    expect([e.field, e.index, e.value, e.message]).toEqual(['labels', 1, 2.5, 'index 1: label 2.5 is not an integer']);
  });

  it('refuse dtypes, shapes and disposed tensors clearly', async () => {
    const y = tf.tensor1d([0, 1], 'int32');
    const complex = tf.complex(tf.tensor2d([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]), tf.zeros([2, 5]));
    const cases: [Record<string, unknown>, string, RegExp][] = [[{ logits: complex, labels: y }, 'logits',
      /^logits is a complex64 TensorFlow\.js tensor: logits must be a Float32Array, .*tensor or a GPUBuffer$/], [{
      preds: tf.tensor1d(['a', 'b'], 'string'),
      labels: y,
    }, 'preds', /^preds is a string TensorFlow\.js tensor:/], [{ preds: tf.tensor1d([1, 0], 'bool'), labels: y },
      'preds', /^preds is a bool TensorFlow\.js tensor:/], [{ logits: tf.zeros([2, C + 1]), labels: y }, 'logits',
      /^logits is a float32 TensorFlow\.js tensor of shape \[2, 6\], expected \[N, 5\]$/], [{ preds: y,
      labels: tf.zeros([2, 2], 'int32') }, 'labels',
      /^labels is an int32 TensorFlow\.js tensor of shape \[2, 2\], expected \[N\] or \[N, 1\]$/]];
    for (const [batch, field, message] of cases) {
      const e = await refusal(confusionMatrix(batch as never, { numClasses: C }));
      expect([e.field, e.message]).toEqual([field, expect.stringMatching(message)]);
    }
    const rows = await refusal(
      confusionMatrix({ preds: y, labels: tf.tensor1d([0, 1, 1], 'int32') }, { numClasses: C }),
    );
    expect([rows.field, rows.message]).toEqual(['labels', 'labels holds 3 rows, preds 2: they must agree']);
    const gone = tf.tensor1d([0, 1], 'int32');
    gone.dispose();
    const e = await refusal(confusionMatrix({ preds: gone, labels: y }, { numClasses: C }));
    expect([e.field, e.message]).toEqual(['preds', 'preds is a TensorFlow.js tensor that was disposed']);
    await expect(frameworkDevice({})).rejects.toThrow(/^frameworkDevice takes the TensorFlow\.js namespace/);
  });
});
