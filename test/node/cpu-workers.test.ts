import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FormattedBatch } from '../../src/core/types.js';
import { cpuUpdateFromFile, cpuUpdateFromFileAsync } from '../../src/node/cpu-file.js';
import { type CpuWorkerCounter, createCpuWorkerCounter, type LabelsFile,
  type LogitsFile } from '../../src/node/index.js';
import { createNonzeroCells, sortedCells } from '../../src/tasks/multiclass/nonzero.js';
import { cpuUpdateWeighted } from '../../src/tasks/multiclass/update-cpu-weighted.js';
import { cpuUpdate } from '../../src/tasks/multiclass/update-cpu.js';
import { halfRows } from '../helpers/half-rows.js';
import { LABEL_TYPES, type LogitStyle, makeLabels, makeLogits, rng } from '../helpers/random.js';

const open: CpuWorkerCounter[] = [];
function counter(numClasses: number, threads: number, jobRows?: number): CpuWorkerCounter {
  const k = createCpuWorkerCounter({ numClasses, threads, jobRows });
  open.push(k);
  return k;
}
const dir = mkdtempSync(join(tmpdir(), 'confmat-workers-'));
afterEach(async () => {
  await Promise.all(open.splice(0).map((k) => k.destroy()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `head` junk bytes then the logits as raw little-endian float32; returns the path. */
function rawFile(name: string, logits: Float32Array, head: number): string {
  const path = join(dir, name);
  const bytes = new Uint8Array(head + logits.byteLength).fill(0xa5, 0, head);
  bytes.set(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength), head);
  writeFileSync(path, bytes);
  return path;
}

/** How many of this process's file descriptors are open on `path` (Linux). */
function openOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

function batch(rand: () => number, rows: number, c: number, style: LogitStyle = 'special',
  type: (typeof LABEL_TYPES)[number] = Int32Array): FormattedBatch {
  return { rows, numClasses: c, logits: makeLogits(rand, rows, c, style), labels: makeLabels(rand, rows, c, type) };
}

/** The oracle's counts of several batches. */
function oracle(c: number, batches: FormattedBatch[]): Float64Array {
  const counts = new Float64Array(c * c);
  for (const b of batches) cpuUpdate(counts, b);
  return counts;
}

function countsDiff(got: Float64Array, expected: Float64Array): string {
  if (got.length !== expected.length) return `length ${got.length} != ${expected.length}`;
  for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) return `cell ${i}: ${got[i]} != ${expected[i]}`;
  return '';
}

/** The same values in a SharedArrayBuffer, `pad` floats into it. */
function shared(logits: Float32Array, pad = 0): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer((logits.length + pad) * 4), pad * 4, logits.length);
  out.set(logits);
  return out;
}

describe('CPU worker counter', () => {
  it.each([[1, 1], [2, 2], [3, 1], [10, 2], [10, 3], [23, 2], [100, 2], [1000, 2]])(
    'counts C = %i on %i threads as the oracle does, over several batches and job sizes',
    async (c, threads) => {
      const rand = rng(c * 10 + threads);
      for (const jobRows of [undefined, 5]) {
        const k = counter(c, threads, jobRows);
        const batches = [batch(rand, 0, c), batch(rand, 1, c), batch(rand, 37, c, 'ties'),
          batch(rand, c >= 1000 ? 300 : 4000, c)];
        for (const b of batches) await k.update(b);
        expect(countsDiff(await k.read(), oracle(c, batches)), `jobRows ${jobRows}`).toBe('');
      }
    },
  );

  it('splits a batch into jobs over every worker and both slots of each', async () => {
    const rand = rng(2);
    const k = counter(10, 3, 7);
    const b = batch(rand, 100, 10);
    await k.update(b);
    expect(k.stats.jobs).toBe(Math.ceil(100 / 7));
    expect(countsDiff(await k.read(), oracle(10, [b]))).toBe('');
  });

  it.each(LABEL_TYPES.map((t) => [t.name, t] as const))('takes %s labels', async (_, type) => {
    const rand = rng(type.name.length);
    const k = counter(7, 2, 64);
    const b = batch(rand, 1000, 7, 'special', type);
    await k.update(b);
    expect(countsDiff(await k.read(), oracle(7, [b]))).toBe('');
  });

  it('copies the batch: changing it after update() resolves changes nothing', async () => {
    const rand = rng(3);
    const k = counter(10, 2, 50);
    const b = batch(rand, 2000, 10);
    const expected = oracle(10, [b]);
    const updating = k.update(b);
    await updating;
    b.logits!.fill(NaN);
    (b.labels as Int32Array).fill(0);
    expect(countsDiff(await k.read(), expected)).toBe('');
  });

  it('reads logits in a SharedArrayBuffer in the workers, at any offset, and is done with them when update() resolves', async () => {
    const rand = rng(4);
    const k = counter(10, 2, 64);
    const plain = batch(rand, 3001, 10);
    const expected = oracle(10, [plain]);
    const b: FormattedBatch = { ...plain, logits: shared(plain.logits!, 3) };
    await k.update(b);
    b.logits!.fill(NaN);
    expect(countsDiff(await k.read(), expected)).toBe('');
  });

  it('reads logits written into inputBuffer() in place, at any row offset, as the buffer grows', async () => {
    const rand = rng(10);
    const c = 10;
    const k = counter(c, 2, 100);
    const small = batch(rand, 257, c);
    const input = k.inputBuffer(257);
    expect(input.length).toBe(257 * c);
    input.set(small.logits!);
    await k.update({ ...small, logits: input });
    input.fill(NaN);
    expect(countsDiff(await k.read(), oracle(c, [small]))).toBe('');

    const big = batch(rand, 5000, c);
    const grown = k.inputBuffer(5000);
    grown.set(big.logits!);
    const tail: FormattedBatch = { rows: 4000, numClasses: c, logits: grown.subarray(1000 * c),
      labels: big.labels.subarray(1000) };
    await k.update(tail);
    expect(countsDiff(await k.read(), oracle(c, [small, tail]))).toBe('');
    input.set(small.logits!.subarray(0, 100 * c));
    const again: FormattedBatch = { rows: 100, numClasses: c, logits: input.subarray(0, 100 * c),
      labels: small.labels.subarray(0, 100) };
    await k.update(again);
    expect(countsDiff(await k.read(), oracle(c, [small, tail, again]))).toBe('');
  });

  it.each([[1, 1], [2, 2], [10, 1], [10, 3], [23, 2], [100, 2], [1000, 2], [2100, 2]])(
    'reads logits from a file in the workers themselves: C = %i on %i threads, as the oracle counts, at odd offsets and in pieces',
    async (c, threads) => {
      const rand = rng(c * 7 + threads);
      const rows = c >= 1000 ? 61 : 3001;
      for (const jobRows of [undefined, 5]) {
        const b = batch(rand, rows, c);
        const head = 13 + c;
        const path = rawFile(`f-${c}-${threads}-${jobRows}.bin`, b.logits!, head);
        const k = counter(c, threads, jobRows);
        const cut = Math.floor(rows / 3);
        await k.updateFromFile({ path, byteOffset: head }, b.labels.subarray(0, cut));
        await k.updateFromFile({ path, byteOffset: head + cut * c * 4 }, b.labels.subarray(cut));
        await k.updateFromFile({ path, byteOffset: head }, b.labels.subarray(0, 0));
        const first: FormattedBatch = { rows: cut, numClasses: c, logits: b.logits!.subarray(0, cut * c),
          labels: b.labels.subarray(0, cut) };
        expect(countsDiff(await k.read(), oracle(c, [b])), `jobRows ${jobRows}`).toBe('');
        await k.updateFromFile({ path, byteOffset: head }, b.labels.subarray(0, cut));
        await k.update(b);
        expect(countsDiff(await k.read(), oracle(c, [b, first, b])), `jobRows ${jobRows}, mixed with update()`).toBe(
          '',
        );
      }
    },
  );

  it.each(LABEL_TYPES.map((t) => [t.name, t] as const))(
    'reads file logits with %s labels, and copies the labels before resolving',
    async (_, type) => {
      const rand = rng(type.name.length + 50);
      const b = batch(rand, 999, 7, 'special', type);
      const path = rawFile(`labels-${type.name}.bin`, b.logits!, 0);
      const k = counter(7, 2, 50);
      const labels = b.labels.slice();
      await k.updateFromFile({ path, byteOffset: 0 }, labels);
      labels.fill(labels instanceof BigInt64Array || labels instanceof BigUint64Array ? (6n as never) : (6 as never));
      expect(countsDiff(await k.read(), oracle(7, [b]))).toBe('');
    },
  );

  it.each(
    [['Int32Array', -100, 6, Int32Array], ['BigInt64Array', -100, 6, BigInt64Array], ['Uint8Array', 255, 21,
      Uint8Array], ['Int16Array', 3, 6, Int16Array], ['BigInt64Array', 2 ** 40, 6, BigInt64Array], ['Int32Array', -1,
      2100, Int32Array]] as const,
  )('skips rows whose %s label is the ignore index %s (C = %i) without gathering the logits',
    async (_, ignore, c, type) => {
      const rand = rng(c + 61);
      const rows = c > 1000 ? 90 : 2500;
      const b = batch(rand, rows, c, 'special', type);
      const marked = Array.from({ length: rows }, () => rand() < 0.3);
      const big = b.labels instanceof BigInt64Array;
      for (const [i, m] of marked.entries()) {
        if (m) (b.labels as Int32Array)[i] = (big ? BigInt(ignore) : ignore) as number;
      }
      const path = rawFile(`ignore-${type.name}-${ignore}.bin`, b.logits!, 12);
      const k = counter(c, 2, 64);
      await k.updateFromFile({ path, byteOffset: 12 }, b.labels, { ignoreIndex: ignore });
      const keptRows = Array.from(b.labels as ArrayLike<number | bigint>, Number).flatMap((v,
        i) => (v === ignore ? [] : [i])
      );
      const kept: FormattedBatch = { rows: keptRows.length, numClasses: c,
        logits: Float32Array.from(keptRows.flatMap((i) => Array.from(b.logits!.subarray(i * c, (i + 1) * c)))),
        labels: Int32Array.from(keptRows, (i) => Number(b.labels[i])) };
      const got = await k.read();
      expect(got.length).toBe(c * c);
      expect(countsDiff(got, oracle(c, [kept]))).toBe('');
      await k.update(kept);
      expect(countsDiff(await k.read(), oracle(c, [kept, kept]))).toBe('');
      const bad = b.labels.slice();
      const at = keptRows[keptRows.length - 1]!;
      (bad as Int32Array)[at] = (big ? BigInt(c) : c) as number;
      await expect(k.updateFromFile({ path, byteOffset: 12 }, bad, { ignoreIndex: ignore })).rejects.toThrow(
        `index ${at}: label ${c} is outside [0, ${c})`,
      );
      expect(countsDiff(await k.read(), oracle(c, [kept, kept]))).toBe('');
    });

  it.each([[1], [2], [3]])(
    'adds sample weights in row order on %i threads: the one-thread float64 sums bit for bit, from arrays, files and class indices',
    async (threads) => {
      const rand = rng(70 + threads);
      const c = 9;
      const k = counter(c, threads, 37);
      const expected = new Float64Array(c * c);
      const weightsOf = (n: number) =>
        Float64Array.from({ length: n }, () => (rand() - 0.3) * 10 ** Math.floor(rand() * 6 - 3));
      for (const rows of [1, 500, 3001]) {
        const b = batch(rand, rows, c, 'special', rows === 500 ? BigInt64Array : Int32Array);
        const weights = weightsOf(rows);
        const path = rawFile(`weighted-${threads}-${rows}.bin`, b.logits!, 4);
        await k.update({ ...b, weights });
        cpuUpdateWeighted(expected, { ...b, weights });
        const kept = b.labels.slice();
        await k.updateFromFile({ path, byteOffset: 4 }, kept, { weights: weights.slice() });
        cpuUpdateWeighted(expected, { ...b, weights });
        kept.fill((kept instanceof BigInt64Array ? 0n : 0) as never);
        const preds: FormattedBatch = { rows, numClasses: c, labels: b.labels,
          preds: makeLabels(rand, rows, c, Uint8Array) };
        await k.update({ ...preds, weights: Float32Array.from(weights) });
        cpuUpdateWeighted(expected, { ...preds, weights: Float32Array.from(weights) });
      }
      expect(countsDiff(await k.read(), expected)).toBe('');
      const ignored = batch(rand, 400, c);
      (ignored.labels as Int32Array).fill(-1, 0, 150);
      const w = weightsOf(400);
      await k.updateFromFile({ path: rawFile(`weighted-ignored-${threads}.bin`, ignored.logits!, 0), byteOffset: 0 },
        ignored.labels, { ignoreIndex: -1, weights: w });
      const keep = { rows: 250, numClasses: c, logits: ignored.logits!.subarray(150 * c),
        labels: ignored.labels.subarray(150), weights: w.subarray(150) };
      cpuUpdateWeighted(expected, keep);
      expect(countsDiff(await k.read(), expected)).toBe('');
      const plain = batch(rand, 999, c);
      await k.update(plain);
      cpuUpdate(expected, plain);
      const mixed = await k.read();
      expected.forEach((v, i) => expect(Math.abs(mixed[i]! - v)).toBeLessThanOrEqual(1e-12 * Math.abs(v)));
      expected.set(mixed);
      const nan = w.slice();
      nan[321] = NaN;
      await expect(
        k.update({ ...ignored, labels: Int32Array.from(ignored.labels as Int32Array, (v) => Math.max(0, v)),
          weights: nan }),
      ).rejects.toThrow('index 321: weight NaN is not finite');
      await expect(
        k.updateFromFile({ path: rawFile('nan.bin', ignored.logits!, 0), byteOffset: 0 }, ignored.labels, {
          ignoreIndex: -1,
          weights: nan.subarray(1),
        }),
      ).rejects.toThrow('399 sample weights for 400 rows');
      expect(countsDiff(await k.read(), expected)).toBe('');
    },
  );

  it.each(
    [['i8', 1, 10], ['i8', 3, 2], ['i4', 2, 23], ['u1', 2, 100], ['i2', 2, 1000], ['u8', 2, 2100], ['i1', 3, 5], ['u2',
      2, 7], ['u4', 2, 9], ['b1', 2, 2]] as const,
  )('reads %s labels from the file too (%i threads, C = %i): the oracle counts, ignored rows skipped',
    async (dtype, threads, c) => {
      const rand = rng(c * 3 + threads + dtype.charCodeAt(1));
      const rows = c > 1000 ? 90 : 3001;
      const b = batch(rand, rows, c);
      const size = Number(dtype.slice(1));
      const T =
        { i1: Int8Array, i2: Int16Array, i4: Int32Array, i8: BigInt64Array, u1: Uint8Array, b1: Uint8Array,
          u2: Uint16Array, u4: Uint32Array, u8: BigUint64Array }[dtype];
      const signed = dtype.startsWith('i');
      const ignore = signed ? -100 : dtype === 'b1' ? undefined : Math.min(2 ** (8 * Math.min(size, 4)) - 1, 255);
      const values = Array.from(b.labels as Int32Array, (v) => (ignore !== undefined && rand() < 0.2 ? ignore : v));
      const stored = T === BigInt64Array || T === BigUint64Array ?
        (T as typeof BigInt64Array).from(values, (v) => BigInt(v)) :
        (T as typeof Int32Array).from(values);
      const logitsPath = rawFile(`lf-logits-${dtype}-${threads}-${c}.bin`, b.logits!, 5);
      const labelsPath = join(dir, `lf-labels-${dtype}-${threads}-${c}.bin`);
      writeFileSync(labelsPath, Buffer.concat([Buffer.alloc(3, 0xee), Buffer.from(stored.buffer)]));
      const k = counter(c, threads, 37);
      const cut = 1000;
      await k.updateFromFile({ path: logitsPath, byteOffset: 5 }, { path: labelsPath, byteOffset: 3, dtype,
        rows: Math.min(cut, rows) }, { ignoreIndex: ignore });
      if (rows > cut) {
        await k.updateFromFile({ path: logitsPath, byteOffset: 5 + cut * c * 4 }, { path: labelsPath,
          byteOffset: 3 + cut * size, dtype, rows: rows - cut }, { ignoreIndex: ignore });
      }
      const keptRows = values.flatMap((v, i) => (v === ignore ? [] : [i]));
      const kept: FormattedBatch = { rows: keptRows.length, numClasses: c,
        logits: Float32Array.from(keptRows.flatMap((i) => Array.from(b.logits!.subarray(i * c, (i + 1) * c)))),
        labels: Int32Array.from(keptRows, (i) => values[i]!) };
      expect(countsDiff(await k.read(), oracle(c, [kept]))).toBe('');
      expect(openOn(labelsPath)).toBe(0);
    });

  it('fails naming the index and value of a bad label it read from the file, from index0 on', async () => {
    const rand = rng(88);
    const b = batch(rand, 5000, 6);
    const logitsPath = rawFile('lf-bad-logits.bin', b.logits!, 0);
    for (const [bad, shown] of [[6n, '6'], [-1n, '-1'], [2n ** 32n + 2n, String(2n ** 32n + 2n)], [-100n,
      '-100']] as const) {
      const stored = BigInt64Array.from(b.labels as Int32Array, (v) => BigInt(v));
      stored[4321] = bad;
      stored[4999] = bad;
      stored[4400] = 7n;
      const labelsPath = join(dir, 'lf-bad-labels.bin');
      writeFileSync(labelsPath, Buffer.from(stored.buffer));
      const k = counter(6, 2, 100);
      const err = await (async () => {
        await k.updateFromFile({ path: logitsPath, byteOffset: 0 }, { path: labelsPath, byteOffset: 0, dtype: 'i8',
          rows: 5000, index0: 70 }, shown === '-100' ? { ignoreIndex: -99 } : {});
        return k.read();
      })().catch((e: unknown) => e);
      expect(err, shown).toMatchObject({ name: 'InputError', field: 'labels', index: 4391 });
      expect(String(err)).toContain(`index 4391: label ${shown} is outside [0, 6)`);
      await expect(k.read()).rejects.toThrow(`index 4391: label ${shown}`);
    }
    const k = counter(6, 1);
    await expect(
      k.updateFromFile({ path: logitsPath, byteOffset: 0 }, { path: logitsPath, byteOffset: 0, dtype: 'f4', rows: 3 }),
    ).rejects.toThrow(/dtype "f4"/);
    await expect(
      k.updateFromFile({ path: logitsPath, byteOffset: 0 }, { path: logitsPath, byteOffset: 0, dtype: 'i8', rows: 3 }, {
        ignoreIndex: 2 ** 40,
      }),
    ).rejects.toThrow(/\[-2\^31, 2\^32\)/);
  });

  it.each(
    [['i1', -3n], ['u1', 255n], ['i2', -32768n], ['u2', 6n], ['i4', -(2n ** 31n)], ['u4', 2n ** 32n - 1n], ['i8',
      2n ** 62n + 1n], ['u8', 2n ** 63n + 2n]] as const,
  )('fails on the first bad %s label in row order (%s) across the jobs of 3 workers', async (dtype, bad) => {
    const rows = 3000;
    const b = batch(rng(90 + dtype.charCodeAt(1)), rows, 6);
    const T =
      { i1: Int8Array, i2: Int16Array, i4: Int32Array, i8: BigInt64Array, u1: Uint8Array, u2: Uint16Array,
        u4: Uint32Array, u8: BigUint64Array }[dtype];
    const values = Array.from(b.labels as Int32Array, BigInt);
    // jobs of 97 rows over 3 workers: the later job's bad label (job 21) may be found before the earlier one's (job 9)
    for (const at of [2100, 2101, 999, 873]) values[at] = bad;
    const stored = T === BigInt64Array || T === BigUint64Array ?
      (T as typeof BigInt64Array).from(values) :
      (T as typeof Int32Array).from(values, Number);
    const labelsPath = join(dir, `lf-first-bad-${dtype}.bin`);
    writeFileSync(labelsPath, Buffer.from(stored.buffer));
    const k = counter(6, 3, 97);
    const err = await (async () => {
      await k.updateFromFile({ path: rawFile(`lf-first-bad-${dtype}.bin.x`, b.logits!, 0), byteOffset: 0 }, {
        path: labelsPath,
        byteOffset: 0,
        dtype,
        rows,
        index0: 5,
      });
      return k.read();
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InputError', field: 'labels', index: 878 });
    expect(String(err)).toContain(`index 878: label ${bad} is outside [0, 6)`);
  });

  it('refuses labels out of range before counting anything from the file, naming the index and value', async () => {
    const rand = rng(51);
    const b = batch(rand, 100, 4);
    const path = rawFile('bad-labels.bin', b.logits!, 8);
    const k = counter(4, 2, 10);
    for (const [labels, index, value] of [[Int32Array.from(b.labels as Int32Array, (v, i) => (i === 37 ? 4 : v)), 37,
      '4'], [BigInt64Array.from(b.labels as Int32Array, (v, i) => (i === 5 ? -1n : BigInt(v))), 5, '-1'], [
      BigInt64Array.from(b.labels as Int32Array, (v, i) => (i === 99 ? 2n ** 32n + 1n : BigInt(v))),
      99,
      String(2n ** 32n + 1n),
    ]] as const) {
      const err = await k.updateFromFile({ path, byteOffset: 8 }, labels).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'InputError', field: 'labels', index });
      expect(String(err)).toContain(`index ${index}: label ${value} is outside [0, 4)`);
    }
    expect(Array.from(await k.read())).toEqual(new Array(16).fill(0));
  });

  it('fails naming the file and byte when the file holds fewer rows than asked, and closes the files it opened', async () => {
    const rand = rng(52);
    const b = batch(rand, 50, 10);
    const path = rawFile('short.bin', b.logits!, 4);
    const ok = counter(10, 2);
    await ok.updateFromFile({ path, byteOffset: 4 }, b.labels);
    await ok.updateFromFile({ path, byteOffset: 4 }, b.labels);
    expect(openOn(path)).toBe(1);
    expect(countsDiff(await ok.read(), oracle(10, [b, b]))).toBe('');
    expect(openOn(path)).toBe(0);
    const k = counter(10, 1);
    await k.updateFromFile({ path, byteOffset: 4 + 40 }, b.labels);
    await expect(k.read()).rejects.toThrow(`${path}: the file ends at byte ${4 + 50 * 40}`);
    await k.destroy();
    await expect(ok.updateFromFile({ path: join(dir, 'missing.bin'), byteOffset: 0 }, b.labels)).rejects.toThrow(
      /ENOENT.*missing\.bin/,
    );
    expect(openOn(path)).toBe(0);
    await expect(ok.updateFromFile({ path, byteOffset: -1 }, b.labels)).rejects.toThrow(/byteOffset: integer >= 0/);
    await expect(ok.updateFromFile({ path, byteOffset: 0 }, new Float32Array(2) as never)).rejects.toThrow(
      /labels must be an integer typed array/,
    );
  });

  it('refuses logits that overlap its working memory', async () => {
    const k = counter(2, 1);
    const input = k.inputBuffer(4);
    const inside = new Float32Array(input.buffer, 0, 8);
    await expect(k.update({ rows: 4, numClasses: 2, logits: inside, labels: new Uint8Array(4) })).rejects.toThrow(
      /overlap the counter's own memory/,
    );
    expect(() => k.inputBuffer(-1)).toThrow(/rows must be an integer >= 0, got -1/);
  });

  it('counts batches of class indices', async () => {
    const rand = rng(5);
    const k = counter(4, 2);
    const b: FormattedBatch = { rows: 500, numClasses: 4, labels: makeLabels(rand, 500, 4, Uint8Array),
      preds: makeLabels(rand, 500, 4, BigInt64Array) };
    const l = batch(rand, 300, 4);
    await k.update(b);
    await k.update(l);
    expect(countsDiff(await k.read(), oracle(4, [b, l]))).toBe('');
  });

  it('counts in the main thread beyond 2048 classes (no per-worker tables)', async () => {
    const rand = rng(6);
    const c = 2100;
    const k = counter(c, 2, 9);
    const b = batch(rand, 40, c);
    await k.update(b);
    expect(countsDiff(await k.read(), oracle(c, [b]))).toBe('');
  });

  it('lists the nonzero cells it counts beyond 2048 classes, ignored rows left out; drops them for weights', async () => {
    const rand = rng(16);
    const c = 2100;
    const nonzeroOf = (x: Float64Array): number[] => [...x.keys()].filter((i) => x[i] !== 0);
    const k = counter(c, 2, 9);
    const [a, b] = [batch(rand, 40, c), batch(rand, 33, c)];
    const path = rawFile('nz-workers.bin', b.logits!, 0);
    await k.update(a);
    await k.updateFromFile({ path, byteOffset: 0 }, b.labels, { ignoreIndex: b.labels[0] as number });
    const got = await k.read();
    const kept: FormattedBatch = { ...b, rows: 0, labels: new Int32Array(0), logits: new Float32Array(0) };
    const keep = [...b.labels.keys()].filter((i) => b.labels[i] !== b.labels[0]);
    kept.rows = keep.length;
    kept.labels = Int32Array.from(keep, (i) => b.labels[i] as number);
    kept.logits = Float32Array.from(keep.flatMap((i) => Array.from(b.logits!.subarray(i * c, (i + 1) * c))));
    expect(countsDiff(got, oracle(c, [a, kept]))).toBe('');
    expect(Array.from(k.nonzero()!)).toEqual(nonzeroOf(got));
    await k.update({ ...a, weights: new Float32Array(a.rows).fill(0.5) });
    await k.read();
    expect(k.nonzero()).toBeUndefined();
    await k.reset();
    await k.update(a);
    expect(countsDiff(await k.read(), oracle(c, [a]))).toBe('');
    expect(Array.from(k.nonzero()!)).toEqual(nonzeroOf(oracle(c, [a])));
  });

  it('reads any number of times, goes on counting, and resets', async () => {
    const rand = rng(7);
    const k = counter(5, 2, 16);
    const [a, b] = [batch(rand, 300, 5), batch(rand, 301, 5)];
    await k.update(a);
    expect(countsDiff(await k.read(), oracle(5, [a]))).toBe('');
    expect(countsDiff(await k.read(), oracle(5, [a]))).toBe('');
    await k.update(b);
    expect(countsDiff(await k.read(), oracle(5, [a, b]))).toBe('');
    await k.reset();
    expect(Array.from(await k.read())).toEqual(new Array(25).fill(0));
    await k.update(b);
    expect(countsDiff(await k.read(), oracle(5, [b]))).toBe('');
  });

  it('orders updates and reads that were not awaited', async () => {
    const rand = rng(8);
    const k = counter(10, 2, 32);
    const bs = [batch(rand, 500, 10), batch(rand, 10, 10), batch(rand, 777, 10)];
    const pending = bs.map((b) => k.update(b));
    const read = k.read();
    await Promise.all(pending);
    expect(countsDiff(await read, oracle(10, bs))).toBe('');
  });

  it('refuses a batch of another class count, bad options, and any use after destroy()', async () => {
    const k = counter(3, 1);
    await expect(k.update(batch(rng(9), 4, 4))).rejects.toThrow(/counts 3 classes, the batch has 4/);
    expect(() => createCpuWorkerCounter({ numClasses: 3, threads: 0 })).toThrow(
      /threads must be an integer >= 1, got 0/,
    );
    expect(() => createCpuWorkerCounter({ numClasses: 3, threads: 1, jobRows: 0.5 })).toThrow(
      /jobRows must be an integer >= 1, got 0.5/,
    );
    await k.destroy();
    await k.destroy();
    await expect(k.update(batch(rng(9), 4, 3))).rejects.toThrow(/destroyed/);
    await expect(k.read()).rejects.toThrow(/destroyed/);
  });

  it('does not keep Node alive when never destroyed', () => {
    const script = `
      import { createCpuWorkerCounter } from './dist/node/index.js';
      const k = createCpuWorkerCounter({ numClasses: 2, threads: 2 });
      await k.update({ rows: 3, numClasses: 2, logits: new Float32Array([1, 0, 0, 1, 5, 5]), labels: new Uint8Array([0, 1, 1]) });
      console.log(JSON.stringify(Array.from(await k.read())));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8',
      timeout: 30_000 });
    expect(out.trim()).toBe('[1,0,1,1]');
  });
});

describe('cpuUpdateFromFile (the one-thread CLI path for .npy/.safetensors float32 logits)', () => {
  it.each([2, 10, 100, 1000])('reads logits at an odd offset in cache-sized pieces, as the oracle counts, C = %i',
    (c) => {
      const rand = rng(c + 77);
      const rows = Math.max(3000, Math.floor((1 << 17) / c) + 11);
      const b = batch(rand, rows, c);
      const path = rawFile(`one-thread-${c}.bin`, b.logits!, 7);
      const got = new Float64Array(c * c);
      cpuUpdateFromFile(got, { path, byteOffset: 7 }, b.labels, c);
      cpuUpdateFromFile(got, { path, byteOffset: 7 + 5 * c * 4 }, b.labels.subarray(5, 9), c);
      const tail: FormattedBatch = { rows: 4, numClasses: c, logits: b.logits!.subarray(5 * c, 9 * c),
        labels: b.labels.subarray(5, 9) };
      expect(countsDiff(got, oracle(c, [b, tail]))).toBe('');
      expect(openOn(path)).toBe(0);
    });

  const BOTH = {
    sync: async (counts: Float64Array, file: LogitsFile, y: LabelsFile, c: number) =>
      cpuUpdateFromFile(counts, file, y, c),
    async: cpuUpdateFromFileAsync,
  };
  const LABEL_CASES = [['i8', 2], ['u1', 10], ['i4', 23], ['u2', 300], ['b1', 2], ['i1', 1], ['u8', 7], ['u4',
    100]] as const;
  it.each(LABEL_CASES.flatMap(([d, c]) => (['sync', 'async'] as const).map((way) => [d, c, way] as const)))(
    'reads %s labels from their file in the same pieces, C = %i (%s): the oracle counts, a bad one named from index0',
    async (dtype, c, way) => {
      const update = BOTH[way];
      const rand = rng(c * 5 + dtype.charCodeAt(1));
      // several blocks of 16384 labels (C < 100), each for one or more pieces of logits
      const rows = Math.max(c >= 100 ? 3000 : 40_000, 2 * Math.floor((1 << 16) / c) + 7);
      const b = batch(rand, rows, c);
      const size = Number(dtype[1]);
      const T =
        { i1: Int8Array, i4: Int32Array, i8: BigInt64Array, u1: Uint8Array, b1: Uint8Array, u2: Uint16Array,
          u4: Uint32Array, u8: BigUint64Array }[dtype];
      const big = T === BigInt64Array || T === BigUint64Array;
      const store = (values: bigint[]): Buffer => {
        const typed = big ? (T as typeof BigInt64Array).from(values) : (T as typeof Int32Array).from(values, Number);
        return Buffer.concat([Buffer.alloc(3, 0xee), Buffer.from(typed.buffer)]);
      };
      const values = Array.from(b.labels as Int32Array, BigInt);
      const logits = { path: rawFile(`one-both-${dtype}.bin`, b.logits!, 7), byteOffset: 7 };
      const labelsPath = join(dir, `one-both-labels-${dtype}.bin`);
      writeFileSync(labelsPath, store(values));
      const got = new Float64Array(c * c);
      await update(got, logits, { path: labelsPath, byteOffset: 3, dtype, rows }, c);
      await update(got, { ...logits, byteOffset: 7 + 5 * c * 4 }, { path: labelsPath, byteOffset: 3 + 5 * size, dtype,
        rows: 4 }, c);
      const tail: FormattedBatch = { rows: 4, numClasses: c, logits: b.logits!.subarray(5 * c, 9 * c),
        labels: b.labels.subarray(5, 9) };
      expect(countsDiff(got, oracle(c, [b, tail]))).toBe('');
      const bad = dtype[0] === 'i' ? -1n : big ? 2n ** 64n - 1n : BigInt(c);
      values[rows - 3] = bad;
      values[rows - 2] = 0n;
      writeFileSync(labelsPath, store(values));
      const before = got.slice();
      const err = await update(got, logits, { path: labelsPath, byteOffset: 3, dtype, rows, index0: 40 }, c).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'InputError', field: 'labels', index: rows + 37 });
      expect(String(err)).toContain(`index ${rows + 37}: label ${bad} is outside [0, ${c})`);
      if (c * c <= rows) expect(Array.from(got)).toEqual(Array.from(before));
      expect(openOn(labelsPath) + openOn(logits.path)).toBe(0);
      // nothing of the failed call is left to count in the next one
      writeFileSync(labelsPath, store(Array.from(b.labels as Int32Array, BigInt)));
      const again = new Float64Array(c * c);
      await update(again, logits, { path: labelsPath, byteOffset: 3, dtype, rows }, c);
      expect(countsDiff(again, oracle(c, [b]))).toBe('');
      await expect(update(got, logits, { path: labelsPath, byteOffset: 3, dtype: 'f4', rows }, c)).rejects.toThrow(
        /dtype "f4"/,
      );
    },
  );

  it.each([[10, 1], [10, 2], [3, 3], [100, 4], [300, 2]] as const)(
    'cpuUpdateFromFileAsync in small pieces, C = %i, %i slots: the oracle counts, two calls at once, a short file',
    async (c, slots) => {
      const rows = 5000 + c;
      const b = batch(rng(c * 7 + slots), rows, c);
      const logits = { path: rawFile(`async-${c}-${slots}.bin`, b.logits!, 5), byteOffset: 5 };
      const labelsPath = join(dir, `async-labels-${c}-${slots}.bin`);
      writeFileSync(labelsPath, new Uint8Array(BigInt64Array.from(b.labels as Int32Array, BigInt).buffer));
      const y: LabelsFile = { path: labelsPath, byteOffset: 0, dtype: 'i8', rows };
      // pieces from floor(997 / 4C) rows (at least 4), doubling up to floor(15952 / 4C): a dozen or more, the last short
      const options = { pieceBytes: 997 * 16, slots, firstBytes: 997 };
      const [got, other] = [new Float64Array(c * c), new Float64Array(c * c)];
      const nonzero = createNonzeroCells(c);
      await Promise.all([cpuUpdateFromFileAsync(got, logits, y, c, { ...options, nonzero }),
        cpuUpdateFromFileAsync(other, logits, y, c, options)]);
      expect(countsDiff(got, oracle(c, [b]))).toBe('');
      expect(countsDiff(other, oracle(c, [b]))).toBe('');
      // at C = 300 (C^2 > rows, fewer than C^2 / 16 cells) the cells that turned nonzero are listed, else none
      const listed = c === 300 ? [...got.keys()].filter((i) => got[i] !== 0) : undefined;
      expect(sortedCells(nonzero) && Array.from(sortedCells(nonzero)!)).toEqual(listed);
      const short = { ...logits, byteOffset: 5 + 40 * c * 4 };
      await expect(cpuUpdateFromFileAsync(new Float64Array(c * c), short, y, c, options)).rejects.toThrow(
        `${logits.path}: the file ends at byte ${5 + rows * c * 4}, before the `,
      );
      // a bad label in an early piece, later pieces in flight: named, files closed, the next call counts right
      const bad = BigInt64Array.from(b.labels as Int32Array, BigInt);
      bad[60] = BigInt(c);
      writeFileSync(labelsPath, new Uint8Array(bad.buffer));
      await expect(cpuUpdateFromFileAsync(new Float64Array(c * c), logits, y, c, options)).rejects.toMatchObject({
        name: 'InputError',
        index: 60,
      });
      expect(openOn(labelsPath) + openOn(logits.path)).toBe(0);
      bad[60] = BigInt(b.labels[60]!);
      writeFileSync(labelsPath, new Uint8Array(bad.buffer));
      const again = new Float64Array(c * c);
      await cpuUpdateFromFileAsync(again, logits, y, c, options);
      expect(countsDiff(again, oracle(c, [b]))).toBe('');
    },
  );

  it.each([[2, 'float16'], [10, 'bfloat16'], [40, 'float16'], [300, 'bfloat16']] as const)(
    'cpuUpdateFromFileAsync reads 16-bit logits in small pieces as cpuUpdateFromFile does, C = %i, %s',
    async (c, dtype) => {
      const rows = 3001;
      const { bits, labels } = halfRows(rng(c + 3), rows, c, dtype);
      const file = { path: join(dir, `async-half-${c}.bin`), byteOffset: 3,
        dtype: dtype === 'float16' ? 'f2' : 'bf16' };
      writeFileSync(file.path, Buffer.concat([Buffer.alloc(3), new Uint8Array(bits.buffer)]));
      const labelsPath = join(dir, `async-half-labels-${c}.bin`);
      writeFileSync(labelsPath, labels);
      const y: LabelsFile = { path: labelsPath, byteOffset: 0, dtype: 'i4', rows };
      const [got, expected] = [new Float64Array(c * c), new Float64Array(c * c)];
      await cpuUpdateFromFileAsync(got, file as LogitsFile, y, c, { pieceBytes: 997 * 16, slots: 2, firstBytes: 997 });
      cpuUpdateFromFile(expected, file as LogitsFile, y, c);
      expect(countsDiff(got, expected)).toBe('');
      expect(got.reduce((a, b) => a + b)).toBe(rows);
    },
  );

  it('throws naming the file and byte when the file holds fewer rows than asked, and closes it', () => {
    const b = batch(rng(78), 50, 10);
    const path = rawFile('one-thread-short.bin', b.logits!, 4);
    expect(() => cpuUpdateFromFile(new Float64Array(100), { path, byteOffset: 44 }, b.labels, 10)).toThrow(
      `${path}: the file ends at byte ${4 + 50 * 40}`,
    );
    expect(openOn(path)).toBe(0);
  });
});

describe('cpuUpdateFromFile listing the nonzero cells (the CLI at C^2 >> rows)', () => {
  const nonzeroOf = (counts: Float64Array): number[] => [...counts.keys()].filter((i) => counts[i] !== 0);
  const labelsFile = (name: string,
    labels: Int32Array): { path: string; byteOffset: number; dtype: 'i4'; rows: number } => {
    const path = join(dir, name);
    writeFileSync(path, new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
    return { path, byteOffset: 0, dtype: 'i4', rows: labels.length };
  };

  it.each([[300, 50], [1000, 700], [257, 3000]])('lists exactly the nonzero cells in two calls, C = %i, %i rows',
    (c, rows) => {
      const b = batch(rng(c + rows), rows, c);
      const logits = { path: rawFile(`nz-${c}.bin`, b.logits!, 0), byteOffset: 0 };
      const labels = labelsFile(`nz-labels-${c}.bin`, b.labels as Int32Array);
      const got = new Float64Array(c * c);
      const nonzero = createNonzeroCells(c);
      const half = Math.floor(rows / 2);
      cpuUpdateFromFile(got, logits, { ...labels, rows: half }, c, nonzero);
      cpuUpdateFromFile(got, { path: logits.path, byteOffset: half * c * 4 }, { ...labels, byteOffset: half * 4,
        rows: rows - half }, c, nonzero);
      expect(countsDiff(got, oracle(c, [b]))).toBe('');
      expect(Array.from(sortedCells(nonzero)!)).toEqual(nonzeroOf(got));
    });

  it('drops the list where the module counts in its table, for labels in an array, and past C^2 / 16 cells', () => {
    const [c, rows] = [10, 400];
    const b = batch(rng(5), rows, c);
    const logits = { path: rawFile('nz-table.bin', b.logits!, 0), byteOffset: 0 };
    const inTable = createNonzeroCells(c);
    cpuUpdateFromFile(new Float64Array(c * c), logits, labelsFile('nz-table-labels.bin', b.labels as Int32Array), c,
      inTable);
    expect(sortedCells(inTable)).toBeUndefined();
    const inArray = createNonzeroCells(300);
    const b300 = batch(rng(6), 20, 300);
    cpuUpdateFromFile(new Float64Array(300 * 300), { path: rawFile('nz-array.bin', b300.logits!, 0), byteOffset: 0 },
      b300.labels, 300, inArray);
    expect(sortedCells(inArray)).toBeUndefined();
    const [wide, few] = [100, 5000];
    const many = batch(rng(7), few, wide);
    const past = createNonzeroCells(wide);
    const got = new Float64Array(wide * wide);
    cpuUpdateFromFile(got, { path: rawFile('nz-past.bin', many.logits!, 0), byteOffset: 0 },
      labelsFile('nz-past-labels.bin', many.labels as Int32Array), wide, past);
    expect(nonzeroOf(got).length).toBeGreaterThan((wide * wide) / 16);
    expect(sortedCells(past)).toBeUndefined();
  });
});
