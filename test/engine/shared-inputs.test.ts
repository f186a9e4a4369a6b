import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfusionMatrix, createMultilabelMatrix, createPerClassMatrix,
  type LabelArray } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { createThresholdSweep } from '../../src/tasks/binary/matrix.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

/** The same values in a typed array over a SharedArrayBuffer (a worker's memory, a WebAssembly.Memory). */
function shared<T extends Float32Array | Uint16Array | Int32Array | Uint8Array>(a: T): T {
  const out = new (a.constructor as new(b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

// Dawn's writeBuffer (webgpu 0.6.2) crashed the process on such arrays: every upload goes through writeArray.
describe.each(TEST_ADAPTERS)('inputs over a SharedArrayBuffer on $name: as the CPU counts them', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());

  it.each([[10, 3001], [7, 1_100_001]])(
    'dense matrix, C = %i, %i rows: float32 and float16 logits, int32 and uint8 labels',
    async (c, rows) => {
      const rand = rng(rows + c);
      const logits = makeLogits(rand, rows, c, 'special');
      const labels = makeLabels(rand, rows, c, Int32Array) as Int32Array;
      const halves = Uint16Array.from(logits, (_, i) => (i * 7919) & 0x7bff);
      for (const [x, y, extra] of [[shared(logits), shared(labels), {}], [shared(halves),
        shared(Uint8Array.from(labels)), { logitsDtype: 'float16' }]] as const) {
        const batch = { logits: x, labels: y as LabelArray, ...extra } as Parameters<
          ReturnType<typeof createConfusionMatrix>['update']
        >[0];
        const cpu = createConfusionMatrix({ numClasses: c });
        await cpu.update(batch);
        const dev = createConfusionMatrix({ numClasses: c, device: gpu.device, chunkRows: 400_000 });
        await checked(gpu.device, () => dev.update(batch));
        expect(Array.from((await dev.compute()).counts)).toEqual(Array.from((await cpu.compute()).counts));
        dev.destroy();
        cpu.destroy();
      }
    },
  );

  it('per-class, multilabel and binary sweep scores', async () => {
    const rand = rng(99);
    const rows = 2000;
    const logits = makeLogits(rand, rows, 50, 'special');
    const labels = makeLabels(rand, rows, 50, Int32Array) as Int32Array;
    const pcCpu = createPerClassMatrix({ numClasses: 50 });
    const pcGpu = createPerClassMatrix({ numClasses: 50, device: gpu.device });
    await pcCpu.update({ logits: shared(logits), labels: shared(labels) });
    await checked(gpu.device, () => pcGpu.update({ logits: shared(logits), labels: shared(labels) }));
    const [x, y] = [await pcCpu.compute(), await pcGpu.compute()];
    const pairs = (r: typeof x): number[][] => {
      const out: number[][] = [];
      r.pairs.forEach((key, n) => out.push([key, n]));
      return out.sort((a, b) => a[0]! - b[0]!);
    };
    expect([y.total, y.correct, Array.from(y.perClass.tp), Array.from(y.perClass.support),
      Array.from(y.perClass.predicted), pairs(y)]).toEqual([x.total, x.correct, Array.from(x.perClass.tp),
        Array.from(x.perClass.support), Array.from(x.perClass.predicted), pairs(x)]);
    expect(x.total - x.correct).toBeGreaterThan(1000);
    pcGpu.destroy();

    const targets = Uint8Array.from(logits, () => (rand() < 0.4 ? 1 : 0));
    const mlCpu = createMultilabelMatrix({ numLabels: 50, threshold: 0 });
    const mlGpu = createMultilabelMatrix({ numLabels: 50, threshold: 0, device: gpu.device });
    await mlCpu.update({ scores: shared(logits), targets: shared(targets) });
    await checked(gpu.device, () => mlGpu.update({ scores: shared(logits), targets: shared(targets) }));
    expect((await mlGpu.compute()).matrices).toEqual((await mlCpu.compute()).matrices);
    mlGpu.destroy();

    const scores = logits.subarray(0, rows);
    const binary = targets.subarray(0, rows);
    const swCpu = createThresholdSweep({ thresholds: [-1, 0, 0.5, 2] });
    const swGpu = createThresholdSweep({ thresholds: [-1, 0, 0.5, 2], device: gpu.device });
    await swCpu.update({ scores: shared(scores.slice()), targets: shared(binary.slice()) });
    await checked(gpu.device, () => swGpu.update({ scores: shared(scores.slice()), targets: shared(binary.slice()) }));
    expect(await swGpu.compute()).toEqual(await swCpu.compute());
    swGpu.destroy();
  });
});
