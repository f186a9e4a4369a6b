import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusionMatrix, createConfusionMatrix, createThresholdSweep, frameworkDevice,
  InputError } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { bytesWritten, checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';

// A tiny classifier (test/fixtures/tensors/make-classifier.py: Gemm, Softmax, ArgMax) run by onnxruntime-web's wasm
// backend; its output tensors go into update() as they are.
const fixture = JSON.parse(readFileSync('test/fixtures/tensors/classifier.json', 'utf8')) as { numClasses: number;
  features: number; x: number[]; labels: number[]; sklearnCounts: number[] };
const C = fixture.numClasses;
const N = fixture.labels.length;

let outputs: ort.InferenceSession.OnnxValueMapType;
let gpu: NodeGpu;
let other: NodeGpu;
beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(readFileSync('test/fixtures/tensors/classifier.onnx'), {
    executionProviders: ['wasm'],
  });
  outputs = await session.run({ x: new ort.Tensor('float32', Float32Array.from(fixture.x), [N, fixture.features]) });
  await session.release();
  gpu = await requireDevice(TEST_ADAPTERS[0]!.options);
  other = await requireDevice(TEST_ADAPTERS[0]!.options);
});
afterAll(() => {
  gpu?.destroy();
  other?.destroy();
});

const labels = () => new ort.Tensor('int64', BigInt64Array.from(fixture.labels.map(BigInt)), [N]);
const oracle = (logits: Float32Array): number[] => {
  const counts = new Float64Array(C * C);
  cpuUpdate(counts, { rows: N, numClasses: C, logits, labels: Int32Array.from(fixture.labels) });
  return Array.from(counts);
};

async function refusal(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

describe('onnxruntime tensors', () => {
  it("a model's logits, probabilities and int64 argmax count as sklearn and the CPU oracle do", async () => {
    const logits = outputs.logits as ort.Tensor;
    expect([logits.type, logits.location, (outputs.preds as ort.Tensor).type]).toEqual(['float32', 'cpu', 'int64']);
    expect(oracle(logits.data as Float32Array)).toEqual(fixture.sklearnCounts);
    for (const device of [undefined, gpu.device]) {
      const cm = createConfusionMatrix({ numClasses: C, device });
      await cm.update({ logits, labels: labels() });
      await cm.update({ logits: outputs.probs as ort.Tensor, labels: labels() });
      await cm.update({ preds: outputs.preds as ort.Tensor, labels: fixture.labels });
      expect(Array.from((await cm.compute()).counts)).toEqual(fixture.sklearnCounts.map((v) => 3 * v));
      cm.destroy();
    }
    const sweep = createThresholdSweep({ thresholds: [0.5] });
    const column = Float32Array.from({ length: N }, (_, i) => (outputs.probs!.data as Float32Array)[i * C]!);
    const targets = new ort.Tensor('bool', Uint8Array.from(fixture.labels, (v) => Number(v === 1)), [N]);
    await sweep.update({ scores: new ort.Tensor('float32', column, [N, 1]), targets });
    expect((await sweep.compute()).positives).toBe(fixture.labels.filter((v) => v === 1).length);
  });

  it("a 'gpu-buffer' tensor on the matrix's device is counted in place; on another device, read back", async () => {
    const data = (outputs.logits as ort.Tensor).data as Float32Array;
    const expected = oracle(data);
    const onDevice = (d: GPUDevice, downloads: { n: number }) => {
      const buffer = d.createBuffer({ label: 'ort logits', size: data.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      d.queue.writeBuffer(buffer, 0, data as Float32Array<ArrayBuffer>);
      return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [N, C], download: async () => {
        downloads.n++;
        return Float32Array.from(data);
      } });
    };
    const here = { n: 0 };
    const cm = createConfusionMatrix({ numClasses: C, device: gpu.device });
    const resident = onDevice(gpu.device, here);
    const [, inPlace] = await checked(gpu.device,
      () => bytesWritten(gpu.device, () => cm.update({ logits: resident, labels: labels() })));
    const [, uploaded] = await bytesWritten(gpu.device, () => cm.update({ logits: outputs.logits!, labels: labels() }));
    expect(uploaded - inPlace).toBeGreaterThanOrEqual(data.byteLength);
    expect(here.n).toBe(0);
    const away = { n: 0 };
    await cm.update({ logits: onDevice(other.device, away), labels: labels() });
    expect(away.n).toBe(1);
    expect(Array.from((await cm.compute()).counts)).toEqual(expected.map((v) => 3 * v));
    cm.destroy();
  });

  it('refuses disposed tensors, strings, and integers where scores are needed', async () => {
    const gone = labels();
    gone.dispose();
    const cases: [Record<string, unknown>, string, string | RegExp][] = [[{ logits: outputs.logits, labels: gone },
      'labels', 'labels is an onnxruntime tensor that was disposed'], [{
      preds: new ort.Tensor('string', ['a', 'b'], [2]),
      labels: [0, 1],
    }, 'preds', /^preds is a string onnxruntime tensor: preds must be an integer typed array, /], [{
      logits: new ort.Tensor('int64', new BigInt64Array(2 * C), [2, C]),
      labels: [0, 1],
    }, 'logits', /^logits is an int64 onnxruntime tensor: logits must be a Float32Array, /], [{
      logits: new ort.Tensor('float32', new Float32Array(2 * C), [C, 2]),
      labels: [0, 1],
    }, 'logits', `logits is a float32 onnxruntime tensor of shape [${C}, 2], expected [N, ${C}]`]];
    for (const [batch, field, message] of cases) {
      const e = await refusal(confusionMatrix(batch as never, { numClasses: C }));
      expect([e.field, e.message]).toEqual([field,
        typeof message === 'string' ? message : expect.stringMatching(message)]);
    }
  });

  it('frameworkDevice(ort) is ort.env.webgpu.device: none on wasm, the device once one is set', async () => {
    expect(await frameworkDevice(ort)).toBeUndefined();
    ort.env.webgpu.device = gpu.device;
    try {
      expect(await frameworkDevice(ort)).toBe(gpu.device);
    } finally {
      delete (ort.env.webgpu as { device?: unknown }).device;
    }
  });
});
