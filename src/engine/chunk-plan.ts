import { InputError } from '../core/errors.js';
import { planTaskGpu, positiveInt, type TaskGpuOptions, type TaskGpuPlan } from './task-gpu.js';

/** Knobs of the GPU path; every one has a default taken from the device's limits. */
export interface GpuPlanOptions extends TaskGpuOptions {
  /**
   * Rows per uploaded chunk. Default: about 128 MiB of logits on a hardware GPU (on an H200, 128 MiB
   * chunks took GPU-resident logits 1.5x to 2.9x faster than 32 MiB: bench/RESULTS.md, Real GPU),
   * 32 MiB on CPU-emulated adapters; always within the device's binding limits.
   */
  chunkRows?: number;
  /**
   * Read the u32 GPU counts back into the host's exact totals before any cell could pass this many. Default 2^32 - 1.
   */
  flushEvery?: number;
  /**
   * 'private' counts in workgroup memory (needs C^2 x 4 bytes of it), 'global' with global atomics,
   * 'local' in each invocation's own array of C^2 <= 100 cells (C <= 10), fused with argmax; 'wide' global atomics
   * fused with an argmax of {@link WIDE_LANES} invocations per row (coalesced reads; not with topK).
   * 'auto' (the default) privatizes when C <= 32 and the C^2 cells fit: on an H200 the private
   * kernels took 0.1x to 0.5x the time of global atomics at C <= 24, the same at C = 32, and 1.3x
   * to 3x at C >= 48 (bench/RESULTS.md, Real GPU); else 'wide' from C = 64 without topK, else 'global'.
   * On CPU-emulated adapters (SwiftShader, llvmpipe) emulated workgroup atomics made it 1.5x to 7x slower
   * and invocation-local counts 1.4x to 3.6x faster than global atomics (bench/NOTES.md): there 'local'
   * when C <= 10, else 'global'.
   */
  histogram?: 'auto' | 'private' | 'global' | 'local' | 'wide';
}

/** The resolved plan for one device and class count. */
export interface GpuPlan extends TaskGpuPlan {
  numClasses: number;
  flushEvery: number;
  histogram: 'private' | 'global' | 'local' | 'wide';
}

/** The most cells of the invocation-local counts (shaders/argmax.wgsl LOCAL_CELLS): C <= 10. */
const LOCAL_MAX_CELLS = 100;
/** Rows per invocation of argmax_count_local before it adds its cells (256 was best on SwiftShader, bench/NOTES.md). */
export const LOCAL_ROWS = 256;

/** Invocations that share a row in argmax_count_wide (shaders/argmax.wgsl LANES): one NVIDIA warp, 128 B per read. */
export const WIDE_LANES = 32;
/**
 * Smallest C that 'auto' gives {@link WIDE_LANES} invocations per row on hardware. Fused GPU time on an H200, global vs
 * wide (bench/RESULTS.md, "The wide argmax"): 3x faster from C = 256 (3.6x at 512, 4.4x at 1000), mixed below
 * (C = 64 and 180 equal, 128 1.7x faster, 100 1.45x slower at N = 1e7).
 */
const WIDE_MIN_C = 256;
/** Largest C that 'auto' privatizes on hardware: the crossover measured on an H200 (bench/RESULTS.md, Real GPU). */
const PRIVATE_MAX_C = 32;
const DEFAULT_CHUNK_BYTES = 128 * 1024 * 1024;
const EMULATED_CHUNK_BYTES = 32 * 1024 * 1024;
const U32_MAX = 0xffffffff;

/** True for adapters that run shaders on the CPU. */
export function isEmulated(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  return /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i.test(
    `${info.vendor} ${info.architecture} ${info.device} ${info.description}`,
  );
}

/**
 * Sizes chunks, workgroups and the histogram strategy from the device's limits.
 * Throws {@link InputError} when the C x C matrix does not fit the device: its (C x C + 4) x 4
 * bytes must fit both maxStorageBufferBindingSize and maxBufferSize (the message gives both and
 * the largest C that fits).
 *
 * @example
 * const plan = planGpu(device.limits, 10, {});
 * plan.chunkRows; // 3355443 on a hardware GPU (128 MiB chunks)
 */
export function planGpu(limits: GPUSupportedLimits, numClasses: number,
  options: GpuPlanOptions & { topK?: number | undefined }, adapterInfo?: GPUAdapterInfo): GpuPlan {
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const countsBytes = (numClasses * numClasses + 4) * 4;
  if (countsBytes > maxBinding) {
    let maxC = Math.floor(Math.sqrt(maxBinding / 4));
    while (maxC > 0 && (maxC * maxC + 4) * 4 > maxBinding) maxC--;
    throw new InputError('numClasses',
      `numClasses ${numClasses} is too large for this device: the ${numClasses} x ${numClasses} matrix needs (C x ` +
        `C + 4) x 4 = ${countsBytes} bytes of GPU storage, ` +
        `the device allows ${maxBinding} (maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, ` +
        `maxBufferSize ${limits.maxBufferSize}): ` +
        `at most C = ${maxC} here; count on the CPU instead (--backend cpu)`, undefined, numClasses);
  }
  const emulated = isEmulated(adapterInfo);
  const flushEvery = Math.min(positiveInt('flushEvery', options.flushEvery) ?? U32_MAX, U32_MAX);
  const chunkBytes = emulated ? EMULATED_CHUNK_BYTES : DEFAULT_CHUNK_BYTES;
  const rowBytes = Math.max(4, numClasses * 4);
  const sizes = planTaskGpu(limits, rowBytes, options, `${numClasses} classes`, 0, 'numClasses', chunkBytes);
  const fitsPrivate = numClasses * numClasses * 4 <= limits.maxComputeWorkgroupStorageSize;
  const wanted = options.histogram ?? 'auto';
  if (wanted === 'private' && !fitsPrivate) {
    throw new InputError('histogram',
      `histogram 'private' needs ${
        numClasses * numClasses * 4
      } bytes of workgroup storage, the device has ${limits.maxComputeWorkgroupStorageSize}`);
  }
  const fitsLocal = numClasses * numClasses <= LOCAL_MAX_CELLS;
  if (wanted === 'local' && !fitsLocal) {
    throw new InputError('histogram',
      `histogram 'local' counts at most ${LOCAL_MAX_CELLS} cells per invocation (C <= 10), got C = ${numClasses}`);
  }
  const topK = (options.topK ?? 0) > 0;
  if (wanted === 'wide' && topK) throw new InputError('histogram', "histogram 'wide' counts no top-k hits");
  const wide = numClasses >= WIDE_MIN_C && !topK;
  const hardware = fitsPrivate && numClasses <= PRIVATE_MAX_C ? 'private' : wide ? 'wide' : 'global';
  const histogram = wanted === 'auto' ? (emulated ? (fitsLocal ? 'local' : 'global') : hardware) : wanted;
  return { numClasses, ...sizes, chunkRows: Math.min(flushEvery, sizes.chunkRows), flushEvery, histogram };
}
