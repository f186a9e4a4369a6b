// The benchmark's WebGPU device: confmat's own adapter search (system driver, then SwiftShader,
// then Mesa GL ES) with Dawn's timestamp quantization disabled, and navigator.gpu set to the same
// Dawn object so that TensorFlow.js's webgpu backend finds the same adapter.
import { adapterLabel, requestNodeDevice } from '../../dist/node/index.js';

/**
 * Opens the benchmark's device, or resolves to null without any adapter. Honors
 * CONFMAT_DAWN_BACKEND (vulkan, opengles, ...). Sets globalThis.navigator = { gpu } for tfjs.
 * @example
 * const gpu = await openBenchDevice();
 * if (gpu) console.log(gpu.label, gpu.timestamps);
 */
export async function openBenchDevice() {
  const node = await requestNodeDevice({ dawnFlags: ['disable-dawn-features=timestamp_quantization'] });
  if (!node) return null;
  const { device, adapter, instance: gpu, info } = node;
  if (!('navigator' in globalThis) || !globalThis.navigator?.gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu },
      configurable: true, writable: true });
  }
  return { gpu, adapter, device, timestamps: device.features.has('timestamp-query'), software: info.software,
    label: adapterLabel(info), info, slug: (info.architecture || info.vendor || 'gpu').replace(/[^\w.-]+/g, '_'),
    destroy: () => node.destroy() };
}
