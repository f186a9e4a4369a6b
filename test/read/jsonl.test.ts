import { copyFile, type FileHandle, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvError } from '../../src/read/csv.js';
import { readNpyFile } from '../../src/read/npy-file.js';
import { NpyError } from '../../src/read/npy.js';
import { type ArraySource, openArray, type OpenArrayOptions } from '../../src/read/open-array.js';
import { rng } from '../helpers/random.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const FIXTURE = 'test/fixtures/jsonl/digits';
const { fresh } = tempDirs('confmat-jsonl-');

/** Every item of every chunk, checking the chunks are consecutive and within `rowsPerChunk` rows. */
async function collect(src: ArraySource, rowsPerChunk: number): Promise<unknown[]> {
  const out: unknown[] = [];
  let next = 0;
  for await (const { start, data } of src.chunks(rowsPerChunk)) {
    expect(start).toBe(next);
    const rows = data.length / src.rowLength;
    expect(rows >= 1 && rows <= rowsPerChunk).toBe(true);
    next += rows;
    out.push(...Array.from(data as ArrayLike<unknown>));
  }
  expect(next).toBe(src.rows);
  return out;
}

async function read(spec: string, options: OpenArrayOptions = {}, rowsPerChunk = 7) {
  const src = await openArray(spec, options);
  try {
    const first = await collect(src, rowsPerChunk);
    expect(await collect(src, 1000)).toEqual(first);
    return { src, values: first };
  } finally {
    await src.close();
  }
}

async function jsonl(text: string, name = 'x.jsonl'): Promise<string> {
  const path = join(fresh(), name);
  await writeFile(path, text);
  return path;
}

describe('JSON Lines', () => {
  it('reads logits, labels and predictions as the .npy files written with them hold, in any chunking', async () => {
    const npy = async (what: string) => Array.from((await readNpyFile(`${FIXTURE}.${what}.npy`)).data, Number);
    const logits = await read(`${FIXTURE}.jsonl:logits`, { role: 'logits' });
    expect([logits.src.kind, logits.src.dtype, logits.src.shape]).toEqual(['f', 'f4', [450, 10]]);
    expect(logits.values).toEqual(await npy('logits'));
    const labels = await read(`${FIXTURE}.jsonl:label`, { role: 'labels' }, 64);
    expect([labels.src.kind, labels.src.dtype, labels.src.shape]).toEqual(['i', 'i4', [450]]);
    expect(labels.values).toEqual(await npy('labels'));
    expect((await read(`${FIXTURE}.jsonl:pred`, { role: 'labels' }, 450)).values).toEqual(await npy('preds'));
    const wide = await read(`${FIXTURE}.jsonl:logits`);
    expect([wide.src.dtype, wide.values]).toEqual(['f8', await npy('logits')]);
  });

  it('reads a string field as kind s, string[] chunks (labels only)', async () => {
    const { src, values } = await read(`${FIXTURE}.jsonl:name`, { role: 'labels' });
    expect([src.kind, src.dtype, src.shape]).toEqual(['s', 'str', [450]]);
    expect(values.slice(0, 3)).toEqual(['six', 'eight', 'three']);
    await expect(openArray(`${FIXTURE}.jsonl:name`, { role: 'logits' })).rejects.toThrow(
      /digits\.jsonl:1:\d+: field 'name' holds a string \("six"\); expected an array of numbers/,
    );
  });

  it('takes .ndjson, sniffs a first {, skips a BOM and trailing blank lines, takes the only field', async () => {
    const text = '{"y": 1}\r\n{"y": 0}\n{"y": 2}\n\n  \n';
    for (const path of [await jsonl(text, 'y.ndjson'), await jsonl(`\ufeff${text}`, 'y.log')]) {
      expect((await read(path, { role: 'labels' }, 2)).values).toEqual([1, 0, 2]);
    }
    const copy = join(fresh(), 'digits');
    await copyFile(`${FIXTURE}.jsonl`, copy);
    expect((await read(`${copy}:label`, { role: 'labels' })).values.slice(0, 3)).toEqual([6, 8, 3]);
  });

  it('reads numbers as logits (scores) as float32 (N, 1), and as weights (no role) as float64 (N,)', async () => {
    const path = await jsonl('{"s": 0.25}\n{"s": -3}\n{"s": 1e-50}\n');
    const scores = await read(path, { role: 'logits' }, 2);
    expect([scores.src.dtype, scores.src.shape, scores.values]).toEqual(['f4', [3, 1], [0.25, -3, 0]]);
    const weights = await read(path);
    expect([weights.src.dtype, weights.src.shape, weights.values]).toEqual(['f8', [3], [0.25, -3, 1e-50]]);
  });

  it.each([['a blank line inside', '{"y": 1}\n\n{"y": 0}\n', /x\.jsonl:2:1: blank line before line 3/], ['invalid JSON',
    '{"y": 1}\n{"y": 1 "z": 2}\n', /x\.jsonl:2:9: not valid JSON/], ['a line not an object', '{"y": 1}\n  7\n',
    /x\.jsonl:2:3: expected one JSON object per line, found a number/], ['a missing field', '{"y": 1}\n{"z": 1}\n',
    /x\.jsonl:2:1: no field 'y' \(the object has fields 'z'\)/], ['a string after numbers',
    '{"y": 1}\n{"a": [1], "y": "1"}\n', /x\.jsonl:2:17: field 'y': expected a number, found a string \("1"\)/], [
    'a number after strings',
    '{"y": "cat"}\n{"y": 1}\n',
    /x\.jsonl:2:7: field 'y': expected a string, found a/,
  ], ['a fraction', '{"y": 1}\n{"y": 1.5}\n', /x\.jsonl:2:7: field 'y': label 1\.5 is not an integer/], ['beyond int32',
    '{"y": 1}\n{"y": -2147483649}\n', /x\.jsonl:2:7: field 'y': label -2147483649 is outside/], ['beyond float64',
    '{"y": 1}\n{"y": -1e999}\n', /x\.jsonl:2:7: field 'y': -1e999 is beyond the float64 range/], ['Infinity',
    '{"y": 1}\n{"y": -Infinity}\n', /x\.jsonl:2:7: non-finite value -Infinity/], ['an array of labels', '{"y": [1]}\n',
    /x\.jsonl:1:7: field 'y' holds an array; labels and predictions/], ['a UTF-16 file', '\ufeff{"y": 1}\n',
    /byte 0: the file is UTF-16/, 'utf16le']])('labels: %s', async (_, text, message, encoding?: string) => {
      const path = await jsonl(text);
      if (encoding) await writeFile(path, Buffer.from(text, encoding as BufferEncoding));
      await expect(read(`${path}:y`, { role: 'labels' })).rejects.toThrow(message);
    });

  it.each([['ragged, short', '{"x": [1, 2]}\n{"x": [1]}\n', /x\.jsonl:2:9: field 'x': 1 number, but line 1 has 2/], [
    'ragged, long',
    '{"x": [1, 2]}\n{"x": [1,2 , 3]}\n',
    /x\.jsonl:2:14: field 'x': 3 numbers, but line 1 has 2/,
  ], ['null inside', '{"x": [1, 2]}\n{"x": [1, null]}\n',
    /x\.jsonl:2:11: field 'x'\[1\]: expected a number, found null/], ['NaN', '{"x": [1, 2]}\n{"x": [NaN, 1]}\n',
    /x\.jsonl:2:8: non-finite value NaN/], ['a duplicated key: the last counts',
    '{"x": [1, 2]}\n{"x": [1, 2], "x": [true, 1]}\n', /x\.jsonl:2:21: field 'x'\[0\]: expected a number, found true/]])(
      'logits: %s',
      async (_, text, message) => {
        await expect(read(await jsonl(text), { role: 'logits' })).rejects.toThrow(message);
      },
    );

  it('quotes a 1000-digit number clipped', async () => {
    const path = await jsonl(`{"y": 1}\n{"y": 1${'0'.repeat(999)}}\n`);
    await expect(read(path, { role: 'labels' })).rejects.toThrow(
      /x\.jsonl:2:7: field 'y': 10{39}\.\.\. is beyond the float64/,
    );
  });

  it('errors are CsvErrors with the line, column and byte; whole-file problems NpyErrors', async () => {
    const path = await jsonl('{"y": 1}\n{"y": "é", "z": 1}\n{"y": 2}\n');
    const bad = await read(path, { role: 'labels' }).catch((e) => e);
    expect(bad).toBeInstanceOf(CsvError);
    expect([bad.line, bad.column, bad.offset]).toEqual([2, 7, 15]);
    const unnamed = await openArray(await jsonl('{"a": 1, "b": 2}\n')).catch((e) => e);
    expect(unnamed).toBeInstanceOf(NpyError);
    expect(unnamed.message).toMatch(
      /x\.jsonl: name the field to read, as \S+x\.jsonl:FIELD \(line 1 has fields 'a', 'b'\)/,
    );
    await expect(openArray(await jsonl(''))).rejects.toThrow(/byte 0: empty file: no JSON lines/);
    await expect(openArray(await jsonl('\n \n'))).rejects.toThrow(/byte 0: no data: the file holds only blank lines/);
  });

  it('reads values nested 100,000 deep in other fields, and locates one in the field, without a stack overflow',
    async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const path = await jsonl(`{"y": 1, "z": ${deep}}\n{"y": 0, "z": {"a": ${deep}}}\n`);
      expect((await read(`${path}:y`, { role: 'labels' })).values).toEqual([1, 0]);
      const inField = await jsonl(`{"x": [1, 2]}\n{"x": [1, ${deep}]}\n`);
      await expect(read(inField, { role: 'logits' })).rejects.toThrow(
        /2:11: field 'x'\[1\]: expected a number, found an/,
      );
    });

  it('a file with more lines at the second pass is refused, naming the line', async () => {
    const path = await jsonl('{"y": 1}\n{"y": 0}\n');
    const src = await openArray(path, { role: 'labels' });
    await writeFile(path, '{"y":1}\n{"y":0}\n1\n');
    await expect(collect(src, 10)).rejects.toThrow(
      /x\.jsonl:3:1: more lines than the 2 counted when the file was opened/,
    );
    await src.close();
  });

  it('fuzz: 300 mutated files each read whole or refused with a located error (seed 16)', async () => {
    const rand = rng(16);
    const base = Buffer.from(
      '{"y": 1, "x": [0.5, -1e3, 2], "s": "a\\"b"}\n{"y": 0, "x": [1, 2, 3], "s": "c"}\n'.repeat(3),
    );
    const pick = (n: number): number => Math.floor(rand() * n);
    const bytes = [...'{}[],:"\\ \n\r0-.eEnNaI'].map((c) => c.charCodeAt(0)).concat([0, 0xff, 0xc3]);
    const dir = fresh();
    let [read, refused] = [0, 0];
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(base);
      for (let k = 1 + pick(3); k > 0; k--) b[pick(b.length)] = bytes[pick(bytes.length)]!;
      const path = join(dir, `f${i}.jsonl`);
      await writeFile(path, rand() < 0.2 ? b.subarray(0, pick(b.length)) : b);
      for (const [field, role] of [['y', 'labels'], ['x', 'logits'], ['s', 'labels']] as const) {
        try {
          const src = await openArray(`${path}:${field}`, { role });
          try {
            await collect(src, 1 + pick(4));
          } finally {
            await src.close();
          }
          read++;
        } catch (e) {
          if (!(e instanceof NpyError)) throw e;
          expect(e.message).toMatch(/^\S+f\d+\.jsonl(:\d+:\d+|: byte \d+)?: \S/);
          refused++;
        }
      }
    }
    expect(read).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(600);
  });
});

describe('JSON Lines: fields of one file read together', () => {
  /** Chunks of every source, one of each in turn (as `confmat eval` reads), flattened per source. */
  async function lockstep(sources: ArraySource[], rowsPerChunk: number): Promise<unknown[][]> {
    const its = sources.map((s) => s.chunks(rowsPerChunk)[Symbol.asyncIterator]());
    const out: unknown[][] = sources.map(() => []);
    for (;;) {
      const steps = [];
      for (const it of its) steps.push(await it.next());
      if (steps.every((s) => s.done)) return out;
      steps.forEach((s, k) => out[k]!.push(...Array.from(s.value!.data as ArrayLike<unknown>)));
    }
  }
  const fh = (src: ArraySource): FileHandle => (src as unknown as { init: { fh: FileHandle } }).init.fh;

  it('one parse serves both: the second source reads nothing itself (its file closed under it)', async () => {
    const npy = async (what: string) => Array.from((await readNpyFile(`${FIXTURE}.${what}.npy`)).data, Number);
    for (const rowsPerChunk of [7, 64, 450, 1000]) {
      const logits = await openArray(`${FIXTURE}.jsonl:logits`, { role: 'logits' });
      const labels = await openArray(`${FIXTURE}.jsonl:label`, { role: 'labels' });
      const names = await openArray(`${FIXTURE}.jsonl:name`, { role: 'labels' });
      await fh(labels).close();
      await fh(names).close();
      const [x, y, s] = await lockstep([logits, labels, names], rowsPerChunk);
      expect(x).toEqual(await npy('logits'));
      expect(y).toEqual(await npy('labels'));
      expect(s!.slice(0, 3)).toEqual(['six', 'eight', 'three']);
      for (const src of [logits, labels, names]) await src.close();
    }
  });

  it('a pass alone reads for itself, and one after a bad line of its field finds it (line and column)', async () => {
    const path = await jsonl('{"y": 1, "x": [1, 2]}\n{"y": 0, "x": [3, 4]}\n{"y": 0.5, "x": [5, 6]}\n');
    const [x, y] = [await openArray(`${path}:x`, { role: 'logits' }), await openArray(`${path}:y`, { role: 'labels' })];
    expect(await collect(y, 1).catch((e) => e.message)).toMatch(/x\.jsonl:3:7: field 'y': label 0\.5 is not an/);
    await expect(lockstep([x, y], 1)).rejects.toThrow(/x\.jsonl:3:7: field 'y': label 0\.5 is not an integer/);
    expect((await lockstep([x], 2))[0]).toEqual([1, 2, 3, 4, 5, 6]);
    for (const src of [x, y]) await src.close();
  });

  it('a second source of a changed file counts its lines again', async () => {
    const path = await jsonl('{"y": 1}\n{"y": 0}\n');
    const a = await openArray(`${path}:y`, { role: 'labels' });
    await writeFile(path, '{"y":1}\n{"y":0}\n{"y":2}\n');
    const b = await openArray(`${path}:y`, { role: 'labels' });
    expect([a.rows, b.rows]).toEqual([2, 3]);
    for (const src of [a, b]) await src.close();
  });
});

describe('JSON Lines: the queue of rows read for another pass', () => {
  it('is bounded: beyond it the pass reads for itself, skipping the rows it was given', async () => {
    const { openJsonlArray } = await import('../../src/read/jsonl.js');
    const path = await jsonl(Array.from({ length: 6 }, (_, k) => `{"y": ${k}, "x": [${k}, 0.5]}\n`).join(''));
    const open = (field: string, queueItems?: number) =>
      openJsonlArray(path, { spec: `${path}:${field}`, role: field === 'y' ? 'labels' : 'logits', field, queueItems });
    for (const [queueItems, readsItself] of [[2, true], [undefined, false]] as const) {
      const [x, y] = [await open('x'), await open('y', queueItems)];
      const ys = y.chunks(4);
      expect(await collect(x, 6)).toEqual([0, 0.5, 1, 0.5, 2, 0.5, 3, 0.5, 4, 0.5, 5, 0.5]);
      const got: number[] = [];
      for await (const { data } of ys) got.push(...Array.from(data as Int32Array));
      expect(got).toEqual([0, 1, 2, 3, 4, 5]);
      const again = y.chunks(4);
      await collect(x, 6);
      await (y as unknown as { init: { fh: FileHandle } }).init.fh.close();
      const rest = await (async () => {
        for await (const _ of again) void _;
      })().then(() => false, () => true);
      expect(rest).toBe(readsItself);
      for (const src of [x, y]) await src.close();
    }
  });
});
