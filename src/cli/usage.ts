import { availableParallelism } from 'node:os';
import { MAX_WORKER_THREADS } from '../core/limits.js';

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

/** A positive integer option, at most `max` (`why` gives the bound's reason), or undefined when absent. */
export function positiveInt(values: CliValues, name: string, max = Number.MAX_SAFE_INTEGER, why = ''): number
  | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? '' : `, at most ${max}${why ? ` (${why})` : ''}`;
    throw new UsageError(`--${name} must be an integer >= 1${bound}, got '${String(v)}'`);
  }
  return n;
}

/** The most worker threads `--threads` takes: 4 x `os.availableParallelism()`, at most `MAX_WORKER_THREADS` (256). */
export function maxThreads(): number {
  return Math.min(MAX_WORKER_THREADS, 4 * availableParallelism());
}

/** `--threads N|auto`: N in [1, {@link maxThreads}] (default 1, the main thread; auto: one per core, at most 256). */
export function threadsOption(values: CliValues): number {
  if (values.threads === 'auto') return Math.min(MAX_WORKER_THREADS, availableParallelism());
  const why = `4 x the ${availableParallelism()} cores os.availableParallelism() reports, at most 256`;
  return positiveInt(values, 'threads', maxThreads(), why) ?? 1;
}
