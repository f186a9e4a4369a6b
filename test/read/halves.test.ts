import { describe, expect, it } from 'vitest';
import { widenHalves } from '../../src/format/half.js';
import type { NumericArray } from '../../src/read/npy.js';
import { type ArraySource, openArray, sliceRows } from '../../src/read/open-array.js';

const DIR = 'test/fixtures/half';
const F16 = [`${DIR}/logits-f16.npy`, `${DIR}/logits-f16-be.npy`, `${DIR}/logits.npz:logits`,
  `${DIR}/logits-z.npz:logits`, `${DIR}/logits.safetensors:f16`];

async function readAll(src: ArraySource, rowsPerChunk: number): Promise<NumericArray[]> {
  const parts: NumericArray[] = [];
  try {
    for await (const { data } of src.chunks(rowsPerChunk)) parts.push((data as NumericArray).slice());
  } finally {
    await src.close();
  }
  return parts;
}

const concat = (parts: NumericArray[]): number[] => parts.flatMap((p) => Array.from(p as ArrayLike<number>));
const sameFloats = (a: number[], b: number[]): boolean =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || (Number.isNaN(x) && Number.isNaN(b[i])));

describe('reading float16 and bfloat16 as raw halves (openArray halves option)', () => {
  it.each([...F16, `${DIR}/logits.safetensors:bf16`])(
    '%s: Uint16Array chunks that widen to what the default reader gives',
    async (spec) => {
      const bf16 = spec.endsWith(':bf16');
      const raw = await readAll(await openArray(spec, { halves: true }), 37);
      expect(raw.every((p) => p instanceof Uint16Array)).toBe(true);
      const widened = await readAll(await openArray(spec), 37);
      expect(widened.every((p) => p instanceof Float32Array)).toBe(true);
      const bits = Uint16Array.from(concat(raw));
      expect(bits.length).toBe(300 * 7);
      expect(sameFloats(Array.from(widenHalves(bits, bf16 ? 'bfloat16' : 'float16')), concat(widened))).toBe(true);
      const src = await openArray(spec, { halves: true });
      expect([src.dtype, src.kind, src.shape]).toEqual([bf16 ? 'bf16' : 'f2', 'f', [300, 7]]);
      await src.close();
    },
  );

  it('gives every float16 file the same bits, byte order and compression aside, also when sliced', async () => {
    const all = await Promise.all(
      F16.map(async (spec) => concat(await readAll(await openArray(spec, { halves: true }), 64))),
    );
    for (const bits of all) expect(bits).toEqual(all[0]);
    for (const spec of F16) {
      const slice = concat(await readAll(sliceRows(await openArray(spec, { halves: true }), 101, 250), 13));
      expect(slice).toEqual(all[0]!.slice(101 * 7, 250 * 7));
    }
  });

  it('leaves other dtypes alone', async () => {
    const [labels] = await readAll(await openArray(`${DIR}/labels.npy`, { halves: true }), 1000);
    expect(labels).toBeInstanceOf(Int16Array);
    const [f32] = await readAll(await openArray('test/fixtures/topk/logits.npy', { halves: true }), 10);
    expect(f32).toBeInstanceOf(Float32Array);
  });
});
