import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusionMatrix, createCellRows, createComparison, createConfusionMatrix, createThresholdSweep,
  InputError } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { bytesWritten, checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { makeLabels, rng } from '../../helpers/random.js';

// float16 onnxruntime tensors (fp16 models' outputs): their data is 16-bit patterns (a Uint16Array, or a Float16Array
// where one exists), counted as float16 logits; the oracle widens them here, apart from src/format/half.ts.

/** A float16's value from its bits (NaN payloads aside: a NaN ranks as any NaN). */
function f16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const [e, f] = [(h >> 10) & 0x1f, h & 0x3ff];
  if (e === 0x1f) return f ? NaN : sign * Infinity;
  return e === 0 ? sign * f * 2 ** -24 : sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** float16 bits: few distinct values (ties), with NaNs, infinities, signed zeros and subnormals now and then. */
function halves(rand: () => number, n: number): Uint16Array {
  const specials = [0x7e00, 0xfc01, 0x7c00, 0xfc00, 0x8000, 0, 1, 0x8001, 0x3c00, 0x4000];
  return Uint16Array.from({ length: n },
    () =>
      rand() < 0.05 ?
        specials[Math.floor(rand() * specials.length)]! :
        specials[8 + Math.floor(rand() * 2)]! ^ (rand() < 0.3 ? 0x8000 : 0));
}

const oracle = (bits: Uint16Array, labels: Int32Array, c: number): number[] => {
  const counts = new Float64Array(c * c);
  cpuUpdate(counts, { rows: labels.length, numClasses: c, logits: Float32Array.from(bits, f16), labels });
  return Array.from(counts);
};

const tensor = (bits: Uint16Array, n: number, c: number) => new ort.Tensor('float16', bits, [n, c]);

async function refusal(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

describe.each(TEST_ADAPTERS)('float16 onnxruntime tensors, on the CPU and $name', ({ options: adapter }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(adapter);
  });
  afterAll(() => gpu?.destroy());

  it('host float16 logits (Uint16Array or another 2-byte view) equal the oracle: ties, NaN, Inf, -0, chunk edges',
    async () => {
      const rand = rng(41);
      const chunkRows = 64;
      for (const c of [1, 2, 3, 65]) {
        for (const n of [chunkRows - 1, chunkRows, chunkRows + 1, 2 * chunkRows + 1]) {
          const bits = halves(rand, n * c);
          const labels = makeLabels(rand, n, c, Int32Array) as Int32Array;
          const expected = oracle(bits, labels, c);
          const viewed = { dims: [n, c], type: 'float16', location: 'cpu', data: new Int16Array(bits.buffer) };
          for (const device of [undefined, gpu.device]) {
            const cm = createConfusionMatrix({ numClasses: c, device, chunkRows });
            await checked(gpu.device, async () => {
              await cm.update({ logits: tensor(bits, n, c), labels });
              await cm.update({ logits: viewed as unknown as ort.Tensor, labels, logitsDtype: 'float16' });
            });
            expect(Array.from((await cm.compute()).counts)).toEqual(expected.map((v) => 2 * v));
            cm.destroy();
          }
        }
      }
    });

  it("a float16 'gpu-buffer' tensor on the matrix's device is counted in place (odd N x C), as the CPU counts it",
    async () => {
      const rand = rng(43);
      const [n, c] = [513, 5];
      const bits = halves(rand, n * c);
      const labels = makeLabels(rand, n, c, Int32Array) as Int32Array;
      const padded = new Uint16Array(Math.ceil((n * c) / 2) * 2);
      padded.set(bits);
      const buffer = gpu.device.createBuffer({ label: 'ort f16 logits', size: padded.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      gpu.device.queue.writeBuffer(buffer, 0, padded);
      const downloads = { n: 0 };
      const resident = ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float16', dims: [n, c], download: async () => {
        downloads.n++;
        return Uint16Array.from(bits);
      } });
      const cm = createConfusionMatrix({ numClasses: c, device: gpu.device, chunkRows: 256 });
      const [, inPlace] = await checked(gpu.device,
        () => bytesWritten(gpu.device, () => cm.update({ logits: resident, labels })));
      const [, uploaded] = await bytesWritten(gpu.device, () => cm.update({ logits: tensor(bits, n, c), labels }));
      expect(uploaded - inPlace).toBeGreaterThanOrEqual(bits.byteLength);
      expect(downloads.n).toBe(0);
      const cpu = await confusionMatrix({ logits: tensor(bits, n, c), labels }, { numClasses: c });
      expect(Array.from((await cm.compute()).counts)).toEqual(Array.from(cpu.counts, (v) => 2 * v));
      expect(Array.from(cpu.counts)).toEqual(oracle(bits, labels, c));
      cm.destroy();

      const rows = createCellRows({ numClasses: c, cells: [{ true: 0 }, { true: 2, pred: 1 }], device: gpu.device });
      await rows.update({ logits: resident, labels });
      const widened = Float32Array.from(bits, f16);
      const host = createCellRows({ numClasses: c, cells: [{ true: 0 }, { true: 2, pred: 1 }] });
      await host.update({ logits: widened, labels });
      expect(await rows.compute()).toEqual(await host.compute());
      expect(downloads.n).toBe(1);
      rows.destroy();
      host.destroy();
      buffer.destroy();
    });

  it('with ignoreIndex and topK, a float16 tensor counts as its bits with logitsDtype do', async () => {
    const rand = rng(53);
    const [n, c] = [150, 6];
    const bits = halves(rand, n * c);
    const labels = makeLabels(rand, n, c, Int32Array) as Int32Array;
    for (let i = 0; i < n; i += 4) labels[i] = -100;
    for (const device of [undefined, gpu.device]) {
      const options = { numClasses: c, device, ignoreIndex: -100, topK: 2 };
      const got = await confusionMatrix({ logits: tensor(bits, n, c), labels }, options);
      const want = await confusionMatrix({ logits: bits, logitsDtype: 'float16', labels }, options);
      expect([Array.from(got.counts), Array.from(got.topK!.hits)]).toEqual([Array.from(want.counts),
        Array.from(want.topK!.hits)]);
      expect(got.total).toBe(n - Math.ceil(n / 4));
    }
  });

  it('compare takes float16 tensors for either model; cell rows and score fields get them widened', async () => {
    const rand = rng(47);
    const [n, c] = [200, 7];
    const [a, b] = [halves(rand, n * c), halves(rand, n * c)];
    const labels = makeLabels(rand, n, c, Int32Array) as Int32Array;
    for (const device of [undefined, gpu.device]) {
      const cmp = createComparison({ numClasses: c, device, chunkRows: 64 });
      await cmp.update({ logits: tensor(a, n, c), logitsB: tensor(b, n, c), labels });
      const ref = createComparison({ numClasses: c });
      await ref.update({ logits: Float32Array.from(a, f16), logitsB: Float32Array.from(b, f16), labels });
      const [got, want] = [await cmp.compute(), await ref.compute()];
      expect(Array.from(got.counts!)).toEqual(Array.from(want.counts!));
      expect(Array.from(got.a.counts)).toEqual(oracle(a, labels, c));
      cmp.destroy();
      ref.destroy();

      const cells = [{ true: 1 }, { true: 3, pred: 3 }];
      const [rows, host] = [createCellRows({ numClasses: c, cells, device }), createCellRows({ numClasses: c, cells })];
      await rows.update({ logits: tensor(a, n, c), labels });
      await host.update({ logits: Float32Array.from(a, f16), labels });
      expect(await rows.compute()).toEqual(await host.compute());
      rows.destroy();
      host.destroy();

      const scores = halves(rand, n);
      const targets = Uint8Array.from({ length: n }, () => Number(rand() < 0.5));
      const [sweep, plain] = [createThresholdSweep({ thresholds: [0, 1.5], device }),
        createThresholdSweep({ thresholds: [0, 1.5] })];
      await sweep.update({ scores: new ort.Tensor('float16', scores, [n, 1]), targets });
      await plain.update({ scores: Float32Array.from(scores, f16), targets });
      expect(await sweep.compute()).toEqual(await plain.compute());
      sweep.destroy();
      plain.destroy();
    }
  });
});

describe('float16 onnxruntime tensors: refusals', () => {
  it('a logitsDtype other than float16, float16 weights, data that is not 16-bit patterns', async () => {
    const bits = Uint16Array.of(0x3c00, 0, 0, 0x3c00);
    const labels = [0, 1];
    const cases: [Record<string, unknown>, string, string | RegExp][] = [[{ logits: tensor(bits, 2, 2),
      logitsDtype: 'bfloat16', labels }, 'logitsDtype',
      `logits is a float16 onnxruntime tensor: logitsDtype must be 'float16' or left out, got "bfloat16"`], [{
      logits: Float32Array.of(1, 0, 0, 1),
      weights: tensor(Uint16Array.of(0x3c00, 0x3c00), 2, 1),
      labels,
    }, 'weights', /^weights is a float16 onnxruntime tensor \(cast it to float32\): weights must be /], [{
      logits: { dims: [2, 2], type: 'float16', data: Float32Array.of(1, 0, 0, 1) },
      labels,
    }, 'logits',
      'logits is a float16 onnxruntime tensor whose data is a Float32Array, not 16-bit patterns (a Uint16Array or ' +
      'a Float16Array)']];
    for (const [batch, field, message] of cases) {
      const e = await refusal(confusionMatrix(batch as never, { numClasses: 2 }));
      expect([e.field, e.message]).toEqual([field,
        typeof message === 'string' ? message : expect.stringMatching(message)]);
    }
    const cmp = createComparison({ numClasses: 2 });
    const e = await refusal(
      cmp.update({ logits: [1, 0, 0, 1], logitsB: tensor(bits, 2, 2), logitsDtypeB: 'float32', labels } as never),
    );
    expect(e.field).toBe('logitsDtypeB');
    cmp.destroy();
  });
});
