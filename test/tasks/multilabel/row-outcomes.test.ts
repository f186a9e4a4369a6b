// The table of distinct row outcomes: CPU against a naive count, GPU == CPU, states, and the averages' bootstrap
// against numpy's row resampling scored by sklearn (two-sample KS, B = 2,000; fixed seeds, deterministic).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeGpu } from '../../../src/node/index.js';
import { createMultilabelState, mergeMultilabelStates, multilabelStateResult,
  parseMultilabelState } from '../../../src/state/task-state.js';
import { intervalMethod } from '../../../src/stats/bootstrap.js';
import { averageDraws, labelIntervals, outcomeAverages } from '../../../src/tasks/multilabel/intervals.js';
import { createMultilabelMatrix } from '../../../src/tasks/multilabel/matrix.js';
import { multilabelMetrics, type MultilabelResult } from '../../../src/tasks/multilabel/multilabel.js';
import { addRowOutcome, createOutcomeTally, MAX_ROW_OUTCOMES, mergeRowOutcomes, parseRowOutcomeKey, rowOutcomeKey,
  type RowOutcomes } from '../../../src/tasks/multilabel/row-outcomes.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';
import { rng } from '../../helpers/random.js';
import { ksTwoSample } from '../../stats/helpers.js';

/** Scores in {-1, 0.2, 0.7, NaN, 1} and 0/1 targets, so rows repeat and every outcome occurs. */
function data(rows: number, labels: number, seed: number): { scores: Float32Array; targets: Uint8Array } {
  const rand = rng(seed);
  const values = [-1, 0.2, 0.7, NaN, 1];
  const scores = Float32Array.from({ length: rows * labels }, () => values[Math.floor(rand() * 5)]!);
  const targets = Uint8Array.from({ length: rows * labels }, () => +(rand() < 0.4));
  return { scores, targets };
}

/** The table counted the obvious way: each row's key from its TP, FP and FN label lists. */
function naive(scores: Float32Array, targets: Uint8Array, labels: number, threshold: number): Map<string, number> {
  const table = new Map<string, number>();
  for (let i = 0; i < scores.length / labels; i++) {
    const o = { tp: [] as number[], fp: [] as number[], fn: [] as number[] };
    for (let j = 0; j < labels; j++) {
      const [p, t] = [scores[i * labels + j]! >= threshold, targets[i * labels + j] === 1];
      if (p && t) o.tp.push(j);
      else if (p) o.fp.push(j);
      else if (t) o.fn.push(j);
    }
    const key = rowOutcomeKey(o);
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  return table;
}

const sorted = (t: RowOutcomes | undefined) => (t ? [...t].sort((a, b) => (a[0] < b[0] ? -1 : 1)) : t);

describe('row outcomes', () => {
  it('tallies rows by outcome words into the keys of rowOutcomeKey (1 word, 2 words, more); parses them back', () => {
    const wordsOf = (codes: [number, number][], labels: number): Uint32Array => {
      const w = new Uint32Array(Math.ceil(labels / 16));
      for (const [j, code] of codes) w[j >> 4]! |= code << (2 * (j % 16));
      return w;
    };
    for (const labels of [13, 16, 17, 26, 27, 40]) {
      const t = createOutcomeTally(labels);
      const codes: [number, number][] = [[0, 1], [2, 0], [3, 3], [5, 1], [7, 2], [11, 3], [labels - 1, 2]];
      const row = wordsOf(codes, labels);
      t.add(row, 0);
      t.add(Uint32Array.of(9, ...row), 1);
      t.add(new Uint32Array(row.length), 0);
      const table = t.flush(new Map([['0;;', 1]]));
      const key = rowOutcomeKey({ tp: [0, 5], fp: [7, labels - 1], fn: [3, 11] });
      expect([...table!].sort(), String(labels)).toEqual([['0;;', 1], [';;', 1], [key, 2]].sort());
      expect([...t.flush(new Map())!], 'flushed').toEqual([]);
    }
    const full = createOutcomeTally(1);
    for (let i = 0; i < 3; i++) full.add([i], 0);
    expect(full.flush(null)).toBeNull();
    expect(rowOutcomeKey({ tp: [0, 5], fp: [7], fn: [3, 11] })).toBe('0,5;7;3,11');
    expect(parseRowOutcomeKey('0,5;7;3,11', 12)).toEqual({ tp: [0, 5], fp: [7], fn: [3, 11] });
    expect(parseRowOutcomeKey(';;', 1)).toEqual({ tp: [], fp: [], fn: [] });
    for (const [key, why] of [['0;1', /must be "tp;fp;fn"/], ['0;1;2', /label 2 is not below the 2 labels/], ['1,0;;',
      /ascending/], ['0;0;', /label 0 is in two lists/], ['01;;', /not a comma-separated/], ['0,;;',
      /not a comma-separated/], ['-1;;', /not a comma-separated/]] as const) {
      expect(() => parseRowOutcomeKey(key, 2), key).toThrow(why);
    }
  });

  it(`keeps at most ${MAX_ROW_OUTCOMES} keys (more drops the table), merges by key`, () => {
    let t: RowOutcomes = new Map();
    for (let i = 0; i < MAX_ROW_OUTCOMES; i++) t = addRowOutcome(t, `${i};;`, 1);
    expect(t!.size).toBe(MAX_ROW_OUTCOMES);
    t = addRowOutcome(t, '0;;', 2);
    expect(t!.get('0;;')).toBe(3);
    expect(addRowOutcome(t, 'x', 1)).toBeNull();
    expect(addRowOutcome(null, '0;;', 1)).toBeNull();
    const merged = mergeRowOutcomes(new Map([['a', 1], ['b', 2]]), new Map([['b', 3], ['c', 1]]));
    expect([...merged!]).toEqual([['a', 1], ['b', 5], ['c', 1]]);
    expect(mergeRowOutcomes(new Map([['a', 1]]), null)).toBeNull();
  });

  it('are counted on the CPU as the naive count, only when asked; dropped by sample weights', async () => {
    const { scores, targets } = data(700, 5, 1);
    const ml = createMultilabelMatrix({ numLabels: 5, threshold: 0.5, rowOutcomes: true });
    await ml.update({ scores: scores.subarray(0, 1500), targets: targets.subarray(0, 1500) });
    await ml.update({ scores: scores.subarray(1500), targets: targets.subarray(1500) });
    const r = await ml.compute();
    expect(sorted(r.rowOutcomes)).toEqual(sorted(naive(scores, targets, 5, 0.5)));
    const plain = createMultilabelMatrix({ numLabels: 5, threshold: 0.5 });
    await plain.update({ scores, targets });
    expect(await plain.compute()).toEqual({ ...r, rowOutcomes: undefined });
    expect('rowOutcomes' in (await plain.compute())).toBe(false);
    await ml.update({ scores: scores.subarray(0, 5), targets: targets.subarray(0, 5), weights: Float64Array.of(2) });
    expect((await ml.compute()).rowOutcomes).toBeNull();
  });

  it('give the averages of multilabelMetrics at the counted rows', async () => {
    const { scores, targets } = data(500, 7, 2);
    const ml = createMultilabelMatrix({ numLabels: 7, threshold: 0.5, rowOutcomes: true });
    await ml.update({ scores, targets });
    const r = await ml.compute();
    const keys = [...r.rowOutcomes!.keys()];
    const out = new Float64Array(12);
    outcomeAverages(keys.map((k) => parseRowOutcomeKey(k, 7)), 7, keys.map((k) => r.rowOutcomes!.get(k)!), out);
    const m = multilabelMetrics(r);
    const want = [m.microAvg, m.macroAvg, m.weightedAvg, m.samplesAvg].flatMap((a) => [a.precision, a.recall, a.f1]);
    want.forEach((v, i) => expect(out[i], `average ${i}`).toBeCloseTo(v, 12));
  });

  it('round-trip through states; shards merge into the single run; corrupt tables are refused', async () => {
    const { scores, targets } = data(300, 4, 3);
    const whole = createMultilabelMatrix({ numLabels: 4, threshold: 0.5, rowOutcomes: true });
    await whole.update({ scores, targets });
    const parts = await Promise.all([[0, 130], [130, 300]].map(async ([a, b]) => {
      const m = createMultilabelMatrix({ numLabels: 4, threshold: 0.5, rowOutcomes: true });
      await m.update({ scores: scores.subarray(a! * 4, b! * 4), targets: targets.subarray(a! * 4, b! * 4) });
      return m.state();
    }));
    const single = await whole.state();
    expect(single.rowOutcomes!.length).toBeGreaterThan(10);
    expect(mergeMultilabelStates(parts)).toEqual(single);
    const result = multilabelStateResult(single);
    expect(sorted(result.rowOutcomes)).toEqual(sorted((await whole.compute()).rowOutcomes));
    const plain = createMultilabelMatrix({ numLabels: 4, threshold: 0.5 });
    await plain.update({ scores, targets });
    expect(mergeMultilabelStates([single, await plain.state()]).rowOutcomes).toBeUndefined();
    expect(mergeMultilabelStates([single, { ...single, rowOutcomes: null }]).rowOutcomes).toBeNull();
    const bad = (rowOutcomes: unknown) => () => parseMultilabelState({ ...single, rowOutcomes }, 'p.json');
    const [k0, n0] = single.rowOutcomes![0]!;
    const rest = single.rowOutcomes!.slice(1);
    expect(bad([[k0, n0 + 1], ...rest])).toThrow(/count 301 rows, but rows is 300/);
    expect(bad([...rest, [k0, n0]])).toThrow(/keys must be ascending and distinct/);
    expect(bad([[k0, 0], ...rest])).toThrow(/must count at least one row/);
    expect(bad([[k0, n0], ['9;;', 1], ...rest.slice(1)])).toThrow(/p.json: .*label 9 is not below the 4 labels/);
    expect(bad([[`${k0}x`, n0], ...rest])).toThrow(/\$\.rowOutcomes\[0\]\[0\]: row outcome/);
    expect(bad({})).toThrow(/must be an array of \[key, rows\] pairs or null/);
    expect(bad([[k0, n0 + rest[0]![1]], ...rest.slice(1)])).toThrow(/the row outcomes give label \d+ TP, FP, FN/);
    expect(() => parseMultilabelState({ ...single, rowOutcomes: [], rows: 0 }, 'p')).toThrow(/rows/);
    expect(parseMultilabelState({ ...single, rowOutcomes: null }, 'p').rowOutcomes).toBeNull();
  });
});

interface MultilabelFixture {
  targets: number[];
  preds: number[];
  micro: number[];
  macro: number[];
  weighted: number[];
  samples: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/multilabel.json', import.meta.url), 'utf8'),
) as MultilabelFixture;

describe('intervals of the multilabel averages', () => {
  const L = 4;
  const result = async (rowOutcomes: boolean): Promise<MultilabelResult> => {
    const ml = createMultilabelMatrix({ numLabels: L, threshold: 0.5, rowOutcomes });
    await ml.update({ scores: Float32Array.from(fixture.preds), targets: Uint8Array.from(fixture.targets) });
    return ml.compute();
  };

  it("draw each average's F1 as numpy's row resampling scored by sklearn (two-sample KS, B = 2,000)", async () => {
    const draws = averageDraws(await result(true), intervalMethod({ level: 0.95, resamples: 2000, seed: 17 }))!;
    const round = (x: number): number => Math.round(x * 1e10) / 1e10;
    for (const [column, name] of [[2, 'micro'], [5, 'macro'], [8, 'weighted'], [11, 'samples']] as const) {
      const { d, limit } = ksTwoSample(draws[column]!.map(round), fixture[name].map(round));
      expect(d, name).toBeLessThan(limit);
    }
  });

  it('bracket the point estimates; without row outcomes the averages get a note instead', async () => {
    const r = await result(true);
    const ci = labelIntervals(r, { level: 0.95, seed: 3 });
    const m = multilabelMetrics(r);
    for (const name of ['microAvg', 'macroAvg', 'weightedAvg', 'samplesAvg'] as const) {
      for (const key of ['precision', 'recall', 'f1'] as const) {
        expect(ci[name]![key].low, `${name} ${key}`).toBeLessThan(m[name][key]);
        expect(ci[name]![key].high, `${name} ${key}`).toBeGreaterThan(m[name][key]);
      }
    }
    expect(ci.averagesNote).toBeUndefined();
    const none = labelIntervals(await result(false), { level: 0.95, seed: 3 });
    expect(none.perLabel).toEqual(ci.perLabel);
    expect(none.macroAvg).toBeUndefined();
    expect(none.averagesNote).toMatch(/kept no row outcomes/);
    expect(labelIntervals({ ...r, rowOutcomes: null }, { level: 0.95 }).averagesNote).toMatch(/more than 65,536/);
  });
});

describe.each(TEST_ADAPTERS)('row outcomes GPU == CPU on $name', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());

  it.each([[1, 40], [15, 300], [16, 257], [17, 300], [33, 130]])('%i labels, %i rows, small chunks',
    async (labels, rows) => {
      const { scores, targets } = data(rows, labels, labels * 7 + rows);
      const cpu = createMultilabelMatrix({ numLabels: labels, threshold: 0.5, rowOutcomes: true });
      const dev = createMultilabelMatrix({ numLabels: labels, threshold: 0.5, rowOutcomes: true, device: gpu.device,
        chunkRows: 50, workgroupSize: 32, maxWorkgroups: 2 });
      await cpu.update({ scores, targets });
      await checked(gpu.device, () => dev.update({ scores, targets }));
      const [c, g] = [await cpu.compute(), await dev.compute()];
      expect(g.rowOutcomes!.size).toBeGreaterThan(1);
      expect(sorted(g.rowOutcomes)).toEqual(sorted(c.rowOutcomes));
      expect({ ...g, rowOutcomes: undefined }).toEqual({ ...c, rowOutcomes: undefined });
      dev.destroy();
    });

  it('reads targets and scores in GPU buffers in place; weights drop the table', async () => {
    const { scores, targets } = data(90, 3, 5);
    const upload = (a: Float32Array | Uint32Array): GPUBuffer => {
      const b = gpu.device.createBuffer({ label: 'test input', size: a.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      gpu.device.queue.writeBuffer(b, 0, a as Uint32Array<ArrayBuffer>);
      return b;
    };
    const dev = createMultilabelMatrix({ numLabels: 3, threshold: 0.5, rowOutcomes: true, device: gpu.device });
    await checked(gpu.device, () => dev.update({ scores: upload(scores), targets: upload(Uint32Array.from(targets)) }));
    expect(sorted((await dev.compute()).rowOutcomes)).toEqual(sorted(naive(scores, targets, 3, 0.5)));
    await dev.update({ scores, targets, weights: new Float64Array(90).fill(1) });
    expect((await dev.compute()).rowOutcomes).toBeNull();
    dev.destroy();
  });
});

describe('createMultilabelState', () => {
  it('writes the table sorted by key, null when dropped, nothing when not kept', async () => {
    const ml = createMultilabelMatrix({ numLabels: 2, threshold: 0.5, rowOutcomes: true });
    await ml.update({ scores: Float32Array.of(1, 0, 0, 1, 1, 1, 1, 0),
      targets: Uint8Array.of(1, 0, 1, 1, 0, 0, 1, 0) });
    const r = await ml.compute();
    expect(createMultilabelState(r).rowOutcomes).toEqual([['0;;', 2], ['1;;0', 1], [';0,1;', 1]]);
    expect(createMultilabelState({ ...r, rowOutcomes: null }).rowOutcomes).toBeNull();
    const { rowOutcomes: _, ...plain } = r;
    expect('rowOutcomes' in createMultilabelState(plain)).toBe(false);
  });
});
