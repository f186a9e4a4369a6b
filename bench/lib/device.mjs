// The benchmark's WebGPU device: the same adapter search as confmat's requestNodeDevice (system
// driver, then SwiftShader, then Mesa GL ES), but with Dawn's timestamp quantization disabled and
// 'timestamp-query' requested, and with navigator.gpu set to the same Dawn object so that
// TensorFlow.js's webgpu backend finds the same adapter.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { create, globals } from 'webgpu';
import { SWIFTSHADER_ICDS, maxComputeLimits } from '../../dist/node/index.js';

const TOGGLES = 'disable-dawn-features=timestamp_quantization';
/** Every create() object stays referenced for the process's life (Dawn dies when one is collected). */
const keep = [];

const isEmulated = (i) => /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i.test(`${i.vendor} ${i.architecture} ${i.device} ${i.description}`);

function attempts(backend) {
  const gles = { flags: ['backend=opengles'], env: process.env.EGL_PLATFORM ? {} : { EGL_PLATFORM: 'surfaceless' }, featureLevel: 'compatibility' };
  if (backend === 'opengles') return [gles];
  if (backend && backend !== 'auto') return [{ flags: [`backend=${backend}`], env: {}, featureLevel: 'core' }];
  const list = [{ flags: [], env: {}, featureLevel: 'core' }];
  const icd = process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (icd) list.push({ flags: ['backend=vulkan'], env: { VK_ICD_FILENAMES: icd }, featureLevel: 'core' });
  if (process.platform === 'linux') list.push(gles);
  return list;
}

/**
 * Opens the benchmark's device, or resolves to null without any adapter. Honors
 * CONFMAT_DAWN_BACKEND (vulkan, opengles, ...). Sets globalThis.navigator = { gpu } for tfjs.
 * @example
 * const gpu = await openBenchDevice();
 * if (gpu) console.log(gpu.label, gpu.timestamps);
 */
export async function openBenchDevice() {
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
  for (const a of attempts(process.env.CONFMAT_DAWN_BACKEND)) {
    Object.assign(process.env, a.env);
    let gpu;
    try {
      gpu = create([...a.flags, TOGGLES]);
    } catch {
      continue;
    }
    keep.push(gpu);
    const adapter = await gpu.requestAdapter({ featureLevel: a.featureLevel });
    if (!adapter) continue;
    const timestamps = adapter.features.has('timestamp-query');
    const device = await adapter.requestDevice({
      label: 'confmat bench',
      requiredLimits: maxComputeLimits(adapter),
      requiredFeatures: timestamps ? ['timestamp-query'] : [],
    });
    const i = adapter.info;
    const backend = a.flags[0]?.slice(8) ?? 'default';
    const software = isEmulated(i);
    const name = [i.vendor, i.architecture].filter(Boolean).join(' ') || i.device || 'unknown adapter';
    const label = `${name} (${[i.description || i.device, backend, a.featureLevel, software ? 'software' : ''].filter(Boolean).join(', ')})`;
    if (!('navigator' in globalThis) || !globalThis.navigator?.gpu) {
      Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu }, configurable: true, writable: true });
    }
    return {
      gpu,
      adapter,
      device,
      timestamps,
      software,
      label,
      info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, backend, featureLevel: a.featureLevel, software },
      slug: (i.architecture || i.vendor || 'gpu').replace(/[^\w.-]+/g, '_'),
      destroy: () => device.destroy(),
    };
  }
  return null;
}
