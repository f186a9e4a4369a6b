import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cpuUpdateFromFileAsync } from '../../src/node/cpu-file.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/**
 * cpuUpdateFromFileAsync never closes a file (nor hands its memory to the next call) while a read of it is in
 * flight: every `fs.read` here answers 5 ms late, and each close is checked against the reads not yet answered.
 */
const reads = vi.hoisted(() => ({ pending: 0, closedWhilePending: 0 }));
vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  const read = (...args: unknown[]): void => {
    const done = args.pop() as (e: Error | null, n: number) => void;
    reads.pending++;
    (real.read as (...a: unknown[]) => void)(...args, (e: Error | null, n: number) =>
      setTimeout(() => {
        reads.pending--;
        done(e, n);
      }, 5));
  };
  const closeSync = (fd: number): void => {
    if (reads.pending > 0) reads.closedWhilePending++;
    real.closeSync(fd);
  };
  return { ...real, read, closeSync, default: { ...real, read, closeSync } };
});

const { fresh } = tempDirs('confmat-async-');

describe('cpuUpdateFromFileAsync with slow reads', () => {
  it('waits for every read in flight before it closes the files, when a label is bad and when all is well', async () => {
    const c = 10;
    const rows = 3000;
    const rand = rng(5);
    const dir = fresh();
    const logits = { path: join(dir, 'x.bin'), byteOffset: 0 };
    const labels = makeLabels(rand, rows, c, Int32Array) as Int32Array;
    writeFileSync(logits.path, makeLogits(rand, rows, c, 'special'));
    labels[50] = -1;
    writeFileSync(join(dir, 'y.bin'), labels);
    const y = { path: join(dir, 'y.bin'), byteOffset: 0, dtype: 'i4', rows };
    const options = { pieceBytes: 4000, slots: 4, firstBytes: 4000 };
    await expect(cpuUpdateFromFileAsync(new Float64Array(c * c), logits, y, c, options)).rejects.toMatchObject({
      name: 'InputError',
      index: 50,
    });
    expect(reads).toEqual({ pending: 0, closedWhilePending: 0 });
    labels[50] = 3;
    writeFileSync(y.path, labels);
    const counts = new Float64Array(c * c);
    await cpuUpdateFromFileAsync(counts, logits, y, c, options);
    expect(counts.reduce((a, b) => a + b)).toBe(rows);
    expect(reads).toEqual({ pending: 0, closedWhilePending: 0 });
  });
});
