// WebGPU device selection in a browser (`navigator.gpu`); no Node built-ins.
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

/**
 * What `adapter` says about itself (empty strings where it hides a field), at `featureLevel`.
 *
 * @example
 * describeAdapter(adapter, 'core').software; // true on SwiftShader
 */
export function describeAdapter(adapter: GPUAdapter,
  featureLevel: 'core' | 'compatibility'): BrowserAdapterDescription {
  const i = adapter.info;
  const [vendor, architecture, device, description] = [i?.vendor, i?.architecture, i?.device, i?.description];
  return { vendor: vendor ?? '', architecture: architecture ?? '', device: device ?? '', description: description ?? '',
    featureLevel, software: isEmulated(i) };
}

/**
 * `name (details..., feature level, software)`: one line naming an adapter.
 *
 * @example
 * adapterLine(info, [info.description]); // 'google swiftshader (core, software)'
 */
export function adapterLine(info: BrowserAdapterDescription, details: string[]): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || info.device || 'unknown adapter';
  return `${name} (${[...details, info.featureLevel, info.software ? 'software' : ''].filter(Boolean).join(', ')})`;
}

/**
 * `gpu` with a `destroy()` that destroys its device once.
 *
 * @example
 * const gpu = deviceHandle({ device, adapter }); gpu.destroy(); gpu.destroy(); // destroyed once
 */
export function deviceHandle<T extends { device: GPUDevice }>(gpu: T): T & { destroy(): void } {
  let destroyed = false;
  return { ...gpu, destroy: () => {
    if (!destroyed) gpu.device.destroy();
    destroyed = true;
  } };
}

async function adapterAt(gpu: GPU, featureLevel: 'core' | 'compatibility',
  powerPreference: GPUPowerPreference | undefined): Promise<GPUAdapter | null> {
  try {
    return await gpu.requestAdapter({ featureLevel, ...(powerPreference ? { powerPreference } : {}) });
  } catch {
    return null;
  }
}

/**
 * A WebGPU device from `navigator.gpu` with the adapter's largest limits, core feature level first, then
 * compatibility; null without WebGPU or an adapter (count on the CPU then); rejects when a device is refused.
 *
 * @example
 * const gpu = await requestBrowserDevice();
 * const cm = createConfusionMatrix({ numClasses: 10, device: gpu?.device }); // no GPU: the CPU
 */
export async function requestBrowserDevice(options: BrowserDeviceOptions = {}): Promise<BrowserGpu | null> {
  const gpu = options.gpu ??
    (typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { gpu?: GPU }).gpu);
  if (!gpu) return null;
  const levels: ('core' | 'compatibility')[] = options.featureLevel ?
    [options.featureLevel] :
    ['core', 'compatibility'];
  for (const level of levels) {
    const adapter = await adapterAt(gpu, level, options.powerPreference);
    if (!adapter) continue;
    const device = await adapter.requestDevice({ label: 'confmat', requiredLimits: maxComputeLimits(adapter) });
    return deviceHandle({ device, adapter, info: describeAdapter(adapter, level) });
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
  return adapterLine(info, [info.description]);
}
