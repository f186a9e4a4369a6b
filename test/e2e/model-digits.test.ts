import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digitRows, DIGITS, FEATURES, parseDigits } from '../../web/model-digits.js';

const bytes = new Uint8Array(readFileSync('web/model-data/digits.u8'));
const digits = parseDigits(bytes);

/** The first index where two arrays differ, -1 when they are equal (a failing toEqual of 300,000 items takes minutes). */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('web/model-digits: the model page data', () => {
  it('reads the 1797 digits and refuses a file of another size', () => {
    expect([digits.pixels.length, digits.labels.length]).toEqual([DIGITS * FEATURES, DIGITS]);
    expect(Math.max(...digits.pixels)).toBe(16);
    expect(new Set(digits.labels).size).toBe(10);
    expect(() => parseDigits(bytes.subarray(1))).toThrow(/116804 bytes, expected 116805/);
  });

  it('gives the digits as they are first, then noisy copies (within ±4, clamped to 0..16), labels repeating', () => {
    const { x, labels } = digitRows(digits, 0, 3 * DIGITS);
    expect(firstDiff(x.subarray(0, DIGITS * FEATURES), digits.pixels)).toBe(-1);
    let moved = 0;
    const bad: string[] = [];
    for (let i = DIGITS; i < 3 * DIGITS; i++) {
      if (labels[i] !== digits.labels[i % DIGITS]) bad.push(`label ${i}`);
      for (let k = 0; k < FEATURES; k++) {
        const v = x[i * FEATURES + k]!;
        const src = digits.pixels[(i % DIGITS) * FEATURES + k]!;
        if (!(v >= 0 && v <= 16 && Math.abs(v - src) <= 4)) bad.push(`x[${i}, ${k}] = ${v}, from ${src}`);
        if (v !== src) moved++;
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(moved).toBeGreaterThan(0.5 * 2 * DIGITS * FEATURES);
    const again = digitRows(digits, DIGITS, DIGITS).x;
    expect(firstDiff(again, x.subarray(DIGITS * FEATURES, 2 * DIGITS * FEATURES))).toBe(-1);
    expect(firstDiff(again, x.subarray(2 * DIGITS * FEATURES))).toBeGreaterThanOrEqual(0);
  });

  it('makes the same rows in batches of any size', () => {
    const whole = digitRows(digits, 1000, 5000);
    const parts = [[1000, 1234], [2234, 2048], [4282, 1718]].map(([s, n]) => digitRows(digits, s!, n!));
    expect(firstDiff(whole.x, parts.flatMap((p) => Array.from(p.x)))).toBe(-1);
    expect(firstDiff(whole.labels, parts.flatMap((p) => Array.from(p.labels)))).toBe(-1);
  });
});
