import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import { svgToPng } from '../node/png.js';
import { NpyError, shapeText, type NumericArray } from '../read/npy.js';
import { openArray, type ArraySource } from '../read/open-array.js';
import { pngWidthWithin } from '../report/plot-size.js';
import { UsageError, type CliValues } from './usage.js';

/**
 * Opens a float score array of `dims` dimensions ((N,) for binary, which also takes (N, 1); (N, L) for multilabel).
 *
 * @example
 * const scores = await openScores('probs.npy', 2);
 */
export async function openScores(spec: string, dims: 1 | 2): Promise<ArraySource> {
  const src = await openArray(spec, { role: 'logits' });
  const fail = async (message: string): Promise<never> => {
    await src.close();
    throw new NpyError(spec, undefined, message);
  };
  if (src.kind !== 'f') await fail(`dtype ${src.dtype}: scores must be floating point (float16, float32 or float64)`);
  const ok = dims === 2 ? src.shape.length === 2 && src.shape[1]! >= 1 : src.shape.length === 1 || (src.shape.length === 2 && src.shape[1] === 1);
  if (!ok) await fail(`shape ${shapeText(src.shape)}: scores must be ${dims === 2 ? '2-D (N, L)' : '1-D (N,) or (N, 1): one score per row, higher = positive'}`);
  return src;
}

/**
 * Opens a 0/1 target array (integers, bool, or floats that are exactly 0 or 1) shaped like the scores.
 *
 * @example
 * const targets = await openTargets('y.npy', scores);
 */
export async function openTargets(spec: string, scores: ArraySource): Promise<ArraySource> {
  const src = await openArray(spec, scores.rowLength > 1 ? { role: 'logits' } : { role: 'labels' });
  if (src.rows !== scores.rows || src.rowLength !== scores.rowLength) {
    await src.close();
    throw new InputError('targets', `${spec} has shape ${shapeText(src.shape)} but ${scores.file} has shape ${shapeText(scores.shape)}: targets must match the scores`);
  }
  return src;
}

/**
 * Targets of one chunk as 0/1 bytes; anything else is refused naming the file, row, column and value.
 *
 * @example
 * toTargets(data, 'y.npy', 1000, 5); // Uint8Array
 */
export function toTargets(data: NumericArray, file: string, firstRow: number, width: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === 1 || v === 1n) out[i] = 1;
    else if (v !== 0 && v !== 0n) {
      const row = firstRow + Math.floor(i / width);
      const where = width > 1 ? `row ${row}, column ${i % width}` : `index ${row}`;
      throw new InputError('targets', `${file}: ${where}: target ${String(v)} is not 0 or 1`, row, v);
    }
  }
  return out;
}

/**
 * Scores of one chunk as float32 (float64 rounds; the caller notes it once).
 *
 * @example
 * toScores(new Float64Array([0.1])); // Float32Array
 */
export function toScores(data: NumericArray): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as Float64Array);
}

/**
 * Steps scores and targets (and sample weights, when given) in lockstep, chunk by chunk.
 *
 * @example
 * for await (const [start, s, y, w] of lockstep(scores, targets, 65536, weights)) update(s, y, w);
 */
export async function* lockstep(a: ArraySource, b: ArraySource, rows: number, c?: ArraySource): AsyncGenerator<[number, NumericArray, NumericArray, NumericArray | undefined]> {
  const ia = a.chunks(rows)[Symbol.asyncIterator]();
  const ib = b.chunks(rows)[Symbol.asyncIterator]();
  const ic = c?.chunks(rows)[Symbol.asyncIterator]();
  for (;;) {
    const [x, y, z] = [await ia.next(), await ib.next(), await ic?.next()];
    if (x.done || y.done) {
      if (x.done !== y.done) throw new InputError('targets', `${a.file} and ${b.file} ended at different rows`);
      if (z && !z.done) throw new InputError('weights', `${a.file} and ${c!.file} ended at different rows`);
      return;
    }
    if (x.value.start !== y.value.start || x.value.data.length !== y.value.data.length) {
      throw new InputError('targets', `${a.file} and ${b.file} gave chunks of different rows at row ${x.value.start}`);
    }
    if (z && (z.done || z.value.start !== x.value.start || z.value.data.length * a.rowLength !== x.value.data.length)) {
      throw new InputError('weights', `${a.file} and ${c!.file} gave chunks of different rows at row ${x.value.start}`);
    }
    yield [x.value.start, x.value.data, y.value.data, z?.value?.data];
  }
}

/**
 * Sample weights of one chunk as float64 (float32 kept); NaN and infinities are refused naming the
 * file, the index and the value.
 *
 * @example
 * toWeights(data, 'w.npy', 1000); // Float64Array
 */
export function toWeights(data: NumericArray, file: string, firstRow: number): Float32Array | Float64Array {
  const w = data instanceof Float32Array || data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number | bigint>, Number);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i]!)) throw new InputError('weights', `${file}: index ${firstRow + i}: weight ${w[i]} is not finite`, firstRow + i, w[i]);
  }
  return w;
}

/**
 * Parses `--threshold`: a number, `logits` (0), `probs` (0.5), or (when `perLabel`) a comma list.
 *
 * @example
 * parseThreshold({ threshold: 'logits' }, false); // 0
 */
export function parseThreshold(values: CliValues, perLabel: boolean): number | number[] {
  const v = values.threshold;
  if (v === undefined) return 0.5;
  if (typeof v !== 'string') throw new UsageError('--threshold needs a value');
  if (v === 'logits') return 0;
  if (v === 'probs') return 0.5;
  const parts = v.split(',').map((x) => x.trim());
  if (parts.length > 1 && !perLabel) throw new UsageError(`--threshold ${v}: a binary task takes one threshold (use --thresholds for a sweep)`);
  const nums = parts.map((x) => (x === '' ? NaN : Number(x)));
  if (nums.some((x) => Number.isNaN(x))) throw new UsageError(`--threshold must be a number, logits (0), probs (0.5)${perLabel ? ' or a comma list, one per label' : ''}; got '${v}'`);
  return nums.length === 1 ? nums[0]! : nums;
}

/**
 * Refuses the multiclass flags and the options these tasks do not have.
 *
 * @example
 * checkTaskFlags(values, 'binary');
 */
export function checkTaskFlags(values: CliValues, task: string): { scores: string; targets: string } {
  for (const flag of ['logits', 'labels', 'preds', 'num-classes', 'normalize', 'shard', 'histogram', 'threads']) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --task ${task} (it takes --scores and --targets)`);
  }
  if (typeof values.scores !== 'string' || typeof values.targets !== 'string') throw new UsageError(`--task ${task} needs --scores S and --targets Y`);
  if (values.plot !== undefined && !['.svg', '.png'].includes(extname(String(values.plot)).toLowerCase())) {
    throw new UsageError(`--plot ${String(values.plot)}: --task ${task} draws .svg or .png`);
  }
  return { scores: values.scores, targets: values.targets };
}

/**
 * The bytes of an SVG plot for `path`: the SVG, or its PNG rendering for a .png path (scaled down
 * to the plot budget, `MAX_PLOT_PIXELS`, should the SVG exceed it).
 *
 * @example
 * await outputs.commit(text, plotData('roc.png', svg));
 */
export function plotData(path: string, svg: string): string | Uint8Array {
  return extname(path).toLowerCase() === '.png' ? svgToPng(svg, { width: pngWidthWithin(svg) }) : svg;
}
