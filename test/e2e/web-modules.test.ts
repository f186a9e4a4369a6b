import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/read/npy.js';
import { classCount, guessRole, readClassNames, readLabels, readPredictions, routeFiles } from '../../web/inputs.js';
import { csvLabels, csvLogits, csvPredictions, parseCsvTable, parseNumber } from '../../web/parse-csv.js';
import { confusionOrder, permuteCounts } from '../../web/reorder.js';
import { rng } from '../helpers/random.js';

const F = 'test/fixtures/formats';
const text = (name: string): string => readFileSync(`${F}/${name}`, 'utf8');
const npy = (name: string) => parseNpy(readFileSync(`${F}/${name}`), name);

describe('web/parse-csv: the demo page reads CSV text as the CLI reads CSV files', () => {
  const logits = npy('logits.npy');
  const labels = Array.from(npy('labels.npy').data as BigInt64Array, Number);

  it.each(['logits-header.csv', 'logits-noheader.csv', 'logits-semicolon.csv', 'logits.tsv', 'logits-quoted.csv',
    'logits-pandas.csv', 'logits-savetxt.txt', 'logits-bom.csv'])('%s holds logits.npy as float32', (name) => {
      const got = csvLogits(text(name), name);
      expect([got.rows, got.numClasses]).toEqual(logits.shape);
      expect(got.logits).toEqual(logits.data);
    });

  it.each(['labels.csv', 'labels-noheader.csv', 'labels-savetxt.txt', 'table.csv'])('%s holds labels.npy', (name) => {
    expect(Array.from(csvLabels(text(name), name))).toEqual(labels);
  });

  it('reads nan and infinities as numpy writes them, and pandas headers only above non-integers', () => {
    const t = parseCsvTable(text('special.csv'), 'special.csv');
    expect(Array.from(t.values.subarray(0, 3))).toEqual([NaN, Infinity, -Infinity]);
    expect(parseCsvTable('0,1\n2,3\n', 'x.csv')).toMatchObject({ header: undefined, rows: 2 });
    expect(parseCsvTable('0,1\n2.5,3\n', 'x.csv')).toMatchObject({ header: ['0', '1'], rows: 1 });
    expect([parseNumber('0x10'), parseNumber(''), parseNumber('-Infinity'), parseNumber(' 1e-3 ')]).toEqual([undefined,
      undefined, -Infinity, 0.001]);
  });

  it('names the file, line and column of a bad field', () => {
    expect(() => csvLogits('a,b\n1,2\n3,x\n', 'l.csv')).toThrow('l.csv:3:3: non-numeric field "x"');
    expect(() => csvLogits('1,2\n3\n', 'l.csv')).toThrow('l.csv:2:1: expected 2 fields');
    expect(() => csvLogits('1,2\n\n3,4\n', 'l.csv')).toThrow('l.csv:2:1: blank line');
    expect(() => csvLogits('"1,2\n', 'l.csv')).toThrow('l.csv:1:1: unterminated quoted field');
    expect(() => csvLabels('label\n3\n2.5\n', 'y.csv')).toThrow('y.csv:3:1: label 2.5 is not an integer');
    expect(() => csvLabels('id,label\n0,3\n1,2.5\n', 'y.csv')).toThrow('y.csv:3:3: label 2.5 is not an integer');
    expect(() => csvLabels('a,b\n1,2\n', 'y.csv')).toThrow(
      "y.csv: labels need one column or one named label/labels/y/y_true/target/true/class; the file has columns 'a', 'b'",
    );
    expect(() => csvLogits('\n\n', 'e.csv')).toThrow('e.csv: empty file');
  });
});

describe('web/inputs', () => {
  it('takes float logits, integer predictions, and float64 logits as host-side argmax', () => {
    const f4 = readPredictions('logits.npy', readFileSync(`${F}/logits.npy`));
    expect(f4).toMatchObject({ kind: 'logits', rows: 37, numClasses: 5 });
    const f8 = readPredictions('f8.npy', encodeNpy(new Float64Array([1, 1 + 2 ** -40, 0, 2]), [2, 2]));
    expect(f8.kind === 'preds' && Array.from(f8.preds as Uint32Array)).toEqual([1, 1]);
    const preds = readPredictions('pred.npy', readFileSync(`${F}/pred.npy`));
    expect(preds.kind).toBe('preds');
    expect(() => readPredictions('x.npy', readFileSync(`${F}/three_d.npy`))).toThrow(/x\.npy: shape \(/);
    expect(() => readLabels('score.npy', readFileSync(`${F}/score.npy`))).toThrow(
      /score\.npy: dtype .*labels must be integers/,
    );
  });

  it('counts classes from logits, then names, then the largest class index', () => {
    const p = { kind: 'preds' as const, preds: new Int32Array([0, 4]), rows: 2, file: 'p' };
    expect(classCount(p, new Int32Array([1, 2]), undefined)).toBe(5);
    expect(classCount(p, new Int32Array([1, 2]), ['a', 'b', 'c', 'd', 'e', 'f'])).toBe(6);
  });

  it('reads class names as --classes does, and guesses a dropped file role from its name', () => {
    expect(readClassNames('n.txt', '\uFEFFcat\r\ndog\n')).toEqual(['cat', 'dog']);
    expect(readClassNames('n.json', '{"1": "dog", "0": "cat"}')).toEqual(['cat', 'dog']);
    expect(() => readClassNames('n.txt', 'cat\n\ndog\n')).toThrow('n.txt: line 2: empty class name');
    expect(() => readClassNames('n.json', '{"0": "cat", "2": "x"}')).toThrow('n.json: class 1 has no name');
    expect(
      ['val.logits.npy', 'val.labels.npy', 'y_true.csv', 'y.npy', 'classes.txt', 'names.json', 'preds.npy'].map(
        guessRole,
      ),
    ).toEqual(['logits', 'labels', 'labels', 'labels', 'classes', 'classes', 'logits']);
    expect(
      ['y_pred.npy', 'y_true.npy', 'gt.npy', 'yhat.csv', 'probs.npy', 'ground_truth.csv', 'target.npy',
        'model_output.npy'].map(guessRole),
    ).toEqual(['logits', 'labels', 'labels', 'logits', 'logits', 'labels', 'labels', 'logits']);
  });

  it('routes files dropped together by name, refusing two that look like the same input', () => {
    expect(routeFiles(['y_pred.npy', 'y_true.npy', 'classes.txt'])).toEqual({ roles: ['logits', 'labels', 'classes'] });
    expect(routeFiles(['a.npy', 'b.npy'])).toEqual({
      error: "'a.npy' and 'b.npy' all look like predictions from " +
        'their names: drop each file on its own box (predictions, labels, class names)',
    });
  });

  it('reads a one-column CSV, or a column named pred, as predicted classes; more columns as logits', () => {
    expect(csvPredictions('pred\n3\n1\n', 'p.csv')).toEqual({ kind: 'preds', preds: Int32Array.of(3, 1) });
    expect(csvPredictions('2\n0\n', 'p.csv')).toEqual({ kind: 'preds', preds: Int32Array.of(2, 0) });
    expect(csvPredictions('id,y_pred\n7,3\n8,1\n', 'p.csv')).toEqual({ kind: 'preds', preds: Int32Array.of(3, 1) });
    expect(csvPredictions('0.5,1.5\n2,1\n', 'l.csv')).toMatchObject({ kind: 'logits', rows: 2, numClasses: 2 });
    expect(() => csvPredictions('pred\n3\n1.5\n', 'p.csv')).toThrow('p.csv:3:1: prediction 1.5 is not an integer');
    const r = readPredictions('preds.csv', new TextEncoder().encode('pred\n4\n0\n'));
    expect(r).toMatchObject({ kind: 'preds', rows: 2, file: 'preds.csv' });
  });
});

describe('web/reorder', () => {
  it('chains the most confused pairs next to each other', () => {
    // 0<->3 and 1<->4 confused; 2 never.
    const c = 5;
    const m = new Float64Array(c * c);
    for (let i = 0; i < c; i++) m[i * c + i] = 50;
    m[0 * c + 3] = 20;
    m[3 * c + 0] = 10;
    m[1 * c + 4] = 5;
    m[3 * c + 4] = 1;
    const order = confusionOrder(m, c);
    expect(order).toEqual([0, 3, 4, 1, 2]);
    const p = permuteCounts(m, c, order);
    expect(p[0 * c + 1]).toBe(20);
    expect(p[1 * c + 0]).toBe(10);
  });

  it('is always a permutation, at 1000 classes too', () => {
    const r = rng(7);
    for (const c of [1, 2, 10, 1000]) {
      const m = Float64Array.from({ length: c * c }, () => (r() < 0.01 ? Math.floor(r() * 9) : 0));
      const order = confusionOrder(m, c);
      expect(order.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: c }, (_, i) => i));
      const sum = (a: Float64Array): number => a.reduce((s, v) => s + v, 0);
      expect(sum(permuteCounts(m, c, order))).toBe(sum(m));
    }
  });
});
