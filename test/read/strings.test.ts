import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byCodePoint } from '../../src/core/code-point.js';
import { decodeNpyStrings, NpyError, parseNpy } from '../../src/read/npy.js';
import { type ArraySource, openArray, sliceRows } from '../../src/read/open-array.js';

const F = 'test/fixtures/strings';
const tmp = mkdtempSync(join(tmpdir(), 'confmat-str-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const at = (name: string, data: string | Uint8Array): string => {
  writeFileSync(join(tmp, name), data);
  return join(tmp, name);
};

async function all(src: ArraySource, rowsPerChunk = 7): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const { data } of src.chunks(rowsPerChunk)) out.push(...(data as ArrayLike<unknown> & Iterable<unknown>));
  return out;
}

/** A .npy file with header `descr`, `shape` and raw `data` bytes. */
function npy(descr: string, n: number, data: Uint8Array): Uint8Array {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${n},), }`;
  h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
  const head = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  return new Uint8Array([...head, ...new TextEncoder().encode(h), ...data]);
}

describe('string arrays in .npy and .npz', () => {
  it('reads <U (np.save of str) and |S arrays as kind s, trailing NULs dropped', async () => {
    const u = await openArray(`${F}/y.npy`);
    const s = await openArray(`${F}/y-bytes.npy`);
    expect([u.kind, u.dtype, u.shape, u.raw]).toEqual(['s', 'str', [300], undefined]);
    const [a, b] = [await all(u), await all(s)];
    expect(a).toEqual(b);
    expect(a).toContain('\u{1f600}');
    expect(a).toContain('éclair');
    await Promise.all([u.close(), s.close()]);
  });

  it('decodes big-endian <U and > U items, code points past U+FFFF', () => {
    const be = new Uint8Array(16);
    new DataView(be.buffer).setUint32(0, 0x1f600, false);
    new DataView(be.buffer).setUint32(8, 0x61, false);
    expect(decodeNpyStrings({ itemSize: 8, bigEndian: true, chars: 'U' }, be)).toEqual(['\u{1f600}', 'a']);
    expect(() => decodeNpyStrings({ itemSize: 4, bigEndian: false, chars: 'U' }, new Uint8Array([0, 0xd8, 0, 0]), 5))
      .toThrow('item 5: 0xd800 is not a Unicode code point');
  });

  it('reads a |S array by rows (sliceRows)', async () => {
    const data = new Uint8Array(12);
    new TextEncoder().encodeInto('ab\0cd\0ef\0gh\0', data);
    const file = at('s.npy', npy('|S3', 4, data));
    const src = await openArray(file);
    expect(await all(sliceRows(src, 1, 3), 1)).toEqual(['cd', 'ef']);
    await src.close();
  });

  it('parseNpy still refuses string dtypes (they are labels, read through openArray)', () => {
    const bytes = npy('<U1', 1, new Uint8Array(4));
    expect(() => parseNpy(bytes, 'x.npy')).toThrow(NpyError);
    expect(() => parseNpy(bytes, 'x.npy')).toThrow(/x\.npy: byte 10: unsupported dtype "<U1" \(unicode string\)/);
  });
});

describe('string label columns in CSV', () => {
  it('a labels column of which no field is a number is strings (kind s); a mixed one is numbers', async () => {
    const file = at('a.csv', 'id,label,mixed\n0,cat,1\n1, dog ,x\n2,"x,y",2\n3,\u00e9t\u00e9,3\n');
    const src = await openArray(`${file}:label`, { role: 'labels' });
    expect([src.kind, src.dtype, src.shape]).toEqual(['s', 'str', [4]]);
    expect(await all(src, 3)).toEqual(['cat', 'dog', 'x,y', '\u00e9t\u00e9']);
    expect(await all(sliceRows(src, 2, 4), 1)).toEqual(['x,y', '\u00e9t\u00e9']);
    const ids = await openArray(`${file}:id`, { role: 'labels' });
    expect([ids.kind, await all(ids)]).toEqual(['i', [0, 1, 2, 3]]);
    const mixed = await openArray(`${file}:mixed`, { role: 'labels' });
    expect(mixed.kind).toBe('i');
    await expect(all(mixed)).rejects.toThrow(
      /a\.csv:3:\d+: non-numeric label "x"; the column also holds numbers \(a column of string labels holds none\)/,
    );
    const logits = await openArray(`${file}:id`, { role: 'logits' });
    expect(logits.kind).toBe('f');
    await Promise.all([src.close(), ids.close(), mixed.close(), logits.close()]);
  });

  it('refuses an empty name with line and column', async () => {
    const src = await openArray(`${at('e.csv', 'label\ncat\n\ndog\n')}`, { role: 'labels' }).catch((e) => e);
    expect(String(src)).toMatch(/e\.csv:3:1: blank line before line 4/);
    const two = await openArray(`${at('e2.csv', 'label,p\ncat,1\n ,2\n')}:label`, { role: 'labels' });
    expect(two.kind).toBe('s');
    await expect(all(two)).rejects.toThrow(/e2\.csv:3:1: empty field in column 'label' \(missing value\?\)/);
    await two.close();
  });
});

describe('byCodePoint', () => {
  it('orders by code point as numpy and Python do, not by UTF-16 unit', () => {
    const names = ['\u{1f600}', '\uff21', 'b', 'a', 'ab', '', 'B'];
    expect([...names].sort(byCodePoint)).toEqual(['', 'B', 'a', 'ab', 'b', '\uff21', '\u{1f600}']);
    expect(['\u{1f600}', '\uff21'].sort()).toEqual(['\u{1f600}', '\uff21']);
    expect(byCodePoint('a\u{1f600}', 'a\u{1f600}')).toBe(0);
  });
});

describe('fuzz: string .npy files', () => {
  it('round-trips any strings through <U (UTF-32) and |S (UTF-8), and refuses bad items as NpyError', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }), { maxLength: 20 }),
        fc.uint8Array({ maxLength: 64 }), async (names, noise) => {
        const cps = names.map((x) => [...x].map((c) => c.codePointAt(0)!).filter((c) => c !== 0));
        const width = Math.max(1, ...cps.map((c) => c.length));
        const u = new Uint32Array(names.length * width);
        cps.forEach((c, i) => u.set(c, i * width));
        const src = await openArray(at(`f${k++}.npy`, npy(`<U${width}`, names.length, new Uint8Array(u.buffer))));
        expect(await all(src, 3)).toEqual(cps.map((c) => String.fromCodePoint(...c)));
        await src.close();
        const n = Math.floor(noise.length / 4);
        const bad = await openArray(at(`g${k++}.npy`, npy('<U1', n, noise.subarray(0, 4 * n))));
        const bytes = await openArray(
          at(`h${k++}.npy`, npy('|S2', noise.length >> 1, noise.subarray(0, noise.length & ~1))),
        );
        for (const s of [bad, bytes]) {
          await all(s, 2).then((got) => expect(got.every((x) => typeof x === 'string')).toBe(true), (e) =>
            expect(e).toBeInstanceOf(NpyError));
          await s.close();
        }
      }),
      { numRuns: 100, seed: 16 },
    );
  });
});
