import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confusionMatrix, createPerClassMatrix, mergeAnyStates, parseAnyState, perClassJson, type PerClassResult,
  type PerClassState, perClassStateResult, stateResult, topPairs } from '../../src/index.js';
import { renderPerClassReport } from '../../src/report/per-class.js';
import { createPerClassState, mergePerClassStates, parsePerClassState } from '../../src/state/per-class-state.js';
import { createState } from '../../src/state/state.js';
import { rng } from '../helpers/random.js';
import { json, refusal } from './refusal.js';

const cpu = { name: 'cpu', adapter: null } as const;

async function count(preds: Int32Array, labels: Int32Array, c: number): Promise<PerClassResult> {
  const pc = createPerClassMatrix({ numClasses: c, ignoreIndex: -1 });
  await pc.update({ preds, labels });
  return pc.compute();
}

/** A result without its hash table, whose slot layout depends on how it grew; its pairs listed instead. */
const plain = (r: PerClassResult) => ({ ...r, pairs: topPairs(r, Infinity) });

describe('per-class states', () => {
  // 3000 predictions and labels over C classes, mostly right, with -1 labels to ignore.
  const [C, rand] = [40, rng(3)];
  const labels = Int32Array.from({ length: 3000 }, () => (rand() < 0.05 ? -1 : Math.floor(rand() * C)));
  const preds = Int32Array.from(labels, (y) => (rand() < 0.6 && y >= 0 ? y : Math.floor(rand() * C)));

  it('round-trip through JSON; the result, the JSON report and the dense matrix agree', async () => {
    const result = await count(preds, labels, C);
    const names = Array.from({ length: C }, (_, i) => `c${i}`);
    const s = createPerClassState(result, { classes: names, shards: { count: 3, indices: [1] }, ignoreIndex: -1 });
    expect(s.confusions.count.length).toBe(result.distinctPairs);
    const back = parseAnyState(json(s), 'p.json') as PerClassState;
    expect(back).toEqual(s);
    expect(plain(perClassStateResult(back))).toEqual(plain(result));
    const report = json(
      perClassJson(result, cpu, { classes: names, ignoreIndex: -1, shards: { count: 3, indices: [1] } }),
    );
    expect(parseAnyState(report, 'r.json')).toEqual(s);
    expect(JSON.parse(renderPerClassReport('json', result, cpu, { classes: names, ignoreIndex: -1 }))).toMatchObject({
      task: 'per-class',
    });
    const kept = labels.map((y) => (y < 0 ? 0 : 1));
    const dense = await confusionMatrix({ preds: preds.filter((_, i) => kept[i]),
      labels: labels.filter((_, i) => kept[i]) }, { numClasses: C });
    expect(stateResult(s)).toEqual(dense);
  });

  it('two halves merge into the whole, in either order, through mergeAnyStates and load()', async () => {
    const whole = createPerClassState(await count(preds, labels, C), { ignoreIndex: -1 });
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 2999 }), async (cut) => {
      const a = createPerClassState(await count(preds.subarray(0, cut), labels.subarray(0, cut), C), { ignoreIndex: -1,
        shards: { count: 2, indices: [0] } });
      const b = createPerClassState(await count(preds.subarray(cut), labels.subarray(cut), C), { ignoreIndex: -1,
        shards: { count: 2, indices: [1] } });
      const merged = mergeAnyStates(
        [json(b), json(a)].map((p, i) => parseAnyState(p, `part-${i}.json`)),
      ) as PerClassState;
      expect(merged).toEqual({ ...whole, shards: { count: 2, indices: [0, 1] } });
      expect(mergePerClassStates([a, b])).toEqual(merged);
    }), { numRuns: 20 });
    const pc = createPerClassMatrix({ numClasses: C, ignoreIndex: -1 });
    await pc.update({ preds: preds.subarray(0, 1000), labels: labels.subarray(0, 1000) });
    const saved = json(await pc.state({ shards: { count: 2, indices: [0] } })) as unknown as PerClassState;
    const other = createPerClassMatrix({ numClasses: C, ignoreIndex: -1 });
    await other.load(saved);
    await other.update({ preds: preds.subarray(1000), labels: labels.subarray(1000) });
    expect(await other.state()).toEqual(whole);
    await expect(createPerClassMatrix({ numClasses: C }).load(saved)).rejects.toThrow(
      'the state was counted with {"numClasses":40,"ignoreIndex":-1}, this matrix with {"numClasses":40}',
    );
    await expect(createPerClassMatrix({ numClasses: 41, ignoreIndex: -1 }).load(saved)).rejects.toThrow(
      /this matrix with \{"numClasses":41,"ignoreIndex":-1\}/,
    );
  });

  const good = (): Record<string, unknown> => ({ format: 'confmat-state', version: 1, task: 'per-class', numClasses: 3,
    perClass: { tp: [5, 2, 0], fp: [2, 1, 0], fn: [0, 1, 2], support: [5, 3, 2] },
    confusions: { true: [2, 1, 2], pred: [0, 0, 1], count: [1, 1, 1] }, options: { numClasses: 3 } });
  type Counts = { tp: number[]; fp: number[]; fn: number[]; support: number[] };
  type Edit = (
    v: Record<string, unknown> & { perClass: Counts; confusions: { true: number[]; pred: number[]; count: number[] } },
  ) => void;
  const edit = (f: Edit) => {
    const v = good() as Parameters<Edit>[0];
    f(v);
    return v;
  };

  it('accepts the hand-written good state, C = 2^24 (its arrays not read past the first refusal)', () => {
    expect(perClassStateResult(parsePerClassState(good(), 'p.json')).accuracy).toBe(0.7);
    const big = edit((v) => ((v.numClasses = 2 ** 24), (v.options = { numClasses: 2 ** 24 })));
    expect(refusal(() => parseAnyState(big, 'p.json')).message).toBe(
      'p.json: $.perClass.tp: holds 3 counts, 16777216 expected',
    );
  });

  it.each<[string, unknown, string | RegExp]>([['C beyond 2^24',
    edit((v) => ((v.numClasses = 2 ** 24 + 1), (v.options = { numClasses: 2 ** 24 + 1 }))),
    'p.json: $.numClasses: must be an integer in [1, 16777216] (2^24), got 16777217'], ['C of 0',
    edit((v) => (v.numClasses = 0)), /^p\.json: \$\.numClasses: must be an integer in \[1, 16777216\]/], [
    'options for another C',
    edit((v) => (v.options = { numClasses: 4 })),
    'p.json: $.options.numClasses: must equal numClasses 3, got 4',
  ], ['sample weights', edit((v) => (v.options = { numClasses: 3, sampleWeight: true })),
    /^p\.json: \$\.options\.sampleWeight: option not known to this confmat/], ['a fractional ignoreIndex',
    edit((v) => (v.options = { numClasses: 3, ignoreIndex: 0.5 })),
    'p.json: $.options.ignoreIndex: must be an integer, got 0.5'], ['no perClass',
    edit((v) => delete (v as Record<string, unknown>).perClass), /^p\.json: \$\.perClass: must be \{"tp"/], [
    'a short array',
    edit((v) => (v.perClass.fp = [2, 0])),
    'p.json: $.perClass.fp: holds 2 counts, 3 expected',
  ], ['a negative count', edit((v) => (v.perClass.tp[1] = -2)),
    'p.json: $.perClass.tp[1]: count must be an integer in [0, 2^53 - 1], got -2'], ['an absurd count',
    edit((v) => (v.perClass.support[0] = 2 ** 60)),
    /^p\.json: \$\.perClass\.support\[0\]: count must be an integer in \[0, 2\^53 - 1\], got 1152921504606847000$/], [
    'TP + FN other than the support',
    edit((v) => (v.perClass.support[1] = 4)),
    'p.json: $.perClass.support[1]: is 4, but TP + FN = 3 (edited or corrupt file?)',
  ], ['supports past 2^53 - 1 in all',
    edit((
      v,
    ) => ((v.perClass.tp = [2 ** 52, 2 ** 52, 0]), (v.perClass.support = [2 ** 52 + 0, 2 ** 52 + 1, 2]),
      (v.perClass.fn = [0, 1, 2]))
    ), /^p\.json: \$: the counts add up to more than 2\^53 - 1/], ['no confusions',
    edit((v) => delete (v as Record<string, unknown>).confusions), /^p\.json: \$\.confusions: must be \{"true"/], [
    'pair arrays of other lengths',
    edit((v) => (v.confusions.pred = [0, 0])),
    'p.json: $.confusions.pred: holds 2 counts, 3 expected',
  ], ['a class index out of range', edit((v) => (v.confusions.true[0] = 3)),
    'p.json: $.confusions.true[0]: class index must be below 3, got 3'], ['a class index of 2^53',
    edit((v) => (v.confusions.pred[1] = 2 ** 53)),
    /^p\.json: \$\.confusions\.pred\[1\]: count must be an integer in \[0, 2\^53 - 1\]/], ['a pair on the diagonal',
    edit((v) => (v.confusions.pred[0] = 2)),
    'p.json: $.confusions.pred[0]: 2 is the true class too: confusions lie off the diagonal'], ['a pair of count 0',
    edit((v) => (v.confusions.count[2] = 0)),
    'p.json: $.confusions.count[2]: a pair that occurred counts at least 1, got 0'], ['a pair listed twice',
    edit((v) => ((v.confusions.true = [2, 2, 1]), (v.confusions.pred = [0, 0, 0]))),
    'p.json: $.confusions.true[1]: the pair (2, 0) is listed twice'], ['FN the pairs do not add up to',
    edit((v) => ((v.perClass.fn[1] = 2), (v.perClass.support[1] = 4))),
    'p.json: $.perClass.fn[1]: is 2, but the pairs of class 1 sum to 1 (edited or corrupt file?)'], [
    'FP the pairs do not add up to',
    edit((v) => (v.perClass.fp[0] = 3)),
    'p.json: $.perClass.fp[0]: is 3, but the pairs into 0 sum to 2 (edited or corrupt file?)',
  ], ['a class name twice', edit((v) => (v.classes = ['a', 'b', 'a'])),
    'p.json: $.classes[2]: duplicate class name "a" (also class 0)'], ['two class names for three classes',
    edit((v) => (v.classes = ['a', 'b'])), 'p.json: $.classes: holds 2 class names for 3 classes']])(
      'refuses %s, naming the file, the field and the value',
      (_, value, message) => {
        const e = refusal(() => parseAnyState(value, 'p.json'));
        if (typeof message === 'string') expect(e.message).toBe(message);
        else expect(e.message).toMatch(message);
        expect(e.field).toBe('state');
      },
    );

  it('refuses to merge parts of another C, ignoreIndex, class names or task, and counts past 2^53 - 1', () => {
    const a = parsePerClassState(good(), 'a');
    const files = ['a.json', 'b.json'];
    const other = (f: Edit): PerClassState => parsePerClassState(edit(f), 'b');
    const four = other((v) => {
      Object.assign(v, { numClasses: 4, options: { numClasses: 4 } });
      for (const k of ['tp', 'fp', 'fn', 'support'] as const) v.perClass[k].push(0);
    });
    expect(refusal(() => mergeAnyStates([a, four], files)).message).toBe('b.json: 4 classes, but a.json has 3');
    expect(
      refusal(() => mergeAnyStates([a, other((v) => (v.options = { numClasses: 3, ignoreIndex: -1 }))], files)).message,
    ).toBe('b.json: options {"ignoreIndex":-1,"numClasses":3} differ from a.json\'s {"numClasses":3}');
    expect(refusal(() => mergeAnyStates([a, other((v) => (v.classes = ['0', 'one', '2']))], files)).message).toBe(
      'b.json: class 1 is named "one", but "1" in a.json',
    );
    const dense = createState({ numClasses: 1, counts: new Float64Array([1]), total: 1, correct: 1, accuracy: 1 });
    expect(refusal(() => mergeAnyStates([a, dense], files)).message).toBe(
      'b.json: a multiclass state, but a.json is per-class: parts of different tasks do not merge',
    );
    const huge = other((v) => ((v.perClass.tp[0] = 2 ** 52), (v.perClass.support[0] = 2 ** 52 + 0)));
    expect(refusal(() => mergeAnyStates([huge, huge, huge], ['a.json', 'b.json', 'c.json'])).message).toBe(
      'a.json, b.json, c.json: the merged counts add up to more than 2^53 - 1',
    );
  });

  it('stateResult refuses the C x C matrix of a per-class state past 23170 classes', () => {
    const s = createPerClassState({ ...perClassStateResult(parsePerClassState(good(), 'p')) });
    const big = { ...s, numClasses: 23171 };
    expect(() => stateResult(big)).toThrow(
      /numClasses 23171: a per-class state's C x C matrix fits the host up to 23170 classes/,
    );
  });
});
