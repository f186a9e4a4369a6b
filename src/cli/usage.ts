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

/** The output format: the flag, else a table on a terminal and JSON otherwise. */
export function outputFormat(values: CliValues): 'json' | 'table' {
  return oneOf(values, 'format', ['json', 'table'] as const, process.stdout.isTTY ? 'table' : 'json');
}
