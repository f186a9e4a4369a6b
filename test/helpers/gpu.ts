import { expect } from 'vitest';
import { requestNodeDevice, adapterLabel, type NodeGpu, type NodeDeviceOptions } from '../../src/node/index.js';

/** The software adapters every GPU test runs on: SwiftShader (core) and Mesa GL ES (compatibility). */
export const TEST_ADAPTERS: { name: string; options: NodeDeviceOptions }[] = [
  { name: 'vulkan core', options: { backend: 'auto' } },
  { name: 'opengles compatibility', options: { backend: 'opengles', featureLevel: 'compatibility' } },
];

/**
 * A device for tests. No adapter is a failure, never a skip: the GPU tests must really run
 * (in CI on SwiftShader and Mesa llvmpipe, which .ci/run installs).
 */
export async function requireDevice(options: NodeDeviceOptions): Promise<NodeGpu> {
  const gpu = await requestNodeDevice(options);
  if (!gpu) {
    throw new Error(
      `no WebGPU adapter for ${JSON.stringify(options)}: the GPU tests need one. ` +
        'Install the software adapters: apt-get install chromium libvulkan1 libegl1 libegl-mesa0 libgles2',
    );
  }
  console.log(`GPU tests on ${adapterLabel(gpu.info)}`);
  return gpu;
}

/** Runs `fn` inside validation, out-of-memory and internal error scopes and fails on any error. */
export async function checked<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  let result: T;
  try {
    result = await fn();
  } finally {
    const errors = [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()];
    expect(errors.map((e) => e?.message ?? null)).toEqual([null, null, null]);
  }
  return result;
}

/** Bytes the host wrote to the device through writeBuffer while `fn` ran. */
export async function bytesWritten<T>(device: GPUDevice, fn: () => Promise<T>): Promise<[T, number]> {
  const queue = device.queue;
  const original = queue.writeBuffer;
  let bytes = 0;
  queue.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView, dataOffset?: number, size?: number) {
    const element = 'BYTES_PER_ELEMENT' in data ? (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    bytes += size !== undefined ? size * element : data.byteLength - (dataOffset ?? 0) * element;
    return original.call(this, buffer, offset, data as GPUAllowSharedBufferSource, dataOffset, size);
  } as typeof original;
  try {
    return [await fn(), bytes];
  } finally {
    queue.writeBuffer = original;
  }
}
