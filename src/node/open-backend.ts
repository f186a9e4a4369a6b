import { AdapterNotFoundError, GpuUnavailableError } from '../core/errors.js';
import type { NodeDeviceOptions } from './request-device.js';

/** Where to count: 'gpu' requires an adapter, 'cpu' never asks for one, 'auto' falls back aloud. */
export type BackendChoice = 'auto' | 'gpu' | 'cpu';

/** The backend a run got: a device for the GPU, or none for the CPU. */
export interface OpenBackend {
  name: 'gpu' | 'cpu';
  /** One line naming the adapter; null on the CPU. */
  adapter: string | null;
  /** True when the adapter runs shaders on the CPU (SwiftShader, llvmpipe). */
  software: boolean;
  device: GPUDevice | undefined;
  /** For createConfusionMatrix's `recover`: a new device after the first is lost (undefined on the CPU). */
  recover: (() => Promise<GPUDevice | undefined>) | undefined;
  destroy(): void;
}

/**
 * Opens the requested backend: 'auto' without an adapter (or, with `softwareAdapter: 'cpu'`, with only a software
 * one) says so on `warn` and counts on the CPU; 'gpu' without one throws {@link GpuUnavailableError}.
 *
 * @example
 * const backend = await openBackend('auto', {}, (line) => console.error(line), { softwareAdapter: 'cpu' });
 * const cm = createConfusionMatrix({ numClasses: 10, device: backend.device });
 */
export async function openBackend(choice: BackendChoice, options: NodeDeviceOptions = {},
  warn: (line: string) => void = (line) => console.error(line),
  { softwareAdapter = 'use' }: { softwareAdapter?: 'use' | 'cpu' } = {}): Promise<OpenBackend> {
  const cpu: OpenBackend = { name: 'cpu', adapter: null, software: false, device: undefined, recover: undefined,
    destroy: () => undefined };
  if (choice === 'cpu') return cpu;
  // Dawn's binding and the device code load only when a run asks for a GPU.
  const { adapterLabel, HOW_TO_GET_AN_ADAPTER, requestNodeDevice } = await import('./request-device.js');
  let gpu;
  try {
    gpu = await requestNodeDevice(options);
  } catch (e) {
    if (choice === 'gpu' || e instanceof AdapterNotFoundError) throw e;
    warn(`confmat: ${(e as Error).message}; counting on the CPU`);
    return cpu;
  }
  if (!gpu) {
    if (choice === 'gpu') throw new GpuUnavailableError(HOW_TO_GET_AN_ADAPTER);
    warn('confmat: no WebGPU adapter found; counting on the CPU (--backend gpu makes this an error)');
    return cpu;
  }
  const adapter = adapterLabel(gpu.info);
  if (choice === 'auto' && softwareAdapter === 'cpu' && gpu.info.software) {
    warn(
      `confmat: the only WebGPU adapter here emulates a GPU on the CPU (${adapter}); counting on the CPU, which is ` +
        'faster there (--backend gpu uses the adapter anyway)',
    );
    gpu.destroy();
    return cpu;
  }
  const opened = [gpu];
  return { name: 'gpu', adapter, software: gpu.info.software, device: gpu.device, recover: async () => {
    const next = await requestNodeDevice(options);
    if (next) opened.push(next);
    return next?.device;
  }, destroy: () => {
    for (const g of opened) g.destroy();
  } };
}
