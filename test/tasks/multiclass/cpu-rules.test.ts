import { describe, expect, it } from 'vitest';
import { confusionMatrix, matrixRows } from '../../../src/index.js';
import { argmaxRow, cpuArgmax } from '../../../src/tasks/multiclass/update-cpu.js';

const f32 = (...v: number[]) => new Float32Array(v);

describe('argmax rules (the CPU oracle)', () => {
  it.each([['first of equal maxima', f32(1, 3, 3, 2), 1], ['single column', f32(-5), 0], [
    '-0 equals +0: the first wins',
    f32(-0, 0),
    0,
  ], ['+0 then -0', f32(0, -0), 0], ['all -Infinity gives 0', f32(-Infinity, -Infinity, -Infinity), 0], [
    '+Infinity wins',
    f32(3e38, Infinity, 1),
    1,
  ], ['equal +Infinity: the first', f32(1, Infinity, Infinity), 1], ['NaN wins over a larger earlier value',
    f32(9, NaN, 10), 1], ['first NaN of several', f32(1, 2, NaN, NaN), 2], ['NaN in column 0', f32(NaN, Infinity), 0], [
    'subnormals compare exactly',
    f32(1e-45, 3e-45, 0),
    1,
  ], ['one-ulp subnormal tie', f32(1e-45, 1.4e-45, 0), 0], ['negatives', f32(-3, -1, -2), 1]])('%s',
    (_, row, expected) => {
      expect(argmaxRow(row, 0, row.length)).toBe(expected);
    });

  it('handles signalling and negative NaN bit patterns', () => {
    const row = new Float32Array(3);
    const bits = new Uint32Array(row.buffer);
    row[0] = 5;
    bits[1] = 0xffc00000;
    bits[2] = 0x7f800001;
    expect(argmaxRow(row, 0, 3)).toBe(1);
  });

  it('reads rows at their offsets', () => {
    expect(Array.from(cpuArgmax(f32(0, 1, 0, 2, 0, 0, 0, 0, 3), 3))).toEqual([1, 0, 2]);
  });
});

describe('CPU confusion matrix', () => {
  it('counts true class by row, prediction by column', async () => {
    const r = await confusionMatrix({ logits: f32(0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1),
      labels: new Uint8Array([0, 0, 2, 1]) }, { numClasses: 3 });
    expect(matrixRows(r)).toEqual([[1, 1, 0], [0, 0, 1], [0, 0, 1]]);
    expect(r.total).toBe(4);
    expect(r.correct).toBe(2);
    expect(r.accuracy).toBe(0.5);
  });

  it('counts predicted class indices', async () => {
    const r = await confusionMatrix({ preds: new BigInt64Array([1n, 1n, 0n]), labels: new Int16Array([1, 0, 0]) }, {
      numClasses: 2,
    });
    expect(matrixRows(r)).toEqual([[1, 1], [0, 1]]);
  });

  it('gives an empty matrix and accuracy 0 for no samples', async () => {
    const r = await confusionMatrix({ logits: f32(), labels: new Int32Array() }, { numClasses: 2 });
    expect(Array.from(r.counts)).toEqual([0, 0, 0, 0]);
    expect(r.accuracy).toBe(0);
  });
});
