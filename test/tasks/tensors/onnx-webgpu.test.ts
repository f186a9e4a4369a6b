import { readFileSync } from 'node:fs';
import type * as Ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfusionMatrix, frameworkDevice } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { bytesWritten, checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';

// onnxruntime-web's WebGPU execution provider in Node, on the test adapter: navigator.gpu is Dawn's object, and
// queue.writeBuffer gets a copy of views of shared memory (ort's wasm heap is a SharedArrayBuffer, which Dawn's Node
// binding refuses as "Invalid argument"; browsers take it).
const fixture = JSON.parse(readFileSync('test/fixtures/tensors/classifier.json', 'utf8')) as { numClasses: number;
  features: number; x: number[]; labels: number[]; sklearnCounts: number[] };
const C = fixture.numClasses;
const N = fixture.labels.length;

let gpu: NodeGpu;
let ort: typeof Ort;
let outputs: Ort.InferenceSession.OnnxValueMapType;
let restore: () => void;
beforeAll(async () => {
  gpu = await requireDevice(TEST_ADAPTERS[0]!.options);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: gpu.instance }, configurable: true });
  const queue = Object.getPrototypeOf(gpu.device.queue) as GPUQueue;
  const original = queue.writeBuffer;
  queue.writeBuffer = function(this: GPUQueue, b: GPUBuffer, o: number, d: ArrayBufferView, d0?: number, n?: number) {
    const shared = d.buffer instanceof SharedArrayBuffer;
    const copy = shared ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice() : d;
    return original.call(this, b, o, copy as GPUAllowSharedBufferSource, d0, n);
  } as typeof original;
  restore = () => (queue.writeBuffer = original);
  ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.numThreads = 1;
  ort.env.webgpu.device = gpu.device;
  const session = await ort.InferenceSession.create(readFileSync('test/fixtures/tensors/classifier.onnx'), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
  });
  outputs = await session.run({ x: new ort.Tensor('float32', Float32Array.from(fixture.x), [N, fixture.features]) });
});
afterAll(() => {
  restore?.();
  gpu?.destroy();
});

describe('onnxruntime-web on its WebGPU execution provider', () => {
  it("counts the model's 'gpu-buffer' logits in place on frameworkDevice(ort), as sklearn does", async () => {
    const logits = outputs.logits as Ort.Tensor;
    expect([logits.location, logits.type]).toEqual(['gpu-buffer', 'float32']);
    const device = await frameworkDevice(ort); // the device ort computes on (its own JS object for it)
    expect(device?.queue).toBeDefined();
    const labels = Int32Array.from(fixture.labels);
    const cm = createConfusionMatrix({ numClasses: C, device });
    const [, inPlace] = await checked(device!, () => bytesWritten(device!, () => cm.update({ logits, labels })));
    const host = await logits.getData() as Float32Array;
    const [, uploaded] = await bytesWritten(device!, () => cm.update({ logits: host, labels }));
    expect(uploaded - inPlace).toBeGreaterThanOrEqual(host.byteLength);
    await cm.update({ preds: outputs.preds as Ort.Tensor, labels });
    expect(Array.from((await cm.compute()).counts)).toEqual(fixture.sklearnCounts.map((v) => 3 * v));
    cm.destroy();
  });
});
