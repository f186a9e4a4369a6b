import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/index.js';
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
  describe(`GPU-resident inputs of the other tasks on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    let device: GPUDevice;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
      device = gpu.device;
    });
    afterAll(() => gpu?.destroy());

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
        await expect(m.update({ [f0]: foreign, [f1]: x1 })).rejects.toThrow(/validation|device/i);
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

    it('targets in a buffer are not checked (nonzero counts as 1); weights need host targets', async () => {
      const scores = new Float32Array([0.9, 0.1, 0.6]);
      const want = await result(TASKS[1]!, { scores, targets: new Uint32Array([1, 1, 0]) });
      const odd = upload(device, new Uint32Array([7, 1, 0]));
      expect(await checked(device, () => result(TASKS[1]!, { scores, targets: odd }, { device }))).toBe(want);
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
