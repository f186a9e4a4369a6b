import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { FormattedBatch } from '../../../src/core/types.js';
import type { LabelArray } from '../../../src/index.js';
import { CPU_WASM_ROWS4_BELOW } from '../../../src/tasks/multiclass/cpu-wasm.generated.js';
import { compileCpuWasm, cpuArgmaxFast, type CpuArgmaxStrategy, cpuFastBackend, cpuUpdateFast,
  cpuUpdateFastFrom } from '../../../src/tasks/multiclass/update-cpu-fast.js';
import { cpuArgmax, cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { LABEL_TYPES, type LogitStyle, makeLabels, makeLogits, rng } from '../../helpers/random.js';

const CLASSES = [1, 2, 3, 4, 5, 8, 10, 16, 100, 1000];
const STYLES: LogitStyle[] = ['random', 'ties', 'special'];
/** Floats per chunk copied into the module (src/tasks/multiclass/update-cpu-fast.ts CHUNK_FLOATS). */
const CHUNK_FLOATS = 1 << 16;

/** Row counts around every block size: the 4-row groups, the 2-row tails and the chunk of rows copied at once. */
function rowCounts(c: number): number[] {
  const chunk = Math.max(4, Math.floor(CHUNK_FLOATS / c));
  const near = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13];
  return c >= 100 ? [...near, chunk - 1, chunk, chunk + 1, 2 * chunk + 3] : [...near, 61, chunk - 1, chunk + 5];
}

/** The first cell where two count matrices differ, as text, or '' (vitest's deep equality takes seconds on 10^6 cells). */
function countsDiff(got: Float64Array, expected: Float64Array): string {
  if (got.length !== expected.length) return `length ${got.length} != ${expected.length}`;
  for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) return `cell ${i}: ${got[i]} != ${expected[i]}`;
  return '';
}

function strategies(c: number): CpuArgmaxStrategy[] {
  return ['auto', 'rows4', ...(c >= 4 ? ['cols' as const] : []), ...(c >= 16 ? ['cols16' as const] : [])];
}

function expectSameArgmax(logits: Float32Array, c: number, what: string): void {
  const expected = cpuArgmax(logits, c);
  for (const strategy of strategies(c)) {
    const got = cpuArgmaxFast(logits, c, undefined, { strategy });
    const bad = got.findIndex((p, i) => p !== expected[i]);
    if (bad >= 0) {
      const row = Array.from(logits.subarray(bad * c, bad * c + Math.min(c, 12)));
      expect.fail(
        `${what} ${strategy}: row ${bad} gives ${got[bad]}, the oracle ${expected[bad]}; row starts ${row.join(', ')}`,
      );
    }
  }
}

describe('fast CPU path', () => {
  it('is the WebAssembly SIMD module here (else these tests would compare the oracle with itself)', () => {
    expect(cpuFastBackend()).toBe('wasm-simd');
  });

  it('ships a module generated from scripts/gen-cpu-wasm.mjs', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-cpu-wasm.mjs', '--check'], { stdio: 'pipe' })).not
      .toThrow();
  });

  it('compiles for an unshared memory, and for a shared one (worker threads) when asked', () => {
    const link = (shared: boolean, sharedMemory: boolean): WebAssembly.Instance => {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: sharedMemory });
      return new WebAssembly.Instance(compileCpuWasm(shared)!, { env: { memory } });
    };
    expect(link(false, false).exports.argmax).toBeTypeOf('function');
    expect(link(true, true).exports.argmax).toBeTypeOf('function');
    expect(() => link(false, true)).toThrow(WebAssembly.LinkError);
    expect(() => link(true, false)).toThrow(WebAssembly.LinkError);
  });

  describe.each(CLASSES)('argmax, C = %i', (c) => {
    it.each(STYLES)('equals the oracle on %s logits at every row count', (style) => {
      const rand = rng(c * 7919 + style.length);
      for (const rows of rowCounts(c)) {
        expectSameArgmax(makeLogits(rand, rows, c, style), c, `C=${c} N=${rows} ${style}`);
      }
    });
  });

  it.each([6, 7, 9, 11, 12, 13, 15, CPU_WASM_ROWS4_BELOW - 1, CPU_WASM_ROWS4_BELOW, CPU_WASM_ROWS4_BELOW + 1, 31, 33,
    37])('argmax equals the oracle at C = %i (every tail of the 4-column steps, the strategy switch)', (c) => {
      const rand = rng(c);
      for (const style of STYLES) expectSameArgmax(makeLogits(rand, 67, c, style), c, `C=${c} ${style}`);
    });

  it.each([2, 3, 4, 5, 9, 10, 17, 40])('puts the special value first in every column, C = %i', (c) => {
    const specials: [string, (row: Float32Array, bits: Uint32Array, j: number) => void][] = [['NaN',
      (row, _, j) => (row[j] = NaN)], ['negative NaN', (_, bits, j) => (bits[j] = 0xffc00000)], ['signalling NaN',
      (_, bits, j) => (bits[j] = 0x7f800001)], ['+Infinity', (row, _, j) => (row[j] = Infinity)], ['+0 among -0',
      (row, _, j) => (row[j] = 0)], ['largest subnormal', (row, _, j) => (row[j] = 1.1754942e-38)]];
    for (const [name, put] of specials) {
      // rows of -0, then rows of -Infinity, each with the special value at column j, and after it a copy of itself
      const rows = 2 * c;
      const logits = new Float32Array(rows * c);
      const bits = new Uint32Array(logits.buffer);
      for (let r = 0; r < rows; r++) {
        const j = r % c;
        const row = logits.subarray(r * c, (r + 1) * c);
        row.fill(r < c ? -0 : -Infinity);
        put(row, bits.subarray(r * c, (r + 1) * c), j);
        if (j + 1 < c) put(row, bits.subarray(r * c, (r + 1) * c), j + 1);
      }
      expectSameArgmax(logits, c, `${name} C=${c}`);
      const got = cpuArgmaxFast(logits, c);
      for (let r = 0; r < rows; r++) {
        expect(got[r], `${name} row ${r}`).toBe(name === '+0 among -0' && r < c ? 0 : r % c);
      }
    }
  });

  it('gives 0 for rows of -Infinity and for rows of equal values', () => {
    for (const c of [2, 3, 10, 30]) {
      for (const v of [-Infinity, 0, -0, 5, Infinity]) {
        expect(Array.from(cpuArgmaxFast(new Float32Array(9 * c).fill(v), c))).toEqual(new Array(9).fill(0));
      }
    }
  });

  it("refuses the 'cols' strategy below 4 classes", () => {
    expect(() => cpuArgmaxFast(new Float32Array(6), 3, undefined, { strategy: 'cols' })).toThrow(/at least 4 classes/);
  });

  describe.each(LABEL_TYPES.map((t) => [t.name, t] as const))('update with %s labels', (_, type) => {
    const max = type === Int8Array ? 127 : type === Uint8Array || type === Uint8ClampedArray ? 255 : Infinity;
    it.each(CLASSES.filter((c) => c <= max))('adds the same counts as the oracle, C = %i', (c) => {
      const rand = rng(c * 31 + type.name.length);
      const start = new Float64Array(c * c);
      for (let i = 0; i < start.length; i++) start[i] = i % 3;
      // below C^2 rows the counting runs in JS, from C^2 on in the module: both sides of the switch
      const around = c * c <= 10_000 ? [c * c - 1, c * c + 7] : [300];
      for (const rows of [0, 1, 5, 9, ...around, Math.floor(CHUNK_FLOATS / c) + 3]) {
        for (const style of ['special', 'ties'] as const) {
          const logits = makeLogits(rand, rows, c, style);
          const labels = makeLabels(rand, rows, c, type);
          const batch: FormattedBatch = { rows, numClasses: c, labels, logits };
          const expected = start.slice();
          cpuUpdate(expected, batch);
          const got = start.slice();
          cpuUpdateFast(got, batch);
          expect(countsDiff(got, expected), `C=${c} N=${rows} ${style}`).toBe('');
        }
      }
    });

    it('counts class indices as the oracle does', () => {
      const rand = rng(type.name.length);
      for (const c of [1, 2, 10, 100].filter((k) => k <= max)) {
        for (const rows of [1, 3, c * c - 1, c * c, c * c + 5, 70_000]) {
          const batch: FormattedBatch = { rows, numClasses: c, labels: makeLabels(rand, rows, c, type),
            preds: makeLabels(rand, rows, c, type) };
          const expected = new Float64Array(c * c).fill(2);
          cpuUpdate(expected, batch);
          const got = new Float64Array(c * c).fill(2);
          cpuUpdateFast(got, batch);
          expect(countsDiff(got, expected), `C=${c} N=${rows}`).toBe('');
        }
      }
    });
  });

  it.each([1, 2, 10, 23, 100, 300, 1000])(
    'cpuUpdateFastFrom: logits written by a callback, consecutive row ranges, as the oracle counts (C = %i)',
    (c) => {
      const rand = rng(c + 900);
      for (const rows of [0, 1, 7, c * c + 3, Math.floor(CHUNK_FLOATS / c) * 2 + 5].filter((r) => r * c <= 3_000_000)) {
        const logits = makeLogits(rand, rows, c, 'special');
        const labels = makeLabels(rand, rows, c, Int32Array);
        const expected = new Float64Array(c * c).fill(1);
        cpuUpdate(expected, { rows, numClasses: c, labels, logits });
        const got = new Float64Array(c * c).fill(1);
        let next = 0;
        cpuUpdateFastFrom(got, labels, c, (into, start, n) => {
          expect([start, into.length]).toEqual([next, n * c]);
          next += n;
          into.set(logits.subarray(start * c, (start + n) * c));
        });
        expect(next).toBe(c === 1 ? 0 : rows);
        expect(countsDiff(got, expected), `C=${c} N=${rows}`).toBe('');
      }
    },
  );

  it('leaves its inputs untouched and forgets nothing between calls', () => {
    const rand = rng(5);
    const c = 10;
    const logits = makeLogits(rand, 5000, c, 'special');
    const labels = makeLabels(rand, 5000, c, Uint16Array) as LabelArray;
    const [logitsCopy, labelsCopy] = [logits.slice(), labels.slice()];
    const got = new Float64Array(c * c);
    const expected = new Float64Array(c * c);
    for (const [a, b] of [[0, 1000], [1000, 1003], [1003, 5000]] as const) {
      const batch: FormattedBatch = { rows: b - a, numClasses: c, labels: labels.subarray(a, b),
        logits: logits.subarray(a * c, b * c) };
      cpuUpdateFast(got, batch);
      cpuUpdate(expected, batch);
    }
    expect(countsDiff(got, expected)).toBe('');
    expect(Buffer.compare(Buffer.from(logits.buffer), Buffer.from(logitsCopy.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(labels.buffer), Buffer.from(labelsCopy.buffer))).toBe(0);
  });
});
