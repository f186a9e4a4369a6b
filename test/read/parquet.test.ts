import fc from 'fast-check';
import { parquetMetadata } from 'hyparquet';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpyFile } from '../../src/read/npy-file.js';
import { NpyError, type NumericArray } from '../../src/read/npy.js';
import { type ArraySource, type ChunkData, openArray, parseArraySpec, sliceRows } from '../../src/read/open-array.js';

const DIR = fileURLToPath(new URL('../fixtures/parquet/', import.meta.url));
const BAD = fileURLToPath(new URL('../fixtures/bad/', import.meta.url));
const EVAL = join(DIR, 'eval-snappy.parquet');
const NAMES = ['cat', 'dog', 'eel', 'fox'];
/** A new seed each run (printed by fast-check on failure); CONFMAT_FUZZ_SEED=N replays one. */
const SEED = Number(process.env.CONFMAT_FUZZ_SEED ?? Date.now() % 2 ** 31);

let labels: number[] = [];
let preds: number[] = [];
let logits: number[] = [];
let tmp = '';
beforeAll(async () => {
  const num = (a: NumericArray) => Array.from(a as ArrayLike<number>, Number);
  labels = num((await readNpyFile(join(DIR, 'eval-labels.npy'))).data);
  preds = num((await readNpyFile(join(DIR, 'eval-preds.npy'))).data);
  logits = num((await readNpyFile(join(DIR, 'eval-logits.npy'))).data);
  tmp = await mkdtemp(join(tmpdir(), 'confmat-parquet-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** Every chunk of `src` (checked consecutive, full but for the last, absolute starts from `from`), as values. */
async function collect(chunks: AsyncIterable<{ start: number; data: ChunkData }>, width: number, per: number, from = 0,
  to?: number): Promise<{ values: unknown[]; ctors: Set<string>; chunks: number }> {
  const values: unknown[] = [];
  const ctors = new Set<string>();
  let next = from;
  let n = 0;
  for await (const { start, data } of chunks) {
    expect(start).toBe(next);
    const rows = data.length / width;
    if (to !== undefined) expect(rows).toBe(Math.min(per, to - start));
    next += rows;
    n++;
    ctors.add(data.constructor.name);
    values.push(...Array.from(data as ArrayLike<unknown>));
  }
  if (to !== undefined) expect(next).toBe(to);
  return { values, ctors, chunks: n };
}

async function readAll(spec: string, per = 1000, role?: 'logits' | 'labels') {
  const src = await openArray(spec, role ? { role } : {});
  try {
    const got = await collect(src.chunks(per), src.rowLength, per, 0, src.rows);
    return { src, ...got };
  } finally {
    await src.close();
  }
}

async function rejects(p: Promise<unknown>, file: string, ...parts: Array<string | RegExp>): Promise<void> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'expected a rejection').toBeInstanceOf(NpyError);
  expect((e as NpyError).file).toBe(file);
  for (const part of parts) {
    if (typeof part === 'string') expect((e as Error).message).toContain(part);
    else expect((e as Error).message).toMatch(part);
  }
}

async function drain(spec: string, per = 1000): Promise<void> {
  const src = await openArray(spec);
  try {
    for await (const _ of src.chunks(per)) void _;
  } finally {
    await src.close();
  }
}

describe('Parquet columns read back equal to the .npy twins (DuckDB-written, 3 row groups)', () => {
  const big = (v: number) => BigInt(v);
  it.each(
    [['label', 'i4', 'i', 'Int32Array', () => labels], ['label64', 'i8', 'i', 'BigInt64Array', () => labels.map(big)], [
      'label_u8',
      'u1',
      'u',
      'Uint8Array',
      () => labels,
    ], ['label_i16', 'i2', 'i', 'Int16Array', () => labels], ['label_u64', 'u8', 'u', 'BigUint64Array', () =>
      labels.map(big)], ['pred', 'i4', 'i', 'Int32Array', () => preds], ['hit', 'b1', 'b', 'Uint8Array', () =>
      labels.map((y, i) => Number(y === preds[i]))]] as const,
  )('%s: %s', async (col, dtype, kind, ctor, want) => {
    for (const per of [1, 999, 2048, 5000]) {
      const got = await readAll(`${EVAL}:${col}`, per, 'labels');
      expect([got.src.dtype, got.src.kind, got.src.shape, got.src.rowLength]).toEqual([dtype, kind, [4200], 1]);
      expect([...got.ctors]).toEqual([ctor]);
      expect(got.values).toEqual(want());
    }
  });

  it('a string column is kind s, dtype str, string[] chunks (dictionary-encoded)', async () => {
    const got = await readAll(`${EVAL}:name`, 1000, 'labels');
    expect([got.src.dtype, got.src.kind, got.src.shape]).toEqual(['str', 's', [4200]]);
    expect([...got.ctors]).toEqual(['Array']);
    expect(got.values).toEqual(labels.map((y) => NAMES[y]));
    expect((await readAll(`${EVAL}:pred_name`, 4200)).values).toEqual(preds.map((y) => NAMES[y]));
  });

  it.each(
    [['logits', 'f4', 'Float32Array'], ['logits_arr', 'f4', 'Float32Array'], ['logits64', 'f8', 'Float64Array'], [
      'l0,l1,l2,l3',
      'f4',
      'Float32Array',
    ], ['l0,l1,l2,l3d', 'f8', 'Float64Array']] as const,
  )('logits %s: (N, C) %s', async (col, dtype, ctor) => {
    for (const per of [1, 7, 2048, 3000, 5000]) {
      const got = await readAll(`${EVAL}:${col}`, per, 'logits');
      expect([got.src.dtype, got.src.kind, got.src.shape, got.src.rowLength]).toEqual([dtype, 'f', [4200, 4], 4]);
      expect([...got.ctors]).toEqual([ctor]);
      expect(got.values).toEqual(logits);
    }
  });

  it.each([['snappy', 'SNAPPY'], ['zstd', 'ZSTD'], ['gzip', 'GZIP'], ['none', 'UNCOMPRESSED']])('%s compression',
    async (name, codec) => {
      const file = join(DIR, `eval-${name}.parquet`);
      const meta = parquetMetadata(readFileSync(file));
      expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([2048, 2048, 104]);
      expect(new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))).toEqual(
        new Set([codec]),
      );
      expect((await readAll(`${file}:label`, 3000)).values).toEqual(labels);
      expect((await readAll(`${file}:logits`, 3000)).values).toEqual(logits);
      expect((await readAll(`${file}:name`, 3000)).values).toEqual(labels.map((y) => NAMES[y]));
    });
});

describe('encodings: PLAIN, version 2 pages (DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT)', () => {
  it.each([['eval-plain.parquet', 'PLAIN'], ['eval-v2.parquet', 'DELTA_BINARY_PACKED'], ['eval-v2-dict.parquet',
    'RLE_DICTIONARY']])('%s (%s)', async (name, encoding) => {
      const file = join(DIR, name);
      const meta = parquetMetadata(readFileSync(file));
      expect(meta.row_groups[0]!.columns[0]!.meta_data!.encodings).toContain(encoding);
      expect((await readAll(`${file}:label`, 3000)).values).toEqual(labels);
      expect((await readAll(`${file}:label64`, 999)).values).toEqual(labels.map(BigInt));
      expect((await readAll(`${file}:name`, 3000)).values).toEqual(labels.map((y) => NAMES[y]));
      expect((await readAll(`${file}:logits`, 3000)).values).toEqual(logits);
      expect((await readAll(`${file}:l0,l1,l2,l3`, 2048)).values).toEqual(logits);
      for (const [start, end] of [[2040, 2060], [4100, 4200], [5, 6]] as const) {
        for (const [col, w, want] of [['label', 1, labels], ['logits', 4, logits]] as const) {
          const src = await openArray(`${file}:${col}`);
          const got = await collect(src.rangeChunks!(start, end, 7), w, 7, start, end);
          await src.close();
          expect(got.values).toEqual(want.slice(start * w, end * w));
        }
      }
    });
});

describe('row ranges (shards) across row-group edges', () => {
  it.each([[0, 4200], [2040, 2060], [2048, 4096], [4000, 4200], [4100, 4200], [10, 11], [2048, 2048]])('rows [%i, %i)',
    async (start, end) => {
      const src = await openArray(`${EVAL}:logits`);
      try {
        for (const per of [1, 5, 2048]) {
          const got = await collect(src.rangeChunks!(start, end, per), 4, per, start, end);
          expect(got.values).toEqual(logits.slice(start * 4, end * 4));
          const slice = sliceRows(src, start, end);
          const rel = await collect(slice.chunks(per), 4, per, 0, end - start);
          expect(rel.values).toEqual(got.values);
        }
      } finally {
        await src.close();
      }
      const flat = await openArray(`${join(DIR, 'eval-none.parquet')}:label`);
      try {
        for (const per of [1, 5, 2048]) {
          const got = await collect(flat.rangeChunks!(start, end, per), 1, per, start, end);
          expect(got.values).toEqual(labels.slice(start, end));
        }
      } finally {
        await flat.close();
      }
    });

  it('refuses ranges outside the rows and bad chunk sizes', async () => {
    const src = await openArray(`${EVAL}:label`);
    expect(() => src.rangeChunks!(0, 4201, 10)).toThrow(RangeError);
    expect(() => src.rangeChunks!(5, 4, 10)).toThrow(RangeError);
    expect(() => src.chunks(0)).toThrow(RangeError);
    await src.close();
    await src.close();
    expect(() => src.chunks(10)).toThrow(/reader is closed/);
  });
});

describe('specs', () => {
  it('`.parquet:col` by extension; other names by the PAR1 magic', async () => {
    expect(await parseArraySpec(`${EVAL}:l0,l1`)).toEqual({ path: EVAL, name: 'l0,l1', format: 'parquet' });
    const bin = join(tmp, 'data.bin');
    await copyFile(join(DIR, 'eval-none.parquet'), bin);
    expect(await parseArraySpec(`${bin}:label`)).toEqual({ path: bin, name: 'label', format: 'parquet' });
    expect((await readAll(`${bin}:label`)).values).toEqual(labels);
  });
});

describe('errors name the file and where', () => {
  it('a file too short, without PAR1 at either end, or with a footer length past its start', async () => {
    const bytes = readFileSync(join(BAD, 'ok-eval.parquet'));
    const write = async (name: string, b: Uint8Array) => {
      const p = join(tmp, name);
      await writeFile(p, b);
      return p;
    };
    const short = await write('short.parquet', Buffer.from('PAR1PAR1'));
    await rejects(openArray(`${short}:label`), short, 'byte 0: not a Parquet file: 8 bytes');
    const t = join(BAD, 'pq-truncated.parquet');
    await rejects(openArray(`${t}:label`), t, /byte \d+: the file does not end with 'PAR1'.*truncated file\?/);
    const m = join(BAD, 'pq-bad-magic.parquet');
    await rejects(openArray(`${m}:label`), m, "byte 0: not a Parquet file: starts with 0x50 41 52 30, not 'PAR1'");
    const long = Buffer.from(bytes);
    long.writeUInt32LE(bytes.length, bytes.length - 8);
    const l = await write('long.parquet', long);
    await rejects(openArray(`${l}:label`), l, `byte ${bytes.length - 8}: footer length ${bytes.length} is more than`);
    const garbage = Buffer.from(bytes);
    const len = bytes.readUInt32LE(bytes.length - 8);
    garbage.fill(0xff, bytes.length - 8 - len, bytes.length - 8);
    const g = await write('garbage.parquet', garbage);
    await rejects(openArray(`${g}:label`), g, `byte ${bytes.length - 8 - len}: cannot read the footer`);
  });

  it('a missing column lists the columns; several columns need a name', async () => {
    const f = join(BAD, 'ok-eval.parquet');
    await rejects(openArray(`${f}:nope`), f, "no column 'nope' in the file; it holds 'label', 'name', 'logits'");
    await rejects(openArray(`${f}:label,nope`), f, "no column 'nope'");
    await rejects(openArray(f), f, `choose a column with ${f}:COLUMN`);
  });

  it('strings as logits, lists or integers among several columns', async () => {
    const f = join(BAD, 'ok-eval.parquet');
    await rejects(openArray(`${f}:name`, { role: 'logits' }), f, "column 'name' holds strings",
      'logits must be floats');
    await rejects(openArray(`${EVAL}:l0,label`), EVAL, "column 'label' holds INT32", 'must be FLOAT or DOUBLE');
    await rejects(openArray(`${EVAL}:l0,logits`), EVAL, "column 'logits' holds lists");
  });

  it('nulls: the row, its row group and row there', async () => {
    const f = join(BAD, 'pq-nulls.parquet');
    await rejects(drain(`${f}:label`), f, "column 'label': row 2050 (row group 1, row 2 of the group) is null");
    await rejects(drain(`${f}:logits`, 7), f,
      "column 'logits': row 2060 (row group 1, row 12 of the group) item 1 is null");
    await rejects(openArray(`${f}:logits_null_row`), f,
      "column 'logits_null_row': row 7 (row group 0, row 7 of the group) is null");
  });

  it('ragged lists: at open when the footer counts disagree, else as the row is read', async () => {
    const f = join(BAD, 'pq-ragged.parquet');
    const src = await openArray(`${f}:logits`);
    expect(src.shape).toEqual([2100, 4]);
    await src.close();
    await rejects(drain(`${f}:logits`), f,
      "column 'logits': row 2050 (row group 1, row 2 of the group) holds 3 values, not 4");
    await rejects(openArray(`${f}:logits_short`), f,
      "column 'logits_short': row 2052 (row group 1, row 4 of the group) holds 3 values, not 4");
  });

  it('fuzz: a corrupted file is read or refused with an NpyError naming it, nothing else (no abort)', async () => {
    const files = ['eval-zstd.parquet', 'eval-snappy.parquet', 'eval-none.parquet', 'eval-v2.parquet',
      'eval-plain.parquet', 'eval-v2-dict.parquet'].map((f) => readFileSync(join(DIR, f)));
    const p = join(tmp, 'fuzz.parquet');
    const columns = [[0, 'label'], [0, 'logits'], [0, 'name'], [1, 'label64'], [1, 'logits_arr'], [1, 'hit'], [1,
      'l0,l1,l2,l3'], [2, 'logits'], [2, 'label'], [3, 'label'], [3, 'logits'], [3, 'name'], [4, 'label64'], [4,
      'logits'], [5, 'label'], [5, 'logits'], [5, 'name']] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...columns),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }), async ([f, col], edits) => {
        const bad = Buffer.from(files[f]!);
        for (const [at, v] of edits) bad[at % bad.length] = v;
        await writeFile(p, bad);
        const e = await drain(`${p}:${col}`, 1500).then(() => undefined, (x: unknown) => x);
        if (e !== undefined) {
          expect(e).toBeInstanceOf(NpyError);
          expect((e as NpyError).file).toBe(p);
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  }, 120_000);
});

describe('memory: a row group at a time', () => {
  it('reads only the bytes of the row groups a range needs', async () => {
    const file = join(DIR, 'eval-none.parquet');
    const meta = parquetMetadata(readFileSync(file));
    const src: ArraySource = await openArray(`${file}:logits`);
    const fh = (src as unknown as { fh: { read: (...a: unknown[]) => Promise<{ bytesRead: number }> } }).fh;
    const read = fh.read.bind(fh);
    const positions: number[] = [];
    fh.read = (...a: unknown[]) => {
      positions.push(a[3] as number);
      return read(...a);
    };
    try {
      await collect(src.rangeChunks!(4100, 4200, 50), 4, 50, 4100, 4200);
    } finally {
      await src.close();
    }
    const group2 = Number(meta.row_groups[2]!.columns[2]!.meta_data!.data_page_offset);
    expect(positions.length).toBeGreaterThan(0);
    expect(Math.min(...positions)).toBeGreaterThanOrEqual(
      Math.min(group2, Number(meta.row_groups[2]!.columns[2]!.meta_data!.dictionary_page_offset ?? group2)),
    );
  });
});
