import { isGpuBuffer } from './gpu-batch.js';
import { bindings, kernels, type ShaderName } from './shaders.generated.js';

/** The kernels confmat ships: every `@compute` entry point of shaders/*.wgsl. */
export type KernelName = keyof typeof kernels;
type Resource = GPUBuffer | GPUBufferBinding;
type BindingName<K extends KernelName> = keyof (typeof bindings)[(typeof kernels)[K]];
/** `kernel`'s bindings by the names its shader declares: whole buffers or ranges. */
export type Bindings<K extends KernelName> = Partial<Record<BindingName<K>, Resource>>;

const caches = new WeakMap<GPUDevice, Map<string, GPUShaderModule | GPUComputePipeline>>();

/** The WGSL of the shaders a task runs, by file name (`{ argmax: argmaxWgsl }`): what its bundle carries. */
export type ShaderSources = Partial<Record<ShaderName, string>>;

/**
 * One compute pipeline per device, kernel and override constants, built once and cached in a
 * per-device `WeakMap`; `shaders` holds the WGSL of the kernel's shader.
 */
export function getPipeline(device: GPUDevice, kernel: KernelName, constants: Record<string, number>,
  shaders: ShaderSources) {
  let cache = caches.get(device);
  if (!cache) caches.set(device, cache = new Map());
  const shader = kernels[kernel];
  const key = `${kernel}:${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
  let pipeline = cache.get(key) as GPUComputePipeline | undefined;
  if (!pipeline) {
    let module = cache.get(shader) as GPUShaderModule | undefined;
    const code = shaders[shader];
    if (code === undefined) {
      throw new Error(`kernel ${kernel} needs shaders/${shader}.wgsl, which this task did not load`);
    }
    module ??= device.createShaderModule({ label: `confmat ${shader}.wgsl`, code });
    cache.set(shader, module);
    const compute = { module, entryPoint: kernel, constants };
    cache.set(key, pipeline = device.createComputePipeline({ label: `confmat ${key}`, layout: 'auto', compute }));
  }
  return pipeline;
}

/**
 * A bind group for `kernel`'s `pipeline` from bindings by name, numbered as its shader declares them
 * (src/engine/shaders.generated.ts); a name the shader does not declare throws.
 */
export function bindGroup<K extends KernelName>(device: GPUDevice, kernel: K, pipeline: GPUComputePipeline,
  resources: Bindings<K>, label = `confmat ${kernel}`): GPUBindGroup {
  const table: Record<string, number> = bindings[kernels[kernel]];
  const entries = Object.entries(resources as Record<string, Resource>).map(([name, r]) => {
    const binding = table[name];
    if (binding === undefined) {
      const known = Object.keys(table).join(', ');
      throw new Error(`shaders/${kernels[kernel]}.wgsl has no binding '${name}' (it binds ${known})`);
    }
    return { binding, resource: isGpuBuffer(r) ? { buffer: r } : r };
  });
  return device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
}
