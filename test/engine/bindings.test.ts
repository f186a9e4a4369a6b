import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createChunkRunner } from '../../src/engine/chunk-runner.js';
import { bindGroup } from '../../src/engine/pipelines.js';
import { bindings, kernels } from '../../src/engine/shaders.generated.js';
import { checkBinding } from '../../src/engine/task-gpu.js';
import { histogramWgsl } from '../../src/engine/wgsl/histogram.generated.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';

/** A stand-in buffer (bindGroup tells buffers from ranges by shape) and a device that records its descriptors. */
const fakeBuffer = (label: string) => ({ label, size: 64, usage: 0, mapAsync: async () => {} }) as unknown as GPUBuffer;
function fakeDevice() {
  const made: GPUBindGroupDescriptor[] = [];
  const device = { createBindGroup: (d: GPUBindGroupDescriptor) => (made.push(d), {}) } as unknown as GPUDevice;
  return { device, made, pipeline: { getBindGroupLayout: () => ({}) } as unknown as GPUComputePipeline };
}

describe('shader bindings by name', () => {
  it('the generated table holds every @group(0) @binding of every shader, and every @compute entry point', () => {
    for (const [shader, table] of Object.entries(bindings)) {
      const wgsl = readFileSync(`shaders/${shader}.wgsl`, 'utf8');
      const found = wgsl.matchAll(/@group\(0\) @binding\((\d+)\) var<[^>]+> (\w+)/g);
      const declared = [...found].map(([, n, v]) => [v, Number(n)]);
      expect(Object.entries(table), shader).toEqual(declared);
      const entries = [...wgsl.matchAll(/@compute[^;{]*?fn (\w+)/g)].map(([, e]) => e);
      expect(Object.entries(kernels).filter(([, s]) => s === shader).map(([k]) => k), shader).toEqual(entries);
    }
  });

  it("maps names to the binding numbers of the kernel's shader, whole buffers and ranges alike", () => {
    const { device, made, pipeline } = fakeDevice();
    const [logits, labels, counts] = ['logits', 'labels', 'counts'].map(fakeBuffer);
    bindGroup(device, 'argmax_count', pipeline, { logits: { buffer: logits!, offset: 256, size: 64 }, labels, counts });
    expect(made[0]!.label).toBe('confmat argmax_count');
    expect(made[0]!.entries).toEqual([{ binding: 1, resource: { buffer: logits, offset: 256, size: 64 } }, { binding: 3,
      resource: { buffer: labels } }, { binding: 4, resource: { buffer: counts } }]);
    bindGroup(device, 'count_global', pipeline, { labels, counts }, 'a label');
    expect(made[1]!.entries).toEqual([{ binding: 1, resource: { buffer: labels } }, { binding: 3,
      resource: { buffer: counts } }]);
    expect(made[1]!.label).toBe('a label');
  });

  it('a misspelt name throws, naming the shader and the names it binds', () => {
    const { device, made, pipeline } = fakeDevice();
    const labels = fakeBuffer('labels');
    expect(() => bindGroup(device, 'count_global', pipeline, { lables: labels } as never)).toThrow(
      "shaders/histogram.wgsl has no binding 'lables' (it binds params, labels, preds, counts, weights)",
    );
    expect(() => bindGroup(device, 'per_class_rows', pipeline, { labels, counts: labels } as never)).toThrow(
      "shaders/per-class.wgsl has no binding 'counts' (it binds params, logits, preds, labels, tally)",
    );
    expect(made).toEqual([]);
  });

  it('checkBinding refuses storage past one binding on the field named', () => {
    const limits = { maxStorageBufferBindingSize: 1024, maxBufferSize: 2048 } as GPUSupportedLimits;
    expect(() => checkBinding(limits, 1024, 'weights', 'sample weights')).not.toThrow();
    let error: unknown;
    try {
      checkBinding(limits, 1028, 'weights', 'sample weights with 10 labels');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe('weights');
    const message = /^sample weights with 10 labels need 1028 bytes of GPU storage, the device allows 1024:/;
    expect((error as InputError).message).toMatch(message);
  });
});

describe.each(TEST_ADAPTERS)('chunk runner dispatches on $name', ({ options }) => {
  it('reuses a bind group of whole buffers until a buffer grows, and never caches ranges', async () => {
    const gpu = await requireDevice(options);
    const { device } = gpu;
    const runner = createChunkRunner(device, 'test', { histogram: histogramWgsl });
    const spy = vi.spyOn(device, 'createBindGroup');
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const constants = { NUM_CLASSES: 2, WORKGROUP_SIZE: 64 };
    const labels = runner.buffer('labels', 64, usage);
    const counts = runner.buffer('counts', 64, usage);
    const dispatch = (preds: GPUBuffer | GPUBufferBinding) => {
      const encoder = device.createCommandEncoder();
      runner.dispatch(encoder, 'count_global', constants, { labels, preds, counts }, 1);
      device.queue.submit([encoder.finish()]);
    };
    await checked(device, async () => {
      dispatch(runner.grow('preds', 64, usage).buffer);
      dispatch(runner.grow('preds', 64, usage).buffer);
      expect(spy).toHaveBeenCalledTimes(1);
      dispatch(runner.grow('preds', 4096, usage).buffer);
      expect(spy).toHaveBeenCalledTimes(2);
      dispatch({ buffer: labels, offset: 0, size: 64 });
      dispatch({ buffer: labels, offset: 0, size: 64 });
      expect(spy).toHaveBeenCalledTimes(4);
      expect(spy.mock.calls[0]![0].label).toBe('confmat test count_global');
      await device.queue.onSubmittedWorkDone();
    });
    spy.mockRestore();
    const encoder = device.createCommandEncoder();
    expect(() => runner.dispatch(encoder, 'argmax', constants, {}, 1)).toThrow(
      'kernel argmax needs shaders/argmax.wgsl, which this task did not load',
    );
    runner.destroy();
    gpu.destroy();
  });
});
