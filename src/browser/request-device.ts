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

/** `name (details..., feature level, software)`: one line naming an adapter (Node's and the browser's). */
export function adapterLine(info: BrowserAdapterDescription, details: string[]): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || info.device || 'unknown adapter';
  return `${name} (${[...details, info.featureLevel, info.software ? 'software' : ''].filter(Boolean).join(', ')})`;
}

/** An adapter of `gpu` at `featureLevel` (Node's and the browser's request). */
export async function requestAdapter(gpu: GPU, featureLevel: 'core' | 'compatibility',
  powerPreference: GPUPowerPreference | undefined): Promise<GPUAdapter | null> {
  return gpu.requestAdapter({ featureLevel, ...(powerPreference ? { powerPreference } : {}) });
}

/** A device of `adapter` with its largest limits and `features`, described; `destroy()` destroys it once. */
export async function openDevice(adapter: GPUAdapter, featureLevel: 'core' | 'compatibility',
  features: GPUFeatureName[] = []): Promise<BrowserGpu> {
  const device = await adapter.requestDevice({ label: 'confmat', requiredLimits: maxComputeLimits(adapter),
    requiredFeatures: features });
  const i = adapter.info;
  const info = { vendor: i?.vendor ?? '', architecture: i?.architecture ?? '', device: i?.device ?? '',
    description: i?.description ?? '', featureLevel, software: isEmulated(i) };
  let destroyed = false;
  return { device, adapter, info, destroy: () => {
    if (!destroyed) device.destroy();
    destroyed = true;
  } };
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
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return null;
  for (const level of options.featureLevel ? [options.featureLevel] : (['core', 'compatibility'] as const)) {
    const adapter = await requestAdapter(gpu, level, options.powerPreference).catch(() => null);
    if (adapter) return openDevice(adapter, level);
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
