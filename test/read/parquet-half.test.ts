import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { widenHalves } from '../../src/format/half.js';
import { openArray } from '../../src/read/open-array.js';

// FLOAT16 Parquet columns (test/fixtures/parquet/make-float16.mjs): a list of FLOAT16 per row, read as .npy '<f2' is.
const DIR = fileURLToPath(new URL('../fixtures/parquet/', import.meta.url));
const npy = readFileSync(join(DIR, 'eval-f16-logits.npy'));
const BITS = new Uint16Array(npy.buffer.slice(npy.byteOffset + npy.length - 300 * 5 * 2, npy.byteOffset + npy.length));

/** Rows [from, to) of `spec` in chunks of `per` rows, joined, with each chunk's start and constructor. */
async function read(spec: string, halves: boolean, per: number, from = 0, to = 300) {
  const src = await openArray(spec, { role: 'logits', halves });
  const parts: number[] = [];
  const seen: string[] = [];
  let next = from;
  for await (const { start, data } of src.rangeChunks!(from, to, per)) {
    expect(start).toBe(next);
    next += data.length / 5;
    seen.push(data.constructor.name);
    parts.push(...Array.from(data as ArrayLike<number>));
  }
  await src.close();
  return { dtype: src.dtype, shape: src.shape, values: parts, ctors: new Set(seen) };
}

describe('Parquet FLOAT16 columns', () => {
  it.each(['eval-f16.parquet:logits', 'eval-f16-dict.parquet'])(
    '%s: bits as the .npy holds them (halves), else widened exactly, across row groups and pages',
    async (name) => {
      for (const [per, from, to] of [[300, 0, 300], [7, 0, 300], [50, 100, 290], [1, 127, 130]] as const) {
        const bits = await read(join(DIR, name), true, per, from, to);
        expect([bits.dtype, bits.shape, [...bits.ctors]]).toEqual(['f2', [300, 5], ['Uint16Array']]);
        expect(bits.values).toEqual(Array.from(BITS.subarray(from * 5, to * 5)));
        const wide = await read(join(DIR, name), false, per, from, to);
        expect([...wide.ctors]).toEqual(['Float32Array']);
        expect(wide.values).toEqual(Array.from(widenHalves(BITS.subarray(from * 5, to * 5), 'float16')));
      }
    },
  );
});
