import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { adapterLine, openDevice, requestAdapter } from '../browser/request-device.js';
import type { BrowserAdapterDescription, BrowserGpu } from '../browser/request-device.js';
import { AdapterNotFoundError, GpuUnavailableError } from '../core/errors.js';
import { firstLine } from './fs-reason.js';

/** Which Dawn backend to use; 'auto' tries the system's driver, then the software adapters. */
export type DawnBackend = 'auto' | 'vulkan' | 'opengles' | 'opengl' | 'metal' | 'd3d12' | 'd3d11' | 'null';

/** Options of {@link requestNodeDevice}; each falls back to an environment variable. */
export interface NodeDeviceOptions {
  /** Dawn backend (env `CONFMAT_DAWN_BACKEND`). Default 'auto'. */
  backend?: DawnBackend | undefined;
  /** Adapter name as Dawn lists it (env `CONFMAT_ADAPTER`); a wrong name makes Dawn list them. */
  adapter?: string | undefined;
  /** Feature level (env `CONFMAT_FEATURE_LEVEL`). Default 'core', or 'compatibility' on OpenGL ES. */
  featureLevel?: 'core' | 'compatibility' | undefined;
  /** Try SwiftShader and Mesa's GL ES when no hardware adapter answers. Default true. */
  softwareFallback?: boolean | undefined;
  powerPreference?: GPUPowerPreference | undefined;
  /** More flags for Dawn's `create()`, e.g. `disable-dawn-features=timestamp_quantization` (exact timestamps). */
  dawnFlags?: string[] | undefined;
}

/** What the adapter said about itself, plus the Dawn backend confmat reached it through. */
export interface AdapterDescription extends BrowserAdapterDescription {
  backend: string;
}

/** A device from Dawn, with the `create()` object it depends on kept alive until `destroy()` (then Node may exit). */
export interface NodeGpu extends BrowserGpu {
  /** The `create()` object (a `GPU`, as `navigator.gpu`): other WebGPU code (TensorFlow.js) can share the adapter. */
  instance: GPU;
  info: AdapterDescription;
}

/** Known places of SwiftShader's Vulkan ICD (shipped with Chromium builds). */
export const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
  '/snap/chromium/current/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

/** How to get an adapter, printed when none is found. */
export const HOW_TO_GET_AN_ADAPTER =
  'no WebGPU adapter found. Install a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) support, ' +
  'or a software adapter: on Debian/Ubuntu `apt-get install chromium libvulkan1` (SwiftShader, found automatically) ' +
  'or `apt-get install libegl1 libegl-mesa0 libgles2` (Mesa llvmpipe, --dawn-backend opengles). ' +
  'Or run with --backend cpu.';

// Every create() result stays referenced while any adapter or device from it lives: when Dawn's
// instance is collected, its event loop touches freed memory and the process dies.
const instances = new Set<GPU>();

/** What confmat uses of the optional npm package `webgpu` (Dawn's Node binding). */
interface DawnBinding {
  create(flags: string[]): GPU;
  globals: object;
}

let binding: Promise<DawnBinding> | undefined;

/**
 * Loads Dawn's Node binding (the optional dependency `webgpu`) on first use, never at import time; throws
 * {@link GpuUnavailableError} with the loader's reason in one line.
 *
 * @example
 * try { await loadDawn(); } catch (e) { console.error(`confmat: ${(e as Error).message}`); }
 */
export function loadDawn(): Promise<DawnBinding> {
  binding ??= import('webgpu').then((m: DawnBinding) => {
    for (const [k, v] of Object.entries(m.globals as Record<string, unknown>)) {
      if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    }
    return m;
  }, (e: unknown) => {
    throw new GpuUnavailableError(
      `the WebGPU binding for Node (npm package webgpu) could not be loaded: ${firstLine(e)}`,
    );
  });
  return binding;
}

interface Attempt {
  flags: string[];
  featureLevel: 'core' | 'compatibility';
  env: Record<string, string>;
  label: string;
  /** The backend flag's value, or 'default'. */
  backend: string;
}

/** Where the Vulkan loader looks for driver manifests (ICD JSON) on Linux, in its order. */
function vulkanManifestDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const home = env.HOME || homedir();
  return [join(env.XDG_CONFIG_HOME || join(home, '.config'), 'vulkan/icd.d'),
    ...config.map((d) => join(d, 'vulkan/icd.d')), '/etc/vulkan/icd.d',
    join(env.XDG_DATA_HOME || join(home, '.local/share'), 'vulkan/icd.d'), ...data.map((d) => join(d, 'vulkan/icd.d'))];
}

/** True for Mesa's lavapipe, which Dawn refuses (with warnings on stderr) for missing features. */
function isLavapipe(manifest: string): boolean {
  if (/lvp/i.test(basename(manifest))) return true;
  try {
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } };
    return typeof json.ICD?.library_path === 'string' && /lvp/i.test(json.ICD.library_path);
  } catch {
    return false;
  }
}

/** The Vulkan manifests the Linux loader would find, less lavapipe; null off Linux or where the user chose them. */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): { usable: string[]; filtered: boolean } | null {
  if (process.platform !== 'linux' || env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES) {
    return null;
  }
  const found: string[] = [];
  for (const dir of vulkanManifestDirs(env)) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const f of names) if (!found.some((p) => basename(p) === f)) found.push(join(dir, f));
  }
  const usable = found.filter((m) => !isLavapipe(m));
  return { usable, filtered: usable.length < found.length };
}

/** Vulkan drivers in both variables: the loader ignores VK_ICD_FILENAMES while VK_DRIVER_FILES is set. */
const icdEnv = (list: string): Record<string, string> => ({ VK_ICD_FILENAMES: list, VK_DRIVER_FILES: list });

/** The environment for an attempt on Vulkan: the drivers but lavapipe; null when no usable driver is left. */
function vulkanEnv(): Record<string, string> | null {
  const drivers = vulkanDrivers();
  if (drivers?.usable.length === 0) return null;
  return drivers?.filtered ? icdEnv(drivers.usable.join(':')) : {};
}

function attempts(
  opts: Required<Pick<NodeDeviceOptions, 'backend' | 'softwareFallback'>> & NodeDeviceOptions,
): Attempt[] {
  const adapterFlag = opts.adapter ? [`adapter=${opts.adapter}`] : [];
  const attempt = (backend: string, env: Record<string, string>, label = backend, flags = adapterFlag): Attempt => ({
    flags: backend === 'auto' ? flags : [`backend=${backend}`, ...flags],
    env,
    label,
    backend: backend === 'auto' ? 'default' : backend,
    featureLevel: opts.featureLevel ?? (backend === 'opengles' ? 'compatibility' : 'core'),
  });
  const gles = attempt('opengles', process.env.EGL_PLATFORM ? {} : { EGL_PLATFORM: 'surfaceless' }, 'Mesa GL ES');
  if (opts.backend === 'opengles') return [gles];
  if (opts.backend === 'vulkan') {
    const env = vulkanEnv();
    return env ? [attempt('vulkan', env)] : [];
  }
  if (opts.backend !== 'auto') return [attempt(opts.backend, {})];
  // Without a usable Vulkan driver manifest the default attempt can only fail, loudly (the loader
  // prints "vkCreateInstance failed", Dawn refuses lavapipe with warnings): skip it.
  const env = process.platform === 'linux' ? vulkanEnv() : {};
  const list = env === null && opts.softwareFallback && !opts.adapter ? [] : [attempt('auto', env ?? {}, 'default')];
  if (!opts.softwareFallback || opts.adapter) return list;
  const linux = process.platform === 'linux';
  const icd = linux && !process.env.VK_ICD_FILENAMES && SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (icd) list.push(attempt('vulkan', icdEnv(icd), 'SwiftShader', []));
  if (linux) list.push(gles);
  return list;
}

/**
 * A WebGPU device in Node through Dawn: the system's driver first, then the software adapters found (SwiftShader,
 * Mesa's GL ES); null when none answers. Throws {@link GpuUnavailableError} when the binding cannot load, a backend
 * cannot list its adapters or an adapter refuses a device, {@link AdapterNotFoundError} when `adapter` names none.
 *
 * @example
 * const gpu = await requestNodeDevice(); // then gpu?.destroy()
 */
export async function requestNodeDevice(options: NodeDeviceOptions = {}): Promise<NodeGpu | null> {
  const { create } = await loadDawn();
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
  const opts = { ...options,
    backend: options.backend ?? (process.env.CONFMAT_DAWN_BACKEND as DawnBackend | undefined) ?? 'auto',
    adapter: options.adapter ?? process.env.CONFMAT_ADAPTER,
    featureLevel: options.featureLevel ?? (process.env.CONFMAT_FEATURE_LEVEL as 'core' | 'compatibility' | undefined),
    softwareFallback: options.softwareFallback ?? true };
  for (const attempt of attempts(opts)) {
    const saved = Object.keys(attempt.env).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, attempt.env);
    try {
      const gpu = await tryAttempt(attempt, opts, create);
      if (gpu) return gpu;
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }
  return null;
}

/** One attempt: an instance with the attempt's flags, its adapter and a device, or null when it offers none. */
async function tryAttempt(attempt: Attempt, opts: NodeDeviceOptions,
  create: DawnBinding['create']): Promise<NodeGpu | null> {
  let gpu: GPU;
  try {
    gpu = create([...attempt.flags, ...(opts.dawnFlags ?? [])]);
  } catch {
    return null;
  }
  instances.add(gpu);
  const adapter = await requestAdapter(gpu, attempt.featureLevel, opts.powerPreference).catch((e: Error) => {
    if (opts.adapter && /no adapter with|available adapters/i.test(e.message)) {
      throw new AdapterNotFoundError(opts.adapter, e.message);
    }
    throw new GpuUnavailableError(`the ${attempt.label} backend failed to list its adapters: ${e.message}`);
  });
  if (!adapter) return null;
  const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const opened = await openDevice(adapter, attempt.featureLevel, features).catch((e: Error) => {
    throw new GpuUnavailableError(`the ${attempt.label} adapter refused a device: ${e.message}`);
  });
  return { ...opened, instance: gpu, info: { ...opened.info, backend: attempt.backend } };
}

/**
 * One line naming the adapter, e.g. "google swiftshader (SwiftShader driver 5.0.0, vulkan, core, software)"
 * or "llvmpipe-llvm-15-0-6-256-bits- (OpenGL version OpenGL ES 3.2 Mesa 22.3.6, opengles, compatibility, software)".
 *
 * @example
 * console.error(`confmat: GPU: ${adapterLabel(gpu.info)}`);
 */
export function adapterLabel(info: AdapterDescription): string {
  return adapterLine(info, [info.description || info.device, info.backend]);
}
