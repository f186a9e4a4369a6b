import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseShard } from '../../src/cli/shard.js';
import { maxThreads, positiveInt, threadsOption, UsageError } from '../../src/cli/usage.js';
import { makeDemoData, MAX_DEMO_ROWS } from '../../src/demo/synthetic.js';
import { createCpuWorkerCounter, MAX_WORKER_THREADS, usefulThreads } from '../../src/node/cpu-workers.js';

describe('bounds of numeric flags', () => {
  it('positiveInt refuses values past its bound, giving the bound and why', () => {
    expect(positiveInt({ rows: '100' }, 'rows', 100)).toBe(100);
    expect(() => positiveInt({ rows: '101' }, 'rows', 100, 'a reason')).toThrow(
      new UsageError("--rows must be an integer >= 1, at most 100 (a reason), got '101'"),
    );
    expect(() => positiveInt({ rows: '0' }, 'rows')).toThrow(new UsageError("--rows must be an integer >= 1, got '0'"));
  });

  it('--threads: at most 4 x the cores and 256; auto is one per core, at most 256', () => {
    const cores = availableParallelism();
    expect(maxThreads()).toBe(Math.min(256, 4 * cores));
    expect(threadsOption({})).toBe(1);
    expect(threadsOption({ threads: 'auto' })).toBe(Math.min(256, cores));
    expect(threadsOption({ threads: String(maxThreads()) })).toBe(maxThreads());
    expect(() => threadsOption({ threads: String(maxThreads() + 1) })).toThrow(UsageError);
    expect(() => threadsOption({ threads: '1000' })).toThrow(
      /--threads must be an integer >= 1, at most \d+ \(4 x the \d+ cores/,
    );
  });

  it('no more worker threads than jobs of 4 rows, and at most 256 in a counter', () => {
    expect(usefulThreads(1000, 100)).toBe(25);
    expect(usefulThreads(8, 1_000_000)).toBe(8);
    expect(usefulThreads(8, 0)).toBe(1);
    expect(usefulThreads(8, 5)).toBe(2);
    expect(() => createCpuWorkerCounter({ numClasses: 2, threads: MAX_WORKER_THREADS + 1 })).toThrow(
      new RangeError('threads must be at most 256, got 257'),
    );
  });

  it('--shard n at most 2^20', () => {
    expect(parseShard({ shard: `${2 ** 20 - 1}/${2 ** 20}` })).toEqual({ index: 2 ** 20 - 1, count: 2 ** 20 });
    expect(() => parseShard({ shard: '0/1048577' })).toThrow(
      new UsageError('--shard 0/1048577: at most 1048576 (2^20) shards, got n = 1048577'),
    );
  });

  it('makeDemoData refuses rows it cannot allocate', () => {
    expect(() => makeDemoData({ rows: 2 ** 32 })).toThrow(
      new RangeError(`rows must be an integer in [0, ${MAX_DEMO_ROWS}], got 4294967296`),
    );
    expect(() => makeDemoData({ rows: -1 })).toThrow(RangeError);
    expect(makeDemoData({ rows: 3 }).labels).toHaveLength(3);
  });
});
