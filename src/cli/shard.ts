import { MAX_SHARDS } from '../core/limits.js';
import { type CliValues, UsageError } from './usage.js';

/** One shard of an n-way split: `--shard i/n`, 0 <= i < n. */
export interface Shard {
  index: number;
  count: number;
}

/** The `--shard i/n` option (0-based i, n <= 2^20), or undefined when absent. */
export function parseShard(values: CliValues): Shard | undefined {
  const v = values.shard;
  if (v === undefined) return undefined;
  const m = typeof v === 'string' ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v) : null;
  const [index, count] = [Number(m?.[1]), Number(m?.[2])];
  if (m === null || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new UsageError(`--shard must be i/n with 0 <= i < n (0-based, e.g. 0/8 .. 7/8), got '${String(v)}'`);
  }
  const most = `at most ${MAX_SHARDS} (2^20) shards`;
  if (count > MAX_SHARDS) throw new UsageError(`--shard ${String(v)}: ${most}, got n = ${count}`);
  return { index, count };
}

/** Rows [floor(i*N/n), floor((i+1)*N/n)) of shard i of n over N rows. */
export function shardRows(shard: Shard, rows: number): { start: number; end: number } {
  const at = (i: number): number => Number((BigInt(i) * BigInt(rows)) / BigInt(shard.count));
  return { start: at(shard.index), end: at(shard.index + 1) };
}
