import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfusionMatrix, createMultilabelMatrix, createPerClassMatrix, frameworkDevice,
  InputError } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { bytesWritten, checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { makeLabels, rng } from '../../helpers/random.js';

// TensorFlow.js's webgpu backend in Node: navigator.gpu is the test adapter's Dawn object (as in a browser), set
// before the backend is imported (it registers itself only where navigator.gpu exists).
let gpu: NodeGpu;
let device: GPUDevice;
beforeAll(async () => {
  gpu = await requireDevice(TEST_ADAPTERS[0]!.options);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: gpu.instance }, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  expect(await tf.setBackend('webgpu')).toBe(true);
  device = (await frameworkDevice(tf))!;
});
afterAll(() => gpu?.destroy());

const C = 6;
const N = 2048; // over WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000): smaller int ops run on the CPU
const rand = rng(61);
const labelValues = makeLabels(rand, N, C) as Int32Array;

/** Logits a model computes on the GPU (small integers: many tied rows), and the CPU oracle's counts of them. */
async function modelLogits(): Promise<[tf.Tensor2D, number[]]> {
  const x = tf.tensor2d(Float32Array.from({ length: N * 3 }, () => Math.floor(rand() * 4)), [N, 3]);
  const w = tf.tensor2d(Float32Array.from({ length: 3 * C }, () => Math.floor(rand() * 3) - 1), [3, C]);
  const logits: tf.Tensor2D = tf.matMul(x, w);
  tf.dispose([x, w]);
  const counts = new Float64Array(C * C);
  cpuUpdate(counts, { rows: N, numClasses: C, logits: (await logits.data()) as Float32Array, labels: labelValues });
  return [logits, Array.from(counts)];
}

/** Labels an int32 op wrote on the GPU (a tensor made from host values stays on the host until used). */
const gpuLabels = (values: Int32Array): tf.Tensor1D => tf.add(tf.tensor1d(values, 'int32'), tf.scalar(0, 'int32'));

/** Counts `dataToGPU()` calls on every tensor while `fn` runs. */
async function gpuReads<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const proto = tf.Tensor.prototype as unknown as { dataToGPU: (...a: unknown[]) => unknown };
  const original = proto.dataToGPU;
  let calls = 0;
  proto.dataToGPU = function(this: unknown, ...a: unknown[]) {
    calls++;
    return original.apply(this, a);
  };
  try {
    return [await fn(), calls];
  } finally {
    proto.dataToGPU = original;
  }
}

describe('TensorFlow.js tensors on the webgpu backend (in Node, on the test adapter)', () => {
  it('frameworkDevice(tf) is the backend device', () => {
    expect(device).toBe((tf.backend() as unknown as { device: GPUDevice }).device);
    expect(device).not.toBe(gpu.device);
  });

  it('are counted in place on the shared device, never read to the host, and their GPU copies freed', async () => {
    const [logits, expected] = await modelLogits();
    const labels = gpuLabels(labelValues);
    const cm = createConfusionMatrix({ numClasses: C, device });
    const before = tf.memory().numTensors;
    const [[, bytes], reads] = await gpuReads(() =>
      checked(device, () => bytesWritten(device, () => cm.update({ logits, labels })))
    );
    expect(reads).toBe(2);
    expect(bytes).toBeLessThan(N * 4);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from((await cm.compute()).counts)).toEqual(expected);
    expect(cm.backend).toBe('gpu');
    cm.destroy();
    tf.dispose([logits, labels]);
  });

  it('count in place in the per-class and multilabel tasks too', async () => {
    const [logits, expected] = await modelLogits();
    const labels = gpuLabels(labelValues);
    const pc = createPerClassMatrix({ numClasses: C, device });
    const [, reads] = await gpuReads(() => pc.update({ logits, labels }));
    expect(reads).toBe(2);
    const tp = (await pc.compute()).perClass.tp;
    expect(Array.from(tp)).toEqual(Array.from({ length: C }, (_, k) => expected[k * C + k]));
    pc.destroy();
    const ml = createMultilabelMatrix({ numLabels: C, threshold: 1, device });
    const targets = tf.cast(tf.greater(tf.oneHot(tf.tensor1d(labelValues, 'int32'), C), 0), 'int32');
    const [, mlReads] = await gpuReads(() => ml.update({ scores: logits, targets }));
    expect(mlReads).toBe(2);
    const host = createMultilabelMatrix({ numLabels: C, threshold: 1 });
    await host.update({ scores: (await logits.data()) as Float32Array, targets: (await targets.data()) as Int32Array });
    expect((await ml.compute()).matrices).toEqual((await host.compute()).matrices);
    ml.destroy();
    tf.dispose([logits, labels, targets]);
  });

  it('read their data when the matrix counts on another device, or on the CPU', async () => {
    const [logits, expected] = await modelLogits();
    const labels = gpuLabels(labelValues);
    const before = tf.memory().numTensors;
    for (const other of [gpu.device, undefined]) {
      const cm = createConfusionMatrix({ numClasses: C, device: other });
      await cm.update({ logits, labels });
      expect(Array.from((await cm.compute()).counts)).toEqual(expected);
      cm.destroy();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, labels]);
  });

  it('refuse a label out of range in a tensor counted in place, naming its row', async () => {
    const bad = Int32Array.from(labelValues);
    bad[123] = C + 1;
    const labels = gpuLabels(bad);
    const [logits] = await modelLogits();
    const cm = createConfusionMatrix({ numClasses: C, device });
    const e = await cm.update({ logits, labels }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect([(e as InputError).field, (e as InputError).index]).toEqual(['labels', 123]);
    expect((await cm.compute()).total).toBe(0);
    cm.destroy();
    tf.dispose([logits, labels]);
  });
});
