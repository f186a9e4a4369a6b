import { describe, expect, it } from 'vitest';
import { encodeNpy, type NumericArray } from '../../src/read/npy.js';
import { confusionMatrix } from '../../src/tasks/multiclass/matrix.js';
import { checkWholeRead, readNpyHead, streamCount, streamedLabels, streamedLogits,
  wholeLabels } from '../../web/stream-npy.js';
import { progressText } from '../../web/stream-progress.js';
import { byteReader } from '../../web/stream-reader.js';
import { rng } from '../helpers/random.js';

/** A stream of `bytes` cut into chunks of the given sizes (cycled): a byte stream (BYOB readers) or not. */
function chunked(bytes: Uint8Array, sizes: number[], byob: boolean): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  const pull = (c: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController): void => {
    if (at >= bytes.length) {
      c.close();
      // A byte stream's pending BYOB read ends only when answered: 0 bytes, the stream is closed.
      return void ('byobRequest' in c && c.byobRequest?.respond(0));
    }
    const n = sizes[i++ % sizes.length]!;
    c.enqueue(bytes.slice(at, at + n));
    at += n;
  };
  return byob ? new ReadableStream({ type: 'bytes', pull }) : new ReadableStream({ pull });
}

const blob = (bytes: Uint8Array): Blob => new Blob([bytes as Uint8Array<ArrayBuffer>]);

/** `.npy` bytes of `data` with the dtype descriptor replaced (same length), e.g. u2 written as f2. */
function npy(data: NumericArray, shape: number[], descr?: [string, string]): Uint8Array {
  const bytes = encodeNpy(data, shape);
  if (!descr) return bytes;
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 128)).replace(descr[0], descr[1]);
  bytes.set(Uint8Array.from(text, (ch) => ch.charCodeAt(0)));
  return bytes;
}

describe('web/stream-reader', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);

  it.each([['a default stream (chunks copied)', false], ['a byte stream (BYOB, no copies)', true]])(
    'reads sizes across the chunks of %s, short only at the end',
    async (_, byob) => {
      const stream = chunked(bytes, [1, 64, 3, 200], byob);
      const r = byteReader(stream, 900);
      const got: number[] = [];
      for (const size of [5, 0, 130, 1, 900]) {
        const part = await r.read(size);
        expect(part.length).toBe(size === 900 ? 864 : size);
        got.push(...part);
      }
      expect(got).toEqual(Array.from(bytes));
      await expect(r.read(4)).resolves.toHaveLength(0);
    },
  );
});

describe('web/stream-npy: .npy files counted chunk by chunk', () => {
  const rows = 103;
  const c = 5;
  const random = rng(7);
  const table = [[0, 0x0000], [1, 0x3c00], [2, 0x4000], [3, 0x4200], [-1, 0xbc00]] as const;
  const pick = Array.from({ length: rows * c }, () => Math.floor(random() * table.length));
  const f32 = Float32Array.from(pick, (k) => table[k]![0]);
  const f16 = Uint16Array.from(pick, (k) => table[k]![1]);
  const labels = BigInt64Array.from({ length: rows }, () => BigInt(Math.floor(random() * c)));
  const expected = async (): Promise<Float64Array> =>
    (await confusionMatrix({ logits: f32, labels }, { numClasses: c })).counts;
  const logitsOf = async (bytes: Uint8Array) => streamedLogits(await readNpyHead(blob(bytes), 'x.npy'))!;
  const labelsNpy = async () => streamedLabels(await readNpyHead(blob(npy(labels, [rows])), 'y.npy'));

  it.each([['float32', () => npy(f32, [rows, c])], ['float16', () => npy(f16, [rows, c], ["'<u2'", "'<f2'"])], [
    'float64',
    () => npy(Float64Array.from(f32), [rows, c]),
  ], ['big-endian float32', () => encodeNpy(f32, [rows, c], { bigEndian: true })]])(
    '%s logits and int64 labels, in chunks of 7 rows, equal the whole count',
    async (_, make) => {
      const logits = await logitsOf(make());
      for (const lab of [await labelsNpy(), labels]) {
        const progress: number[] = [];
        const [run] = await streamCount({ logits, labels: lab, labelsFile: 'y.npy', numClasses: c, devices: [undefined],
          chunkBytes: 7 * c * logits.stream.header.itemSize, onProgress: (p) => progress.push(p.rows) });
        expect(run!.result.counts).toEqual(await expected());
        expect(progress).toEqual([...Array.from({ length: 14 }, (_, i) => 7 * (i + 1)), rows]);
      }
    },
  );

  it('names the file and the row of a label out of range, and the files that disagree on rows', async () => {
    const bad = labels.slice();
    bad[40] = 9n;
    const logits = await logitsOf(npy(f32, [rows, c]));
    const labelsBad = streamedLabels(await readNpyHead(blob(npy(bad, [rows])), 'y.npy'));
    await expect(
      streamCount({ logits, labels: labelsBad, labelsFile: 'y.npy', numClasses: c, devices: [undefined],
        chunkBytes: 16 * c * 4 }),
    ).rejects.toThrow('y.npy: row 40: label 9 is outside [0, 5)');
    await expect(
      streamCount({ logits, labels: labels.subarray(1), labelsFile: 'y.csv', numClasses: c, devices: [undefined] }),
    ).rejects.toThrow('y.csv: 102 labels, but x.npy has 103 rows');
  });

  it('stops reading when aborted, rejecting with the reason', async () => {
    const logits = await logitsOf(npy(f32, [rows, c]));
    const ac = new AbortController();
    let seen = 0;
    const run = streamCount({ logits, labels: await labelsNpy(), labelsFile: 'y.npy', numClasses: c,
      devices: [undefined], chunkBytes: 10 * c * 4, signal: ac.signal, onProgress: (p) => {
        seen = p.rows;
        if (p.rows === 30) ac.abort(new DOMException('cancelled', 'AbortError'));
      } });
    await expect(run).rejects.toThrow('cancelled');
    expect(seen).toBe(30);
  });

  it('reads headers only, refusing what cannot be streamed; labels read whole when wanted', async () => {
    const s = await readNpyHead(blob(npy(f32, [rows, c])), 'x.npy');
    expect([s.rows, s.width, s.header.descr]).toEqual([rows, c, '<f4']);
    expect(streamedLogits(await readNpyHead(blob(npy(labels, [rows])), 'y.npy'))).toBeUndefined();
    await expect(readNpyHead(blob(npy(f32, [rows, c]).subarray(0, 500)), 'cut.npy')).rejects.toThrow(/^cut\.npy: /);
    await expect(readNpyHead(blob(encodeNpy(f32, [rows, c], { fortranOrder: true })), 'f.npy')).rejects.toThrow(
      'f.npy: fortran_order True',
    );
    expect(() => streamedLabels(s)).toThrow('x.npy: shape (103, 5): labels must be 1-D (N,)');
    expect(await wholeLabels(await labelsNpy())).toEqual(labels);
  });

  it('refuses to read whole a text file over 256 MB, naming it; says progress in MB, rows and rows/s', () => {
    expect(() => checkWholeRead({ name: 'big.csv', size: 300e6 })).toThrow(/^big\.csv: 300 MB is too big to read/);
    expect(() => checkWholeRead({ name: 'big.parquet', size: 300e6 })).not.toThrow();
    expect(progressText({ bytes: 5e8, totalBytes: 1.2e9, rows: 2e6, totalRows: 25e6, ms: 1000 })).toBe(
      '500 of 1,200 MB (41%), 2,000,000 of 25,000,000 rows, 2.0 M rows/s',
    );
  });
});
