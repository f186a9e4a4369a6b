import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeflateRaw } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/crc32.js';
import { CsvError, parseCsvNumber } from '../../src/read/csv.js';
import { readNpyFile } from '../../src/read/npy-file.js';
import { decodeNpyItems, NpyError, type NumericArray } from '../../src/read/npy.js';
import { type ArraySource, openArray, parseArraySpec } from '../../src/read/open-array.js';
import { bf16ToFloat32 } from '../../src/read/safetensors.js';

const DIR = fileURLToPath(new URL('../fixtures/formats/', import.meta.url));

interface Case {
  spec: string;
  npy: string;
  role?: 'logits' | 'labels';
  dtype: string;
  kind: string;
  shape: number[];
  array: string;
}
const CASES = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Case[];

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'confmat-open-array-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let fileNo = 0;
async function writeTmp(name: string, bytes: Uint8Array | string): Promise<string> {
  const p = join(tmp, `${fileNo++}-${name}`);
  await writeFile(p, bytes);
  return p;
}

/** Comparable values: bigints that fit as numbers, others as strings; NaN stays NaN. */
function values(a: NumericArray): Array<number | string> {
  return Array.from(a as ArrayLike<number | bigint>,
    (v) => typeof v === 'bigint' ? (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString()) : v);
}

/** Reads every chunk, checking they are consecutive, within the chunk size and of one type. */
async function collect(src: ArraySource,
  rowsPerChunk: number): Promise<{ values: Array<number | string>; ctors: Set<string>; chunks: number }> {
  const out: Array<number | string> = [];
  const ctors = new Set<string>();
  let next = 0;
  let chunks = 0;
  for await (const { start, data } of src.chunks(rowsPerChunk)) {
    expect(start).toBe(next);
    const rows = src.rowLength === 0 ? Math.min(rowsPerChunk, src.rows - start) : data.length / src.rowLength;
    expect(Number.isInteger(rows) && rows >= 1 && rows <= rowsPerChunk).toBe(true);
    next += rows;
    chunks++;
    ctors.add(data.constructor.name);
    out.push(...values(data as NumericArray));
  }
  expect(next).toBe(src.rows);
  return { values: out, ctors, chunks };
}

async function expectRejects(p: Promise<unknown> | (() => Promise<unknown>), file: string, offset: number | undefined,
  ...parts: Array<string | RegExp>): Promise<NpyError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a rejection').toBeInstanceOf(NpyError);
  const e = err as NpyError;
  expect(e.file).toBe(file);
  expect(e.message.startsWith(`${file}:`)).toBe(true);
  if (offset !== undefined) {
    expect(e.offset).toBe(offset);
    if (!(e instanceof CsvError)) expect(e.message).toContain(`byte ${offset}:`);
  }
  for (const part of parts) {
    if (typeof part === 'string') expect(e.message).toContain(part);
    else expect(e.message).toMatch(part);
  }
  return e;
}

async function drain(src: ArraySource, rowsPerChunk = 7): Promise<number> {
  let rows = 0;
  try {
    for await (const { data } of src.chunks(rowsPerChunk)) rows += data.length / Math.max(1, src.rowLength);
  } finally {
    await src.close();
  }
  return rows;
}

/**
 * Specs whose items lie raw in the file: .npy and .safetensors, little-endian, C order (npz members have a CRC-32 to
 * check).
 */
const RAW = /^(?!.*\.npz)(?!.*(be_|fortran)).*(\.npy|\.safetensors(:.*)?)$/;

/** `count` items read straight from the file where `raw` says, decoded as its dtype. */
async function rawItems(at: { path: string; byteOffset: number; dtype: string }, count: number): Promise<NumericArray> {
  const itemSize = at.dtype === 'bf16' ? 2 : Number(at.dtype.slice(1));
  const bytes = new Uint8Array(count * itemSize);
  const fh = await open(at.path);
  try {
    await fh.read(bytes, 0, bytes.length, at.byteOffset);
  } finally {
    await fh.close();
  }
  if (at.dtype === 'bf16') return bf16ToFloat32(bytes);
  return decodeNpyItems({ kind: at.dtype[0] as 'f' | 'i' | 'u' | 'b', itemSize, bigEndian: false }, bytes);
}

describe('openArray reads numpy-written fixtures back, chunk by chunk, equal to the .npy originals', () => {
  it('has a case for every format', () => {
    const specs = CASES.map((c) => c.spec);
    for (const want of ['stored.npz:', 'compressed.npz:', 'zip64.npz:', 'forced-zip64.npz:', 'single.npz',
      'tensors.safetensors:', 'single.safetensors', '.csv', '.tsv', '.txt', 'table.csv:']) {
      expect(specs.some((s) => s.includes(want)), want).toBe(true);
    }
  });

  it.each(CASES.map((c) => [`${c.spec}${c.role ? ` (${c.role})` : ''}`, c] as const))('%s', async (_, c) => {
    const want = await readNpyFile(join(DIR, c.npy));
    const expected = values(want.data);
    const spec = join(DIR, c.spec);
    for (const rowsPerChunk of [1, 4, 1000]) {
      const src = await openArray(spec, c.role ? { role: c.role } : {});
      try {
        expect(src.file).toBe(spec);
        expect(src.dtype).toBe(c.dtype);
        expect(src.kind).toBe(c.kind);
        expect(src.shape).toEqual(c.shape);
        expect(src.rows).toBe(c.shape.length === 0 ? 1 : c.shape[0]);
        expect(src.rowLength).toBe(c.shape.slice(1).reduce((a, b) => a * b, 1));
        const got = await collect(src, rowsPerChunk);
        expect(got.values).toEqual(expected);
        expect(src.raw !== undefined, 'raw').toBe(RAW.test(c.spec));
        if (src.raw) {
          expect(src.raw.dtype).toBe(src.dtype);
          expect(values(await rawItems(src.raw, src.rows * src.rowLength))).toEqual(expected);
        }
        if (src.rows > 0) expect([...got.ctors]).toEqual([c.array]);
        if (rowsPerChunk === 1) expect(got.chunks).toBe(src.rows);
      } finally {
        await src.close();
      }
    }
  });

  it('starts a fresh pass on every chunks() call, and data may be a reused buffer', async () => {
    for (const spec of ['compressed.npz:logits', 'stored.npz:logits', 'tensors.safetensors:logits',
      'logits-header.csv']) {
      const src = await openArray(join(DIR, spec), { role: 'logits' });
      try {
        const a = await collect(src, 5);
        const b = await collect(src, 5);
        expect(b.values).toEqual(a.values);
        const kept: NumericArray[] = [];
        for await (const { data } of src.chunks(5)) kept.push((data as NumericArray).slice());
        expect(kept.flatMap((d) => values(d))).toEqual(a.values);
      } finally {
        await src.close();
      }
    }
  });

  it('stops cleanly when the loop breaks early, and close() is idempotent', async () => {
    const src = await openArray(join(DIR, 'compressed.npz:logits'));
    for await (const { start } of src.chunks(2)) if (start >= 4) break;
    const again = await collect(src, 3);
    expect(again.values.length).toBe(37 * 5);
    await src.close();
    await src.close();
    expect(() => src.chunks(4)).toThrow(/closed/);
    expect(() => (src.chunks(0) as unknown)).toThrow(RangeError);
  });

  it('parses specs: the name follows the extension; an existing file name wins', async () => {
    expect(await parseArraySpec('a/run.npz:logits')).toEqual({ path: 'a/run.npz', name: 'logits', format: 'npz' });
    expect(await parseArraySpec('x.csv.d/t.TSV:label:2')).toEqual({ path: 'x.csv.d/t.TSV', name: 'label:2',
      format: 'tsv' });
    expect(await parseArraySpec('y.txt')).toEqual({ path: 'y.txt', name: undefined, format: 'csv' });
    const odd = await writeTmp('odd.csv:1', '1\n2\n');
    expect((await parseArraySpec(odd)).path).toBe(odd);
  });

  it('sniffs the format of a file without a known extension', async () => {
    for (const [from, format] of [['logits.npy', 'npy'], ['compressed.npz', 'npz'], ['single.safetensors',
      'safetensors'], ['labels.csv', 'csv']] as const) {
      const p = join(tmp, `sniff-${format}`);
      await copyFile(join(DIR, from), p);
      expect((await parseArraySpec(p)).format).toBe(format);
    }
    const src = await openArray(`${join(tmp, 'sniff-npz')}:labels`);
    expect(src.dtype).toBe('i8');
    await src.close();
  });
});

describe('small helpers', () => {
  it('crc32 matches the standard check value and continues', () => {
    const b = new TextEncoder().encode('123456789');
    expect(crc32(b)).toBe(0xcbf43926);
    expect(crc32(b.subarray(4), crc32(b.subarray(0, 4)))).toBe(0xcbf43926);
  });

  it('bf16ToFloat32 widens exactly', () => {
    expect(Array.from(bf16ToFloat32(Uint8Array.of(0x80, 0x3f, 0x00, 0xc0, 0x80, 0x7f)))).toEqual([1, -2, Infinity]);
  });

  it('parseCsvNumber accepts decimal numbers and nan/inf words only', () => {
    expect(parseCsvNumber(' 1.5e2 ')).toBe(150);
    expect(parseCsvNumber('.5')).toBe(0.5);
    expect(parseCsvNumber('-inf')).toBe(-Infinity);
    expect(parseCsvNumber('Infinity')).toBe(Infinity);
    expect(parseCsvNumber('NaN')).toBeNaN();
    for (const bad of ['', '  ', '0x10', '0b1', '1,5', 'abc', '1e', '1_000']) {
      expect(parseCsvNumber(bad), bad).toBeUndefined();
    }
  });
});

// ---------------------------------------------------------------------------
// .npz errors

/** Offset of the central directory record of `name` in a zip file's bytes. */
function centralRecord(zip: Uint8Array, name: string): number {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = zip.length - 46; i >= 0; i--) {
    if (dv.getUint32(i, true) !== 0x02014b50) continue;
    const n = dv.getUint16(i + 28, true);
    if (Buffer.from(zip.subarray(i + 46, i + 46 + n)).toString('latin1') === name) return i;
  }
  throw new Error(`no central record for ${name}`);
}

function dataStartOf(zip: Uint8Array, name: string): { lho: number; dataStart: number; csize: number } {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const rec = centralRecord(zip, name);
  const lho = dv.getUint32(rec + 42, true);
  return { lho, dataStart: lho + 30 + dv.getUint16(lho + 26, true) + dv.getUint16(lho + 28, true),
    csize: dv.getUint32(rec + 20, true) };
}

async function patched(from: string, name: string, patch: (bytes: Uint8Array, dv: DataView) => void): Promise<string> {
  const bytes = new Uint8Array(await readFile(join(DIR, from)));
  patch(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return writeTmp(name, bytes);
}

describe('.npz errors name the file, the byte offset and the member', () => {
  it('not a zip file', async () => {
    const p = await writeTmp('text.npz', 'hello, this is not a zip file at all\n');
    await expectRejects(openArray(p), p, 0, 'not a zip file', '68 65 6c 6c 6f');
    const npy = await writeTmp('renamed.npz', await readFile(join(DIR, 'logits.npy')));
    await expectRejects(openArray(npy), npy, 0, 'looks like a .npy file');
    const empty = await writeTmp('empty.npz', '');
    await expectRejects(openArray(empty), empty, 0, 'empty');
  });

  it('truncated archive', async () => {
    const full = await readFile(join(DIR, 'stored.npz'));
    const p = await writeTmp('cut.npz', full.subarray(0, Math.floor(full.length / 2)));
    await expectRejects(openArray(`${p}:logits`), p, Math.floor(full.length / 2), 'truncated zip file',
      'end-of-central-directory');
  });

  it('member missing, or several and none named: lists the names', async () => {
    const p = join(DIR, 'compressed.npz');
    await expectRejects(openArray(`${p}:nope`), p, undefined, "no array 'nope'", "'logits'", "'labels'",
      "'fortran_f4'");
    await expectRejects(openArray(p), p, undefined, /holds 19 arrays \('logits', 'labels', /, `${p}:NAME`);
  });

  it('encrypted member', async () => {
    let rec = 0;
    const p = await patched('stored.npz', 'enc.npz', (b, dv) => {
      rec = centralRecord(b, 'labels.npy');
      dv.setUint16(rec + 8, dv.getUint16(rec + 8, true) | 1, true);
    });
    await expectRejects(openArray(`${p}:labels`), p, rec + 8, "member 'labels.npy' is encrypted");
  });

  it('unsupported compression method', async () => {
    let rec = 0;
    const p = await patched('compressed.npz', 'bz.npz', (b, dv) => {
      rec = centralRecord(b, 'logits.npy');
      dv.setUint16(rec + 10, 12, true);
    });
    await expectRejects(openArray(`${p}:logits`), p, rec + 10,
      "member 'logits.npy' uses compression method 12 (bzip2)");
  });

  it('member data running into the central directory', async () => {
    let dataStart = 0;
    const p = await patched('compressed.npz', 'long.npz', (b, dv) => {
      const rec = centralRecord(b, 'scalar.npy');
      dataStart = dataStartOf(b, 'scalar.npy').dataStart;
      dv.setUint32(rec + 20, 1_000_000, true);
    });
    await expectRejects(openArray(`${p}:scalar`), p, dataStart, "member 'scalar.npy'", 'past the central directory');
  });

  it('declared size disagreeing with the inner .npy header', async () => {
    let dataStart = 0;
    const p = await patched('compressed.npz', 'size.npz', (b, dv) => {
      const rec = centralRecord(b, 'logits.npy');
      dataStart = dataStartOf(b, 'logits.npy').dataStart;
      dv.setUint32(rec + 24, dv.getUint32(rec + 24, true) + 4, true);
    });
    await expectRejects(openArray(`${p}:logits`), p, dataStart, "member 'logits.npy'", 'of the uncompressed member',
      'header says shape (37, 5) of <f4 = 740 bytes of data');
  });

  it('CRC-32 mismatch in a deflated member: found at the end of a full pass, before the last chunk', async () => {
    let lho = 0;
    const p = await patched('compressed.npz', 'crc.npz', (b, dv) => {
      const rec = centralRecord(b, 'logits.npy');
      lho = dataStartOf(b, 'logits.npy').lho;
      dv.setUint32(rec + 16, dv.getUint32(rec + 16, true) ^ 1, true);
    });
    const src = await openArray(`${p}:logits`);
    let delivered = 0;
    await expectRejects(async () => {
      for await (const { data } of src.chunks(10)) delivered += data.length / 5;
    }, p, lho, "member 'logits.npy': CRC-32 mismatch");
    expect(delivered).toBe(30);
    await src.close();
  });

  it('CRC-32 mismatch in a stored member', async () => {
    let lho = 0;
    const p = await patched('stored.npz', 'crc-stored.npz', (b) => {
      const at = dataStartOf(b, 'logits.npy');
      lho = at.lho;
      b[at.dataStart + at.csize - 1]! ^= 0x40;
    });
    await expectRejects(drain(await openArray(`${p}:logits`)), p, lho, "member 'logits.npy': CRC-32 mismatch");
  });

  it('corrupt deflate data', async () => {
    let dataStart = 0;
    const p = await patched('compressed.npz', 'corrupt.npz', (b) => {
      const at = dataStartOf(b, 'f8.npy');
      dataStart = at.dataStart;
      b.fill(0xff, at.dataStart + (at.csize >> 1), at.dataStart + at.csize - 4);
    });
    const e = await expectRejects((async () => drain(await openArray(`${p}:f8`)))(), p, undefined, "member 'f8.npy'",
      /corrupt or truncated deflate data|CRC-32 mismatch|inflates to/);
    expect(e.offset === dataStart || (e.offset ?? 0) < dataStart).toBe(true);
  });

  it('deflate data cut short', async () => {
    let dataStart = 0;
    const p = await patched('compressed.npz', 'short.npz', (b, dv) => {
      const rec = centralRecord(b, 'f8.npy');
      const at = dataStartOf(b, 'f8.npy');
      dataStart = at.dataStart;
      dv.setUint32(rec + 20, at.csize - 20, true);
    });
    await expectRejects((async () => drain(await openArray(`${p}:f8`)))(), p, dataStart,
      "member 'f8.npy': corrupt or truncated deflate data", 'unexpected end of file');
  });

  it('a missing file', async () => {
    const p = join(tmp, 'nope.npz');
    await expectRejects(openArray(`${p}:logits`), p, undefined, 'cannot read: no such file');
  });
});

// ---------------------------------------------------------------------------
// .safetensors errors

function safetensors(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const h = Buffer.from(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('.safetensors errors name the file, the byte offset and the tensor', () => {
  const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('too short, or a header length past the end', async () => {
    const tiny = await writeTmp('tiny.safetensors', new Uint8Array(5));
    await expectRejects(openArray(tiny), tiny, 0, 'too short for the 8-byte header length');
    const b = safetensors({});
    new DataView(b.buffer).setBigUint64(0, 1_000_000n, true);
    const p = await writeTmp('len.safetensors', b);
    await expectRejects(openArray(p), p, 0, 'header length 1000000 is more than the 2 bytes after it');
  });

  it('invalid JSON, at the offset of the syntax error', async () => {
    const p = await writeTmp('json.safetensors', safetensors(undefined, undefined, '{"a": {"dtype": "F32",,}}'));
    await expectRejects(openArray(p), p, 8 + 22, 'header is not valid JSON');
  });

  it('missing tensor (listing the names), or several and none named', async () => {
    const p = join(DIR, 'tensors.safetensors');
    await expectRejects(openArray(`${p}:nope`), p, undefined, "no tensor 'nope'", "'logits'", "'bf16'");
    await expectRejects(openArray(`${p}:__metadata__`), p, undefined, "no tensor '__metadata__'");
    await expectRejects(openArray(p), p, undefined, /holds 16 tensors/);
  });

  it('unknown dtype', async () => {
    const p = await writeTmp('f8e4.safetensors',
      safetensors({ x: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)));
    await expectRejects(openArray(p), p, 8, 'tensor \'x\': unsupported dtype "F8_E4M3"', 'BF16');
  });

  it('offsets disagreeing with the shape, or past the end of the file', async () => {
    const h = safetensors({ x: f32([2, 3], 0, 16) }, new Uint8Array(16));
    const p = await writeTmp('shape.safetensors', h);
    const base = h.length - 16;
    await expectRejects(openArray(p), p, base,
      "tensor 'x': data_offsets [0, 16] hold 16 bytes, but shape [2, 3] of F32 needs 24");
    const q = await writeTmp('past.safetensors', safetensors({ x: f32([2, 3], 8, 32) }, new Uint8Array(16)));
    await expectRejects(openArray(q), q, base + 8, "tensor 'x': data_offsets [8, 32] run past the end of the file",
      'holds 16 bytes');
    const r = await writeTmp('neg.safetensors', safetensors({ x: f32([2], 8, 0) }, new Uint8Array(16)));
    await expectRejects(openArray(`${r}:x`), r, 8, "'data_offsets' must be [begin, end]");
    const s = await writeTmp('badshape.safetensors',
      safetensors({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)));
    await expectRejects(openArray(s), s, 8, "'shape' must be an array of non-negative integers");
  });
});

// ---------------------------------------------------------------------------
// CSV errors

describe('CSV errors name file:line:column and the offending text', () => {
  async function csv(text: string, name = 'x.csv'): Promise<string> {
    return writeTmp(name, text);
  }

  it('non-numeric field', async () => {
    const p = await csv('a,b\n1,2\n3,x y\n');
    const e = await expectRejects(drain(await openArray(p, { role: 'logits' }), 1), p, 10,
      `${p}:3:3: non-numeric field "x y"`);
    expect(e).toBeInstanceOf(CsvError);
    expect([(e as CsvError).line, (e as CsvError).column]).toEqual([3, 3]);
  });

  it('wrong number of fields, found when opening', async () => {
    const p = await csv('1,2,3\n4,5,6\n7,8\n');
    await expectRejects(openArray(p, { role: 'logits' }), p, 15,
      `${p}:3:4: expected 3 fields (line 1 has 3), found 2: "7,8"`);
    const q = await csv('a\tb\n1\t2\t3\n', 'y.tsv');
    await expectRejects(openArray(q, { role: 'logits' }), q, 8,
      `${q}:2:5: expected 2 fields (the header row has 2), found 3`);
  });

  it('empty field', async () => {
    const p = await csv('a,b\n1,2\n3,\n');
    await expectRejects(drain(await openArray(p, { role: 'logits' })), p, 10,
      `${p}:3:3: empty field in column 'b' (missing value?)`);
  });

  it('non-integer and out-of-range labels', async () => {
    const p = await csv('label\n1\n2.5\n');
    await expectRejects(drain(await openArray(p, { role: 'labels' })), p, 8, `${p}:3:1: label "2.5" is not an integer`);
    const q = await csv('1\n3000000000\n');
    await expectRejects(drain(await openArray(q, { role: 'labels' })), q, 2,
      `${q}:2:1: label "3000000000" is outside the int32 range`);
    const r = await csv('1\nnan\n');
    await expectRejects(drain(await openArray(r, { role: 'labels' })), r, 2, `${r}:2:1: label "nan" is not an integer`);
  });

  it('blank line inside the data; trailing blank lines are fine', async () => {
    const p = await csv('1\n\n2\n');
    await expectRejects(openArray(p, { role: 'labels' }), p, 2, `${p}:2:1: blank line before line 3`);
    const ok = await csv('1\r\n2\r\n\r\n  \n');
    const src = await openArray(ok, { role: 'labels' });
    expect(src.shape).toEqual([2]);
    expect((await collect(src, 8)).values).toEqual([1, 2]);
    await src.close();
  });

  it('unterminated quote, text after a closing quote', async () => {
    const p = await csv('1,2\n3,"4\n');
    await expectRejects(openArray(p), p, 6, `${p}:2:3: unterminated quoted field`);
    const q = await csv('1,2\n3,"4"5\n');
    await expectRejects(openArray(q), q, 9, `${q}:2:6: unexpected text after a closing quote`);
  });

  it('unknown column lists the header; labels need one column; a name after .npy is refused', async () => {
    const t = join(DIR, 'table.csv');
    await expectRejects(openArray(`${t}:nope`, { role: 'labels' }), t, undefined, "no column 'nope'",
      "columns 'id', 'label', 'pred', 'score'");
    await expectRejects(openArray(`${t}:9`, { role: 'labels' }), t, undefined, "no column '9'", 'below 4');
    await expectRejects(openArray(t, { role: 'labels' }), t, undefined, 'labels need one column', `${t}:COLUMN`);
    const n = join(DIR, 'logits-noheader.csv');
    await expectRejects(openArray(`${n}:c0`), n, undefined, 'no header row', 'below 5');
    const npy = join(DIR, 'logits.npy');
    await expectRejects(openArray(`${npy}:x`), npy, undefined, "drop ':x'");
  });

  it('empty file; header only gives 0 rows', async () => {
    const p = await csv('');
    await expectRejects(openArray(p), p, 0, 'empty file');
    const h = await csv('a,b,c\n');
    const src = await openArray(h, { role: 'logits' });
    expect([src.rows, src.shape]).toEqual([0, [0, 3]]);
    expect((await collect(src, 4)).chunks).toBe(0);
    await src.close();
  });

  it('UTF-8 header names, whitespace-separated and single-line files without a final newline', async () => {
    const p = await csv('\uFEFFétiquette;score\n1;0.5\n2;1.5');
    const src = await openArray(`${p}:étiquette`, { role: 'labels' });
    expect((await collect(src, 1)).values).toEqual([1, 2]);
    await src.close();
    const q = await csv('  1.5   2\n3 4.25  \n', 'w.txt');
    const s2 = await openArray(q, { role: 'logits' });
    expect(s2.shape).toEqual([2, 2]);
    expect((await collect(s2, 1)).values).toEqual([1.5, 2, 3, 4.25]);
    await s2.close();
    const r = await csv('7');
    const s3 = await openArray(r, { role: 'labels' });
    expect((await collect(s3, 1)).values).toEqual([7]);
    await s3.close();
  });
});

// ---------------------------------------------------------------------------
// Bounded memory on a large deflated member

/** Writes a one-member .npz whose member (shape [rows, cols] '<f4' zeros) is deflated as it is generated. */
async function writeZerosNpz(path: string, rows: number, cols: number): Promise<number> {
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  dict += ' '.repeat(64 - ((10 + dict.length + 1) % 64)) + '\n';
  const head = new Uint8Array(10 + dict.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) head[10 + i] = dict.charCodeAt(i);
  const dataBytes = rows * cols * 4;
  const zeros = new Uint8Array(1 << 20);
  const deflate = createDeflateRaw({ level: 1 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = crc32(head);
  deflate.write(head);
  for (let left = dataBytes; left > 0; left -= zeros.length) {
    const piece = zeros.subarray(0, Math.min(zeros.length, left));
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const comp = Buffer.concat(parts);
  const name = Buffer.from('zeros.npy');
  const usize = head.length + dataBytes;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(comp.length, 18);
  local.writeUInt32LE(usize, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(comp.length, 20);
  central.writeUInt32LE(usize, 24);
  central.writeUInt16LE(name.length, 28);
  const cdOffset = 30 + name.length + comp.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + name.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(Buffer.concat([local, name, comp, central, name, eocd]));
  } finally {
    await fh.close();
  }
  return comp.length;
}

describe('bounded memory', () => {
  it('streams a 200 MB deflated member with rss growth under 100 MB', async () => {
    const rows = 5_000_000;
    const p = join(tmp, 'zeros.npz');
    const compressed = await writeZerosNpz(p, rows, 10);
    expect(compressed).toBeLessThan(2_000_000);
    const before = process.memoryUsage().rss;
    let peak = before;
    const src = await openArray(p);
    try {
      expect(src.shape).toEqual([rows, 10]);
      let seen = 0;
      let nonzero = 0;
      let i = 0;
      for await (const { start, data } of src.chunks(2000)) {
        expect(start).toBe(seen);
        seen += data.length / 10;
        if (i++ % 64 === 0) {
          for (let k = 0; k < data.length; k++) if (data[k] !== 0) nonzero++;
          peak = Math.max(peak, process.memoryUsage().rss);
        }
      }
      expect(seen).toBe(rows);
      expect(nonzero).toBe(0);
    } finally {
      await src.close();
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });
});
