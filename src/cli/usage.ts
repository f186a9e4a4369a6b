import { availableParallelism } from 'node:os';
import { MAX_WORKER_THREADS } from '../node/cpu-workers.js';
import type { DawnBackend, NodeDeviceOptions } from '../node/request-device.js';
import type { BackendChoice } from '../node/open-backend.js';

/** A command line confmat cannot run; exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Values of the parsed command line (all strings until checked). */
export type CliValues = Partial<Record<string, string | boolean | undefined>>;

/** A string option from a fixed set, or its default. */
export function oneOf<T extends string>(values: CliValues, name: string, allowed: readonly T[], fallback: T): T {
  const v = values[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${String(v)}'`);
  }
  return v as T;
}

/**
 * A positive integer option, at most `max` (with `why`, the reason for the bound, in the message), or undefined when absent.
 *
 * @example
 * positiveInt({ rows: '1000' }, 'rows', 100_000_000); // 1000
 */
export function positiveInt(values: CliValues, name: string, max = Number.MAX_SAFE_INTEGER, why = ''): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? '' : `, at most ${max}${why ? ` (${why})` : ''}`;
    throw new UsageError(`--${name} must be an integer >= 1${bound}, got '${String(v)}'`);
  }
  return n;
}

/**
 * The most worker threads `--threads` takes: 4 x `os.availableParallelism()`, and never more than
 * the CPU counter's own limit of 256 (`MAX_WORKER_THREADS`).
 *
 * @example
 * maxThreads(); // 8 on a 2-core machine
 */
export function maxThreads(): number {
  return Math.min(MAX_WORKER_THREADS, 4 * availableParallelism());
}

/**
 * `--threads N|auto`: the worker threads asked for (default 1, the main thread; auto: one per core,
 * at most 256), N in [1, {@link maxThreads}].
 *
 * @example
 * threadsOption({ threads: '2' }); // 2
 */
export function threadsOption(values: CliValues): number {
  if (values.threads === 'auto') return Math.min(MAX_WORKER_THREADS, availableParallelism());
  const max = maxThreads();
  return positiveInt(values, 'threads', max, `4 x the ${availableParallelism()} cores os.availableParallelism() reports, at most ${MAX_WORKER_THREADS}`) ?? 1;
}

/** The backend choice and Dawn options of the command line. */
export function backendOptions(values: CliValues): { choice: BackendChoice; device: NodeDeviceOptions } {
  const choice = oneOf(values, 'backend', ['auto', 'gpu', 'cpu'] as const, 'auto');
  const device: NodeDeviceOptions = {};
  if (values['dawn-backend'] !== undefined) {
    device.backend = oneOf(values, 'dawn-backend', ['auto', 'vulkan', 'opengles', 'opengl', 'metal', 'd3d12', 'd3d11', 'null'] as DawnBackend[], 'auto');
  }
  if (typeof values.adapter === 'string') device.adapter = values.adapter;
  if (values['feature-level'] !== undefined) device.featureLevel = oneOf(values, 'feature-level', ['core', 'compatibility'] as const, 'core');
  return { choice, device };
}

/** Engine knobs of the command line. */
export function engineOptions(values: CliValues): { chunkRows?: number; histogram?: 'auto' | 'private' | 'global' | 'local' } {
  const out: { chunkRows?: number; histogram?: 'auto' | 'private' | 'global' | 'local' } = {};
  const chunkRows = positiveInt(values, 'chunk-rows');
  if (chunkRows !== undefined) out.chunkRows = chunkRows;
  if (values.histogram !== undefined) out.histogram = oneOf(values, 'histogram', ['auto', 'private', 'global', 'local'] as const, 'auto');
  return out;
}

/**
 * `--ignore-index N`: any integer, negative too.
 *
 * @example
 * ignoreIndexOption({ 'ignore-index': '-100' }); // -100
 */
export function ignoreIndexOption(values: CliValues): number | undefined {
  const v = values['ignore-index'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--ignore-index must be an integer, got '${String(v)}'`);
  return Number(v);
}

/**
 * `--class-subset 3,1,2`: class indices, in the order the report lists them.
 *
 * @example
 * classSubset({ 'class-subset': '3,1,2' }); // [3, 1, 2]
 */
export function classSubset(values: CliValues): number[] | undefined {
  const v = values['class-subset'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\s*\d+(\s*,\s*\d+)*\s*$/.test(v)) throw new UsageError(`--class-subset must be class indices separated by commas (e.g. 3,1,2), got '${String(v)}'`);
  return v.split(',').map((x) => Number(x.trim()));
}

/**
 * `--threshold`: a number, `logits` (0), `probs` (0.5), or a comma list (one per label; binary refuses it).
 *
 * @example
 * parseThreshold({ threshold: 'logits' }); // 0
 */
export function parseThreshold(values: CliValues): number | number[] | undefined {
  const v = values.threshold;
  if (v === undefined) return undefined;
  if (v === 'logits' || v === 'probs') return v === 'logits' ? 0 : 0.5;
  const nums = String(v).split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (typeof v !== 'string' || nums.some((x) => Number.isNaN(x))) {
    throw new UsageError(`--threshold must be a number, logits (0), probs (0.5) or (multilabel) a comma list, one per label; got '${String(v)}'`);
  }
  return nums.length === 1 ? nums[0]! : nums;
}

/**
 * `--thresholds`: K (an integer in [2, 2^20]: evenly spaced over the finite scores) or a comma list.
 *
 * @example
 * parseSweep({ thresholds: '101' }); // { count: 101 }
 */
export function parseSweep(values: CliValues): { count: number } | { list: number[] } | undefined {
  const v = values.thresholds;
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError('--thresholds needs a value');
  if (/^\s*\d+\s*$/.test(v)) {
    const k = Number(v);
    if (!Number.isSafeInteger(k) || k < 2 || k > 1 << 20) throw new UsageError(`--thresholds K must be an integer in [2, 1048576], got '${v}'`);
    return { count: k };
  }
  const list = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (list.some((x) => Number.isNaN(x))) throw new UsageError(`--thresholds must be a count K or a comma list of numbers, got '${v}'`);
  return { list };
}
