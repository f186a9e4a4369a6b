import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { HalfDtype } from '../../src/core/types.js';
import { widenHalves } from '../../src/format/half.js';
import { cpuUpdateFromFile } from '../../src/node/cpu-file.js';
import { type CpuWorkerCounter, createCpuWorkerCounter } from '../../src/node/index.js';
import { cpuUpdate } from '../../src/tasks/multiclass/update-cpu.js';
import { halfRows } from '../helpers/half-rows.js';
import { rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-half-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: CpuWorkerCounter[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((k) => k.destroy()));
});

const FILE_DTYPE = { float16: 'f2', bfloat16: 'bf16' } as const;
const CS = [1, 2, 3, 10, 31, 32, 33, 100];

/** Writes `head` junk bytes, then `data`'s bytes; returns the path. */
function rawFile(name: string, data: ArrayBufferView, head: number): string {
  const path = join(dir, name);
  writeFileSync(path,
    Buffer.concat([Buffer.alloc(head, 0xa5), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
  return path;
}

/** The oracle's counts of the widened halves, rows [from, to). */
function oracle(bits: Uint16Array, labels: Int32Array, c: number, dtype: HalfDtype, from = 0, to = labels.length) {
  const counts = new Float64Array(c * c);
  cpuUpdate(counts, { rows: to - from, numClasses: c, labels: labels.subarray(from, to),
    logits: widenHalves(bits.subarray(from * c, to * c), dtype) });
  return counts;
}

function countsDiff(got: Float64Array, want: Float64Array): string {
  const cell = got.findIndex((v, i) => v !== want[i]);
  return cell < 0 ? '' : `cell ${cell}: ${got[cell]} != ${want[cell]}`;
}

/** Rows around the one-thread path's pieces: two pieces of 2^16 logits and a few rows, past a block of labels. */
const rowsFor = (c: number): number => Math.max(2 * Math.max(4, Math.floor(65536 / c)) + 3, (1 << 14) + 5);

function openOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

describe('cpuUpdateFromFile with float16 / bfloat16 logits (read at 2 bytes a logit, widened in the module)', () => {
  it.each((['float16', 'bfloat16'] as const).flatMap((d) => CS.map((c) => [d, c] as const)))(
    '%s, C = %i: the oracle on the widened values, labels in an array or their file, at odd offsets',
    (dtype, c) => {
      const rows = rowsFor(c);
      const { bits, labels } = halfRows(rng(c * 31 + dtype.length), rows, c, dtype);
      const logits = { path: rawFile(`${dtype}-${c}.bin`, bits, 7), byteOffset: 7, dtype: FILE_DTYPE[dtype] };
      const labelsPath = rawFile(`${dtype}-${c}-labels.bin`, BigInt64Array.from(labels, BigInt), 3);
      const got = new Float64Array(c * c);
      cpuUpdateFromFile(got, logits, labels, c);
      expect(countsDiff(got, oracle(bits, labels, c, dtype)), 'labels array').toBe('');
      got.fill(0);
      cpuUpdateFromFile(got, logits, { path: labelsPath, byteOffset: 3, dtype: 'i8', rows }, c);
      expect(countsDiff(got, oracle(bits, labels, c, dtype)), 'labels file').toBe('');
      // from row 5 on: the rows start 2 C bytes apart
      got.fill(0);
      const from5 = { ...logits, byteOffset: 7 + 5 * c * 2 };
      cpuUpdateFromFile(got, from5, { path: labelsPath, byteOffset: 3 + 5 * 8, dtype: 'i8', rows: rows - 9 }, c);
      cpuUpdateFromFile(got, from5, labels.subarray(5, 9), c);
      const want = oracle(bits, labels, c, dtype, 5, rows - 4);
      const more = oracle(bits, labels, c, dtype, 5, 9);
      expect(countsDiff(got, want.map((v, i) => v + more[i]!))).toBe('');
      expect(openOn(logits.path) + openOn(labelsPath)).toBe(0);
    },
  );

  it('names where a short file of halves ends, a bad label of its labels file, a dtype it does not read', () => {
    const c = 10;
    const { bits, labels } = halfRows(rng(5), 50, c, 'float16');
    const path = rawFile('short.bin', bits, 4);
    expect(() => cpuUpdateFromFile(new Float64Array(100), { path, byteOffset: 44, dtype: 'f2' }, labels, c)).toThrow(
      `${path}: the file ends at byte ${4 + 50 * 20}`,
    );
    labels[33] = -1;
    const labelsPath = rawFile('bad-labels.bin', labels, 0);
    const y = { path: labelsPath, byteOffset: 0, dtype: 'i4', rows: 50, index0: 100 };
    expect(() => cpuUpdateFromFile(new Float64Array(100), { path, byteOffset: 4, dtype: 'f2' }, y, c)).toThrow(
      'index 133: label -1 is outside [0, 10)',
    );
    const f8 = { path, byteOffset: 4, dtype: 'f8' as 'f4' };
    expect(() => cpuUpdateFromFile(new Float64Array(100), f8, labels, c)).toThrow(
      `cpuUpdateFromFile reads logits of dtype 'f4', 'f2' or 'bf16', got "f8"`,
    );
    expect(openOn(path)).toBe(0);
  });
});

describe('worker threads read float16 / bfloat16 logits from a file themselves', () => {
  it.each((['float16', 'bfloat16'] as const).flatMap((d) => [2, 10, 31, 33, 100].map((c) => [d, c] as const)))(
    '%s, C = %i on 3 threads: the oracle, labels in an array or their file (ignored rows skipped)',
    async (dtype, c) => {
      const rows = 3 * Math.max(4, Math.floor(65536 / c)) + 5;
      const { bits, labels } = halfRows(rng(c * 7 + dtype.length), rows, c, dtype);
      const logits = { path: rawFile(`w-${dtype}-${c}.bin`, bits, 5), byteOffset: 5, dtype: FILE_DTYPE[dtype] };
      const k = createCpuWorkerCounter({ numClasses: c, threads: 3, jobRows: Math.floor(rows / 7) });
      open.push(k);
      await k.updateFromFile(logits, labels);
      expect(countsDiff(await k.read(), oracle(bits, labels, c, dtype))).toBe('');
      await k.reset();
      const marked = labels.map((y, i) => (i % 5 === 0 ? -1 : y));
      const labelsPath = rawFile(`w-${dtype}-${c}-labels.bin`, marked, 0);
      await k.updateFromFile(logits, { path: labelsPath, byteOffset: 0, dtype: 'i4', rows }, { ignoreIndex: -1 });
      const kept = Int32Array.from(labels.keys()).filter((i) => i % 5 !== 0);
      const want = new Float64Array(c * c);
      const wide = widenHalves(bits, dtype);
      cpuUpdate(want, { rows: kept.length, numClasses: c, labels: Int32Array.from(kept, (i) => labels[i]!),
        logits: Float32Array.from({ length: kept.length * c },
          (_, j) => wide[kept[Math.floor(j / c)]! * c + (j % c)]!) });
      expect(countsDiff(await k.read(), want)).toBe('');
    },
  );

  it('refuses a dtype it does not read', async () => {
    const k = createCpuWorkerCounter({ numClasses: 2, threads: 1 });
    open.push(k);
    const file = { path: join(dir, 'none.bin'), byteOffset: 0, dtype: 'f8' as 'f4' };
    await expect(k.updateFromFile(file, Int32Array.of(0))).rejects.toThrow(
      `updateFromFile reads logits of dtype 'f4', 'f2' or 'bf16', got "f8"`,
    );
  });
});
