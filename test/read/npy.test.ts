import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpyFile } from '../../src/read/npy-file.js';
import { encodeNpy, type NpyArray, NpyError, type NumericArray, parseNpy } from '../../src/read/npy.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const NPY_DIR = join(FIXTURES, 'npy');
const SK_DIR = join(FIXTURES, 'sklearn');

type JsonNum = number | string;

/** Decodes the generator's JSON-safe numbers ("NaN", "Infinity", big ints as strings). */
function jnum(v: JsonNum): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return typeof v === 'string' ? Number(v) : v;
}

function toArray(a: NumericArray): Array<number | bigint> {
  return Array.from(a as ArrayLike<number | bigint>);
}

function bytesOf(a: NumericArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function sha256(a: NumericArray): string {
  return createHash('sha256').update(bytesOf(a)).digest('hex');
}

/** Builds a .npy file with a verbatim header text (no padding unless given). */
function rawNpy(header: string, data: ArrayLike<number> = [], version = 1): Uint8Array {
  const hb = version === 3 ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + hb.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, hb.length, true);
  else dv.setUint32(8, hb.length, true);
  out.set(hb, pre);
  out.set(Array.from(data), pre + hb.length);
  return out;
}

const hdr = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

/** Asserts `fn` throws an NpyError for `file` at `offset` whose message contains every `parts` entry. */
function expectNpyError(fn: () => unknown, file: string, offset: number | undefined,
  ...parts: Array<string | RegExp>): NpyError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NpyError);
  const e = err as NpyError;
  expect(e.file).toBe(file);
  expect(e.offset).toBe(offset);
  expect(e.message.startsWith(offset === undefined ? `${file}: ` : `${file}: byte ${offset}: `)).toBe(true);
  for (const p of parts) {
    if (typeof p === 'string') expect(e.message).toContain(p);
    else expect(e.message).toMatch(p);
  }
  return e;
}

// ---------------------------------------------------------------------------

describe('encodeNpy / parseNpy round trips', () => {
  const cases: Array<{ name: string; make: () => NumericArray; descr: string; kind: string }> = [{ name: 'f4',
    make: () => Float32Array.from([0, -0, 1.5, -3.25, 3.4028234663852886e38, 1e-45, Infinity, -Infinity]), descr: 'f4',
    kind: 'f' }, { name: 'f8',
    make: () => Float64Array.from([0.1, -0, Math.PI, -1e300, 5e-324, Infinity, Number.MAX_VALUE, -7]), descr: 'f8',
    kind: 'f' }, { name: 'i1', make: () => Int8Array.from([-128, 127, 0, -1, 5, 6, 7, 8]), descr: 'i1', kind: 'i' }, {
    name: 'i2',
    make: () => Int16Array.from([-32768, 32767, 0, -1, 256, 1, 2, 3]),
    descr: 'i2',
    kind: 'i',
  }, { name: 'i4', make: () => Int32Array.from([-2147483648, 2147483647, 0, -1, 65536, 1, 2, 3]), descr: 'i4',
    kind: 'i' }, { name: 'i8',
    make: () => BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n + 1n, 1n, 2n, 3n]), descr: 'i8',
    kind: 'i' }, { name: 'u1', make: () => Uint8Array.from([0, 255, 1, 128, 4, 5, 6, 7]), descr: 'u1', kind: 'u' }, {
    name: 'u2',
    make: () => Uint16Array.from([0, 65535, 258, 1, 4, 5, 6, 7]),
    descr: 'u2',
    kind: 'u',
  }, { name: 'u4', make: () => Uint32Array.from([0, 4294967295, 16909060, 1, 4, 5, 6, 7]), descr: 'u4', kind: 'u' }, {
    name: 'u8',
    make: () => BigUint64Array.from([0n, 2n ** 64n - 1n, 0x0102030405060708n, 1n, 4n, 5n, 6n, 7n]),
    descr: 'u8',
    kind: 'u',
  }];
  for (const c of cases) {
    for (const bigEndian of [false, true]) {
      for (const fortranOrder of [false, true]) {
        it(`${c.name} ${bigEndian ? 'big' : 'little'}-endian${fortranOrder ? ', Fortran order' : ''}`, () => {
          const data = c.make();
          const shape = [2, 4];
          const bytes = encodeNpy(data, shape, { bigEndian, fortranOrder });
          expect(bytes.length % 64).toBe((data.byteLength) % 64);
          expect((bytes.length - data.byteLength) % 64).toBe(0);
          const arr = parseNpy(bytes, `${c.name}.npy`);
          const size = data.BYTES_PER_ELEMENT;
          const order = size === 1 ? '|' : bigEndian ? '>' : '<';
          expect(arr.descr).toBe(`${order}${c.descr}`);
          expect(arr.kind).toBe(c.kind);
          expect(arr.itemSize).toBe(size);
          expect(arr.shape).toEqual(shape);
          expect(arr.fortranOrder).toBe(fortranOrder);
          expect(arr.data.constructor).toBe(data.constructor);
          expect(toArray(arr.data)).toEqual(toArray(data));
          if (c.kind === 'f') expect(Object.is(arr.data[1], -0)).toBe(true);
        });
      }
    }
  }

  it('writes big-endian and Fortran-order bytes in the documented layout', () => {
    const be = encodeNpy(Int32Array.from([1, 0x01020304]), [2], { bigEndian: true });
    expect(Array.from(be.subarray(be.length - 8))).toEqual([0, 0, 0, 1, 1, 2, 3, 4]);
    const le = encodeNpy(Int32Array.from([1, 0x01020304]), [2]);
    expect(Array.from(le.subarray(le.length - 8))).toEqual([1, 0, 0, 0, 4, 3, 2, 1]);
    const f = encodeNpy(Uint8Array.from([1, 2, 3, 4, 5, 6]), [2, 3], { fortranOrder: true });
    expect(Array.from(f.subarray(f.length - 6))).toEqual([1, 4, 2, 5, 3, 6]);
    const header = new TextDecoder().decode(f.subarray(10, f.length - 6));
    expect(header).toMatch(/^\{'descr': '\|u1', 'fortran_order': True, 'shape': \(2, 3\), \} +\n$/);
  });

  it('round-trips general Fortran order in 3-D and 4-D', () => {
    const n = 2 * 3 * 4 * 5;
    const data = Float64Array.from({ length: n }, (_, i) => i * 1.5 - 7);
    for (const shape of [[6, 4, 5], [2, 3, 4, 5], [1, 1, n]]) {
      const arr = parseNpy(encodeNpy(data, shape, { fortranOrder: true }));
      expect(arr.shape).toEqual(shape);
      expect(Array.from(arr.data as Float64Array)).toEqual(Array.from(data));
    }
    // Fortran element (i, j, k) of shape (2, 3, 4) is at i + 2 j + 6 k in the file.
    const file = Float32Array.from({ length: 24 }, (_, i) => i);
    const body = rawNpy(hdr('<f4', '(2, 3, 4)', 'True'), bytesOf(file));
    const arr = parseNpy(body);
    const c = arr.data as Float32Array;
    expect(c[0 * 12 + 1 * 4 + 2]).toBe(0 + 2 * 1 + 6 * 2);
    expect(c[1 * 12 + 2 * 4 + 3]).toBe(1 + 2 * 2 + 6 * 3);
    expect(c[1]).toBe(6);
  });

  it('handles 1-D Fortran order as C order, scalars and zero-size shapes', () => {
    const one = parseNpy(rawNpy(hdr('<i2', '(3,)', 'True'), [1, 0, 2, 0, 3, 0]));
    expect(Array.from(one.data as Int16Array)).toEqual([1, 2, 3]);
    expect(one.fortranOrder).toBe(true);

    const s = parseNpy(encodeNpy(Float64Array.of(2.5), []));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Float64Array)).toEqual([2.5]);

    for (const shape of [[0, 10], [0], [10, 0], [3, 0, 2]]) {
      const z = parseNpy(encodeNpy(new Float32Array(0), shape, { fortranOrder: true }));
      expect(z.shape).toEqual(shape);
      expect(z.data).toBeInstanceOf(Float32Array);
      expect(z.data.length).toBe(0);
    }
  });

  it('views little-endian aligned data without copying and copies otherwise', () => {
    const le = encodeNpy(Float32Array.from([1, 2, 3]), [3]);
    const a = parseNpy(le);
    expect(a.data.buffer).toBe(le.buffer);
    expect(a.data.byteOffset).toBe(le.length - 12);

    const be = encodeNpy(Float32Array.from([1, 2, 3]), [3], { bigEndian: true });
    const b = parseNpy(be);
    expect(b.data.buffer).not.toBe(be.buffer);
    expect(Array.from(b.data as Float32Array)).toEqual([1, 2, 3]);

    for (const shift of [1, 2, 3, 5]) {
      const big = new Uint8Array(le.length + shift);
      big.set(le, shift);
      const u = parseNpy(big.subarray(shift));
      expect(u.data.buffer).not.toBe(big.buffer);
      expect(Array.from(u.data as Float32Array)).toEqual([1, 2, 3]);
    }
    // Unaligned and big-endian 8-byte integers.
    const i8 = encodeNpy(BigInt64Array.from([-2n, 2n ** 60n + 3n]), [2], { bigEndian: true });
    const shifted = new Uint8Array(i8.length + 3);
    shifted.set(i8, 3);
    expect(Array.from(parseNpy(shifted.subarray(3)).data as BigInt64Array)).toEqual([-2n, 2n ** 60n + 3n]);

    // A header that is not a multiple of the item size leaves the data unaligned.
    const odd = rawNpy(`{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}`,
      bytesOf(Float64Array.from([0.25, -8])));
    expect((odd.length - 16) % 8).not.toBe(0);
    expect(Array.from(parseNpy(odd).data as Float64Array)).toEqual([0.25, -8]);
  });

  it('widens float16 and normalises bool', () => {
    // 0x3c00 = 1, 0xc100 = -2.5, 0x7bff = 65504, 0x0001 = 2^-24, 0x8000 = -0, 0x7c00 = Inf, 0x7e00 = NaN, 0x0400 = 2^-14
    const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00, 0x0400];
    const le = rawNpy(hdr('<f2', '(8,)'), halves.flatMap((h) => [h & 0xff, h >> 8]));
    const be = rawNpy(hdr('>f2', '(2, 4)'), halves.flatMap((h) => [h >> 8, h & 0xff]));
    for (const bytes of [le, be]) {
      const arr = parseNpy(bytes);
      expect(arr.kind).toBe('f');
      expect(arr.itemSize).toBe(2);
      expect(arr.data).toBeInstanceOf(Float32Array);
      const v = Array.from(arr.data as Float32Array);
      expect(v.slice(0, 6)).toEqual([1, -2.5, 65504, 2 ** -24, -0, Infinity]);
      expect(Object.is(v[4], -0)).toBe(true);
      expect(v[6]).toBeNaN();
      expect(v[7]).toBe(2 ** -14);
    }
    const nan = parseNpy(rawNpy(hdr('<f2', '(2,)'), [0x01, 0xfe, 0x00, 0x7e])).data as Float32Array;
    expect(Array.from(new Uint32Array(nan.buffer, nan.byteOffset, 2)), 'NaN sign and payload kept, as numpy widens')
      .toEqual([0xffc02000, 0x7fc00000]);
    const b = parseNpy(rawNpy(hdr('|b1', '(2, 2)'), [1, 0, 2, 255]));
    expect(b.kind).toBe('b');
    expect(b.data).toBeInstanceOf(Uint8Array);
    expect(toArray(b.data)).toEqual([1, 0, 1, 1]);
    const b2 = parseNpy(rawNpy(hdr('|b1', '(4,)'), [1, 0, 2, 1]));
    expect(toArray(b2.data)).toEqual([1, 0, 1, 1]);
    const bf = parseNpy(rawNpy(hdr('|b1', '(2, 2)', 'True'), [1, 0, 0, 1]));
    expect(toArray(bf.data)).toEqual([1, 0, 0, 1]);
    const bf2 = parseNpy(rawNpy(hdr('|b1', '(2, 2)', 'True'), [1, 1, 0, 0]));
    expect(toArray(bf2.data)).toEqual([1, 0, 1, 0]);
  });

  it('accepts header variants: v2, v3 UTF-8, Python 2 longs, double quotes, no padding', () => {
    const data = bytesOf(Int16Array.from([-1, 2, -3, 4, -5, 6]));
    const variants = [rawNpy(hdr('<i2', '(2, 3)'), data, 2),
      rawNpy(`{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }  \n`, data, 3),
      rawNpy(`{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L), }\n`, data),
      rawNpy(`{"shape": (2, 3), "descr": "<i2", "fortran_order": False}`, data),
      rawNpy(`{ 'descr' : '<i2' ,\n'fortran_order':False,'shape':(2,3)}`, data)];
    for (const v of variants) {
      const arr = parseNpy(v, 'v.npy');
      expect(arr.shape).toEqual([2, 3]);
      expect(Array.from(arr.data as Int16Array)).toEqual([-1, 2, -3, 4, -5, 6]);
    }
    const u1 = parseNpy(rawNpy(hdr('<u1', '(2,)'), [7, 9]));
    expect(u1.descr).toBe('<u1');
    expect(toArray(u1.data)).toEqual([7, 9]);
  });

  it('encodeNpy rejects a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float32Array(6), [2, 4])).toThrow(/shape \[2, 4\] needs 8 elements, data has 6/);
    expect(() => encodeNpy(new Float32Array(0), [-1, 0])).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------

interface ExpectedFile {
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  version: [number, number];
  values: JsonNum[];
  encode?: { type: string; bigEndian?: boolean; fortranOrder?: boolean };
}

const expected = JSON.parse(await readFile(join(NPY_DIR, 'expected.json'), 'utf8')) as {
  files: Record<string, ExpectedFile>;
};

/** Builds the typed array named `type` (as in expected.json) from decoded values. */
function makeTyped(type: string, values: Array<number | bigint>): NumericArray {
  const nums = values as number[];
  const bigs = values as bigint[];
  switch (type) {
    case 'Float32Array':
      return Float32Array.from(nums);
    case 'Float64Array':
      return Float64Array.from(nums);
    case 'Int8Array':
      return Int8Array.from(nums);
    case 'Int16Array':
      return Int16Array.from(nums);
    case 'Int32Array':
      return Int32Array.from(nums);
    case 'BigInt64Array':
      return BigInt64Array.from(bigs);
    case 'Uint8Array':
      return Uint8Array.from(nums);
    case 'Uint16Array':
      return Uint16Array.from(nums);
    case 'Uint32Array':
      return Uint32Array.from(nums);
    case 'BigUint64Array':
      return BigUint64Array.from(bigs);
    default:
      throw new Error(`unknown type ${type}`);
  }
}

describe('numpy-written files (test/fixtures/npy)', () => {
  const names = Object.keys(expected.files);

  it('covers every .npy file in the folder', async () => {
    const onDisk = (await readdir(NPY_DIR)).filter((f) => f.endsWith('.npy')).sort();
    expect(onDisk).toEqual([...names].sort());
    expect(names.length).toBeGreaterThanOrEqual(20);
    const many = new Uint8Array(await readFile(join(NPY_DIR, 'many-dims-f4.npy')));
    expect(many[8]! + many[9]! * 256 + 10).toBe(192);
  });

  for (const name of names) {
    const exp = expected.files[name]!;
    it(`${name}: ${exp.descr} ${JSON.stringify(exp.shape)}${exp.fortranOrder ? ' Fortran' : ''} v${exp.version[0]}`, async () => {
      const path = join(NPY_DIR, name);
      const bytes = new Uint8Array(await readFile(path));
      expect(bytes[6]).toBe(exp.version[0]);
      const arr = await readNpyFile(path);
      expect(arr.descr).toBe(exp.descr);
      expect(arr.shape).toEqual(exp.shape);
      expect(arr.fortranOrder).toBe(exp.fortranOrder);
      expect(arr.data.length).toBe(exp.values.length);
      const big = arr.data instanceof BigInt64Array || arr.data instanceof BigUint64Array;
      const want = exp.values.map((v) => (big ? BigInt(v) : jnum(v)));
      expect(toArray(arr.data)).toEqual(want);
      if (exp.encode) {
        const data = makeTyped(exp.encode.type, want);
        expect(data.constructor).toBe(arr.data.constructor);
        const mine = encodeNpy(data, exp.shape, { bigEndian: exp.encode.bigEndian,
          fortranOrder: exp.encode.fortranOrder });
        expect(Buffer.from(mine).equals(Buffer.from(bytes))).toBe(true);
      }
    });
  }

  it('spot-checks specific values', async () => {
    const f = await readNpyFile(join(NPY_DIR, 'fortran-f4-2d.npy'));
    expect(f.shape).toEqual([7, 5]);
    // C-order element (row 1, col 0) of arange(35).reshape(7, 5) * 0.5 - 3 is 5 * 0.5 - 3.
    expect(f.data[5]).toBe(-0.5);
    expect(f.data[34]).toBe(14);
    const f3 = await readNpyFile(join(NPY_DIR, 'fortran-f8-3d.npy'));
    expect(f3.data[23]).toBe(23 / 8 + 0.1);
    expect(f3.data[4]).toBe(4 / 8 + 0.1);
    const i8 = await readNpyFile(join(NPY_DIR, 'be-i8.npy'));
    expect(i8.data[1]).toBe(9007199254740993n);
    const u8 = await readNpyFile(join(NPY_DIR, 'be-u8.npy'));
    expect(u8.data[0]).toBe(18446744073709551615n);
    const h = await readNpyFile(join(NPY_DIR, 'f2.npy'));
    expect(h.itemSize).toBe(2);
    expect(h.data[6]).toBe(2 ** -24);
    expect(h.data[10]).toBeNaN();
    const s = await readNpyFile(join(NPY_DIR, 'scalar-f8.npy'));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Float64Array)).toEqual([3.25]);
    const v3 = await readNpyFile(join(NPY_DIR, 'v3-i2.npy'));
    expect(Array.from(v3.data as Int16Array)).toEqual([-2, -1, 0, 1]);
  });
});

// ---------------------------------------------------------------------------

interface Case {
  name: string;
  numClasses: number;
  rows: number;
  logits: string;
  labels: string;
  labelsDtype: string;
  matrix?: number[][];
  matrixSparse?: Array<[number, number, number]>;
  accuracy: number;
  sklearnVersion: string;
  numpyVersion: string;
}

interface Check {
  logitsShape: number[];
  logitsFirstRow: JsonNum[] | null;
  logitsLastRow: JsonNum[] | null;
  logitsSha256: string;
  labelsDescr: string;
  labelsFirst: JsonNum[];
  labelsSha256: string;
  preds: number[] | null;
}

const checks = JSON.parse(await readFile(join(NPY_DIR, 'sklearn-checks.json'), 'utf8')) as {
  cases: Record<string, Check>;
};

/** numpy's argmax: first NaN wins, else the first maximum. */
function argmaxRow(l: Float32Array, off: number, c: number): number {
  let best = 0;
  for (let j = 0; j < c; j++) {
    const v = l[off + j]!;
    if (Number.isNaN(v)) return j;
    if (v > l[off + best]!) best = j;
  }
  return best;
}

describe('sklearn fixtures (test/fixtures/sklearn)', () => {
  const caseNames = Object.keys(checks.cases);

  it('has a JSON for every checked case and no unchecked ones', async () => {
    const jsons = (await readdir(SK_DIR)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    expect(jsons).toEqual([...caseNames].sort());
    expect(caseNames).toEqual(
      expect.arrayContaining(['iris-logreg', 'digits-mlp', 'nan-inf', 'ties', 'signed-zero', 'one-class', 'c1000',
        'missing-classes']),
    );
    const dtypes = new Set<string>();
    for (const n of caseNames) dtypes.add(checks.cases[n]!.labelsDescr);
    expect([...dtypes].sort()).toEqual(['<i2', '<i8', '<u2', '>i4', '>u8', '|i1', '|u1']);
  });

  for (const name of caseNames) {
    it(name, async () => {
      const meta = JSON.parse(await readFile(join(SK_DIR, `${name}.json`), 'utf8')) as Case;
      const chk = checks.cases[name]!;
      const logits: NpyArray = await readNpyFile(join(SK_DIR, meta.logits));
      const labels: NpyArray = await readNpyFile(join(SK_DIR, meta.labels));
      const C = meta.numClasses;
      const N = meta.rows;

      expect(logits.descr).toBe('<f4');
      expect(logits.shape).toEqual([N, C]);
      expect(logits.shape).toEqual(chk.logitsShape);
      expect(logits.data).toBeInstanceOf(Float32Array);
      expect(sha256(logits.data)).toBe(chk.logitsSha256);
      const l = logits.data as Float32Array;
      if (chk.logitsFirstRow) {
        expect(Array.from(l.subarray(0, C))).toEqual(chk.logitsFirstRow.map(jnum));
        expect(Array.from(l.subarray((N - 1) * C))).toEqual(chk.logitsLastRow!.map(jnum));
      }

      expect(labels.descr).toBe(meta.labelsDtype);
      expect(labels.descr).toBe(chk.labelsDescr);
      expect(labels.shape).toEqual([N]);
      expect(sha256(labels.data)).toBe(chk.labelsSha256);
      const y = Array.from(labels.data as ArrayLike<number | bigint>, Number);
      expect(y.slice(0, 8)).toEqual(chk.labelsFirst.map(jnum));

      const m = Array.from({ length: C }, () => new Array<number>(C).fill(0));
      const preds: number[] = [];
      let correct = 0;
      for (let i = 0; i < N; i++) {
        const p = argmaxRow(l, i * C, C);
        preds.push(p);
        m[y[i]!]![p]!++;
        if (p === y[i]) correct++;
      }
      if (chk.preds) expect(preds).toEqual(chk.preds);
      expect(correct / N).toBe(meta.accuracy);
      if (meta.matrix) {
        expect(meta.matrixSparse).toBeUndefined();
        expect(m).toEqual(meta.matrix);
      } else {
        const sparse: Array<[number, number, number]> = [];
        m.forEach((row, t) => row.forEach((v, p) => v && sparse.push([t, p, v])));
        expect(sparse).toEqual(meta.matrixSparse);
      }
    });
  }

  it('nan-inf and signed-zero follow the first-NaN / first-max rule on known rows', async () => {
    const nan = (await readNpyFile(join(SK_DIR, 'nan-inf.logits.npy'))).data as Float32Array;
    const want = [0, 1, 3, 0, 1, 0, 0, 2, 2, 1, 0, 3];
    expect(want.map((_, i) => argmaxRow(nan, i * 4, 4))).toEqual(want);
    expect(nan[0]).toBeNaN();
    expect(nan[6 * 4 + 3]).toBe(-Infinity);
    const z = (await readNpyFile(join(SK_DIR, 'signed-zero.logits.npy'))).data as Float32Array;
    expect(Object.is(z[0], -0)).toBe(true);
    expect(Object.is(z[1], 0)).toBe(true);
    expect([0, 1, 2, 3, 4].map((i) => argmaxRow(z, i * 3, 3))).toEqual([0, 0, 1, 1, 0]);
  });
});

// ---------------------------------------------------------------------------

describe('errors', () => {
  const F = 'labels.npy';
  const parse = (b: Uint8Array) => () => parseNpy(b, F);

  it('empty file, wrong magic, short preamble', () => {
    expectNpyError(parse(new Uint8Array(0)), F, 0, 'file is empty');
    expectNpyError(parse(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])), F, 0,
      'not a .npy file', '89 50 4e 47 0d 0a 1a 0a', '".PNG...."');
    expectNpyError(parse(new TextEncoder().encode('a,b\n1,2\n')), F, 0, 'expected magic \\x93NUMPY', '61 2c 62 0a');
    expectNpyError(parse(Uint8Array.from([0x93, 0x4e, 0x55])), F, 3, 'truncated preamble', 'file is 3 bytes');
    expectNpyError(parse(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1])), F, 7, 'truncated preamble');
    expectNpyError(parse(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 5])), F, 9, 'truncated preamble',
      'needs 10');
    expectNpyError(parse(Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 5, 0, 0])), F, 11, 'needs 12');
  });

  it('default file name is <buffer>', () => {
    expectNpyError(() => parseNpy(new Uint8Array(0)), '<buffer>', 0, 'file is empty');
  });

  it('unsupported version', () => {
    const b = encodeNpy(Float32Array.of(1), [1]);
    b[6] = 4;
    expectNpyError(parse(b), F, 6, 'unsupported .npy format version 4.0', 'supported: 1.0, 2.0, 3.0');
    b[6] = 1;
    b[7] = 1;
    expectNpyError(parse(b), F, 6, 'version 1.1');
  });

  it('truncated header', () => {
    const b = encodeNpy(Float32Array.of(1, 2), [2]);
    expectNpyError(parse(b.subarray(0, 50)), F, 8, 'truncated header', 'says 118 bytes', 'only 40 bytes');
    const v2 = rawNpy(hdr('<f4', '(1,)'), [0, 0, 128, 63], 2);
    expectNpyError(parse(v2.subarray(0, 30)), F, 8, 'truncated header', 'only 18 bytes');
  });

  it('header syntax errors carry the byte offset of the problem', () => {
    expectNpyError(parse(rawNpy(`[1, 2]`)), F, 10, 'header is not a Python dict literal', 'got [1, 2]');
    expectNpyError(parse(rawNpy(`{'descr' '<f4'}`)), F, 19, 'header is not a Python dict literal',
      "expected ':' after dict key");
    expectNpyError(parse(rawNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), `)), F, 10 + 58,
      'not a Python dict literal', 'end of header');
    expectNpyError(parse(rawNpy(`{'descr': __import__('os').system('x')}`)), F, 20, 'unexpected name "__import__"');
    expectNpyError(parse(rawNpy(`{'descr': '<f4}`)), F, 20, 'unterminated string literal');
    expectNpyError(parse(rawNpy(`{'a': 1} {'b': 2}`)), F, 19, 'after the dict');
    expectNpyError(parse(rawNpy(``)), F, 10, 'expected a value');
    expectNpyError(parse(rawNpy(hdr('<f4', '(3, 4]'))), F, 10 + 55, "expected ',' or ')', got \"]");
    // v2 header starts at byte 12; v3 counts UTF-8 bytes.
    expectNpyError(parse(rawNpy(`{'descr' '<f4'}`, [], 2)), F, 21, "expected ':'");
    expectNpyError(parse(rawNpy(`{'dé': 1 2}`, [], 3)), F, 12 + 10, "expected ',' or '}'");
    const bad = rawNpy(`{'d': 1}`, [], 3);
    bad[14] = 0xff;
    expectNpyError(parse(bad), F, 12, 'not valid UTF-8');
  });

  it('missing, extra and mistyped keys', () => {
    expectNpyError(parse(rawNpy(`{'descr': '<f4', 'fortran_order': False}`)), F, 10, "missing key 'shape'");
    expectNpyError(parse(rawNpy(`{'descr': '<f4'}`)), F, 10, "missing keys 'fortran_order', 'shape'");
    expectNpyError(parse(rawNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}`)), F, 10,
      "unexpected key 'x'");
    expectNpyError(parse(rawNpy(`{1: 2}`)), F, 10, 'non-string key 1');
    expectNpyError(parse(rawNpy(hdr('<f4', '(1,)', "'no'"))), F, 10, "'fortran_order' must be True or False, got 'no'");
    expectNpyError(parse(rawNpy(`{'descr': 4, 'fortran_order': False, 'shape': (1,)}`)), F, 10,
      "'descr' must be a string, got 4");
  });

  it('bad shape tuples', () => {
    expectNpyError(parse(rawNpy(hdr('<f4', '[3, 4]'))), F, 10, 'bad shape tuple', 'got [3, 4]');
    expectNpyError(parse(rawNpy(hdr('<f4', '3'))), F, 10, 'bad shape tuple', 'got 3');
    expectNpyError(parse(rawNpy(hdr('<f4', '(3.5, 2)'))), F, 10,
      'bad shape tuple (3.5, 2): dimension 0 is 3.5, not an integer');
    expectNpyError(parse(rawNpy(hdr('<f4', "(2, 'a')"))), F, 10, "dimension 1 is 'a', not an integer");
    expectNpyError(parse(rawNpy(hdr('<f4', '(-1, 4)'))), F, 10,
      'bad shape tuple (-1, 4): dimension 0 is negative (-1)');
    expectNpyError(parse(rawNpy(hdr('<f4', '(1099511627776, 1099511627776)'))), F, 10,
      'exceeds Number.MAX_SAFE_INTEGER');
    expectNpyError(parse(rawNpy(hdr('<f4', '(99999999999999999999,)'))), F, 10, 'exceeds Number.MAX_SAFE_INTEGER');
    // A zero dimension makes a huge product fine... but the first dimension alone must still be safe.
    expectNpyError(parse(rawNpy(hdr('<f4', '(0, 99999999999999999999)'))), F, 10, 'exceeds Number.MAX_SAFE_INTEGER');
  });

  it('unsupported dtypes', () => {
    const dt = (d: string) => parse(rawNpy(hdr(d, '(1,)')));
    expectNpyError(dt('<c8'), F, 10, `unsupported dtype "<c8" (complex)`);
    expectNpyError(dt('|O'), F, 10, `unsupported dtype "|O" (object`);
    expectNpyError(dt('<U5'), F, 10, `unsupported dtype "<U5" (unicode string)`);
    expectNpyError(dt('|S3'), F, 10, '(byte string)');
    expectNpyError(dt('<M8[ns]'), F, 10, `unsupported dtype "<M8[ns]"`);
    expectNpyError(dt('<f16'), F, 10, 'float of 16 bytes');
    expectNpyError(dt('<i3'), F, 10, 'integer of 3 bytes');
    expectNpyError(dt('=f4'), F, 10, "native byte order '='");
    expectNpyError(dt('|f4'), F, 10, "byte order '|' is only valid for 1-byte types");
    expectNpyError(parse(rawNpy(`{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,)}`)), F,
      10, "structured dtype [('a', '<f4'), ('b', '<i4')]");
  });

  it('data size must match the shape exactly', () => {
    const full = encodeNpy(new Float32Array(10000), [1000, 10]);
    const dataOffset = full.length - 40000;
    expect(dataOffset).toBe(128);
    expectNpyError(parse(full.subarray(0, full.length - 4)), F, 128,
      'header says shape (1000, 10) of <f4 = 40000 bytes of data, file has 39996');
    const longer = new Uint8Array(full.length + 4);
    longer.set(full);
    const e = expectNpyError(parse(longer), F, 128, 'file has 40004 (4 extra trailing bytes)');
    expect(e.message).toBe(
      'labels.npy: byte 128: header says shape (1000, 10) of <f4 = 40000 bytes of data, file has 40004 (4 extra trailing bytes)',
    );
    expectNpyError(parse(rawNpy(hdr('<i8', '(3,)'), new Array(23).fill(0))), F, 10 + hdr('<i8', '(3,)').length,
      'shape (3,) of <i8 = 24 bytes of data, file has 23');
    expectNpyError(parse(rawNpy(hdr('<f8', '()'), [0, 0, 0, 0])), F, 10 + hdr('<f8', '()').length,
      'shape () of <f8 = 8 bytes');
    expectNpyError(parse(rawNpy(hdr('<f4', '(0, 10)'), [0])), F, 10 + hdr('<f4', '(0, 10)').length,
      'shape (0, 10) of <f4 = 0 bytes of data, file has 1');
  });
});

describe('readNpyFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confmat-npy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file it wrote', async () => {
    const p = join(dir, 'w.npy');
    await writeFile(p, encodeNpy(Uint16Array.from([3, 1, 4, 1, 5, 9]), [3, 2], { bigEndian: true }));
    const a = await readNpyFile(p);
    expect(a.descr).toBe('>u2');
    expect(a.shape).toEqual([3, 2]);
    expect(Array.from(a.data as Uint16Array)).toEqual([3, 1, 4, 1, 5, 9]);
  });

  it('missing file and directory give NpyError without a raw stack message', async () => {
    const p = join(dir, 'nope.npy');
    const e = await readNpyFile(p).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(NpyError);
    expect((e as NpyError).message).toBe(`${p}: cannot read: no such file`);
    expect((e as NpyError).offset).toBeUndefined();
    expect((e as NpyError).file).toBe(p);
    await expect(readNpyFile(dir)).rejects.toThrow(`${dir}: cannot read: is a directory`);
  });

  it('parse errors name the path', async () => {
    const p = join(dir, 'bad.npy');
    await writeFile(p, 'hello');
    await expect(readNpyFile(p)).rejects.toThrow(`${p}: byte 0: not a .npy file`);
  });
});
