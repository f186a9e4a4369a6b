import { zipSync } from 'fflate';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, NpyError, type NumericArray } from '../../src/read/npy.js';
import { type ArraySource, openArray, sliceRows } from '../../src/read/open-array.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'confmat-npz-members-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A version 2.0 .npy of float32 `values` (one row each) whose header dict is padded to `headerLen` bytes. */
function paddedNpy(values: number[], headerLen: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${values.length},), }`;
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  const out = new Uint8Array(12 + headerLen + values.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(out.buffer).setUint32(8, headerLen, true);
  out.set(new TextEncoder().encode(header), 12);
  out.set(new Uint8Array(Float32Array.from(values).buffer), 12 + headerLen);
  return out;
}

async function npz(name: string, members: Record<string, Uint8Array>, level: 0 | 6): Promise<string> {
  const p = join(tmp, name);
  await writeFile(p, zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v, { level }]]))));
  return p;
}

async function all(src: ArraySource, per = 3): Promise<number[]> {
  const out: number[] = [];
  for await (const { data } of src.chunks(per)) out.push(...Array.from(data as Float32Array));
  return out;
}

describe('.npz members: one header reader and one row source for stored and deflated members', () => {
  it('reads a stored or deflated member whose header is longer than the first 4096 bytes', async () => {
    const values = [1.5, -2, 3, 4.25, 5, 6, 7];
    for (const level of [0, 6] as const) {
      const src = await openArray(await npz(`long-${level}.npz`, { 'x.npy': paddedNpy(values, 10_000) }, level));
      try {
        expect([src.dtype, src.shape, src.raw]).toEqual(['f4', [7], undefined]);
        expect(await all(src)).toEqual(values);
        expect(await all(sliceRows(src, 2, 5), 2)).toEqual(values.slice(2, 5));
      } finally {
        await src.close();
      }
    }
  });

  it('refuses a stored member whose header is over 1 MiB, naming the member and the byte', async () => {
    const p = await npz('huge.npz', { 'x.npy': paddedNpy([1], (1 << 20) + 64) }, 0);
    const e = await openArray(p).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(NpyError);
    // The member's data starts after the 30-byte local header and its 5-byte name; the length field is 8 bytes in.
    expect((e as NpyError).message).toBe(
      `${p}: byte 43: member 'x.npy': header length field says 1048640 bytes; ` +
        'headers over 1 MiB (1048576 bytes) are refused',
    );
  });

  it('Fortran-order members of either kind are read whole and served by rows, equal to the C-order array', async () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i - 7.5);
    const want = Array.from(data as NumericArray as Float32Array);
    for (const level of [0, 6] as const) {
      const p = await npz(`f-${level}.npz`, { 'f.npy': encodeNpy(data, [6, 4], { fortranOrder: true }) }, level);
      const src = await openArray(`${p}:f`);
      try {
        expect(src.raw).toBeUndefined();
        expect(await all(src, 4)).toEqual(want);
        expect(await all(src, 5)).toEqual(want);
      } finally {
        await src.close();
      }
    }
  });
});
