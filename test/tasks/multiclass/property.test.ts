import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, type ConfusionMatrixOptions, createConfusionMatrix, type LabelArray } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { LABEL_TYPES } from '../../helpers/random.js';

/**
 * Property: for any batches, shapes, label widths, chunk sizes, flush thresholds, dispatch shapes,
 * histogram strategies and any f32 bit patterns (NaN payloads, +-Inf, -0, subnormals, ties), the GPU
 * counts equal the CPU oracle's. CASES is per adapter; the CI run's total is printed.
 */
export const CASES: Record<string, number> = { 'vulkan core': Number(process.env.CONFMAT_FUZZ_VULKAN ?? 1500),
  'opengles compatibility': Number(process.env.CONFMAT_FUZZ_GLES ?? 8500) };
/** A new seed each run (printed, and in fast-check's failure report); CONFMAT_FUZZ_SEED=N replays one. */
const SEED = Number(process.env.CONFMAT_FUZZ_SEED ?? Date.now() % 2 ** 31);

const CLASS_COUNTS = [1, 2, 3, 5, 10, 33, 64, 65, 128, 300];
const WORKGROUP_SIZES = [7, 64];

const f32Bits = fc.oneof({ weight: 4,
  arbitrary: fc.float().map((x) => new Uint32Array(new Float32Array([x]).buffer)[0]!) }, { weight: 3,
  arbitrary: fc.integer({ min: -2, max: 2 }).map((x) => new Uint32Array(new Float32Array([x]).buffer)[0]!) }, {
  weight: 1,
  arbitrary: fc.constantFrom(0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f800000, 0xff800000,
    0x80000000, 0, 1, 0x80000001),
}, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) });

interface Case {
  numClasses: number;
  mode: 'logits' | 'preds';
  labelType: number;
  batches: { rows: number; seed: number; bits: number[] }[];
  options: Pick<ConfusionMatrixOptions, 'chunkRows' | 'flushEvery' | 'workgroupSize' | 'maxWorkgroups' | 'histogram'>;
}

const maxLabel = [127, 255, 255, 32767, 65535, 2 ** 31 - 1, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER];

const caseArb: fc.Arbitrary<Case> = fc.record({ numClasses: fc.constantFrom(...CLASS_COUNTS),
  mode: fc.constantFrom('logits' as const, 'preds' as const), labelType: fc.nat({ max: LABEL_TYPES.length - 1 }),
  batchRows: fc.array(
    fc.oneof(fc.nat({ max: 8 }), fc.nat({ max: 300 }), fc.constantFrom(63, 64, 65, 127, 128, 129, 255, 256, 257)),
    { minLength: 1, maxLength: 3 },
  ), chunkRows: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
  flushEvery: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
  workgroupSize: fc.option(fc.constantFrom(...WORKGROUP_SIZES), { nil: undefined }),
  maxWorkgroups: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  histogram: fc.constantFrom('global' as const, 'private' as const, 'local' as const),
  seeds: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), bits: fc.array(f32Bits, { minLength: 1, maxLength: 64 }) })
  .map((r) => ({ numClasses: r.numClasses, mode: r.mode,
    labelType: maxLabel[r.labelType]! >= r.numClasses - 1 ? r.labelType : 5,
    batches: r.batchRows.map((rows, k) => ({ rows, seed: r.seeds[k]!, bits: r.bits })), options: {
      // At most ~6 chunks a batch: the property is about boundaries, not about many submits.
      chunkRows: r.chunkRows === undefined ? undefined : Math.max(r.chunkRows, Math.ceil(Math.max(...r.batchRows) / 6)),
      flushEvery: r.flushEvery === undefined ?
        undefined :
        Math.max(r.flushEvery, Math.ceil(Math.max(...r.batchRows) / 6)),
      workgroupSize: r.workgroupSize,
      maxWorkgroups: r.maxWorkgroups,
      histogram: r.histogram,
    } })
  );

/** Expands a case's small seeds into full batches: logits from its pool of bit patterns, labels in range. */
function materialize(c: Case): Batch[] {
  return c.batches.map(({ rows, seed, bits }) => {
    let s = seed >>> 0;
    const next = (): number => {
      s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return s;
    };
    const type = LABEL_TYPES[c.labelType]!;
    const indices = (): LabelArray => {
      const v = Array.from({ length: rows }, () => next() % c.numClasses);
      return type === BigInt64Array || type === BigUint64Array ?
        type.from(v.map(BigInt)) :
        (type as Int32ArrayConstructor).from(v);
    };
    const labels = indices();
    if (c.mode === 'preds') return { preds: indices(), labels };
    const raw = new Uint32Array(rows * c.numClasses);
    for (let i = 0; i < raw.length; i++) raw[i] = bits[next() % bits.length]!;
    return { logits: new Float32Array(raw.buffer), labels };
  });
}

for (const adapter of TEST_ADAPTERS) {
  describe(`property: GPU == CPU on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
    });
    afterAll(() => gpu?.destroy());

    it(`${CASES[adapter.name]} random cases`, async () => {
      const fitsPrivate = (c: number) => c * c * 4 <= device.limits.maxComputeWorkgroupStorageSize;
      let cases = 0;
      await checked(device, () =>
        fc.assert(fc.asyncProperty(caseArb, async (c) => {
          cases++;
          const fitsHistogram = c.options.histogram === 'private' ?
            fitsPrivate(c.numClasses) :
            c.options.histogram !== 'local' || c.numClasses <= 10;
          const options = { ...c.options, histogram: fitsHistogram ? c.options.histogram : ('global' as const) };
          const batches = materialize(c);
          const cpu = createConfusionMatrix({ numClasses: c.numClasses });
          const gm = createConfusionMatrix({ numClasses: c.numClasses, device, ...options, warn: (m) =>
            expect.fail(m) });
          try {
            for (const b of batches) {
              await cpu.update(b);
              await gm.update(b);
            }
            const [want, got] = [await cpu.compute(), await gm.compute()];
            const bad = got.counts.findIndex((v, i) => v !== want.counts[i]);
            if (bad !== -1) throw new Error(`cell ${bad}: GPU ${got.counts[bad]} != CPU ${want.counts[bad]}`);
            expect(gm.backend).toBe('gpu');
          } finally {
            gm.destroy();
          }
        }), { numRuns: CASES[adapter.name]!, seed: SEED, endOnFailure: true }));
      console.log(`fuzzed ${cases} cases on ${adapter.name} (seed ${SEED})`);
      expect(cases).toBe(CASES[adapter.name]);
    }, 600_000);
  });
}
