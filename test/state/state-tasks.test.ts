import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryJson, multilabelJson } from '../../src/cli/task-report.js';
import { type BinaryState, binaryStateResult, createMultilabelMatrix, createState, createThresholdSweep, mergeAnyStates,
  mergeBinaryStates, mergeMultilabelStates, multilabelMetrics, type MultilabelResult, type MultilabelState,
  multilabelStateResult, parseAnyState, parseBinaryState, parseMultilabelState, parseState,
  type SweepResult } from '../../src/index.js';
import type { NodeGpu } from '../../src/node/index.js';
import { createBinaryState, createMultilabelState } from '../../src/state/task-state.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../helpers/gpu.js';
import { rng } from '../helpers/random.js';
import { json, refusal } from './refusal.js';

const cpu = { name: 'cpu' as const, adapter: null };

/** N x L scores on a coarse grid (ties at the thresholds), some NaN, and 0/1 targets. */
function data(rows: number, labels: number, seed: number): { scores: Float32Array; targets: Uint8Array } {
  const rand = rng(seed);
  const scores = Float32Array.from({ length: rows * labels }, () => (rand() < 0.03 ? NaN : Math.floor(rand() * 9) / 8));
  const targets = Uint8Array.from({ length: rows * labels }, () => (rand() < 0.4 ? 1 : 0));
  return { scores, targets };
}

const THRESHOLDS = [0.5, 0.25, Infinity, 0.75];
const SWEEP = [0, 0.125, 0.5, 0.625, 1, -Infinity];

async function multilabel(scores: Float32Array, targets: Uint8Array,
  labels = THRESHOLDS.length): Promise<MultilabelResult> {
  const ml = createMultilabelMatrix({ numLabels: labels, threshold: THRESHOLDS.slice(0, labels) });
  await ml.update({ scores, targets });
  return ml.compute();
}

async function sweep(scores: Float32Array, targets: Uint8Array, thresholds = SWEEP): Promise<SweepResult> {
  const s = createThresholdSweep({ thresholds });
  await s.update({ scores, targets });
  return s.compute();
}

/** Rows [a, b) of a row-major array of `width` columns. */
const rowsOf = <T extends Float32Array | Uint8Array>(x: T, width: number, a: number, b: number): T =>
  x.subarray(a * width, b * width) as T;

describe('multilabel states', () => {
  const { scores, targets } = data(200, 4, 7);

  it('round-trip through JSON exactly, thresholds of +-Infinity included', async () => {
    const result = await multilabel(scores, targets);
    const s = createMultilabelState(result, { labels: ['a', 'b', 'c', 'd'], shards: { count: 3, indices: [0, 2] } });
    expect(s.thresholds).toEqual([0.5, 0.25, 'Infinity', 0.75]);
    const back = parseMultilabelState(json(s), 'part.json');
    expect(back).toEqual(s);
    expect(multilabelStateResult(back)).toEqual(result);
    expect(parseAnyState(json(s), 'part.json')).toEqual(s);
  });

  it('reads the JSON report of confmat eval --task multilabel (its metrics ignored)', async () => {
    const result = await multilabel(scores, targets);
    const report = json(multilabelJson(result, ['a', 'b', 'c', 'd'], cpu, { count: 2, indices: [1] }));
    expect(parseMultilabelState(report, 'r.json')).toEqual(
      createMultilabelState(result, { labels: ['a', 'b', 'c', 'd'], shards: { count: 2, indices: [1] } }),
    );
  });

  it('merge in any split, order and grouping into the single run, samples average bit for bit', async () => {
    const whole = await multilabel(scores, targets);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 199 }), { maxLength: 8 }), fc.integer(),
        async (cuts, seed) => {
          const bounds = [0, ...cuts.sort((a, b) => a - b), 200];
          const states: MultilabelState[] = [];
          for (let i = 0; i + 1 < bounds.length; i++) {
            states.push(
              createMultilabelState(
                await multilabel(rowsOf(scores, 4, bounds[i]!, bounds[i + 1]!),
                  rowsOf(targets, 4, bounds[i]!, bounds[i + 1]!)),
              ),
            );
          }
          const rand = rng(seed >>> 0);
          const shuffled = states.map((s) => [rand(), s] as const).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
          const k = Math.floor(rand() * shuffled.length);
          const grouped = k > 0 ? [mergeMultilabelStates(shuffled.slice(0, k)), ...shuffled.slice(k)] : shuffled;
          const merged = multilabelStateResult(mergeMultilabelStates(grouped));
          expect(merged).toEqual(whole);
          expect(multilabelMetrics(merged).samplesAvg).toEqual(multilabelMetrics(whole).samplesAvg);
        }),
      { numRuns: 40 },
    );
  });

  const good = (): Record<string, unknown> => ({ format: 'confmat-state', version: 1, task: 'multilabel', numLabels: 2,
    rows: 4, thresholds: [0.5, 'Infinity'], matrices: [[[1, 1], [0, 2]], [[2, 0], [2, 0]]],
    sampleSums: { precision: [[1, 1], [2, 1]], recall: [[1, 2]], f1: [[2, 4]] }, options: { numLabels: 2 } });
  const edit = (f: (v: Record<string, unknown>) => void) => {
    const v = good();
    f(v);
    return v;
  };

  it('accepts the hand-written good state', () => {
    expect(parseMultilabelState(good(), 'p.json').rows).toBe(4);
  });

  it.each<[string, unknown, RegExp]>([['no format', edit((v) => delete v.format),
    /^p\.json: \$\.format: expected "confmat-state", got nothing/], ['a newer version', edit((v) => (v.version = 2)),
    /^p\.json: \$\.version: state version 2 was written by a newer confmat/], ['an unknown task',
    edit((v) => (v.task = 'regression')),
    /^p\.json: \$\.task: unknown task "regression"; this confmat reads multiclass, multilabel and binary states$/], [
    'numLabels 0',
    edit((v) => (v.numLabels = 0)),
    /^p\.json: \$\.numLabels: must be an integer in \[1, 65536\], got 0$/,
  ], ['options for another L', edit((v) => (v.options = { numLabels: 3 })),
    /^p\.json: \$\.options\.numLabels: must equal numLabels 2, got 3$/], ['an unknown option',
    edit((v) => (v.options = { numLabels: 2, ignoreIndex: 0 })),
    /^p\.json: \$\.options\.ignoreIndex: option not known to this confmat/], ['one threshold too few',
    edit((v) => (v.thresholds = [0.5])),
    /^p\.json: \$\.thresholds: must hold 2 thresholds, one per label, got \[0\.5\]$/], ['a null threshold (NaN)',
    edit((v) => (v.thresholds = [0.5, null])),
    /^p\.json: \$\.thresholds\[1\]: threshold must be a float32 number, "Infinity" or "-Infinity", got null$/], [
    'a threshold that is not float32',
    edit((v) => (v.thresholds = [0.1, 0.5])),
    /\$\.thresholds\[0\]: threshold must be a float32 number.*got 0\.1$/,
  ], ['a matrix that does not add up to rows', edit((v) => ((v.matrices as number[][][])[1]![0]![0] = 3)),
    /^p\.json: \$\.matrices\[1\]: TN \+ FP \+ FN \+ TP = 5, but rows is 4 \(edited or corrupt file\?\)$/], [
    'a negative cell',
    edit((v) => ((v.matrices as number[][][])[0]![0]![1] = -1)),
    /^p\.json: \$\.matrices\[0\]\[0\]\[1\]: count must be an integer in \[0, 2\^53 - 1\], got -1$/,
  ], ['a matrix of the wrong shape', edit((v) => ((v.matrices as unknown[])[0] = [1, 1, 0, 2])),
    /^p\.json: \$\.matrices\[0\]: must be \[\[TN, FP\], \[FN, TP\]\], got \[1,1,0,2\]$/], [
    'samples sums that disagree with TP',
    edit((v) => ((v.sampleSums as { recall: number[][] }).recall = [[1, 3]])),
    /^p\.json: \$\.sampleSums\.recall: numerators add up to 3, but the matrices hold 2 TP \(edited or corrupt file\?\)$/,
  ], ['a denominator beyond L', edit((v) => ((v.sampleSums as { recall: number[][] }).recall = [[3, 2]])),
    /\$\.sampleSums\.recall\[0\]\[0\]: denominator must be an integer in \[1, 2\], got 3$/], [
    'denominators out of order',
    edit((v) => ((v.sampleSums as { precision: number[][] }).precision = [[2, 1], [1, 1]])),
    /\$\.sampleSums\.precision\[1\]\[0\]: denominators must be ascending and distinct: 1 follows 2$/,
  ], ['no sample sums', edit((v) => delete v.sampleSums), /^p\.json: \$\.sampleSums: must be \{"precision"/], [
    'one label name for two labels',
    edit((v) => (v.labels = ['x'])),
    /^p\.json: \$\.labels: holds 1 label names for 2 labels$/,
  ], ['a label name twice', edit((v) => (v.labels = ['x', 'x'])),
    /^p\.json: \$\.labels\[1\]: duplicate label name "x" \(also label 0\)$/], ['more samples sums than denominators',
    edit((v) => ((v.sampleSums as { precision: number[][] }).precision = [[1, 1], [2, 1], [3, 0]])),
    /^p\.json: \$\.sampleSums\.precision: holds 3 pairs, more than the 2 denominators there are$/], [
    'a shard count of 2^53 - 1',
    edit((v) => (v.shards = { count: 2 ** 53 - 1, indices: [0] })),
    /^p\.json: \$\.shards\.count: must be an integer in \[1, 1048576\] \(2\^20\), got 9007199254740991$/,
  ]])('refuses %s, naming the file and the field', (_, value, message) => {
    const e = refusal(() => parseAnyState(value, 'p.json'));
    expect(e.message).toMatch(message);
    expect(e.field).toBe('state');
  });

  it('refuses to merge parts of another L, thresholds, names or options, or shards that do not fit', async () => {
    const a = createMultilabelState(await multilabel(scores, targets));
    const other = (f: (s: MultilabelState) => void): MultilabelState => {
      const s = json(a) as unknown as MultilabelState;
      f(s);
      return parseMultilabelState(s, 'x');
    };
    const files = ['a.json', 'b.json'];
    const three = createMultilabelState(await multilabel(scores.subarray(0, 30), targets.subarray(0, 30), 3));
    expect(refusal(() => mergeMultilabelStates([a, three], files)).message).toBe('b.json: 3 labels, but a.json has 4');
    expect(refusal(() => mergeMultilabelStates([a, other((s) => (s.thresholds[3] = 0.5))], files)).message).toBe(
      'b.json: the threshold of label 3 is 0.5, but 0.75 in a.json: parts must be counted with the same --threshold',
    );
    expect(refusal(() => mergeMultilabelStates([a, other((s) => (s.labels = ['0', '1', 'two', '3']))], files)).message)
      .toBe('b.json: label 2 is named "two", but "2" in a.json');
    expect(mergeMultilabelStates([a, other((s) => (s.labels = ['0', '1', '2', '3']))], files).labels).toEqual(['0', '1',
      '2', '3']);
    const shard = (i: number, n: number) => other((s) => (s.shards = { count: n, indices: [i] }));
    expect(refusal(() => mergeMultilabelStates([shard(0, 2), shard(0, 2)], files)).message).toBe(
      'b.json: shard 0/2 is also in a.json; each shard must be merged once',
    );
    expect(refusal(() => mergeMultilabelStates([shard(0, 2), shard(1, 3)], files)).message).toMatch(
      /^b\.json: a shard of 3, but a\.json is a shard of 2/,
    );
    expect(refusal(() => mergeMultilabelStates([shard(0, 2), a], files)).message).toMatch(
      /^b\.json: not sharded, but a\.json is shards of 2/,
    );
    expect(mergeMultilabelStates([shard(1, 2), shard(0, 2)], files).shards).toEqual({ count: 2, indices: [0, 1] });
  });
});

describe('binary states', () => {
  const { scores, targets } = data(300, 1, 11);

  it('round-trip through JSON exactly, with and without a sweep', async () => {
    const result = await sweep(scores, targets);
    const s = createBinaryState(result, { threshold: 0.5, shards: { count: 4, indices: [3] } });
    expect(s.sweep!.thresholds).toEqual([1, 0.625, 0.5, 0.125, 0, '-Infinity']);
    expect(parseBinaryState(json(s), 'p.json')).toEqual(s);
    expect(binaryStateResult(parseAnyState(json(s), 'p.json') as BinaryState)).toEqual({ result, threshold: 0.5,
      sweep: true });
    const one = await sweep(scores, targets, [0.5]);
    const t = createBinaryState(one);
    expect(t.sweep).toBeUndefined();
    expect(binaryStateResult(parseBinaryState(json(t), 'p.json'))).toEqual({ result: one, threshold: 0.5,
      sweep: false });
    const report = json(binaryJson(result, 0.5, true, cpu, { count: 4, indices: [3] }));
    expect(parseBinaryState(report, 'r.json')).toEqual(s);
    expect(refusal(() => createBinaryState(result)).message).toMatch(
      /a state of a sweep of 6 thresholds needs the threshold of its 2 x 2 matrix/,
    );
    expect(refusal(() => createBinaryState(result, { threshold: 0.3 })).message).toMatch(
      /threshold 0\.3 is not one of the sweep's thresholds/,
    );
  });

  it('merge in any split and order into the single run', async () => {
    const whole = await sweep(scores, targets);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 299 }), { maxLength: 6 }), async (cuts) => {
        const bounds = [0, ...cuts.sort((a, b) => a - b), 300];
        const states: BinaryState[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) {
          states.push(
            createBinaryState(
              await sweep(scores.subarray(bounds[i], bounds[i + 1]), targets.subarray(bounds[i], bounds[i + 1])),
              { threshold: 0.625 },
            ),
          );
        }
        const merged = mergeBinaryStates(states.reverse());
        expect(binaryStateResult(merged)).toEqual({ result: whole, threshold: 0.625, sweep: true });
        expect(merged).toEqual(createBinaryState(whole, { threshold: 0.625 }));
      }),
      { numRuns: 30 },
    );
  });

  const good = (): Record<string, unknown> => ({ format: 'confmat-state', version: 1, task: 'binary', threshold: 0.5,
    positives: 3, negatives: 5, matrix: [[4, 1], [1, 2]],
    sweep: { thresholds: ['Infinity', 0.5, 0], tps: [0, 2, 3], fps: [0, 1, 5] }, options: {} });
  const edit = (
    f: (v: Record<string, unknown> & { sweep: { thresholds: unknown[]; tps: number[]; fps: number[] } }) => void,
  ) => {
    const v = good() as Parameters<typeof f>[0];
    f(v);
    return v;
  };

  it('accepts the hand-written good state', () => {
    expect(parseBinaryState(good(), 'p.json').positives).toBe(3);
  });

  it.each<[string, unknown, RegExp]>([['an unknown option', edit((v) => (v.options = { topK: 2 })),
    /^p\.json: \$\.options\.topK: option not known to this confmat/], ['a matrix that disagrees with negatives',
    edit((v) => (v.matrix = [[4, 2], [1, 2]])),
    /^p\.json: \$\.matrix: TN \+ FP = 6, but negatives is 5 \(edited or corrupt file\?\)$/], [
    'a matrix that disagrees with positives',
    edit((v) => (v.matrix = [[4, 1], [0, 2]])),
    /^p\.json: \$\.matrix: FN \+ TP = 2, but positives is 3/,
  ], ['rows that disagree', edit((v) => (v.rows = 9)),
    /^p\.json: \$\.rows: is 9 but positives and negatives add up to 8/], ['sweep thresholds not descending',
    edit((v) => (v.sweep.thresholds = ['Infinity', 0, 0.5])),
    /^p\.json: \$\.sweep\.thresholds\[2\]: thresholds must be distinct and descending: 0\.5 follows 0$/], [
    'a repeated sweep threshold',
    edit((v) => (v.sweep.thresholds = [0.5, 0.5, 0])),
    /\$\.sweep\.thresholds\[1\]: thresholds must be distinct and descending/,
  ], ['TP falling as thresholds fall', edit((v) => (v.sweep.tps = [1, 0, 3])),
    /^p\.json: \$\.sweep\.tps\[1\]: 0 is below 1 at a higher threshold/], ['FP beyond the negatives',
    edit((v) => (v.sweep.fps = [0, 1, 6])), /^p\.json: \$\.sweep\.fps\[2\]: 6 exceeds the 5 negatives/], [
    'a sweep of other length',
    edit((v) => (v.sweep.tps = [0, 2])),
    /^p\.json: \$\.sweep\.tps: must hold 3 counts, one per threshold/,
  ], ['a threshold not in the sweep', edit((v) => (v.threshold = 0.25)),
    /^p\.json: \$\.threshold: 0\.25 is not one of the sweep's thresholds$/], ['a matrix that disagrees with the sweep',
    edit((v) => (v.sweep.tps = [0, 1, 3])),
    /^p\.json: \$\.matrix: TP 2 and FP 1 differ from the sweep's 1 and 1 at threshold 0\.5/], ['a threshold as text',
    edit((v) => (v.threshold = '0.5')),
    /^p\.json: \$\.threshold: threshold must be a float32 number, "Infinity" or "-Infinity", got "0\.5"$/], [
    'a shard count of 2^53 - 1',
    edit((v) => (v.shards = { count: 2 ** 53 - 1, indices: [0] })),
    /^p\.json: \$\.shards\.count: must be an integer in \[1, 1048576\] \(2\^20\), got 9007199254740991$/,
  ], ['more shard indices than shards', edit((v) => (v.shards = { count: 1, indices: [0, 1] })),
    /^p\.json: \$\.shards\.indices: holds 2 shard indices, more than the 1 shards of the split$/]])(
      'refuses %s, naming the file and the field',
      (_, value, message) => {
        expect(refusal(() => parseAnyState(value, 'p.json')).message).toMatch(message);
      },
    );

  it('refuses to merge parts of another threshold or sweep, and parts of different tasks', async () => {
    const files = ['a.json', 'b.json'];
    const a = createBinaryState(await sweep(scores, targets), { threshold: 0.5 });
    const b = createBinaryState(await sweep(scores, targets), { threshold: 0.625 });
    expect(refusal(() => mergeBinaryStates([a, b], files)).message).toBe(
      'b.json: threshold 0.625, but 0.5 in a.json: parts must be counted with the same --threshold',
    );
    const c = createBinaryState(await sweep(scores, targets, [0.5, 0.25]), { threshold: 0.5 });
    expect(refusal(() => mergeBinaryStates([a, c], files)).message).toMatch(
      /^b\.json: a sweep of 2 thresholds, but a\.json is a sweep of 6 thresholds: parts must be counted with the same --thresholds/,
    );
    const d = createBinaryState(await sweep(scores, targets, [0, 0.125, 0.5, 0.75, 1, -Infinity]), { threshold: 0.5 });
    expect(refusal(() => mergeBinaryStates([a, d], files)).message).toMatch(
      /^b\.json: sweep threshold 1 is 0\.75, but 0\.625 in a\.json/,
    );
    const e = createBinaryState(await sweep(scores, targets, [0.5]), { threshold: 0.5 });
    expect(refusal(() => mergeBinaryStates([e, a], files)).message).toMatch(
      /^b\.json: a sweep of 6 thresholds, but a\.json is not a sweep/,
    );
    const ml = createMultilabelState(await multilabel(scores.subarray(0, 40), targets.subarray(0, 40)));
    const mc = createState(reduceCounts(new Float64Array([1, 2, 3, 4]), 2));
    expect(refusal(() => mergeAnyStates([a, ml], files)).message).toBe(
      'b.json: a multilabel state, but a.json is binary: parts of different tasks do not merge',
    );
    expect(refusal(() => mergeAnyStates([mc, a], files)).message).toBe(
      'b.json: a binary state, but a.json is multiclass: parts of different tasks do not merge',
    );
    expect(mergeAnyStates([mc, mc])).toEqual(createState(reduceCounts(new Float64Array([2, 4, 6, 8]), 2)));
  });
});

describe('multiclass states and the task field', () => {
  it('parseState reads task "multiclass" and absent alike, and points other tasks to parseAnyState', async () => {
    const s = createState(reduceCounts(new Float64Array([1, 2, 3, 4]), 2));
    expect(parseState({ ...json(s), task: 'multiclass' }, 'p.json')).toEqual(s);
    expect(parseAnyState(json(s), 'p.json')).toEqual(s);
    const { scores, targets } = data(10, 4, 3);
    const ml = json(createMultilabelState(await multilabel(scores, targets)));
    expect(refusal(() => parseState(ml, 'p.json')).message).toBe(
      'p.json: $.task: is "multilabel": parseState reads multiclass states (parseAnyState reads every task)',
    );
  });
});

describe('state() and load() of the task matrices on the CPU', () => {
  const { scores, targets } = data(120, 4, 5);

  it('a multilabel matrix loads a saved state and counts on, as one run', async () => {
    const whole = await multilabel(scores, targets);
    const a = createMultilabelMatrix({ numLabels: 4, threshold: THRESHOLDS });
    await a.update({ scores: rowsOf(scores, 4, 0, 50), targets: rowsOf(targets, 4, 0, 50) });
    const saved = JSON.stringify(await a.state({ shards: { count: 2, indices: [0] } }));
    const b = createMultilabelMatrix({ numLabels: 4, threshold: THRESHOLDS });
    await b.load(JSON.parse(saved) as MultilabelState);
    await b.update({ scores: rowsOf(scores, 4, 50, 120), targets: rowsOf(targets, 4, 50, 120) });
    expect(await b.compute()).toEqual(whole);
    expect(await b.state()).toEqual(createMultilabelState(whole));
    await b.reset();
    expect((await b.compute()).rows).toBe(0);
    const other = createMultilabelMatrix({ numLabels: 4, threshold: 0.5 });
    await expect(other.load(JSON.parse(saved) as MultilabelState)).rejects.toThrow(
      /the state's threshold of label 1 is 0\.25, this matrix's 0\.5/,
    );
    await expect(createMultilabelMatrix({ numLabels: 3 }).load(JSON.parse(saved) as MultilabelState)).rejects.toThrow(
      /the state counts 4 labels, this matrix 3/,
    );
    expect((await other.compute()).rows).toBe(0);
  });

  it('a threshold sweep loads a saved state and counts on, as one run', async () => {
    const s = scores.subarray(0, 120);
    const y = targets.subarray(0, 120);
    const whole = await sweep(s, y);
    const a = createThresholdSweep({ thresholds: SWEEP });
    await a.update({ scores: s.subarray(0, 70), targets: y.subarray(0, 70) });
    const saved = JSON.parse(JSON.stringify(await a.state({ threshold: 0.5 }))) as BinaryState;
    const b = createThresholdSweep({ thresholds: [...SWEEP].reverse() });
    await b.load(saved);
    await b.update({ scores: s.subarray(70), targets: y.subarray(70) });
    expect(await b.compute()).toEqual(whole);
    await b.reset();
    expect((await b.compute()).positives).toBe(0);
    await expect(createThresholdSweep({ thresholds: [0.5] }).load(saved)).rejects.toThrow(
      /the state holds counts at 6 thresholds \[1, 0\.625, 0\.5, 0\.125, 0, \.\.\.\], this sweep counts at 1 threshold \[0\.5\]/,
    );
  });
});

describe.each(TEST_ADAPTERS)('state() and load() on the GPU ($name) equal the CPU', ({ options }) => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice(options);
  });
  afterAll(() => gpu?.destroy());
  const { scores, targets } = data(150, 4, 9);

  it('multilabel', async () => {
    const cpuState = createMultilabelState(await multilabel(scores, targets));
    const ml = createMultilabelMatrix({ numLabels: 4, threshold: THRESHOLDS, device: gpu.device, chunkRows: 64 });
    await checked(gpu.device,
      () => ml.update({ scores: rowsOf(scores, 4, 0, 100), targets: rowsOf(targets, 4, 0, 100) }));
    const part = createMultilabelState(await multilabel(rowsOf(scores, 4, 100, 150), rowsOf(targets, 4, 100, 150)));
    await ml.load(part);
    expect(await ml.state()).toEqual(cpuState);
    ml.destroy();
  });

  it('binary sweep', async () => {
    const cpuState = createBinaryState(await sweep(scores, targets), { threshold: 0.5 });
    const s = createThresholdSweep({ thresholds: SWEEP, device: gpu.device, chunkRows: 64 });
    await checked(gpu.device, () => s.update({ scores: scores.subarray(0, 400), targets: targets.subarray(0, 400) }));
    await s.load(createBinaryState(await sweep(scores.subarray(400), targets.subarray(400)), { threshold: 0.5 }));
    expect(await s.state({ threshold: 0.5 })).toEqual(cpuState);
    s.destroy();
  });
});
