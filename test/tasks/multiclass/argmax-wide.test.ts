import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planGpu } from '../../../src/engine/chunk-plan.js';
import { type Batch, confusionMatrix, type ConfusionMatrixOptions, type GpuBatch, InputError,
  type LabelArray } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../../helpers/random.js';

describe("argmax_count_wide in the plan ('wide': 32 invocations per row)", () => {
  const limits = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30, maxComputeWorkgroupStorageSize: 16384,
    maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256,
    maxComputeWorkgroupsPerDimension: 65535 } as GPUSupportedLimits;
  const h200 = { vendor: 'nvidia', architecture: 'hopper' } as GPUAdapterInfo;
  const swiftshader = { vendor: 'google', architecture: 'swiftshader' } as GPUAdapterInfo;

  it('auto: hardware adapters from C = 256 without topK; emulated adapters keep global; forced anywhere', () => {
    const mode = (c: number, o: Parameters<typeof planGpu>[2] = {}, info = h200) =>
      planGpu(limits, c, o, info).histogram;
    expect([32, 33, 255, 256, 257, 1000, 4097].map((c) => mode(c))).toEqual(['private', 'global', 'global', 'wide',
      'wide', 'wide', 'wide']);
    expect(mode(1000, { topK: 5 })).toBe('global');
    expect(mode(1000, { topK: 0 })).toBe('wide');
    expect(mode(1000, {}, swiftshader)).toBe('global');
    expect(mode(2, { histogram: 'wide' }, swiftshader)).toBe('wide');
    expect(mode(1000, { histogram: 'global' })).toBe('global');
    expect(() => mode(100, { histogram: 'wide', topK: 1 })).toThrow(InputError);
    expect(() => mode(100, { histogram: 'wide', topK: 1 })).toThrow("histogram 'wide' counts no top-k hits");
  });
});

/** Rows of random logits with planted maxima: repeated +Inf, NaNs after +Inf, signed zeros only, -Inf only. */
function planted(rand: () => number, rows: number, c: number): Float32Array {
  const out = new Float32Array(rows * c);
  const at = (r: number) => r * c + Math.floor(rand() * c);
  for (let r = 0; r < rows; r++) {
    const kind = Math.floor(rand() * 5);
    for (let j = 0; j < c; j++) {
      out[r * c + j] = kind === 2 ? (rand() < 0.5 ? -0 : 0) : kind === 3 ? -Infinity : rand() * 8 - 4;
    }
    if (kind === 0) { for (let k = 0; k < 3; k++) out[at(r)] = Infinity; }
    if (kind === 1) { for (let k = 0; k < 2; k++) out[at(r)] = k ? NaN : Infinity; }
    if (kind === 4) { for (let k = 0; k < 2; k++) new Uint32Array(out.buffer)[at(r)] = k ? 0xffc00001 : 0x7f800001; }
  }
  return out;
}

/** float16 or bfloat16 bits: few distinct values (ties), with NaNs, infinities, signed zeros and subnormals. */
function halves(rand: () => number, n: number, bfloat: boolean): Uint16Array {
  const specials = bfloat ?
    [0x7fc0, 0xff81, 0x7f80, 0xff80, 0x8000, 0, 1, 0x8001, 0x3f80, 0x4000] :
    [0x7e00, 0xfc01, 0x7c00, 0xfc00, 0x8000, 0, 1, 0x8001, 0x3c00, 0x4000];
  return Uint16Array.from({ length: n },
    () =>
      rand() < 0.02 ?
        specials[Math.floor(rand() * specials.length)]! :
        specials[8 + Math.floor(rand() * 2)]! ^ (rand() < 0.3 ? 0x8000 : 0));
}

describe.each(TEST_ADAPTERS)('argmax_count_wide == the CPU oracle, bit for bit, on $name', ({ options: adapter }) => {
  let gpu: NodeGpu | undefined;
  beforeAll(async () => void (gpu = await requireDevice(adapter)));
  afterAll(() => gpu?.destroy());
  const device = () => gpu!.device;

  const same = async (batch: Batch | GpuBatch, options: Omit<ConfusionMatrixOptions, 'device'>, host = batch) => {
    const want = await confusionMatrix(host, options);
    const got = await checked(device(),
      () => confusionMatrix(batch, { ...options, device: device(), histogram: 'wide' }));
    const i = got.counts.findIndex((v, k) => v !== want.counts[k]);
    expect(i === -1 ? 'equal' : `C = ${options.numClasses}, cell ${i}: ${got.counts[i]} != ${want.counts[i]}`).toBe(
      'equal',
    );
    expect(got.total).toBe(want.total);
  };

  it('runs the wide kernel: C in {2, 63, 64, 65, 1000, 4097}, rows around workgroup boundaries', async () => {
    const spy = vi.spyOn(device(), 'createComputePipeline');
    const wg = Math.min(256, device().limits.maxComputeInvocationsPerWorkgroup);
    const perGroup = wg / 32;
    for (const c of [2, 63, 64, 65, 1000, 4097]) {
      const rand = rng(c);
      const sizes = c > 1000 ? [perGroup + 1] : [1, perGroup - 1, perGroup, perGroup + 1, 2 * wg + 1];
      for (const n of sizes) {
        const style = (['random', 'ties', 'special'] as const)[n % 3]!;
        const logits = n % 2 ? planted(rand, n, c) : makeLogits(rand, n, c, style);
        await same({ logits, labels: makeLabels(rand, n, c) }, { numClasses: c });
      }
    }
    expect(spy.mock.calls.filter(([d]) => d.label?.includes('argmax_count_wide')).length).toBeGreaterThan(0);
    spy.mockRestore();
  });

  it('ties, NaN, +-Inf, -0: C = 1000, 2,000 rows', async () => {
    const rand = rng(1000);
    for (const style of ['ties', 'special'] as const) {
      await same({ logits: makeLogits(rand, 2000, 1000, style), labels: makeLabels(rand, 2000, 1000) }, {
        numClasses: 1000,
      });
    }
  });

  it('chunk boundaries, tiny workgroups and the grid-stride loop past maxWorkgroups', async () => {
    const rand = rng(17);
    for (const c of [65, 1000]) {
      const batch = { logits: planted(rand, 33, c), labels: makeLabels(rand, 33, c) };
      await same(batch, { numClasses: c, chunkRows: 7, flushEvery: 15 });
      for (const [workgroupSize, maxWorkgroups] of [[32, 1], [96, 1], [8, 2], [1, 3]]) {
        await same(batch, { numClasses: c, workgroupSize, maxWorkgroups });
      }
    }
  });

  it('float16 and bfloat16 halves (odd C: rows start mid-word), NaN, +-Inf, -0, subnormals, ties', async () => {
    const rand = rng(23);
    for (const logitsDtype of ['float16', 'bfloat16'] as const) {
      for (const [c, n] of [[2, 9], [63, 300], [65, 300], [1000, 9]] as const) {
        const batch = { logits: halves(rand, n * c, logitsDtype === 'bfloat16'), logitsDtype,
          labels: makeLabels(rand, n, c) };
        await same(batch, { numClasses: c, chunkRows: 128 });
      }
    }
  });

  it('GPU-resident labels: ignoreIndex skips rows, an out-of-range label refuses the batch naming its row', async () => {
    const rand = rng(29);
    const c = 100;
    const n = 700;
    const labels = makeLabels(rand, n, c, Int32Array) as Int32Array;
    for (let i = 0; i < n; i += 5) labels[i] = -100;
    const logits = makeLogits(rand, n, c, 'special');
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const upload = (a: Float32Array | Int32Array) => {
      const b = device().createBuffer({ size: a.byteLength, usage });
      device().queue.writeBuffer(b, 0, a as Int32Array<ArrayBuffer>);
      return b;
    };
    const resident = { logits: upload(logits), labels: upload(labels) };
    await same(resident, { numClasses: c, ignoreIndex: -100, chunkRows: 256 }, { logits,
      labels: labels as LabelArray });
    labels[0] = 3;
    labels[333] = c;
    labels[600] = -7;
    const err = await confusionMatrix({ logits: resident.logits, labels: upload(labels) }, { numClasses: c,
      device: device(), histogram: 'wide', chunkRows: 128 }).catch((e: unknown) => e);
    expect((err as InputError).message).toBe(
      `index 5: label 4294967196 (as int32: -100) is outside [0, ${c}) (${
        labels.filter((v) => v < 0 || v >= c).length
      } such rows among rows [0, ${n}) of this batch)`,
    );
    const fewer = await confusionMatrix({ logits: resident.logits, labels: upload(labels) }, { numClasses: c,
      device: device(), histogram: 'wide', chunkRows: 128, ignoreIndex: -100 }).catch((e: unknown) => e);
    expect((fewer as InputError).message).toBe(
      `index 333: label ${c} (as int32: ${c}) is outside [0, ${c}) (2 such rows among rows [0, ${n}) of this batch)`,
    );
  });
});
