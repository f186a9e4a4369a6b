import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, confusionMatrix, createConfusionMatrix, type GpuBatch, InputError } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { createThresholdSweep } from '../../src/tasks/binary/matrix.js';
import { createMultilabelMatrix } from '../../src/tasks/multilabel/matrix.js';
import { createPerClassMatrix } from '../../src/tasks/per-class/matrix.js';
import { bytesWritten, checked, loseOnSubmit, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
type Host = Float32Array | Uint32Array | Int32Array;

function upload(device: GPUDevice, data: Host, usage = USAGE(), padBytes = 0): GPUBuffer {
  const b = device.createBuffer({ label: 'test input', size: Math.max(4, data.byteLength + padBytes), usage });
  device.queue.writeBuffer(b, 0, data as Uint32Array<ArrayBuffer>);
  return b;
}

/** Logits written by a compute pipeline of the test's own on the evaluator's device: never on the host. */
function generateLogits(device: GPUDevice, rows: number, c: number): GPUBuffer {
  const out = device.createBuffer({ label: 'generated logits', size: rows * c * 4, usage: USAGE() });
  const module = device.createShaderModule({ code: /* wgsl */ `
      @group(0) @binding(0) var<storage, read_write> logits: array<f32>;
      fn hash(x: u32) -> u32 {
        var h = x * 747796405u + 2891336453u;
        h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
        return (h >> 22u) ^ h;
      }
      @compute @workgroup_size(64)
      fn main(@builtin(global_invocation_id) id: vec3u) {
        if (id.x >= arrayLength(&logits)) { return; }
        logits[id.x] = f32(hash(id.x) % 7u);
      }` });
  const pipeline = device.createComputePipeline({ label: 'generate logits', layout: 'auto',
    compute: { module, entryPoint: 'main' } });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0,
    device.createBindGroup({ layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }] }));
  pass.dispatchWorkgroups(Math.ceil((rows * c) / 64));
  pass.end();
  device.queue.submit([encoder.finish()]);
  return out;
}

async function readFloats(device: GPUDevice, b: GPUBuffer): Promise<Float32Array> {
  const staging = device.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(b, 0, staging, 0, b.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange()).slice();
  staging.destroy();
  return out;
}

/** A matrix of one task, driven alike: its two inputs by field name, the width of a row of each. */
interface Task {
  name: string;
  make(
    o: { device?: GPUDevice; chunkRows?: number; warn?: (m: string) => void },
  ): { update(b: object): Promise<void>; compute(): Promise<unknown>; destroy(): void };
  /** A host batch of `n` rows: [field, array] pairs, the scores (or logits, preds) first. */
  batch(seed: number, n: number): [[string, Host], [string, Host]];
  width: number;
}

const L = 3;
const C = 7;
const unit = (rand: () => number, n: number) => Float32Array.from({ length: n }, () => Math.round(rand() * 20) / 20);
const bits = (rand: () => number, n: number) => Uint32Array.from({ length: n }, () => (rand() < 0.4 ? 1 : 0));
const TASKS: Task[] = [{ name: 'multilabel', width: L,
  make: (o) => createMultilabelMatrix({ numLabels: L, threshold: [0.3, 0.5, 0.7], ...o }), batch: (seed, n) => {
    const rand = rng(seed);
    return [['scores', unit(rand, n * L)], ['targets', bits(rand, n * L)]];
  } }, { name: 'threshold sweep', width: 1,
  make: (o) => createThresholdSweep({ thresholds: [0.1, 0.25, 0.5, 0.75, 0.9], ...o }), batch: (seed, n) => {
    const rand = rng(seed);
    return [['scores', unit(rand, n)], ['targets', bits(rand, n)]];
  } }, { name: 'per-class (logits)', width: C, make: (o) => createPerClassMatrix({ numClasses: C, ...o }),
  batch: (seed, n) => {
    const rand = rng(seed);
    return [['logits', makeLogits(rand, n, C, 'special')], ['labels',
      makeLabels(rand, n, C, Int32Array) as Int32Array]];
  } }, { name: 'per-class (preds)', width: 1, make: (o) => createPerClassMatrix({ numClasses: C, ...o }),
  batch: (seed, n) => {
    const rand = rng(seed);
    return [['preds', makeLabels(rand, n, C, Uint32Array) as Uint32Array], ['labels',
      makeLabels(rand, n, C, Int32Array) as Int32Array]];
  } }];

/** Results as JSON: typed arrays as lists, sparse pairs as sorted entries. */
const json = (x: unknown): string =>
  JSON.stringify(x, (_, v: unknown) => {
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (v && typeof v === 'object' && 'forEach' in v && 'size' in v && !Array.isArray(v)) {
      const out: [number, number][] = [];
      (v as { forEach(f: (k: number, c: number) => void): void }).forEach((k, c) => out.push([k, c]));
      return out.sort((a, b) => a[0] - b[0]);
    }
    return v;
  });

async function result(task: Task, batch: object, o: Parameters<Task['make']>[0] = {}): Promise<string> {
  const m = task.make(o);
  try {
    await m.update(batch);
    return json(await m.compute());
  } finally {
    m.destroy();
  }
}

for (const adapter of TEST_ADAPTERS) {
  describe(`GPU-resident inputs on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
    });
    afterAll(() => gpu?.destroy());

    it('logits, labels and predictions in buffers equal the host path, across chunks, with no upload of the data', async () => {
      const rand = rng(21);
      for (const [n, c, chunkRows] of [[1000, 10, 64], [777, 3, 100], [130, 17, 64], [5, 2, 1 << 20], [0, 4,
        64]] as const) {
        const logits = makeLogits(rand, n, c, 'special');
        const labels = makeLabels(rand, n, c, Uint32Array) as Uint32Array;
        const preds = makeLabels(rand, n, c, Int32Array) as Int32Array;
        const want = await confusionMatrix({ logits, labels }, { numClasses: c });
        const wantPreds = await confusionMatrix({ preds, labels }, { numClasses: c });
        const [lb, yb, pb] = [upload(device, logits), upload(device, labels), upload(device, preds)];
        const batches: [GpuBatch, Float64Array][] = [[{ logits: lb, labels: yb }, want.counts], [{ logits: lb, labels },
          want.counts], [{ logits, labels: yb }, want.counts], [{ preds: pb, labels: yb }, wantPreds.counts], [{ preds,
          labels: yb }, wantPreds.counts]];
        for (const [batch, counts] of batches) {
          if (n === 0) batch.rows = 0;
          const [got, bytes] = await bytesWritten(device, () =>
            checked(device, () => confusionMatrix(batch, { numClasses: c, device, chunkRows })));
          expect(got.counts).toEqual(counts);
          const hostBytes = [batch.labels, batch.logits, batch.preds].reduce(
            (s, x) => s + (ArrayBuffer.isView(x) ? x.byteLength : 0),
            0,
          );
          expect(bytes).toBeLessThanOrEqual(hostBytes + 16 * (Math.ceil(n / 64) + 1));
        }
        for (const b of [lb, yb, pb]) b.destroy();
      }
    });

    it('counts logits that another pipeline wrote on the same device', async () => {
      const n = 4099;
      const c = 12;
      const logits = generateLogits(device, n, c);
      const labels = makeLabels(rng(4), n, c, Uint32Array) as Uint32Array;
      const cm = createConfusionMatrix({ numClasses: c, device, chunkRows: 1024 });
      await checked(device, () => cm.update({ logits, labels }));
      const want = await confusionMatrix({ logits: await readFloats(device, logits), labels }, { numClasses: c });
      expect((await cm.compute()).counts).toEqual(want.counts);
      expect(want.total).toBe(n);
      cm.destroy();
      logits.destroy();
    });

    it('rows from a padded buffer, and the size checks', async () => {
      const c = 3;
      const logits = new Float32Array([0, 1, 0, 2, 0, 0, 0, 0, 5]);
      const lb = upload(device, logits, USAGE(), 64);
      const yb = upload(device, new Uint32Array([1, 0, 2]), USAGE(), 32);
      const cm = createConfusionMatrix({ numClasses: c, device });
      await expect(cm.update({ logits: lb, labels: yb })).rejects.toThrow(
        /buffers hold 11 labels but 8 rows of logits: pass rows/,
      );
      await cm.update({ logits: lb, labels: yb, rows: 3 });
      expect(Array.from((await cm.compute()).counts)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      await expect(cm.update({ logits: lb, labels: yb, rows: 12 })).rejects.toThrow(
        /labels buffer 'test input' holds 44 bytes, fewer than 12 rows/,
      );
      await expect(cm.update({ logits: lb, labels: new Uint8Array(20) })).rejects.toThrow(
        /logits buffer 'test input' holds 100 bytes, fewer than 20 rows x 12 bytes/,
      );
      const mapOnly = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST });
      await expect(cm.update({ preds: mapOnly, labels: new Uint8Array([0]) })).rejects.toThrow(
        /lacks GPUBufferUsage.STORAGE/,
      );
      await expect(
        createConfusionMatrix({ numClasses: c, device, chunkRows: 7 }).update({ preds: yb, labels: yb, rows: 11 }),
      ).rejects.toThrow(/chunkRows >= 64/);
      expect((await cm.compute()).total).toBe(3);
      cm.destroy();
    });

    it('an out-of-range class index in a buffer refuses the batch, naming the row and value, and keeps earlier counts', async () => {
      const c = 4;
      const cm = createConfusionMatrix({ numClasses: c, device, chunkRows: 64 });
      const labels = new Int32Array(300).fill(1);
      labels[250] = -2;
      labels[270] = 9;
      await cm.update({ preds: new Uint8Array([3]), labels: new Uint8Array([3]) });
      const yb = upload(device, labels);
      const err = await cm.update({ preds: new Uint32Array(300), labels: yb }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toBe(
        'index 250: label 4294967294 (as int32: -2) is outside [0, 4) (2 such rows among rows [0, 300) of this batch)',
      );
      expect((err as InputError).index).toBe(250);
      for (const histogram of ['global', 'local'] as const) {
        const fused = createConfusionMatrix({ numClasses: c, device, chunkRows: 128, histogram });
        const fusedErr = await fused.update({ logits: new Float32Array(300 * c), labels: yb }).catch((e: unknown) => e);
        expect((fusedErr as InputError).message, histogram).toBe(
          'index 250: label 4294967294 (as int32: -2) is outside [0, 4) (2 such rows among rows [0, 300) of this batch)',
        );
        fused.destroy();
      }
      const noCopy = upload(device, new Uint32Array([0, 7]), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      await expect(cm.update({ preds: noCopy, labels: new Uint8Array([0, 0]) })).rejects.toThrow(
        'index 1: predicted class is outside [0, 4)',
      );
      const r = await cm.compute();
      expect(r.total).toBe(1);
      expect(r.counts[15]).toBe(1);
      cm.destroy();
    });

    it('ignoreIndex skips rows whose label in a GPU buffer is that value (negative or in range), on every histogram and the fused passes', async () => {
      const rand = rng(41);
      const c = 5;
      const n = 900;
      const logits = makeLogits(rand, n, c, 'ties');
      const preds = makeLabels(rand, n, c, Int32Array) as Int32Array;
      for (const ignoreIndex of [-100, 3]) {
        const labels = makeLabels(rand, n, c, Int32Array) as Int32Array;
        for (let i = 0; i < n; i += 7) labels[i] = ignoreIndex;
        const yb = upload(device, labels);
        for (const [batch, host] of [[{ logits: upload(device, logits), labels: yb }, { logits, labels }], [{
          preds: upload(device, preds),
          labels: yb,
        }, { preds, labels }], [{ preds, labels: yb }, { preds, labels }]] as [GpuBatch, Batch][]) {
          const want = await confusionMatrix(host, { numClasses: c, ignoreIndex });
          for (const histogram of ['global', 'private', 'local'] as const) {
            const got = await checked(device, () =>
              confusionMatrix(batch, { numClasses: c, device, ignoreIndex, histogram, chunkRows: 256 }));
            expect(got.counts).toEqual(want.counts);
            expect(got.total).toBe(labels.filter((v) => v !== ignoreIndex).length);
          }
        }
      }
      await expect(
        confusionMatrix({ logits: upload(device, logits), labels: new Int32Array(n) }, { numClasses: c, device,
          ignoreIndex: -100 }),
      ).rejects.toThrow(/needs the labels in a GPU buffer too/);
    });

    it('buffers on a CPU matrix are refused, not read', async () => {
      const cm = createConfusionMatrix({ numClasses: 2 });
      const yb = upload(device, new Uint32Array([0, 1]));
      await expect(cm.update({ preds: yb, labels: yb })).rejects.toThrow(/GPU buffers .* not counted/);
      expect((await cm.compute()).total).toBe(0);
    });

    it('a buffer of another device is refused with an InputError; the matrix goes on and keeps its counts', async () => {
      const other = await requireDevice(adapter.options);
      const rand = rng(12);
      const [logits, labels] = [makeLogits(rand, 200, C, 'special'),
        makeLabels(rand, 200, C, Uint32Array) as Uint32Array];
      const cm = createConfusionMatrix({ numClasses: C, device });
      await cm.update({ preds: new Uint8Array([1, 2]), labels: new Uint8Array([1, 1]) });
      const foreign = upload(other.device, labels);
      const err = await checked(device, () => cm.update({ logits: upload(device, logits), labels: foreign })).catch((
        e: unknown,
      ) => e);
      expect(err).toBeInstanceOf(InputError);
      expect([(err as InputError).field, (err as InputError).message]).toEqual(['labels',
        "the labels buffer 'test input' belongs to another GPUDevice than this matrix's: this batch was not counted; " +
        'earlier batches are kept']);
      await checked(device, () => cm.update({ logits: upload(device, logits), labels: upload(device, labels) }));
      const cpu = createConfusionMatrix({ numClasses: C });
      await cpu.update({ preds: new Uint8Array([1, 2]), labels: new Uint8Array([1, 1]) });
      await cpu.update({ logits, labels });
      expect((await cm.compute()).counts).toEqual((await cpu.compute()).counts);
      cm.destroy();
      other.destroy();
    });

    for (const task of TASKS) {
      it(`${task.name}: buffers == host arrays == the CPU oracle, across chunk boundaries`, async () => {
        for (const [n, chunkRows] of [[130, 64], [257, 128], [64, 64], [5, 1 << 20], [0, 64]] as const) {
          const host = task.batch(n + 1, n);
          const want = await result(task, Object.fromEntries(host));
          expect(await result(task, Object.fromEntries(host), { device, chunkRows })).toBe(want);
          const buffers = host.map(([f, x]) => [f, upload(device, x)] as const);
          for (const onGpu of [[0, 1], [0], [1]]) {
            const batch = Object.fromEntries(host.map(([f, x], i) => [f, onGpu.includes(i) ? buffers[i]![1] : x]));
            const [got, bytes] = await bytesWritten(device, () =>
              checked(device, () => result(task, { ...batch, rows: n }, { device, chunkRows })));
            expect(got, `${n} rows on the GPU: ${onGpu.join()}`).toBe(want);
            const hostBytes = Object.values(batch).reduce((s, x) => s + (ArrayBuffer.isView(x) ? x.byteLength : 0), 0);
            expect(bytes).toBeLessThanOrEqual(hostBytes + 16 * (Math.ceil(n / 64) + 2));
          }
          for (const [, b] of buffers) b.destroy();
        }
      });

      it(`${task.name}: rows from padded buffers, the size, usage and chunk checks`, async () => {
        const host = task.batch(3, 10);
        const [[f0, x0], [f1, x1]] = host;
        const padded = [upload(device, x0, USAGE(), 4 * task.width * 5), upload(device, x1, USAGE(), 4 * 5 + 8)];
        const batch = { [f0]: padded[0], [f1]: padded[1] };
        const want = await result(task, Object.fromEntries(host));
        expect(await checked(device, () => result(task, { ...batch, rows: 10 }, { device }))).toBe(want);
        const m = task.make({ device });
        await expect(m.update(batch)).rejects.toThrow(/^the buffers hold 1[27] .*but 15 rows of .*: pass rows$/);
        await expect(m.update({ ...batch, rows: 16 })).rejects.toThrow(/holds \d+ bytes, fewer than 16 rows/);
        const noStorage = device.createBuffer({ size: x0.byteLength, usage: GPUBufferUsage.COPY_DST });
        await expect(m.update({ [f0]: noStorage, [f1]: x1 })).rejects.toThrow(/lacks GPUBufferUsage.STORAGE/);
        const long = task.batch(4, 100);
        const longBatch = { [long[0][0]]: upload(device, long[0][1]), [long[1][0]]: long[1][1] };
        await expect(result(task, longBatch, { device, chunkRows: 50 })).rejects.toThrow(/chunkRows >= 64/);
        expect(await m.compute()).toEqual(await task.make({}).compute());
        m.destroy();
        const cpu = task.make({});
        await expect(cpu.update({ ...batch, rows: 10 })).rejects.toThrow(/GPU buffers .* not counted/);
        cpu.destroy();
      });

      it(`${task.name}: buffers of another or of a lost device are refused, earlier counts kept`, async () => {
        const other = await requireDevice(adapter.options);
        const [[f0, x0], [f1, x1]] = task.batch(5, 300);
        const m = task.make({ device, warn: () => undefined });
        const foreign = upload(other.device, x0);
        await m.update(Object.fromEntries(task.batch(7, 90)));
        for (let i = 0; i < 2; i++) {
          const err = await checked(device, () => m.update({ [f0]: foreign, [f1]: x1 })).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(InputError);
          expect((err as InputError).message).toBe(
            `the ${f0} buffer 'test input' belongs to another GPUDevice than this matrix's: this batch was not ` +
              'counted; earlier batches are kept',
          );
        }
        const own = upload(device, x0);
        await checked(device, () => m.update({ [f0]: own, [f1]: x1 }));
        const oracle = task.make({});
        await oracle.update(Object.fromEntries(task.batch(7, 90)));
        await oracle.update({ [f0]: x0, [f1]: x1 });
        expect(json(await m.compute())).toBe(json(await oracle.compute()));
        m.destroy();
        const before = task.batch(6, 200);
        const lost = task.make({ device: other.device, chunkRows: 64, warn: () => undefined });
        await lost.update(Object.fromEntries(before));
        const resident = upload(other.device, x0);
        loseOnSubmit(other.device, 1);
        await expect(lost.update({ [f0]: resident, [f1]: x1 })).rejects.toThrow(
          /lives in GPU buffers of a device that is gone.*not counted; earlier batches are kept/,
        );
        expect(json(await lost.compute())).toBe(await result(task, Object.fromEntries(before)));
        lost.destroy();
        other.destroy();
      });
    }

    it('targets in a buffer that are not 0 or 1 refuse the batch as host arrays do, the first named; counts kept', async () => {
      const n = 300;
      const edge = 64;
      // Bad targets as [element (row-major), value], and the element named: first, last, at chunk edges, several.
      const cases = (w: number): [[number, number][], number][] => {
        const last = (r: number) => r * w + w - 1;
        const one = (i: number, v: number): [[number, number][], number] => [[[i, v]], i];
        const several: [number, number][][] = [[[200 * w, 9], [last(130), 5], [131 * w, 4], [250 * w, 8]], [[70 * w, 6],
          [last(65), 2], [66 * w, 5]]];
        return [one(0, 7), one(n * w - 1, 2), one(edge * w - 1, 0xffffffff), one(edge * w, 3), [several[0]!, last(130)],
          [several[1]!, last(65)]];
      };
      for (const task of TASKS.slice(0, 2)) {
        const [[, scores], [, targets]] = task.batch(8, n) as [[string, Float32Array], [string, Uint32Array]];
        const earlier = Object.fromEntries(task.batch(9, 70));
        const want = await result(task, earlier);
        const m = task.make({ device, chunkRows: edge });
        await m.update(earlier);
        for (const [bad, first] of cases(task.width)) {
          const odd = targets.slice();
          for (const [i, v] of bad) odd[i] = v;
          const cpu = task.make({});
          const hostErr = await cpu.update({ scores, targets: odd }).catch((e: unknown) => e);
          cpu.destroy();
          expect(hostErr).toBeInstanceOf(InputError);
          const row = Math.floor(first / task.width);
          const at = task.width === 1 ? `index ${first}` : `row ${row}, column ${first % task.width}`;
          expect((hostErr as InputError).message).toMatch(new RegExp(`^${at}: target ${odd[first]}( |$)`));
          const tb = upload(device, odd);
          for (const batch of [{ scores, targets: tb }, { scores: upload(device, scores), targets: tb }]) {
            const err = await checked(device, () => m.update(batch)).catch((e: unknown) => e);
            expect(err, `${task.name}: ${json(bad)}`).toBeInstanceOf(InputError);
            expect((err as InputError).message).toBe((hostErr as InputError).message);
            expect([(err as InputError).field, (err as InputError).index]).toEqual(['targets', row]);
          }
          const noCopy = upload(device, odd, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
          await expect(m.update({ scores, targets: noCopy })).rejects.toThrow(`${at}: a target is not 0 or 1`);
          expect(json(await m.compute())).toBe(want);
        }
        await checked(device, () => m.update({ scores, targets: upload(device, targets) }));
        const both = task.make({});
        await both.update(earlier);
        await both.update({ scores, targets });
        expect(json(await m.compute())).toBe(json(await both.compute()));
        m.destroy();
      }
      const odd = upload(device, new Uint32Array([7, 1, 0]));
      const scores = new Float32Array([0.9, 0.1, 0.6]);
      await expect(result(TASKS[0]!, { scores, targets: odd, weights: new Float64Array(1) }, { device })).rejects
        .toThrow(/sample weights need the targets on the host/);
      const weights = Float64Array.of(0.5, 2, 1.5);
      const weighted = await result(TASKS[1]!, { scores, targets: new Uint8Array([1, 0, 1]), weights });
      const got = await checked(device, () =>
        result(TASKS[1]!, { scores: upload(device, scores), targets: new Uint8Array([1, 0, 1]), weights }, { device }));
      expect(got).toBe(weighted);
    });

    it('per-class: a bad label in a buffer names its row and value; labels need COPY_SRC; no ignoreIndex', async () => {
      const labels = new Int32Array(300).fill(2);
      labels[170] = -3;
      const pc = createPerClassMatrix({ numClasses: C, device, chunkRows: 64 });
      await pc.update({ preds: new Uint8Array([1]), labels: new Uint8Array([1]) });
      const err = await pc.update({ preds: new Uint32Array(300), labels: upload(device, labels) }).catch((e) =>
        e
      );
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toMatch(/^index 170: label 4294967293 is outside \[0, 7\)/);
      const noCopy = upload(device, labels, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      await expect(pc.update({ preds: new Uint32Array(300), labels: noCopy })).rejects.toThrow(/lacks .*COPY_SRC/);
      const ignoring = createPerClassMatrix({ numClasses: C, device, ignoreIndex: -3 });
      await expect(ignoring.update({ preds: upload(device, new Uint32Array(300)), labels })).rejects.toThrow(
        /ignoreIndex/,
      );
      ignoring.destroy();
      expect((await pc.compute()).macroAvg.support).toBe(1);
      pc.destroy();
    });
  });
}
