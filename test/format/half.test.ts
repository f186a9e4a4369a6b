import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HalfDtype } from '../../src/core/types.js';
import { float16BitsToFloat32Bits, widenHalves } from '../../src/format/half.js';
import { formatBatch } from '../../src/format/validate.js';
import { type Batch, confusionMatrix, createConfusionMatrix, type GpuBatch, InputError,
  type LabelArray } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { cpuTopKHits } from '../../src/tasks/multiclass/top-k.js';
import { cpuArgmax } from '../../src/tasks/multiclass/update-cpu.js';
import { bytesWritten, checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, rng } from '../helpers/random.js';

const DTYPES: HalfDtype[] = ['float16', 'bfloat16'];

/** Format constants: the bits of +Inf, the fraction mask, where the exponent starts, the largest finite exponent. */
const FORMAT = { float16: { inf: 0x7c00, frac: 0x3ff, shift: 10, maxExp: 30 },
  bfloat16: { inf: 0x7f80, frac: 0x7f, shift: 7, maxExp: 254 } } as const;

/**
 * N x C half bit patterns of every class: NaN with payloads (both signs, quiet and signalling),
 * +-Inf, -0 and +0, subnormals, a few values repeated (ties), and random normals of any exponent.
 * `specials` is the share of non-random entries.
 */
function makeHalves(rand: () => number, rows: number, c: number, dtype: HalfDtype, specials = 0.3): Uint16Array {
  const f = FORMAT[dtype];
  const tieValues = [f.inf - (1 << f.shift) * 3, 1 << f.shift, 0x8000 | (1 << f.shift), 1, 0x8001];
  const out = new Uint16Array(rows * c);
  for (let i = 0; i < out.length; i++) {
    const sign = rand() < 0.5 ? 0x8000 : 0;
    const r = rand();
    if (r >= specials) {
      out[i] = sign | ((1 + Math.floor(rand() * f.maxExp)) << f.shift) | Math.floor(rand() * (f.frac + 1));
      continue;
    }
    const k = Math.floor((r / specials) * 6);
    if (k === 0 && rand() < 0.25) out[i] = sign | f.inf | (1 + Math.floor(rand() * f.frac)); // NaN, any payload
    else if (k <= 1) out[i] = sign | f.inf; // +-Inf
    else if (k === 2) out[i] = sign; // -0, +0
    else if (k === 3) out[i] = sign | (1 + Math.floor(rand() * f.frac)); // subnormal
    else out[i] = tieValues[Math.floor(rand() * tieValues.length)]!;
  }
  return out;
}

/** An independent widening, from the formats' definitions in float64 arithmetic (exact: every half is a float32). */
function referenceWiden(bits: Uint16Array, dtype: HalfDtype): Float32Array {
  const f = FORMAT[dtype];
  const bias = dtype === 'float16' ? 15 : 127;
  const fracBits = f.shift;
  return Float32Array.from(bits, (h) => {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> fracBits) & (dtype === 'float16' ? 0x1f : 0xff);
    const frac = h & f.frac;
    if ((h & 0x7fff) > f.inf) return NaN;
    if ((h & 0x7fff) === f.inf) return sign * Infinity;
    if (exp === 0) return sign * frac * 2 ** (1 - bias - fracBits);
    return sign * (1 + frac / 2 ** fracBits) * 2 ** (exp - bias);
  });
}

/** The oracle: argmax of the reference-widened rows, counted. */
function oracleCounts(halves: Uint16Array, dtype: HalfDtype, labels: LabelArray, c: number): Float64Array {
  const counts = new Float64Array(c * c);
  const preds = cpuArgmax(referenceWiden(halves, dtype), c);
  for (let i = 0; i < labels.length; i++) counts[Number(labels[i]) * c + preds[i]!]! += 1;
  return counts;
}

/** A STORAGE buffer holding the halves packed two per 4 bytes (the last word padded). */
function uploadHalves(device: GPUDevice, halves: Uint16Array): GPUBuffer {
  const padded = new Uint16Array(Math.max(2, Math.ceil(halves.length / 2) * 2));
  padded.set(halves);
  const b = device.createBuffer({ label: 'test halves', size: padded.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, padded);
  return b;
}

function uploadU32(device: GPUDevice, data: Uint32Array): GPUBuffer {
  const b = device.createBuffer({ label: 'test labels', size: Math.max(4, data.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data as Uint32Array<ArrayBuffer>);
  return b;
}

describe('16-bit logits on the host', () => {
  it('widen exactly: every float16 pattern, and bfloat16 as the top of a float32', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    for (const dtype of DTYPES) {
      const got = widenHalves(all, dtype);
      const want = referenceWiden(all, dtype);
      for (let h = 0; h < 65536; h++) {
        if (Number.isNaN(want[h])) expect(Number.isNaN(got[h]), `${dtype} ${h.toString(16)}`).toBe(true);
        else expect(Object.is(got[h], want[h]), `${dtype} ${h.toString(16)}: ${got[h]} vs ${want[h]}`).toBe(true);
      }
    }
    expect(float16BitsToFloat32Bits(0xfe01)).toBe(0xffc02000); // sign and payload kept
    expect(float16BitsToFloat32Bits(0x8000)).toBe(0x80000000);
  });

  it('a Uint16Array needs logitsDtype, and logitsDtype must match the array', () => {
    const labels = Uint8Array.of(0, 1);
    expect(() => formatBatch({ logits: new Uint16Array(4), labels } as Batch, 2)).toThrow(
      /logits are a Uint16Array: if they hold 16-bit floats, say which with logitsDtype: 'float16' or 'bfloat16'/,
    );
    expect(() => formatBatch({ logits: new Uint16Array(4), logitsDtype: 'float32', labels }, 2)).toThrow(
      /logitsDtype 'float32' needs a Float32Array/,
    );
    expect(() => formatBatch({ logits: new Float32Array(4), logitsDtype: 'float16', labels }, 2)).toThrow(
      /logitsDtype 'float16' needs the logits' 16-bit patterns in a Uint16Array/,
    );
    expect(() => formatBatch({ logits: new Uint16Array(4), logitsDtype: 'half' as 'float16', labels }, 2)).toThrow(
      InputError,
    );
    expect(() => formatBatch({ logits: new Uint16Array(5), logitsDtype: 'float16', labels }, 2)).toThrow(
      /logits hold 5 values, expected N x C = 2 x 2 = 4/,
    );
    const fb = formatBatch({ logits: Uint16Array.of(0x3c00, 0x4000, 0xfc00, 0x8000), logitsDtype: 'float16', labels },
      2);
    expect(Array.from(fb.logits!)).toEqual([1, 2, -Infinity, -0]);
  });

  it('count on the CPU as the widened float32 logits do, top-k and ignoreIndex included', async () => {
    const rand = rng(5);
    for (const dtype of DTYPES) {
      const [n, c] = [500, 9];
      const halves = makeHalves(rand, n, c, dtype);
      const labels = makeLabels(rand, n, c, Int16Array) as Int16Array;
      const got = await confusionMatrix({ logits: halves, logitsDtype: dtype, labels }, { numClasses: c, topK: 3 });
      expect(got.counts).toEqual(oracleCounts(halves, dtype, labels, c));
      const hits = new Float64Array(c);
      cpuTopKHits(referenceWiden(halves, dtype), labels, c, 3, hits);
      expect(got.topK!.hits).toEqual(hits);
      labels[3] = -1;
      labels[10] = -1;
      const kept = Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] !== -1);
      const keptHalves = Uint16Array.from(kept.flatMap((i) => Array.from(halves.subarray(i * c, (i + 1) * c))));
      const ignored = await confusionMatrix({ logits: halves, logitsDtype: dtype, labels }, { numClasses: c,
        ignoreIndex: -1 });
      expect(ignored.counts).toEqual(oracleCounts(keptHalves, dtype, Int16Array.from(kept, (i) => labels[i]!), c));
      expect(ignored.total).toBe(n - 2);
    }
  });
});

for (const adapter of TEST_ADAPTERS) {
  describe(`16-bit logits on the GPU, ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
    });
    afterAll(() => gpu?.destroy());

    it('equal the CPU oracle on random bit patterns: odd and even C, rows around chunk and word boundaries, both histograms', async () => {
      const rand = rng(61);
      const cases: [number, number, number | undefined][] = [[0, 3, undefined], [1, 1, undefined], [1, 2, undefined], [
        1,
        3,
        undefined,
      ], [129, 7, 64], [300, 10, 7], [257, 17, 1], [1000, 64, 128], [513, 65, 100], [2048, 3, 1 << 20], [77, 1000, 16]];
      for (const dtype of DTYPES) {
        for (const [n, c, chunkRows] of cases) {
          const halves = makeHalves(rand, n, c, dtype, c >= 64 ? 0.05 : 0.3);
          const labels = makeLabels(rand, n, c, c > 255 ? Uint16Array : Uint8Array);
          const want = oracleCounts(halves, dtype, labels, c);
          for (const histogram of ['global', 'private', 'local'] as const) {
            if (histogram === 'private' && c * c * 4 > device.limits.maxComputeWorkgroupStorageSize) continue;
            if (histogram === 'local' && c > 10) continue;
            const got = await checked(device, () =>
              confusionMatrix({ logits: halves, logitsDtype: dtype, labels }, { numClasses: c, device, histogram,
                ...(chunkRows ? { chunkRows } : {}) }));
            expect(got.counts, `${dtype} n=${n} c=${c} chunkRows=${chunkRows} ${histogram}`).toEqual(want);
          }
        }
      }
    });

    it('upload the halves as they are: half the bytes of float32', async () => {
      const rand = rng(8);
      for (const [n, c, chunkRows] of [[1001, 7, 100], [4096, 10, 1 << 20], [63, 5, 8]] as const) {
        const halves = makeHalves(rand, n, c, 'float16');
        const labels = makeLabels(rand, n, c, Uint32Array) as Uint32Array;
        const [got, bytes] = await bytesWritten(device, () =>
          checked(device, () =>
            confusionMatrix({ logits: halves, logitsDtype: 'float16', labels }, { numClasses: c, device, chunkRows })));
        expect(got.counts).toEqual(oracleCounts(halves, 'float16', labels, c));
        const chunks = Math.ceil(n / chunkRows);
        // the halves, a padding half per chunk at most, the labels and 16 bytes of parameters per chunk
        expect(bytes).toBeLessThanOrEqual(n * c * 2 + 2 * chunks + n * 4 + 16 * chunks);
        expect(bytes).toBeGreaterThanOrEqual(n * c * 2 + n * 4);
      }
    });

    it('rank top-k as the CPU does (ties, NaN, -0), for k = 1 .. C', async () => {
      const rand = rng(13);
      for (const dtype of DTYPES) {
        for (const [n, c] of [[600, 5], [301, 10]] as const) {
          const halves = makeHalves(rand, n, c, dtype, 0.5);
          const labels = makeLabels(rand, n, c, Int32Array);
          const widened = referenceWiden(halves, dtype);
          for (let k = 1; k <= c; k++) {
            const got = await checked(device, () =>
              confusionMatrix({ logits: halves, logitsDtype: dtype, labels }, { numClasses: c, device, topK: k,
                chunkRows: 97 }));
            const hits = new Float64Array(c);
            cpuTopKHits(widened, labels, c, k, hits);
            expect(got.topK!.hits, `${dtype} c=${c} k=${k}`).toEqual(hits);
            expect(got.counts).toEqual(oracleCounts(halves, dtype, labels, c));
          }
        }
      }
    });

    it('read halves in GPU buffers in place: rows starting mid-word, chunks at 256-byte offsets, labels in buffers or on the host', async () => {
      const rand = rng(29);
      for (const dtype of DTYPES) {
        for (const [n, c, chunkRows] of [[1000, 7, 128], [777, 3, 300], [130, 17, 128], [5, 2, 1 << 20], [389, 1, 128],
          [256, 9, 200]] as const) {
          const halves = makeHalves(rand, n, c, dtype);
          const labels = makeLabels(rand, n, c, Uint32Array) as Uint32Array;
          const want = oracleCounts(halves, dtype, labels, c);
          const [lb, yb] = [uploadHalves(device, halves), uploadU32(device, labels)];
          // an odd count of halves leaves a padding half in the buffer: then rows must be given
          const batches: GpuBatch[] = [{ logits: lb, logitsDtype: dtype, labels: yb,
            ...((n * c) % 2 === 1 ? { rows: n } : {}) }, { logits: lb, logitsDtype: dtype, labels, rows: n }, {
            logits: halves,
            logitsDtype: dtype,
            labels: yb,
          }];
          for (const batch of batches) {
            const [got, bytes] = await bytesWritten(device, () =>
              checked(device, () => confusionMatrix(batch, { numClasses: c, device, chunkRows })));
            expect(got.counts, `${dtype} n=${n} c=${c}`).toEqual(want);
            if (batch.logits === lb) {
              expect(bytes).toBeLessThanOrEqual(
                (ArrayBuffer.isView(batch.labels) ? n * 4 : 0) + 16 * (Math.ceil(n / 128) + 1),
              );
            }
          }
          const top = await checked(device, () =>
            confusionMatrix({ logits: lb, logitsDtype: dtype, labels: yb, rows: n }, { numClasses: c, device, chunkRows,
              topK: 2 }));
          const hits = new Float64Array(c);
          cpuTopKHits(referenceWiden(halves, dtype), labels, c, 2, hits);
          expect(top.topK!.hits).toEqual(hits);
          lb.destroy();
          yb.destroy();
        }
      }
    });

    it('refuse a half buffer too small for its rows (padded to 4 bytes), and resident halves with chunks under 128 rows', async () => {
      const labels = new Uint32Array(3);
      const tight = device.createBuffer({ label: 'tight halves', size: 6, usage: GPUBufferUsage.STORAGE });
      await expect(confusionMatrix({ logits: tight, logitsDtype: 'float16', labels }, { numClasses: 1, device }))
        .rejects.toThrow(
          /the logits buffer 'tight halves' holds 6 bytes, fewer than 3 rows x 1 halves x 2 bytes, padded to a multiple of 4 = 8 bytes/,
        );
      tight.destroy();
      const n = 300;
      const halves = uploadHalves(device, new Uint16Array(n * 3));
      await expect(
        confusionMatrix({ logits: halves, logitsDtype: 'bfloat16', labels: new Uint32Array(n) }, { numClasses: 3,
          device, chunkRows: 100 }),
      ).rejects.toThrow(
        /GPU-resident inputs need chunkRows >= 128 \(binding offsets must be 256-byte aligned\), got 100/,
      );
      halves.destroy();
    });

    it('mix float32, float16, bfloat16 and predicted classes in one matrix (slots reused and regrown)', async () => {
      const rand = rng(77);
      const c = 11;
      const cm = createConfusionMatrix({ numClasses: c, device, chunkRows: 50, flushEvery: 120 });
      const want = new Float64Array(c * c);
      for (let k = 0; k < 12; k++) {
        const n = 20 + Math.floor(rand() * 200);
        const labels = makeLabels(rand, n, c, Int32Array);
        const kind = k % 4;
        const dtype = kind === 1 ? 'bfloat16' : 'float16';
        const halves = makeHalves(rand, n, c, dtype);
        if (kind === 0 || kind === 1) {
          await checked(device, () => cm.update({ logits: halves, logitsDtype: dtype, labels }));
          const o = oracleCounts(halves, dtype, labels, c);
          for (let i = 0; i < o.length; i++) want[i]! += o[i]!;
        } else if (kind === 2) {
          const logits = referenceWiden(halves, dtype);
          await checked(device, () => cm.update({ logits, labels }));
          const o = oracleCounts(halves, dtype, labels, c);
          for (let i = 0; i < o.length; i++) want[i]! += o[i]!;
        } else {
          const preds = makeLabels(rand, n, c, Uint8Array);
          await checked(device, () => cm.update({ preds, labels }));
          for (let i = 0; i < n; i++) want[labels[i]! as number * c + (preds[i] as number)]! += 1;
        }
      }
      expect((await cm.compute()).counts).toEqual(want);
      cm.destroy();
    });

    it('count halves with sample weights as their widened float32 logits (the weighted fused pass reads halves too)', async () => {
      const rand = rng(41);
      for (const dtype of DTYPES) {
        const [n, c] = [333, 7];
        const halves = makeHalves(rand, n, c, dtype);
        const labels = makeLabels(rand, n, c, Int32Array);
        const weights = Float64Array.from({ length: n }, () => Math.floor(rand() * 8) / 4);
        const opts = { numClasses: c, device, chunkRows: 128, topK: 2 };
        const half = await checked(device, () =>
          confusionMatrix({ logits: halves, logitsDtype: dtype, labels, weights }, opts));
        const wide = await checked(device, () =>
          confusionMatrix({ logits: referenceWiden(halves, dtype), labels, weights }, opts));
        expect(half.counts).toEqual(wide.counts);
        expect(half.topK!.hits).toEqual(wide.topK!.hits);
        expect(half.total).toBe(weights.reduce((x, y) => x + y, 0));
      }
    });

    it('skip ignored labels in half batches on the host and in buffers', async () => {
      const rand = rng(3);
      const [n, c] = [700, 6];
      const halves = makeHalves(rand, n, c, 'float16');
      const labels = Int32Array.from(makeLabels(rand, n, c + 1, Int32Array) as Int32Array, (v) => (v === c ? -100 : v));
      const kept = Array.from({ length: n }, (_, i) => i).filter((i) => labels[i] !== -100);
      const want = oracleCounts(Uint16Array.from(kept.flatMap((i) => Array.from(halves.subarray(i * c, (i + 1) * c)))),
        'float16', Int32Array.from(kept, (i) => labels[i]!), c);
      const host = await checked(device, () =>
        confusionMatrix({ logits: halves, logitsDtype: 'float16', labels }, { numClasses: c, device, ignoreIndex: -100,
          chunkRows: 128 }));
      expect(host.counts).toEqual(want);
      const [lb, yb] = [uploadHalves(device, halves), uploadU32(device, new Uint32Array(labels.buffer))];
      const resident = await checked(device, () =>
        confusionMatrix({ logits: lb, logitsDtype: 'float16', labels: yb }, { numClasses: c, device, ignoreIndex: -100,
          chunkRows: 128 }));
      expect(resident.counts).toEqual(want);
      lb.destroy();
      yb.destroy();
    });

    it('go on on the CPU, widened, when the device is lost mid-stream', async () => {
      const lost = await requireDevice(adapter.options);
      const rand = rng(17);
      const c = 5;
      const batches = Array.from({ length: 6 }, (_, k) => {
        const n = 100 + Math.floor(rand() * 300);
        const dtype: HalfDtype = k % 2 ? 'bfloat16' : 'float16';
        return { logits: makeHalves(rand, n, c, dtype), logitsDtype: dtype,
          labels: makeLabels(rand, n, c, Uint8Array) };
      });
      const warnings: string[] = [];
      const cm = createConfusionMatrix({ numClasses: c, device: lost.device, chunkRows: 64, flushEvery: 200, topK: 2,
        warn: (m) =>
          warnings.push(m) });
      const queue = lost.device.queue;
      const submit = queue.submit;
      let calls = 0;
      queue.submit = function(this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
        const r = submit.call(this, buffers);
        if (++calls === 7) {
          lost.device.destroy();
        }
        return r;
      } as typeof submit;
      const want = new Float64Array(c * c);
      const hits = new Float64Array(c);
      for (const b of batches) {
        await cm.update(b);
        const o = oracleCounts(b.logits, b.logitsDtype, b.labels, c);
        for (let i = 0; i < o.length; i++) {
          want[i]! += o[i]!;
        }
        cpuTopKHits(referenceWiden(b.logits, b.logitsDtype), b.labels, c, 2, hits);
      }
      const r = await cm.compute();
      expect(cm.backend).toBe('cpu');
      expect(warnings).toHaveLength(1);
      expect(r.counts).toEqual(want);
      expect(r.topK!.hits).toEqual(hits);
      cm.destroy();
      lost.destroy();
    });
  });
}
