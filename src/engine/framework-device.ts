import { InputError } from '../core/errors.js';
import { typeFound } from '../format/input-kinds.js';

/** What confmat reads of a framework's namespace: TensorFlow.js (`tf`) or onnxruntime (`ort`). */
interface FrameworkLike {
  ready?(): Promise<unknown>;
  backend?(): { device?: unknown } | undefined;
  env?: { webgpu?: { device?: unknown } };
}

const isGpuDevice = (d: unknown): d is GPUDevice =>
  typeof d === 'object' && d !== null && typeof (d as GPUDevice).createBuffer === 'function' &&
  typeof (d as GPUDevice).queue === 'object';

/**
 * The `GPUDevice` a framework computes on, so a matrix can share it and count the framework's GPU tensors in place:
 * TensorFlow.js on its webgpu backend (`tf.backend().device`, after `tf.ready()`), onnxruntime-web once its WebGPU
 * execution provider has a device (`ort.env.webgpu.device`). Undefined when the framework has none (TensorFlow.js on
 * its cpu or webgl backend, onnxruntime on wasm): the matrix then counts on the CPU.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-webgpu';
 * await tf.setBackend('webgpu');
 * const cm = createConfusionMatrix({ numClasses: 10, device: await frameworkDevice(tf) });
 * await cm.update({ logits: model.predict(x), labels }); // a webgpu tensor: counted in place, never read back
 */
export async function frameworkDevice(framework: unknown): Promise<GPUDevice | undefined> {
  const f = framework as FrameworkLike | null;
  if (typeof f === 'object' && f !== null && typeof f.backend === 'function') {
    await f.ready?.();
    const device = f.backend()?.device;
    return isGpuDevice(device) ? device : undefined;
  }
  if (typeof f === 'object' && f !== null && typeof f.env === 'object' && f.env !== null) {
    const device: unknown = await f.env.webgpu?.device;
    return isGpuDevice(device) ? device : undefined;
  }
  throw new InputError('framework',
    `frameworkDevice takes the TensorFlow.js namespace (tf) or onnxruntime's (ort), got ${typeFound(framework)}`);
}
