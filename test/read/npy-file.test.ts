import { mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpyFileReader, openNpyFile, readNpyFile } from '../../src/read/npy-file.js';
import { decodeNpyItems, encodeNpy, fortranToCOrder, NpyError, type NpyHeader, type NumericArray, parseNpy,
  parseNpyHeader } from '../../src/read/npy.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confmat-npy-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
async function writeTmp(bytes: Uint8Array, name = `f${fileNo++}.npy`): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

function bytesOf(a: NumericArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A .npy file with a verbatim header, padded like numpy (64-byte aligned data) unless `pad` is false. */
function rawNpy(dict: string, data: ArrayLike<number> = [], version = 1, pad = true): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let header = dict;
  if (pad) header += ' '.repeat((64 - ((pre + dict.length + 1) % 64)) % 64) + '\n';
  const hb = version === 3 ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const out = new Uint8Array(pre + hb.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, hb.length, true);
  else dv.setUint32(8, hb.length, true);
  out.set(hb, pre);
  out.set(Array.from(data), pre + hb.length);
  return out;
}

const dict = (descr: string, shape: string, fortran = false) =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;

const shapeText = (shape: readonly number[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/** Concatenates chunks after checking they are consecutive and within the chunk size. */
async function collect(reader: NpyFileReader,
  rowsPerChunk: number): Promise<{ data: Uint8Array; chunks: number; ctor: unknown }> {
  const parts: Uint8Array[] = [];
  let next = 0;
  let ctor: unknown;
  for await (const { start, data } of reader.chunks(rowsPerChunk)) {
    expect(start).toBe(next);
    expect(data.length % reader.rowLength === 0 || reader.rowLength === 0).toBe(true);
    const rows = reader.rowLength === 0 ? Math.min(rowsPerChunk, reader.rows - start) : data.length / reader.rowLength;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(rowsPerChunk);
    if (start + rows < reader.rows) expect(rows).toBe(rowsPerChunk);
    ctor ??= data.constructor;
    expect(data.constructor).toBe(ctor);
    parts.push(bytesOf(data as NumericArray).slice());
    next = start + rows;
  }
  expect(next).toBe(reader.rows);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { data: out, chunks: parts.length, ctor };
}

async function rejection(p: Promise<unknown>): Promise<NpyError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(NpyError);
  return e as NpyError;
}

// ---------------------------------------------------------------------------

const makers: Array<[string, (n: number) => NumericArray]> = [['f4',
  (n) => Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? -0 : i % 7 === 3 ? NaN : i * 1.25 - 20))], ['f8',
  (n) => Float64Array.from({ length: n }, (_, i) => (i % 9 === 1 ? -Infinity : Math.PI * i - 1e10))], ['i1',
  (n) => Int8Array.from({ length: n }, (_, i) => (i * 37) % 256 - 128)], ['i2',
  (n) => Int16Array.from({ length: n }, (_, i) => (i * 7919) % 65536 - 32768)], ['i4',
  (n) => Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0)], ['i8',
  (n) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 0x0102030405060708n - (1n << 62n))], ['u1',
  (n) => Uint8Array.from({ length: n }, (_, i) => (i * 31) % 256)], ['u2',
  (n) => Uint16Array.from({ length: n }, (_, i) => (i * 40503) % 65536)], ['u4',
  (n) => Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0)], ['u8',
  (n) => BigUint64Array.from({ length: n }, (_, i) => (BigInt(i) * 0xfedcba9876543210n) % (1n << 64n))]];

describe('openNpyFile chunks and readRows reassemble to parseNpy', () => {
  const shapes: number[][] = [[24, 3], [24], [6, 2, 2], [23, 5], [1, 4]];
  const chunkSizes = [1, 7, 4, 12, 24, 1000];
  for (const [name, make] of makers) {
    for (const bigEndian of [false, true]) {
      it(`${name} ${bigEndian ? 'big' : 'little'}-endian`, async () => {
        for (const shape of shapes) {
          const n = shape.reduce((a, b) => a * b, 1);
          const bytes = encodeNpy(make(n), shape, { bigEndian });
          const want = parseNpy(bytes, 'x.npy');
          const p = await writeTmp(bytes);
          const reader = await openNpyFile(p);
          try {
            expect(reader.file).toBe(p);
            expect(reader.header.shape).toEqual(shape);
            expect(reader.header.descr).toBe(want.descr);
            expect(reader.rows).toBe(shape[0]);
            expect(reader.rowLength).toBe(n / shape[0]!);
            for (const size of chunkSizes) {
              const got = await collect(reader, size);
              expect(got.ctor).toBe(want.data.constructor);
              expect(Buffer.from(got.data).equals(Buffer.from(bytesOf(want.data)))).toBe(true);
              expect(got.chunks).toBe(Math.ceil(reader.rows / size));
            }
            for (const [s, c] of [[0, reader.rows], [Math.min(1, reader.rows - 1), Math.min(2, reader.rows - 1)], [
              reader.rows - 1,
              1,
            ], [reader.rows, 0]] as const) {
              const part = await reader.readRows(s, c);
              expect(part.constructor).toBe(want.data.constructor);
              const rl = reader.rowLength;
              expect(Buffer.from(bytesOf(part)).equals(Buffer.from(bytesOf(want.data.slice(s * rl, (s + c) * rl)))))
                .toBe(true);
            }
          } finally {
            await reader.close();
          }
        }
      });
    }
  }

  it('float16 (both endians) widens to Float32Array, bool normalises to 0/1', async () => {
    const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00, 0x0400, 0x3800, 0xbc00];
    const le = rawNpy(dict('<f2', '(5, 2)'), halves.flatMap((h) => [h & 0xff, h >> 8]));
    const be = rawNpy(dict('>f2', '(5, 2)'), halves.flatMap((h) => [h >> 8, h & 0xff]));
    const bools = rawNpy(dict('|b1', '(4, 3)'), [1, 0, 2, 255, 0, 1, 1, 1, 0, 0, 7, 1]);
    const boolsClean = rawNpy(dict('|b1', '(12,)'), [1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1]);
    for (const bytes of [le, be, bools, boolsClean]) {
      const want = parseNpy(bytes);
      const reader = await openNpyFile(await writeTmp(bytes));
      try {
        for (const size of [1, 2, 3, 5, 7, 100]) {
          const got = await collect(reader, size);
          expect(got.ctor).toBe(want.data.constructor);
          expect(Buffer.from(got.data).equals(Buffer.from(bytesOf(want.data)))).toBe(true);
        }
      } finally {
        await reader.close();
      }
    }
  });

  it('unaligned data offsets and v2/v3 headers', async () => {
    const data = bytesOf(Float64Array.from([0.25, -8, 3, 1e-300, 7, 9]));
    for (const bytes of [rawNpy(dict('<f8', '(3, 2)'), data, 1, false), rawNpy(dict('>f8', '(3, 2)'), data, 2, false),
      rawNpy(`{"descr": '<f8', 'fortran_order': False, 'shape': (3, 2)}  `, data, 3, false)]) {
      const want = parseNpy(bytes);
      const reader = await openNpyFile(await writeTmp(bytes));
      try {
        expect(reader.header.dataOffset).toBe(bytes.length - 48);
        for (const size of [1, 2, 3]) {
          expect(Buffer.from((await collect(reader, size)).data).equals(Buffer.from(bytesOf(want.data)))).toBe(true);
        }
      } finally {
        await reader.close();
      }
    }
  });

  it('0-row arrays give no chunks; zero-width rows give empty chunks; 0-d arrays one row', async () => {
    for (const shape of [[0], [0, 10], [0, 3, 4]]) {
      const reader = await openNpyFile(await writeTmp(encodeNpy(new Float32Array(0), shape)));
      expect(reader.rows).toBe(0);
      const got = await collect(reader, 5);
      expect(got.chunks).toBe(0);
      expect((await reader.readRows(0, 0)).length).toBe(0);
      await reader.close();
    }
    const wide0 = await openNpyFile(await writeTmp(encodeNpy(new Int16Array(0), [5, 0])));
    expect(wide0.rows).toBe(5);
    expect(wide0.rowLength).toBe(0);
    const sizes: number[] = [];
    for await (const c of wide0.chunks(2)) sizes.push(c.data.length, c.start);
    expect(sizes).toEqual([0, 0, 0, 2, 0, 4]);
    await wide0.close();

    const scalar = await openNpyFile(await writeTmp(encodeNpy(Float64Array.of(2.5), [])));
    expect(scalar.rows).toBe(1);
    expect(scalar.rowLength).toBe(1);
    const all: number[] = [];
    for await (const c of scalar.chunks(3)) all.push(c.start, ...(c.data as Float64Array));
    expect(all).toEqual([0, 2.5]);
    await scalar.close();
  });

  it('chunks reuse one buffer (copy to keep) while readRows returns fresh arrays', async () => {
    const reader = await openNpyFile(
      await writeTmp(encodeNpy(Float32Array.from({ length: 40 }, (_, i) => i), [10, 4])),
    );
    try {
      const buffers = new Set<ArrayBufferLike>();
      for await (const { data } of reader.chunks(3)) buffers.add((data as NumericArray).buffer);
      expect(buffers.size).toBe(1);
      const a = await reader.readRows(0, 2);
      const b = await reader.readRows(0, 2);
      expect(a.buffer).not.toBe(b.buffer);
      expect(Array.from(a as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await reader.close();
    }
  });

  it('rejects bad ranges, bad chunk sizes and use after close', async () => {
    const reader = await openNpyFile(await writeTmp(encodeNpy(new Uint8Array(12), [4, 3])));
    await expect(reader.readRows(3, 2)).rejects.toThrow(RangeError);
    await expect(reader.readRows(-1, 1)).rejects.toThrow(RangeError);
    await expect(reader.readRows(0.5, 1)).rejects.toThrow(/not within the 4 rows/);
    expect(() => reader.chunks(0)).toThrow(RangeError);
    expect(() => reader.chunks(1.5)).toThrow(/positive integer/);
    await reader.close();
    await reader.close();
    expect((await rejection(reader.readRows(0, 1))).message).toBe(`${reader.file}: reader is closed`);
    expect(() => reader.chunks(1)).toThrow(/reader is closed/);
  });
});

// ---------------------------------------------------------------------------

describe('Fortran order', () => {
  it('small 2-D/3-D Fortran arrays are read whole once and sliced; 1-D streams as is', async () => {
    for (const shape of [[7, 5], [6, 2, 3], [1, 9], [9, 1]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const bigEndian of [false, true]) {
        const bytes = encodeNpy(Float64Array.from({ length: n }, (_, i) => i * 0.5 - 3), shape, { fortranOrder: true,
          bigEndian });
        const want = parseNpy(bytes);
        const reader = await openNpyFile(await writeTmp(bytes));
        try {
          expect(reader.header.fortranOrder).toBe(true);
          for (const size of [1, 2, 3, 100]) {
            expect(Buffer.from((await collect(reader, size)).data).equals(Buffer.from(bytesOf(want.data)))).toBe(true);
          }
          const rl = reader.rowLength;
          const part = (await reader.readRows(1, reader.rows - 1)) as Float64Array;
          expect(Array.from(part)).toEqual(Array.from((want.data as Float64Array).subarray(rl)));
          part.fill(99);
          expect(Array.from((await reader.readRows(0, reader.rows)) as Float64Array)).toEqual(
            Array.from(want.data as Float64Array),
          );
        } finally {
          await reader.close();
        }
      }
    }
    const one = rawNpy(dict('<i2', '(3,)', true), [1, 0, 2, 0, 3, 0]);
    const r1 = await openNpyFile(await writeTmp(one));
    expect(Array.from((await r1.readRows(1, 2)) as Int16Array)).toEqual([2, 3]);
    await r1.close();
  });

  it('Fortran arrays of 256 MiB or more cannot be streamed by rows', async () => {
    const shape = [67_108_864, 1];
    const bytes = rawNpy(dict('<f4', shapeText(shape), true));
    const p = join(dir, 'fortran-big.npy');
    await writeFile(p, bytes);
    await truncate(p, bytes.length + 4 * 67_108_864);
    const reader = await openNpyFile(p);
    try {
      expect(reader.rows).toBe(67_108_864);
      const e = await rejection(reader.readRows(0, 1));
      expect(e.file).toBe(p);
      expect(e.offset).toBe(bytes.length);
      expect(e.message).toContain(
        'Fortran-order (column-major) array of shape (67108864, 1) (268435456 bytes of <f4) cannot be streamed by rows',
      );
      expect(e.message).toContain('under 256 MiB');
      expect(() => reader.chunks(10)).toThrow(/cannot be streamed by rows/);
    } finally {
      await reader.close();
      await rm(p);
    }
  });
});

// ---------------------------------------------------------------------------

describe('openNpyFile refuses bad files at open', () => {
  it('truncated and padded data, with the file name and sizes', async () => {
    const full = encodeNpy(new Float32Array(10000), [1000, 10]);
    const short = await writeTmp(full.subarray(0, full.length - 4), 'short.npy');
    let e = await rejection(openNpyFile(short));
    expect(e.message).toBe(
      `${short}: byte 128: header says shape (1000, 10) of <f4 = 40000 bytes of data, file has 39996`,
    );
    const longer = new Uint8Array(full.length + 4);
    longer.set(full);
    const padded = await writeTmp(longer, 'padded.npy');
    e = await rejection(openNpyFile(padded));
    expect(e.message).toBe(
      `${padded}: byte 128: header says shape (1000, 10) of <f4 = 40000 bytes of data, file has 40004 (4 extra trailing bytes)`,
    );
    expect(e.file).toBe(padded);
    expect(e.offset).toBe(128);
  });

  it('header problems give the same errors as parseNpy', async () => {
    const cases: Uint8Array[] = [new Uint8Array(0), new TextEncoder().encode('hello'),
      Uint8Array.from([0x93, 0x4e, 0x55]), Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 5]),
      encodeNpy(Float32Array.of(1, 2), [2]).subarray(0, 50), rawNpy(dict('<c8', '(1,)'), new Array(8).fill(0)),
      rawNpy(`{'descr' '<f4'}`),
      rawNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}`, [0, 0, 0, 0])];
    const v4 = encodeNpy(Float32Array.of(1), [1]);
    v4[6] = 4;
    cases.push(v4);
    for (const bytes of cases) {
      const p = await writeTmp(bytes);
      let want: NpyError | undefined;
      try {
        parseNpy(bytes, p);
      } catch (err) {
        want = err as NpyError;
      }
      expect(want).toBeInstanceOf(NpyError);
      const got = await rejection(openNpyFile(p));
      expect(got.message).toBe(want!.message);
      expect(got.offset).toBe(want!.offset);
    }
  });

  it('missing file, directory', async () => {
    const p = join(dir, 'nope.npy');
    const e = await rejection(openNpyFile(p));
    expect(e.message).toBe(`${p}: cannot read: no such file`);
    expect(e.offset).toBeUndefined();
    expect((await rejection(openNpyFile(dir))).message).toBe(`${dir}: cannot read: is a directory`);
  });

  it('reads headers longer than the first 4096 bytes, and refuses ones over 1 MiB', async () => {
    const data = bytesOf(Int32Array.from([1, 2, 3, 4, 5, 6]));
    for (const [version, padTo] of [[1, 60_000], [2, 100_000], [3, 5000]] as const) {
      const d = dict('<i4', '(3, 2)') + ' '.repeat(padTo);
      const bytes = rawNpy(d, data, version);
      const reader = await openNpyFile(await writeTmp(bytes));
      expect(reader.header.dataOffset).toBeGreaterThan(padTo);
      expect(Array.from((await reader.readRows(1, 2)) as Int32Array)).toEqual([3, 4, 5, 6]);
      await reader.close();
    }
    const hugeLen = (1 << 20) + 64;
    const pre = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0]);
    new DataView(pre.buffer).setUint32(8, hugeLen, true);
    const p = await writeTmp(pre, 'huge-header.npy');
    await truncate(p, 12 + hugeLen + 16);
    const e = await rejection(openNpyFile(p));
    expect(e.message).toBe(
      `${p}: byte 8: header length field says ${hugeLen} bytes; headers over 1 MiB (1048576 bytes) are refused`,
    );
    // A header length beyond the end of the file is a truncated header, whatever its size.
    await truncate(p, 5000);
    const t = await rejection(openNpyFile(p));
    expect(t.message).toBe(
      `${p}: byte 8: truncated header: header length field says ${hugeLen} bytes, but only 4988 bytes follow the preamble`,
    );
  });

  it('a file that shrinks after open fails with the byte offset', async () => {
    const bytes = encodeNpy(Float32Array.from({ length: 4000 }, (_, i) => i), [1000, 4]);
    const p = await writeTmp(bytes);
    const reader = await openNpyFile(p);
    try {
      await truncate(p, 128 + 16 * 500 + 8);
      expect(Array.from((await reader.readRows(499, 1)) as Float32Array)).toEqual([1996, 1997, 1998, 1999]);
      const e = await rejection(reader.readRows(490, 20));
      expect(e.offset).toBe(128 + 16 * 500 + 8);
      expect(e.message).toBe(
        `${p}: byte ${128 + 16 * 500 + 8}: unexpected end of file: needed 320 bytes from byte ${
          128 + 16 * 490
        }, got 168 (did the file change after it was opened?)`,
      );
      await expect(collect(reader, 300)).rejects.toThrow(/unexpected end of file/);
    } finally {
      await reader.close();
    }
  });
});

// ---------------------------------------------------------------------------

describe('files over 2 GiB and 4 GiB (sparse)', () => {
  /** Writes a header, then extends the file with truncate (sparse: no disk used). */
  async function sparse(name: string, descr: string, shape: number[],
    itemSize: number): Promise<{ path: string; dataOffset: number }> {
    const head = rawNpy(dict(descr, shapeText(shape)));
    const path = join(tmpdir(), `confmat-${process.pid}-${name}`);
    await writeFile(path, head);
    await truncate(path, head.length + shape.reduce((a, b) => a * b, 1) * itemSize);
    return { path, dataOffset: head.length };
  }

  it('(600_000_000, 1) float32, 2.4 GB', async () => {
    const { path, dataOffset } = await sparse('big-2g.npy', '<f4', [600_000_000, 1], 4);
    try {
      expect((await stat(path)).size).toBe(dataOffset + 2_400_000_000);
      const fh = await open(path, 'r+');
      await fh.write(bytesOf(Float32Array.of(42.5)), 0, 4, dataOffset + 4 * 599_999_999);
      await fh.close();
      const reader = await openNpyFile(path);
      try {
        expect(reader.rows).toBe(600_000_000);
        expect(reader.rowLength).toBe(1);
        expect(reader.header.dataBytes).toBe(2_400_000_000);
        const tail = (await reader.readRows(599_999_000, 1000)) as Float32Array;
        expect(tail).toBeInstanceOf(Float32Array);
        expect(tail.length).toBe(1000);
        expect(Array.from(tail.subarray(0, 999)).every((v) => v === 0)).toBe(true);
        expect(tail[999]).toBe(42.5);
      } finally {
        await reader.close();
      }
    } finally {
      await rm(path, { force: true });
    }
  });

  it('(1_100_000, 1000) float32, 4.4 GB: offsets past 2^32', async () => {
    const { path, dataOffset } = await sparse('big-4g.npy', '<f4', [1_100_000, 1000], 4);
    try {
      const row = 1_099_999;
      const fh = await open(path, 'r+');
      await fh.write(bytesOf(Float32Array.from({ length: 1000 }, (_, i) => i)), 0, 4000, dataOffset + 4000 * row);
      await fh.close();
      expect(dataOffset + 4000 * row).toBeGreaterThan(2 ** 32);
      const reader = await openNpyFile(path);
      try {
        expect(reader.rows).toBe(1_100_000);
        expect(reader.rowLength).toBe(1000);
        const last = (await reader.readRows(row - 1, 2)) as Float32Array;
        expect(Array.from(last.subarray(0, 1000)).every((v) => v === 0)).toBe(true);
        expect(Array.from(last.subarray(1000))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      } finally {
        await reader.close();
      }
    } finally {
      await rm(path, { force: true });
    }
  });
});

// ---------------------------------------------------------------------------

describe('parseNpyHeader / decodeNpyItems / fortranToCOrder', () => {
  it('parses the header from a prefix and checks the file size when given', () => {
    const bytes = encodeNpy(Float32Array.from({ length: 30 }, (_, i) => i), [10, 3], { bigEndian: true });
    const h: NpyHeader = parseNpyHeader(bytes.subarray(0, 128), 'a.npy');
    expect(h).toEqual({ descr: '>f4', kind: 'f', itemSize: 4, shape: [10, 3], fortranOrder: false, dataOffset: 128,
      dataBytes: 120, bigEndian: true });
    expect(parseNpyHeader(bytes, 'a.npy', bytes.length)).toEqual(h);
    expect(() => parseNpyHeader(bytes.subarray(0, 128), 'a.npy', 200)).toThrow(
      'a.npy: byte 128: header says shape (10, 3) of >f4 = 120 bytes of data, file has 72',
    );
    expect(() => parseNpyHeader(bytes.subarray(0, 100), 'a.npy')).toThrow(
      'a.npy: byte 8: truncated header: header length field says 118 bytes, but only 90 bytes follow the preamble',
    );
    expect(() => parseNpyHeader(bytes.subarray(0, 100), 'a.npy', 248)).toThrow(
      'a.npy: byte 8: truncated header: header length field says 118 bytes, but only 90 bytes follow the preamble in the 100 bytes given (file is 248 bytes)',
    );
    expect(() => parseNpyHeader(bytes.subarray(0, 100))).toThrow(/^<buffer>: byte 8: truncated header/);
    expect(parseNpyHeader(rawNpy(dict('|b1', '()'))).dataBytes).toBe(1);
  });

  it('decodes views when it can and copies when it must', () => {
    const h = (descr: string): NpyHeader => parseNpyHeader(rawNpy(dict(descr, '(2,)')));
    const raw = new Uint8Array(16);
    new DataView(raw.buffer).setFloat32(4, 1.5, true);
    new DataView(raw.buffer).setFloat32(8, -2, false);
    const le = decodeNpyItems(h('<f4'), raw.subarray(4, 8));
    expect(le.buffer).toBe(raw.buffer);
    expect(Array.from(le as Float32Array)).toEqual([1.5]);
    const be = decodeNpyItems(h('>f4'), raw.subarray(8, 12));
    expect(be.buffer).not.toBe(raw.buffer);
    expect(Array.from(be as Float32Array)).toEqual([-2]);
    const unaligned = decodeNpyItems(h('<f4'), raw.subarray(3, 7));
    expect(unaligned.buffer).not.toBe(raw.buffer);
    const b = decodeNpyItems(h('|b1'), Uint8Array.of(0, 1, 1));
    expect(Array.from(b as Uint8Array)).toEqual([0, 1, 1]);
    expect(Array.from(decodeNpyItems(h('|b1'), Uint8Array.of(0, 9, 1)) as Uint8Array)).toEqual([0, 1, 1]);
    expect(decodeNpyItems(h('<f2'), Uint8Array.of(0x00, 0x3c))).toBeInstanceOf(Float32Array);
    expect(() => decodeNpyItems(h('<i4'), new Uint8Array(6))).toThrow(RangeError);
  });

  it('fortranToCOrder transposes, copies 1-D, checks the shape', () => {
    expect(Array.from(fortranToCOrder(Int32Array.of(1, 4, 2, 5, 3, 6), [2, 3]))).toEqual([1, 2, 3, 4, 5, 6]);
    const one = Int32Array.of(1, 2);
    const c = fortranToCOrder(one, [2]);
    expect(c).not.toBe(one);
    expect(Array.from(c)).toEqual([1, 2]);
    expect(() => fortranToCOrder(one, [3])).toThrow(RangeError);
  });
});

describe('readNpyFile', () => {
  it('still reads whole files and reports missing ones as before', async () => {
    const p = await writeTmp(encodeNpy(Int16Array.from([5, -6, 7, -8]), [2, 2], { fortranOrder: true }));
    const a = await readNpyFile(p);
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data as Int16Array)).toEqual([5, -6, 7, -8]);
    const missing = join(dir, 'missing.npy');
    await expect(readNpyFile(missing)).rejects.toThrow(`${missing}: cannot read: no such file`);
  });
});
