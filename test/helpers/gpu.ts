import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { adapterLabel, type NodeDeviceOptions, type NodeGpu, requestNodeDevice } from '../../src/node/index.js';

let warnedNoEgl = false;

/** True where Mesa's EGL is installed, so Dawn's GL ES backend has llvmpipe (said aloud when not). */
export const HAS_MESA_EGL = hasMesaEgl();

function hasMesaEgl(): boolean {
  if (process.platform !== 'linux') return false;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/lib/aarch64-linux-gnu'];
  // Real, non-empty libraries (scripts/bare-machine.sh hides them behind /dev/null) and glvnd's vendor file for Mesa.
  const lib = (path: string) =>
    (statSync(path, { throwIfNoEntry: false })?.isFile() ?? false) && statSync(path).size > 0;
  const vendor = ['/usr/share/glvnd/egl_vendor.d', '/etc/glvnd/egl_vendor.d'].some((d) => lib(join(d, '50_mesa.json')));
  const found = vendor && dirs.some((d) => lib(join(d, 'libEGL_mesa.so.0')) && lib(join(d, 'libEGL.so.1')));
  if (!found && !warnedNoEgl) {
    warnedNoEgl = true;
    console.warn(
      'GPU tests: Mesa EGL (libegl1 libegl-mesa0 libgles2) is not installed: the GL ES compatibility-level runs are left out here',
    );
  }
  return found;
}

/**
 * The adapters the GPU tests run on: Vulkan at the core feature level (SwiftShader from npm, which
 * test/global-setup.ts unpacks and names in VK_ICD_FILENAMES, so it needs no system package), and
 * Mesa llvmpipe through GL ES at the compatibility level where Mesa's EGL is installed (Debian's
 * libegl1 libegl-mesa0 libgles2; .ci/run installs them). GL ES is left out, said aloud, elsewhere.
 */
export const TEST_ADAPTERS: { name: string; options: NodeDeviceOptions }[] = [{ name: 'vulkan core',
  options: { backend: 'vulkan', featureLevel: 'core' } },
  ...(HAS_MESA_EGL ?
    [{ name: 'opengles compatibility',
      options: { backend: 'opengles', featureLevel: 'compatibility' } as NodeDeviceOptions }] :
    [])];

/**
 * The device of a describe block: requested in `beforeAll` ({@link requireDevice}), destroyed in `afterAll`.
 *
 * @example
 * const device = useDevice(adapter.options);
 * it('counts', async () => { await checked(device(), () => run(device())); });
 */
export function useDevice(options: NodeDeviceOptions): () => GPUDevice {
  let gpu: NodeGpu | undefined;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());
  return () => gpu!.device;
}

/**
 * A device for tests, on exactly the backend and feature level asked for. No adapter is a
 * failure, never a skip: the GPU tests must really run.
 */
export async function requireDevice(options: NodeDeviceOptions): Promise<NodeGpu> {
  const gpu = await requestNodeDevice({ ...options, softwareFallback: false });
  if (!gpu) {
    throw new Error(
      `no WebGPU adapter for ${JSON.stringify(options)}: the GPU tests need one. ` +
        'test/global-setup.ts provides SwiftShader from npm (@sparticuz/chromium); GL ES needs apt-get install libegl1 libegl-mesa0 libgles2',
    );
  }
  if (options.featureLevel && gpu.info.featureLevel !== options.featureLevel) {
    throw new Error(`asked for ${options.featureLevel}, got ${adapterLabel(gpu.info)}`);
  }
  if (options.backend && options.backend !== 'auto' && gpu.info.backend !== options.backend) {
    throw new Error(`asked for ${options.backend}, got ${adapterLabel(gpu.info)}`);
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
  queue.writeBuffer = function(this: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView,
    dataOffset?: number, size?: number) {
    const element = 'BYTES_PER_ELEMENT' in data ?
      (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT :
      1;
    bytes += size !== undefined ? size * element : data.byteLength - (dataOffset ?? 0) * element;
    return original.call(this, buffer, offset, data as GPUAllowSharedBufferSource, dataOffset, size);
  } as typeof original;
  try {
    return [await fn(), bytes];
  } finally {
    queue.writeBuffer = original;
  }
}

/** Destroys the device when the queue's `at`-th submit (counting from 1) is made, after it is made. */
export function loseOnSubmit(device: GPUDevice, at: number): void {
  const queue = device.queue;
  const original = queue.submit;
  let calls = 0;
  queue.submit = function(this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    const r = original.call(this, buffers);
    if (++calls === at) device.destroy();
    return r;
  } as typeof original;
}
