import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32Bits, widenHalves } from '../../../src/format/half.js';
import { CPU_WASM_ROWS4_BELOW } from '../../../src/tasks/multiclass/cpu-wasm.generated.js';
import { compileCpuWasm, cpuArgmaxFast, cpuArgmaxHalfFast, type CpuArgmaxStrategy, cpuUpdateFast,
  cpuUpdateFastHalf } from '../../../src/tasks/multiclass/update-cpu-fast.js';
import { argmaxRow, cpuArgmax, cpuUpdate } from '../../../src/tasks/multiclass/update-cpu.js';
import { emptyPerClassCounts, type PerClassCounts } from '../../../src/tasks/per-class/per-class.js';
import { perClassCpuUpdate } from '../../../src/tasks/per-class/update-cpu.js';

/**
 * Property: the WebAssembly kernels (every strategy valid for C, float32 and 16-bit logits, the per-class update)
 * give the oracle's argmax (src/tasks/multiclass/update-cpu.ts argmaxRow) for any bit patterns, at C across the
 * strategy switches and the 4/16-column step boundaries, row counts not a multiple of any block.
 */
const SEED = Number(process.env.CONFMAT_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.CONFMAT_FUZZ_CPU ?? 300);

const EDGES = [2, 3, 4, 5, 7, 8, 15, 16, 17, 19, 20, 23, CPU_WASM_ROWS4_BELOW - 1, CPU_WASM_ROWS4_BELOW,
  CPU_WASM_ROWS4_BELOW + 1, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 81, 127, 128, 129, 1000];
const classCount = fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: 2, max: 300 }));
/** 16-bit logits switch kernels at C = 2 (pairs in lanes), 8 and 17 (two or four vectors of keys), 33 (argmax_keys). */
const halfClassCount = fc.oneof(classCount, fc.constantFrom(2, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33),
  fc.integer({ min: 2, max: 33 }));

const F32_SPECIALS = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f800000, 0xff800000, 0x80000000, 0,
  1, 0x80000001, 0x7f7fffff, 0xff7fffff];
const F16_SPECIALS = [0x7e00, 0xfe00, 0x7c01, 0xfc01, 0x7fff, 0x7c00, 0xfc00, 0x8000, 0, 1, 0x8001, 0x3ff, 0x83ff,
  0x400, 0x7bff, 0xfbff];
const BF16_SPECIALS = [0x7fc0, 0xffc0, 0x7f81, 0xff81, 0x7fff, 0x7f80, 0xff80, 0x8000, 0, 1, 0x8001, 0x7f7f, 0xff7f];

/** A pool of patterns: specials, small integers (ties, -0/+0), anything; `small` maps an integer to its bits. */
function pool(specials: number[], small: (x: number) => number, max: number): fc.Arbitrary<number[]> {
  return fc.array(
    fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }).map(small) }, { weight: 2,
      arbitrary: fc.constantFrom(...specials) }, { weight: 2, arbitrary: fc.integer({ min: 0, max }) }),
    { minLength: 1, maxLength: 12 },
  );
}

const f32Of = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const f16Of = (x: number): number => [0xc200, 0xc000, 0xbc00, 0, 0x3c00, 0x4000, 0x4200][x + 3]!;
const bf16Of = (x: number): number => f32Of(x) >>> 16;

interface Rows {
  c: number;
  rows: number;
  /** Patterns drawn from a pool, then one planted value (at a random row and column) per plant. */
  bits: number[];
}

/** C, a row count, and the row-major patterns: most from a small pool (ties), some planted anywhere. */
function rowsArb(specials: number[], small: (x: number) => number, max: number, c = classCount): fc.Arbitrary<Rows> {
  return fc.record({ c, rows: fc.integer({ min: 0, max: 23 }), pool: pool(specials, small, max),
    picks: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    plants: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...specials)), { maxLength: 6 }) }).map(
      ({ c, rows, pool: values, picks, plants }) => {
        const bits = Array.from({ length: rows * c }, (_, i) => values[picks[i % 64]! % values.length]!);
        for (const [at, v] of plants) if (bits.length > 0) bits[at % bits.length] = v;
        return { c, rows, bits };
      },
    );
}

function strategies(c: number): CpuArgmaxStrategy[] {
  return ['auto', 'rows4', ...(c >= 4 ? ['cols' as const] : []), ...(c >= 16 ? ['cols16' as const] : [])];
}

/** The first row where two argmax arrays differ, with the row's patterns, or ''. */
function argmaxDiff(got: Uint32Array, want: Uint32Array, bits: ArrayLike<number>, c: number): string {
  const bad = got.findIndex((p, i) => p !== want[i]);
  if (bad < 0) return '';
  const row = Array.from(bits).slice(bad * c, (bad + 1) * c).map((b) => b.toString(16));
  return `row ${bad}: ${got[bad]} != oracle ${want[bad]}; bits ${row.join(' ')}`;
}

describe('property: the WebAssembly kernels == the oracle', () => {
  it(`float32, every strategy (${RUNS} cases, seed ${SEED})`, () => {
    fc.assert(fc.property(rowsArb(F32_SPECIALS, f32Of, 0xffffffff), ({ c, rows, bits }) => {
      const logits = new Float32Array(Uint32Array.from(bits).buffer);
      const want = cpuArgmax(logits, c, new Uint32Array(rows));
      for (const strategy of strategies(c)) {
        const got = cpuArgmaxFast(logits, c, new Uint32Array(rows), { strategy });
        expect(argmaxDiff(got, want, bits, c), `C=${c} N=${rows} ${strategy}`).toBe('');
      }
    }), { numRuns: RUNS, seed: SEED });
  });

  it('float32 counts, in the module from C^2 rows on (C = 2: SIMD sums per cell)', () => {
    const rowsArb32 = rowsArb(F32_SPECIALS, f32Of, 0xffffffff, fc.constantFrom(2, 2, 3, 5, 16, 33));
    fc.assert(fc.property(rowsArb32, fc.nat(), fc.nat({ max: 40 }), ({ c, rows: r, bits }, seed, extra) => {
      // rows past C^2 (the module counts) by repeating the drawn ones
      const rows = r === 0 ? 0 : r * Math.ceil((c * c + extra) / r);
      const logits = new Float32Array(rows * c);
      for (let i = 0; i < logits.length; i++) {
        logits[i] = new Float32Array(Uint32Array.of(bits[i % bits.length]!).buffer)[0]!;
      }
      const labels = Int32Array.from({ length: rows }, (_, i) => ((i * 2654435761 + seed) >>> 0) % c);
      const batch = { rows, numClasses: c, labels, logits };
      const want = new Float64Array(c * c).fill(1);
      cpuUpdate(want, batch);
      const got = new Float64Array(c * c).fill(1);
      cpuUpdateFast(got, batch);
      const cell = got.findIndex((v, i) => v !== want[i]);
      expect(cell, `C=${c} N=${rows} cell ${cell}: ${got[cell]} != ${want[cell]}`).toBe(-1);
    }), { numRuns: RUNS, seed: SEED });
  });

  it.each([['float16', F16_SPECIALS, f16Of], ['bfloat16', BF16_SPECIALS, bf16Of]] as const)(
    '%s logits: argmax and counts of the widened values',
    (dtype, specials, small) => {
      fc.assert(fc.property(rowsArb(specials, small, 0xffff, halfClassCount), fc.nat(), ({ c, rows, bits }, seed) => {
        const halves = Uint16Array.from(bits);
        const widened = widenHalves(halves, dtype);
        const want = cpuArgmax(widened, c, new Uint32Array(rows));
        expect(argmaxDiff(cpuArgmaxHalfFast(halves, dtype, c, new Uint32Array(rows)), want, bits, c), `C=${c}`).toBe(
          '',
        );
        const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7 + seed) % c);
        const expected = new Float64Array(c * c).fill(1);
        cpuUpdate(expected, { rows, numClasses: c, labels, logits: widened });
        const got = new Float64Array(c * c).fill(1);
        cpuUpdateFastHalf(got, labels, c, halves, dtype);
        const cell = got.findIndex((v, i) => v !== expected[i]);
        expect(cell, `C=${c} cell ${cell}: ${got[cell]} != ${expected[cell]}`).toBe(-1);
      }), { numRuns: RUNS, seed: SEED });
    },
  );

  it('per-class counts equal those of argmaxRow', () => {
    fc.assert(fc.property(rowsArb(F32_SPECIALS, f32Of, 0xffffffff), fc.nat(), ({ c, rows, bits }, seed) => {
      const logits = new Float32Array(Uint32Array.from(bits).buffer);
      const labels = Int32Array.from({ length: rows }, (_, i) => (i * 5 + seed) % c);
      const got = emptyPerClassCounts(c);
      perClassCpuUpdate(got, { rows, numClasses: c, labels, logits });
      const want = emptyPerClassCounts(c);
      for (let i = 0; i < rows; i++) {
        const t = labels[i]!;
        const p = argmaxRow(logits, i * c, c);
        want.support[t]! += 1;
        want.predicted[p]! += 1;
        if (p === t) want.tp[t]! += 1;
        else want.pairs.add(t * c + p);
      }
      expect(plain(got)).toEqual(plain(want));
    }), { numRuns: RUNS, seed: SEED });
  });
});

describe('per-class over many rows', () => {
  it('takes the argmax in steps of rows, as argmaxRow gives it', () => {
    const c = 3;
    const rows = 2 * 65536 + 5;
    const logits = Float32Array.from({ length: rows * c }, (_, i) => ((i * 2654435761) >>> 0) % 5);
    const labels = Int32Array.from({ length: rows }, (_, i) => i % c);
    const got = emptyPerClassCounts(c);
    perClassCpuUpdate(got, { rows, numClasses: c, labels, logits });
    const want = emptyPerClassCounts(c);
    const pred = cpuArgmax(logits, c);
    for (let i = 0; i < rows; i++) {
      want.support[labels[i]!]! += 1;
      want.predicted[pred[i]!]! += 1;
      if (pred[i] === labels[i]) want.tp[labels[i]!]! += 1;
      else want.pairs.add(labels[i]! * c + pred[i]!);
    }
    expect(plain(got)).toEqual(plain(want));
  });
});

function plain(k: PerClassCounts): unknown {
  const pairs: [number, number][] = [];
  k.pairs.forEach((key, n) => pairs.push([key, n]));
  return { support: Array.from(k.support), predicted: Array.from(k.predicted), tp: Array.from(k.tp),
    pairs: pairs.sort((a, b) => a[0] - b[0]) };
}

describe('the WebAssembly kernels at large C and on every 16-bit pattern', () => {
  it.each([10_000, 30_000, 30_007])('C = %i: the maximum, a tie, a NaN or -0/+0 at every 16-column step', (c) => {
    const rows = 9;
    const logits = new Float32Array(rows * c).fill(-1);
    for (let at = 0; at < c; at += 997) {
      const row = logits.subarray(((at / 997) % rows) * c, ((at / 997) % rows + 1) * c);
      const kind = (at / 997) % 4;
      if (kind === 0) row[at] = 5;
      else if (kind === 1) row.fill(5, at, Math.min(c, at + 3));
      else if (kind === 2) row[at] = NaN;
      else row[c - 1] = row[at] = 0;
    }
    logits[rows * c - 1] = 7;
    const want = cpuArgmax(logits, c);
    for (const strategy of strategies(c)) {
      expect(argmaxDiff(cpuArgmaxFast(logits, c, undefined, { strategy }), want, logits, c), strategy).toBe('');
    }
    const halves = new Uint16Array(new Uint32Array(logits.buffer).map((b) => b >>> 16));
    expect(argmaxDiff(cpuArgmaxHalfFast(halves, 'bfloat16', c), want, halves, c)).toBe('');
  });

  it('widens all 65536 float16 and bfloat16 patterns bit-exactly (widen_f16, widen_bf16)', () => {
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 65536 });
    const k = new WebAssembly.Instance(compileCpuWasm()!, { env: { memory } }).exports as Record<string,
      (src: number, n: number, dst: number) => void>;
    const widths: [string, (h: number) => number][] = [['widen_f16', float16BitsToFloat32Bits], ['widen_bf16',
      (h) => (h << 16) >>> 0]];
    for (const [name, widen] of widths) {
      // n = 65533: the SIMD loop and a scalar tail of each width
      const n = 65533;
      new Uint16Array(memory.buffer, 0, n).set(Uint16Array.from({ length: n }, (_, h) => h + 3));
      k[name]!(0, n, 131072);
      const got = new Uint32Array(memory.buffer, 131072, n);
      const bad = got.findIndex((b, i) => b !== widen(i + 3));
      expect(bad, `${name}: pattern ${(bad + 3).toString(16)} -> ${got[bad]?.toString(16)}`).toBe(-1);
    }
  });
});
