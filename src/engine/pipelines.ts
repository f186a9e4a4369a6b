import { argmaxWgsl, histogramWgsl, multilabelWgsl, perClassWgsl, thresholdSweepWgsl } from './shaders.generated.js';

interface DeviceCache {
  modules: Map<string, GPUShaderModule>;
  pipelines: Map<string, GPUComputePipeline>;
}

const caches = new WeakMap<GPUDevice, DeviceCache>();
const sources: Record<string, string> = { argmax: argmaxWgsl, histogram: histogramWgsl, multilabel: multilabelWgsl, 'per-class': perClassWgsl, 'threshold-sweep': thresholdSweepWgsl };

function cacheFor(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = { modules: new Map(), pipelines: new Map() };
    caches.set(device, cache);
  }
  return cache;
}

/** The kernels confmat ships, by shader file and entry point. */
export type KernelName = 'argmax' | 'argmax_count' | 'argmax_count_local' | 'argmax_count_weighted' | 'count_global' | 'count_private' | 'count_weighted' | 'multilabel' | 'multilabel_weighted' | 'threshold_sweep' | 'threshold_sweep_weighted' | 'per_class_rows' | 'per_class_wide' | 'per_class_preds';

const shaderOf: Record<KernelName, string> = { argmax: 'argmax', argmax_count: 'argmax', argmax_count_local: 'argmax', argmax_count_weighted: 'argmax', count_global: 'histogram', count_private: 'histogram', count_weighted: 'histogram', multilabel: 'multilabel', multilabel_weighted: 'multilabel', threshold_sweep: 'threshold-sweep', threshold_sweep_weighted: 'threshold-sweep', per_class_rows: 'per-class', per_class_wide: 'per-class', per_class_preds: 'per-class' };

/**
 * One compute pipeline per device, kernel and override constants, built once and cached in a
 * per-device `WeakMap`.
 *
 * @example
 * const p = getPipeline(device, 'argmax', { NUM_CLASSES: 10, WORKGROUP_SIZE: 128 });
 */
export function getPipeline(device: GPUDevice, kernel: KernelName, constants: Record<string, number>): GPUComputePipeline {
  const cache = cacheFor(device);
  const shader = shaderOf[kernel];
  const key = `${kernel}:${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
  let pipeline = cache.pipelines.get(key);
  if (!pipeline) {
    let module = cache.modules.get(shader);
    if (!module) {
      module = device.createShaderModule({ label: `confmat ${shader}.wgsl`, code: sources[shader]! });
      cache.modules.set(shader, module);
    }
    pipeline = device.createComputePipeline({
      label: `confmat ${key}`,
      layout: 'auto',
      compute: { module, entryPoint: kernel, constants },
    });
    cache.pipelines.set(key, pipeline);
  }
  return pipeline;
}
