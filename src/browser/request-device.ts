/**
 * WebGPU device selection in a browser (`navigator.gpu`). No Node built-ins.
 *
 * @module
 */
import { isEmulated } from '../engine/chunk-plan.js';
import { maxComputeLimits } from '../engine/limits.js';

/** Options of {@link requestBrowserDevice}. */
export interface BrowserDeviceOptions {
  /** Default: the core feature level, then compatibility when no core adapter answers. */
  featureLevel?: 'core' | 'compatibility' | undefined;
  powerPreference?: GPUPowerPreference | undefined;
  /** The WebGPU entry point. Default `navigator.gpu`. */
  gpu?: GPU | undefined;
}

/** What the browser's adapter said about itself (fields are empty strings where the browser hides them). */
export interface BrowserAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  featureLevel: 'core' | 'compatibility';
  /** True for CPU-emulated adapters (SwiftShader, llvmpipe, WARP): their timings say nothing of GPU speed. */
  software: boolean;
}

/** A device from `navigator.gpu`, with its adapter and a description of it. */
export interface BrowserGpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: BrowserAdapterDescription;
  /** Destroys the device. */
  destroy(): void;
}

function describe(adapter: GPUAdapter, featureLevel: 'core' | 'compatibility'): BrowserAdapterDescription {
  const i = adapter.info;
  return {
    vendor: i?.vendor ?? '',
    architecture: i?.architecture ?? '',
    device: i?.device ?? '',
    description: i?.description ?? '',
    featureLevel,
    software: isEmulated(i),
  };
}

async function adapterAt(gpu: GPU, featureLevel: 'core' | 'compatibility', powerPreference: GPUPowerPreference | undefined): Promise<GPUAdapter | null> {
  try {
    return await gpu.requestAdapter({ featureLevel, ...(powerPreference ? { powerPreference } : {}) });
  } catch {
    return null;
  }
}

/**
 * Creates a WebGPU device from `navigator.gpu` with the adapter's maximum storage and buffer
 * limits. Tries the core feature level first, then compatibility (e.g. OpenGL ES-backed browsers).
 * Resolves to null when the browser has no WebGPU or no adapter answers, so the caller can count
 * on the CPU instead; a device the adapter refuses rejects.
 *
 * @example
 * const gpu = await requestBrowserDevice();
 * const cm = createConfusionMatrix({ numClasses: 10, device: gpu?.device }); // no GPU: the CPU
 * console.log(gpu ? browserAdapterLabel(gpu.info) : 'CPU');
 */
export async function requestBrowserDevice(options: BrowserDeviceOptions = {}): Promise<BrowserGpu | null> {
  const gpu = options.gpu ?? (typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { gpu?: GPU }).gpu);
  if (!gpu) return null;
  const levels: ('core' | 'compatibility')[] = options.featureLevel ? [options.featureLevel] : ['core', 'compatibility'];
  for (const level of levels) {
    const adapter = await adapterAt(gpu, level, options.powerPreference);
    if (!adapter) continue;
    const device = await adapter.requestDevice({ label: 'confmat', requiredLimits: maxComputeLimits(adapter) });
    let destroyed = false;
    return {
      device,
      adapter,
      info: describe(adapter, level),
      destroy: () => {
        if (destroyed) return;
        destroyed = true;
        device.destroy();
      },
    };
  }
  return null;
}

/**
 * One line naming the adapter, e.g. "google swiftshader (core, software)".
 *
 * @example
 * status.textContent = `WebGPU: ${browserAdapterLabel(gpu.info)}`;
 */
export function browserAdapterLabel(info: BrowserAdapterDescription): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || info.device || 'unknown adapter';
  const extra = [info.description, info.featureLevel, info.software ? 'software' : ''].filter(Boolean);
  return `${name} (${extra.join(', ')})`;
}
