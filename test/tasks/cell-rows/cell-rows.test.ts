import { describe, expect, it } from 'vitest';
import { type CellRowsOptions, type CellRowsResult, createCellRows, InputError, type LabelArray,
  type PerClassBatch } from '../../../src/index.js';
import { cellRows } from '../../../src/tasks/cell-rows/matrix.js';
import { argmaxRow } from '../../../src/tasks/multiclass/update-cpu.js';
import { checked, TEST_ADAPTERS, useDevice } from '../../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../../helpers/random.js';

type Batch = { logits: Float32Array; labels: LabelArray } | { preds: LabelArray; labels: LabelArray };

/** np.where((y == t) & (argmax == p)) over the batches concatenated, written out naively: the rows of each cell. */
function naive(batches: Batch[], c: number, cells: [number, number][], limit: number): CellRowsResult {
  const found = cells.map(([t, p]) => ({ true: t, pred: p, count: 0, rows: [] as CellRowsResult['cells'][0]['rows'],
    truncated: false })
  );
  let seen = 0;
  for (const b of batches) {
    const n = b.labels.length;
    for (let i = 0; i < n; i++) {
      const t = Number(b.labels[i]);
      const p = 'logits' in b ? argmaxRow(b.logits, i * c, c) : Number(b.preds[i]);
      const cell = found.find((x) => x.true === t && x.pred === p);
      if (!cell) continue;
      cell.count++;
      if (cell.rows.length >= limit) continue;
      if ('logits' in b) {
        const [st, sp] = [b.logits[i * c + t]!, b.logits[i * c + p]!];
        cell.rows.push({ row: seen + i, scoreTrue: st, scorePred: sp, margin: sp - st });
      } else cell.rows.push({ row: seen + i });
    }
    seen += n;
  }
  for (const x of found) x.truncated = x.count > x.rows.length;
  return { numClasses: c, rows: seen, limit, cells: found };
}

async function run(batches: Batch[], options: CellRowsOptions, device?: GPUDevice): Promise<CellRowsResult> {
  const cr = createCellRows({ ...options, device });
  try {
    for (const b of batches) await cr.update(b as PerClassBatch);
    expect(cr.backend).toBe(device ? 'gpu' : 'cpu');
    return await cr.compute();
  } finally {
    cr.destroy();
  }
}

describe('cell rows on the CPU', () => {
  it('lists the rows of a cell by global index across batches, with scores and margin', async () => {
    const logits = new Float32Array([0, 1, 2, 0, 1, 0, 0, 3, NaN, 0]);
    const r = await run([{ logits: logits.subarray(0, 4), labels: Int32Array.of(1, 0) }, { logits: logits.subarray(4),
      labels: Int32Array.of(1, 0, 1) }], { numClasses: 2, cells: [{ true: 0, pred: 1 }, { true: 1 }] });
    expect(r.rows).toBe(5);
    expect(r.cells).toEqual([{ true: 0, pred: 1, count: 1, truncated: false,
      rows: [{ row: 3, scoreTrue: 0, scorePred: 3, margin: 3 }] }, { true: 1, pred: 0, count: 2, truncated: false,
      rows: [{ row: 2, scoreTrue: 0, scorePred: 1, margin: 1 }, { row: 4, scoreTrue: 0, scorePred: NaN,
        margin: NaN }] }]);
  });

  it('caps each cell at limit, keeping the first rows, with the count exact', async () => {
    const preds = Uint8Array.from({ length: 50 }, (_, i) => i % 3);
    const labels = new Uint8Array(50);
    const r = await cellRows({ preds, labels }, { numClasses: 3, cells: [{ true: 0, pred: 2 }], limit: 4 });
    expect(r.cells[0]).toEqual({ true: 0, pred: 2, count: 16, truncated: true,
      rows: [2, 5, 8, 11].map((row) => ({ row })) });
    const none = await cellRows({ preds, labels }, { numClasses: 3, cells: [{ true: 1, pred: 0 }], limit: 0 });
    expect(none.cells[0]).toMatchObject({ count: 0, rows: [], truncated: false });
  });

  it('expands * to every off-diagonal cell, once each, sorted', async () => {
    const r = await cellRows({ preds: Uint8Array.of(0), labels: Uint8Array.of(0) }, { numClasses: 4,
      cells: [{ true: 2, pred: '*' }, { true: 2, pred: 3 }, { true: 0, pred: 0 }] });
    expect(r.cells.map((x) => [x.true, x.pred])).toEqual([[0, 0], [2, 0], [2, 1], [2, 3]]);
    expect(r.cells[0]).toMatchObject({ count: 1, rows: [{ row: 0 }] });
  });

  it('refuses a class out of range, naming the cell, and a bad limit', () => {
    const make = (o: Partial<CellRowsOptions>) => () => createCellRows({ numClasses: 3, cells: [], ...o });
    expect(make({ cells: [{ true: 1, pred: 3 }] })).toThrow(/cells\[0\]: predicted class 3 is outside \[0, 3\)/);
    expect(make({ cells: [{ true: 0 }, { true: -1 }] })).toThrow(/cells\[1\]: true class -1/);
    expect(make({})).toThrow(InputError);
    expect(make({ cells: [{ true: 0 }], limit: 1.5 })).toThrow(/limit must be an integer >= 0/);
  });

  it('matches the naive oracle on random batches', async () => {
    const rand = rng(5);
    const c = 6;
    const batches = [0, 1, 37, 200].map((n) => ({ logits: makeLogits(rand, n, c, 'special'),
      labels: makeLabels(rand, n, c) })
    );
    const cells: [number, number][] = [[0, 1], [1, 0], [2, 2], [5, 3]];
    const want = naive(batches, c, cells, 3);
    expect(await run(batches, { numClasses: c, cells: cells.map(([t, p]) => ({ true: t, pred: p })), limit: 3 }))
      .toEqual(want);
    expect(want.cells.some((x) => x.truncated)).toBe(true);
  });
});

for (const adapter of TEST_ADAPTERS) {
  describe(`cell rows GPU == CPU on ${adapter.name}`, () => {
    const device = useDevice(adapter.options);

    const both = async (batches: Batch[], options: CellRowsOptions): Promise<CellRowsResult> => {
      const cpu = await run(batches, options);
      const onGpu = await checked(device(), () => run(batches, options, device()));
      expect(onGpu).toEqual(cpu);
      return cpu;
    };

    it.each([1, 2, 3, 10, 65])('logits, C = %i: ties, NaN, many batches, small chunks, rows beyond the limit',
      async (c) => {
        const rand = rng(c + 11);
        const batches: Batch[] = [0, 1, 255, 257, 1500].map((n, k) => ({
          logits: makeLogits(rand, n, c, k % 2 ? 'ties' : 'special'),
          labels: makeLabels(rand, n, c),
        }));
        const cells = [{ true: 0 }, { true: c - 1, pred: 0 }, { true: Math.min(1, c - 1), pred: c - 1 }];
        for (const [chunkRows, limit, maxWorkgroups] of [[97, 5, 2], [1000, 1000, undefined], [256, 0, 1]] as const) {
          const r = await both(batches, { numClasses: c, cells, limit, chunkRows, maxWorkgroups });
          expect(r.rows).toBe(2013);
          if (c === 10 && limit === 5) expect(r.cells.filter((x) => x.truncated).length).toBeGreaterThan(3);
        }
      });

    it('predicted classes, cells with no rows, Infinity', async () => {
      const rand = rng(3);
      const batches: Batch[] = [700, 90].map((n) => ({ preds: makeLabels(rand, n, 5, Uint8Array),
        labels: makeLabels(rand, n, 4, Uint16Array) })
      );
      const r = await both(batches, { numClasses: 5, cells: [{ true: 4 }, { true: 2 }, { true: 3, pred: 3 }],
        limit: Infinity, chunkRows: 64 });
      expect(r.cells.filter((x) => x.true === 4).every((x) => x.count === 0)).toBe(true);
      expect(r.cells.reduce((s, x) => s + x.count, 0)).toBeGreaterThan(100);
    });

    it('refuses a label out of range found on the GPU, naming the row', async () => {
      const labels = Int32Array.of(0, 1, 2, 9, 1);
      const cr = createCellRows({ numClasses: 3, cells: [{ true: 1 }], device: device() });
      const batch = { preds: Int32Array.of(0, 0, 0, 0, 0), labels: labelsBuffer(device(), labels) };
      await expect(cr.update(batch)).rejects.toThrow(/index 3: label is outside \[0, 3\)/);
      cr.destroy();
    });
  });
}

/** A labels buffer on `device` holding `values` (COPY_SRC: the per-class format asks for it). */
function labelsBuffer(device: GPUDevice, values: Int32Array<ArrayBuffer>): GPUBuffer {
  const buffer = device.createBuffer({ size: values.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  device.queue.writeBuffer(buffer, 0, values);
  return buffer;
}
