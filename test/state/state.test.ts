import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConfusionMatrixState, createState, jsonReport, mergeStates, missingShards, parseState,
  stateResult } from '../../src/index.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';
import { json, refusal } from './refusal.js';

const state = (counts: number[], extra: Partial<ConfusionMatrixState> = {}): ConfusionMatrixState => {
  const c = Math.round(Math.sqrt(counts.length));
  return { format: 'confmat-state', version: 1, numClasses: c, counts, options: { numClasses: c }, ...extra };
};
const shard = (counts: number[], count: number, ...indices: number[]) => state(counts, { shards: { count, indices } });
/** An array nested `depth` deep (built without recursion). */
const deep = (depth: number): unknown[] => {
  let v: unknown[] = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
};

describe('createState / parseState', () => {
  it('round-trips through JSON exactly, counts past 2^32 included', () => {
    const result = reduceCounts(new Float64Array([5e9 + 7, 1, 2 ** 40 + 3, 4]), 2);
    const s = createState(result, { classes: ['cat', 'dog'], shards: { count: 4, indices: [1, 3] } });
    const back = parseState(JSON.parse(JSON.stringify(s)), 'part.json');
    expect(back).toEqual(s);
    expect(back.counts[0]).toBe(5_000_000_007);
    expect(stateResult(back)).toEqual(result);
  });

  it('reads the JSON report of confmat eval (matrix rows, no second copy of the counts)', () => {
    const result = reduceCounts(new Float64Array([3, 1, 0, 4, 2, 0, 9, 9, 9]), 3);
    const report = json(
      jsonReport(result, { name: 'cpu', adapter: null }, { classes: ['a', 'b', 'c'],
        shards: { count: 2, indices: [0] } }),
    );
    expect(report).not.toHaveProperty('counts');
    const s = parseState(report, 'r.json');
    expect(s).toEqual(createState(result, { classes: ['a', 'b', 'c'], shards: { count: 2, indices: [0] } }));
  });

  const good = () => json(state([1, 2, 3, 4], { classes: ['x', 'y'], shards: { count: 3, indices: [0, 2] } }));
  const edit = (f: (v: Record<string, unknown>) => void) => {
    const v = good();
    f(v);
    return v;
  };
  const report = () =>
    json(jsonReport(reduceCounts(new Float64Array([1, 2, 3, 4]), 2), { name: 'cpu', adapter: null }));

  it.each<[string, unknown, RegExp]>([['an array', [1, 2],
    /^p\.json: \$: expected a confmat state object, got an array$/], ['null', null,
    /^p\.json: \$: expected a confmat state object, got null$/], ['no format', edit((v) => delete v.format),
    /^p\.json: \$\.format: expected "confmat-state", got nothing \(is this/], ['another format',
    edit((v) => (v.format = 'npy')), /\$\.format: expected "confmat-state", got "npy"$/], ['a newer version',
    edit((v) => (v.version = 2)),
    /\$\.version: state version 2 was written by a newer confmat; this one reads version 1$/], ['a version as text',
    edit((v) => (v.version = '1')), /\$\.version: unsupported state version "1"; expected 1$/], ['numClasses 0',
    edit((v) => (v.numClasses = 0)), /\$\.numClasses: must be an integer in \[1, 23170\] .*, got 0$/], [
    'numClasses 1.5',
    edit((v) => (v.numClasses = 1.5)),
    /\$\.numClasses: must be an integer in \[1, 23170\] .*, got 1\.5$/,
  ], ['numClasses beyond the host matrix limit', edit((v) => ((v.numClasses = 23171), (v.counts = []))),
    /^p\.json: \$\.numClasses: must be an integer in \[1, 23170\] \(a C x C matrix of float64 counts fits 4294967296 bytes\), got 23171$/],
    ['no options', edit((v) => delete v.options), /\$\.options: must be an object of counting options, got nothing$/], [
    'options for another C',
    edit((v) => (v.options = { numClasses: 3 })),
    /\$\.options\.numClasses: must equal numClasses 2, got 3$/,
  ], ['an unknown option', edit((v) => (v.options = { numClasses: 2, calibration: 'platt' })),
    /\$\.options\.calibration: option not known to this confmat/], ['counts of the wrong length',
    edit((v) => (v.counts = [1, 2, 3])), /\$\.counts: holds 3 counts, 2 x 2 = 4 expected$/], ['counts not an array',
    edit((v) => (v.counts = '1,2,3,4')), /\$\.counts: must be an array of 2 x 2 counts, got "1,2,3,4"$/], [
    'a negative count',
    edit((v) => (v.counts = [1, 2, -3, 4])),
    /^p\.json: \$\.counts\[2\]: count must be an integer in \[0, 2\^53 - 1\], got -3$/,
  ], ['a fractional count', edit((v) => (v.counts = [1, 2.5, 3, 4])), /\$\.counts\[1\]: count must be .* got 2\.5$/], [
    'a count of 2^53',
    edit((v) => (v.counts = [2 ** 53, 0, 0, 0])),
    /\$\.counts\[0\]: count must be .* got 9007199254740992$/,
  ], ['a count as text', edit((v) => (v.counts = [1, 2, 3, '4'])), /\$\.counts\[3\]: count must be .* got "4"$/], [
    'a NaN count',
    edit((v) => (v.counts = [1, 2, 3, NaN])),
    /\$\.counts\[3\]: count must be .* got NaN$/,
  ], ['counts past 2^53 - 1 in all', edit((v) => (v.counts = [2 ** 52, 2 ** 52, 0, 0])),
    /^p\.json: \$: the counts add up to more than 2\^53 - 1/], ['counts and matrix',
    edit((v) => (v.matrix = [[1, 2], [3, 4]])), /\$: holds both "counts" and "matrix"/], ['neither counts nor matrix',
    edit((v) => delete v.counts), /\$: has neither "counts" nor "matrix"$/], ['a matrix of 3 rows', { ...report(),
    matrix: [[1, 2], [3, 4], [0, 0]] }, /\$\.matrix: holds 3 rows, 2 expected$/], ['a short matrix row', { ...report(),
    matrix: [[1, 2], [3]] }, /\$\.matrix\[1\]: holds 1 counts, 2 expected$/], ['a matrix row that is not an array', {
    ...report(),
    matrix: [[1, 2], 7],
  }, /\$\.matrix\[1\]: must be an array of 2 counts, got 7$/], ['a bad matrix cell', { ...report(),
    matrix: [[1, 2], [-1, 4]] }, /^p\.json: \$\.matrix\[1\]\[0\]: count must be .* got -1$/], ['a total that disagrees',
    { ...report(), total: 11 }, /\$\.total: is 11 but the counts add up to 10 \(edited or corrupt file\?\)$/], [
    'a diagonal that disagrees',
    { ...report(), correct: 4 },
    /\$\.correct: is 4 but the diagonal adds up to 5/,
  ], ['too few class names', edit((v) => (v.classes = ['x'])), /\$\.classes: holds 1 class names for 2 classes$/], [
    'a class name that is no string',
    edit((v) => (v.classes = ['x', 7])),
    /\$\.classes\[1\]: class name must be a string, got 7$/,
  ], ['a class name nested 100000 deep', edit((v) => (v.classes = ['x', deep(100_000)])),
    /^p\.json: \$\.classes\[1\]: class name must be a string, got \[\.\.\.\]$/], ['a class name twice',
    edit((v) => (v.classes = ['x', 'x'])), /^p\.json: \$\.classes\[1\]: duplicate class name "x" \(also class 0\)$/], [
    'more top-k hits than a class has samples',
    edit((v) => ((v.options = { numClasses: 2, topK: 1 }), (v.topKHits = [4, 0]))),
    /^p\.json: \$\.topKHits\[0\]: 4 top-k hits, but class 0 has 3 samples \(edited or corrupt file\?\)$/,
  ], ['more top-k hits than samples (report)', { ...report(), options: { numClasses: 2, topK: 2 },
    topK: { k: 2, hits: [3, 8] } }, /^p\.json: \$\.topK\.hits\[1\]: 8 top-k hits, but class 1 has 7 samples/], [
    'negative top-k hits',
    edit((v) => ((v.options = { numClasses: 2, topK: 1 }), (v.topKHits = [-1, 0]))),
    /^p\.json: \$\.topKHits\[0\]: count must be an integer in \[0, 2\^53 - 1\], got -1$/,
  ], ['fractional top-k hits', edit((v) => ((v.options = { numClasses: 2, topK: 1 }), (v.topKHits = [1, 0.5]))),
    /^p\.json: \$\.topKHits\[1\]: count must be .* got 0\.5$/], ['shards that are no object',
    edit((v) => (v.shards = 3)), /\$\.shards: must be \{"count": n, "indices": \[\.\.\.\]\}, got 3$/], [
    'a shard count of 0',
    edit((v) => (v.shards = { count: 0, indices: [0] })),
    /\$\.shards\.count: must be an integer in \[1, 1048576\] \(2\^20\), got 0$/,
  ], ['a shard count of 2^53 - 1 (eval --shard 0/9007199254740991)',
    edit((v) => (v.shards = { count: 2 ** 53 - 1, indices: [0] })),
    /^p\.json: \$\.shards\.count: must be an integer in \[1, 1048576\] \(2\^20\), got 9007199254740991$/], [
    'a shard count of 2^20 + 1',
    edit((v) => (v.shards = { count: 2 ** 20 + 1, indices: [0] })),
    /\$\.shards\.count: must be an integer in \[1, 1048576\] \(2\^20\), got 1048577$/,
  ], ['more shard indices than shards', edit((v) => (v.shards = { count: 2, indices: [0, 1, 2] })),
    /^p\.json: \$\.shards\.indices: holds 3 shard indices, more than the 2 shards of the split$/], ['no shard indices',
    edit((v) => (v.shards = { count: 3, indices: [] })), /\$\.shards\.indices: must be a non-empty array/], [
    'a shard index out of range',
    edit((v) => (v.shards = { count: 3, indices: [0, 3] })),
    /\$\.shards\.indices\[1\]: shard index must be an integer in \[0, 3\), got 3$/,
  ], ['a shard listed twice', edit((v) => (v.shards = { count: 3, indices: [1, 1] })),
    /\$\.shards\.indices\[1\]: shard 1 is listed twice$/], ['unsorted shards',
    edit((v) => (v.shards = { count: 3, indices: [2, 0] })),
    /\$\.shards\.indices\[1\]: indices must be sorted ascending: 0 follows 2$/]])(
      'refuses %s, naming the file, the JSON path and the value',
      (_, value, message) => {
        const e = refusal(() => parseState(value, 'p.json'));
        expect(e.message).toMatch(message);
        expect(e.field).toBe('state');
      },
    );

  it('accepts the unedited values the refusals start from', () => {
    expect(parseState(good(), 'p.json').counts).toEqual([1, 2, 3, 4]);
    expect(parseState(report(), 'p.json').counts).toEqual([1, 2, 3, 4]);
  });

  it('accepts the bounds: 2^20 shards, C = 23170 (counts not read past the length check), top-k hits equal to the support', () => {
    const s = parseState(edit((v) => (v.shards = { count: 2 ** 20, indices: [2 ** 20 - 1] })), 'p.json');
    expect(missingShards(s)).toHaveLength(2 ** 20 - 1);
    expect(
      refusal(() =>
        parseState(edit((v) => ((v.numClasses = 23170), (v.options = { numClasses: 23170 }), (v.counts = []))),
          'p.json')
      ).message,
    ).toMatch(/\$\.counts: holds 0 counts, 23170 x 23170 = 536848900 expected$/);
    expect(
      parseState(edit((v) => ((v.options = { numClasses: 2, topK: 1 }), (v.topKHits = [3, 7]))), 'p.json').topKHits,
    ).toEqual([3, 7]);
  });

  it('createState refuses metadata that does not fit', () => {
    const r = reduceCounts(new Float64Array(4), 2);
    expect(refusal(() => createState(r, { classes: ['a'] })).message).toMatch(
      /\$\.classes: holds 1 class names for 2 classes/,
    );
    expect(refusal(() => createState(r, { shards: { count: 2, indices: [2] } })).message).toMatch(
      /shard index must be an integer in \[0, 2\)/,
    );
  });
});

describe('mergeStates', () => {
  it('adds counts exactly past 2^32 (5e9 + 7) and unions the shards', () => {
    const m = mergeStates([shard([5e9, 1, 0, 0], 3, 2), shard([7, 0, 2 ** 33, 1], 3, 0)]);
    expect(m.counts).toEqual([5_000_000_007, 1, 2 ** 33, 1]);
    expect(m.shards).toEqual({ count: 3, indices: [0, 2] });
    expect(stateResult(m).total).toBe(5e9 + 7 + 1 + 2 ** 33 + 1);
    expect(missingShards(m)).toEqual([1]);
    expect(parseState(json(m), 'm.json')).toEqual(m);
  });

  it('is associative and commutative, and equals the cell-wise sum (random states)', () => {
    const arb = fc.integer({ min: 1, max: 6 }).chain((c) =>
      fc.tuple(fc.constant(c),
        fc.array(fc.array(fc.nat({ max: 2 ** 45 }), { minLength: c * c, maxLength: c * c }), { minLength: 3,
          maxLength: 5 }), fc.boolean())
    );
    fc.assert(fc.property(arb, ([c, countSets, sharded]) => {
      const n = countSets.length + 2;
      const states = countSets.map((counts, i) => (sharded ? shard(counts, n, i) : state(counts)));
      const [a, b, ...rest] = states as [ConfusionMatrixState, ConfusionMatrixState, ...ConfusionMatrixState[]];
      const left = mergeStates([mergeStates([a, b]), ...rest]);
      const right = mergeStates([a, mergeStates([b, ...rest])]);
      const reversed = mergeStates([...states].reverse());
      const all = mergeStates(states);
      expect(left).toEqual(all);
      expect(right).toEqual(all);
      expect(reversed).toEqual(all);
      expect(all.counts).toEqual(Array.from({ length: c * c }, (_, j) => countSets.reduce((s, k) => s + k[j]!, 0)));
      if (sharded) expect(missingShards(all)).toEqual([n - 2, n - 1]);
    }), { numRuns: 200, seed: 7 });
  });

  it('treats absent class names as "0".."C-1" and keeps the names given', () => {
    const named = state([1, 0, 0, 1], { classes: ['0', '1'] });
    expect(mergeStates([state([1, 0, 0, 0]), named]).classes).toEqual(['0', '1']);
    expect(mergeStates([state([1, 0, 0, 0]), state([0, 0, 0, 1])])).not.toHaveProperty('classes');
  });

  it.each<[string, ConfusionMatrixState[], RegExp]>([['nothing', [], /^nothing to merge/], ['another C', [
    state([1, 0, 0, 1]),
    state([1, 0, 0, 0, 1, 0, 0, 0, 1]),
  ], /^b\.json: 3 classes, but a\.json has 2$/], ['other options', [state([1, 0, 0, 1]),
    state([1, 0, 0, 1], { options: { numClasses: 2, ignoreIndex: -100 } as ConfusionMatrixState['options'] })],
    /^b\.json: options \{"ignoreIndex":-100,"numClasses":2\} differ from a\.json's \{"numClasses":2\}$/], [
    'other class names',
    [state([1, 0, 0, 1], { classes: ['cat', 'dog'] }), state([1, 0, 0, 1], { classes: ['cat', 'cow'] })],
    /^b\.json: class 1 is named "cow", but "dog" in a\.json$/,
  ], ['names against no names', [state([1, 0, 0, 1]), state([1, 0, 0, 1], { classes: ['cat', 'dog'] })],
    /^b\.json: class 0 is named "cat", but "0" in a\.json$/], ['a shard and a whole run', [shard([1, 0, 0, 1], 2, 0),
    state([1, 0, 0, 1])], /^b\.json: not sharded, but a\.json is shards of 2/], ['shards of different splits', [
    shard([1, 0, 0, 1], 2, 0),
    shard([1, 0, 0, 1], 3, 1),
  ], /^b\.json: a shard of 3, but a\.json is a shard of 2/], ['a shard seen twice', [shard([1, 0, 0, 1], 4, 0, 2),
    shard([1, 0, 0, 1], 4, 1), shard([1, 0, 0, 1], 4, 2)],
    /^c\.json: shard 2\/4 is also in a\.json; each shard must be merged once$/], ['a cell past 2^53 - 1', [
    state([2 ** 52, 0, 0, 0]),
    state([2 ** 52, 0, 0, 0]),
  ], /^b\.json: cell \[0\]\[0\] would add up to more than 2\^53 - 1/], ['a total past 2^53 - 1', [
    state([2 ** 52, 0, 0, 0]),
    state([0, 2 ** 52, 0, 0]),
  ], /the merged counts add up to more than 2\^53 - 1/]])('refuses %s, naming the files', (_, states, message) => {
    expect(refusal(() => mergeStates(states, ['a.json', 'b.json', 'c.json'])).message).toMatch(message);
  });

  it('aligns states of string labels whose names differ (each sorted) by name into the sorted union', () => {
    const o = (n: number) => ({ numClasses: n, topK: 1, stringLabels: true }) as ConfusionMatrixState['options'];
    const a = state([1, 2, 3, 4], { classes: ['cat', 'dog'], options: o(2), topKHits: [1, 4] });
    const b = state([5, 0, 6, 7, 0, 8, 9, 1, 2], { classes: ['ant', 'cat', 'emu'], options: o(3),
      topKHits: [5, 0, 2] });
    // union: ant cat dog emu; a's cat -> 1, dog -> 2; b's ant -> 0, cat -> 1, emu -> 3
    const want = [5, 0, 0, 6, 7, 1, 2, 8, 0, 3, 4, 0, 9, 1, 0, 2];
    for (const merged of [mergeStates([a, b]), mergeStates([b, a])]) {
      expect(merged.classes).toEqual(['ant', 'cat', 'dog', 'emu']);
      expect(merged.numClasses).toBe(4);
      expect(merged.options).toEqual(o(4));
      expect(merged.counts).toEqual(want);
      expect(merged.topKHits).toEqual([5, 1, 4, 2]);
    }
    expect(a.counts).toEqual([1, 2, 3, 4]);
    expect(parseState(JSON.parse(JSON.stringify(a)), 'a.json')).toEqual(a);
    const plain = state([1, 0, 0, 0, 1, 0, 0, 0, 1], { classes: ['ant', 'cat', 'emu'] });
    expect(refusal(() => mergeStates([{ ...a, options: { numClasses: 2 } }, plain], ['a.json', 'b.json'])).message)
      .toBe('b.json: 3 classes, but a.json has 2');
    const unsorted = state([1, 2, 3, 4], { classes: ['dog', 'cat'], options: o(2), topKHits: [1, 4] });
    expect(refusal(() => mergeStates([unsorted, b], ['a.json', 'b.json'])).message).toBe(
      'b.json: 3 classes, but a.json has 2; parts of string labels align by name when each lists its classes sorted ' +
        '(inferred, without --classes): run every shard with the same --classes, or with none',
    );
  });

  it('names states by position without file names', () => {
    expect(refusal(() => mergeStates([state([1]), state([1, 0, 0, 1])])).message).toBe(
      'state 1: 2 classes, but state 0 has 1',
    );
  });

  it('stateResult gives totals, diagonal and accuracy', () => {
    expect(stateResult(state([3, 1, 0, 4]))).toEqual(reduceCounts(new Float64Array([3, 1, 0, 4]), 2));
  });
});
