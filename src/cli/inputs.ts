/**
 * What every task of `confmat eval` reads and writes: weights, lockstep inputs, located errors, plot bytes.
 *
 * @module
 */
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import { addAbsWeights } from '../format/weights.js';
import { NpyError, type NumericArray, shapeText } from '../read/npy.js';
import { type ArraySource, openArray, type OpenArrayOptions } from '../read/open-array.js';
import { numeric } from '../read/row-source.js';
import { isStdinSpec } from '../read/stdin.js';
import { type CliValues, UsageError } from './usage.js';

/** Bytes of input read per step (logits rows x C x 8 at most). */
export const READ_CHUNK_BYTES = 32 * 1024 * 1024;

/** Steps sources chunk by chunk, checking they stay in lockstep: [first row, rows, ...chunks] (no sources: `rows`). */
export async function* lockstep(sources: ArraySource[], step: number,
  rows: number): AsyncGenerator<[number, number, ...NumericArray[]]> {
  for (let start = 0; sources.length === 0 && start < rows; start += step) yield [start, Math.min(step, rows - start)];
  const its = sources.map((s) => s.chunks(step)[Symbol.asyncIterator]());
  const [a] = sources as [ArraySource];
  for (;;) {
    const steps = [];
    for (const it of its) steps.push(await it.next());
    const [x] = steps as [(typeof steps)[number]];
    for (const [k, y] of steps.entries()) {
      const b = sources[k]!;
      if (x.done || y.done) {
        if (x.done !== y.done) throw new InputError('labels', `${a.file} and ${b.file} ended at different rows`);
        continue;
      }
      if (x.value.start !== y.value.start || x.value.data.length / a.rowLength !== y.value.data.length / b.rowLength) {
        throw new InputError('labels', `${a.file} and ${b.file} gave chunks of different rows at row ${x.value.start}`);
      }
    }
    if (!x || x.done) return;
    yield [x.value.start, x.value.data.length / a.rowLength, ...steps.map((y) => y.value!.data)];
  }
}

/** Opens `spec` into `sources` (which the caller closes, on a refusal too), refused with the first of `problems`. */
export async function openInto(sources: ArraySource[], spec: string, options: OpenArrayOptions = {},
  problems: (src: ArraySource) => (string | false)[] = () => []): Promise<ArraySource> {
  const src = await openArray(spec, options);
  sources.push(src);
  const bad = problems(src).find((p) => p !== false);
  if (bad !== undefined) throw new NpyError(spec, undefined, bad);
  return src;
}

/** Opens `--sample-weight W` into `sources`: 1-D, one weight per row of `rowsOf`, finite, with a finite sum of |w|. */
export async function openWeights(sources: ArraySource[], spec: string, rowsOf: ArraySource,
  labelsPath?: string): Promise<ArraySource> {
  const src = await openInto(sources, spec, {},
    (
      s,
    ) => [s.kind === 's' && `dtype str: sample weights must be numbers`,
      s.shape.length !== 1 && `shape ${shapeText(s.shape)}: sample weights must be 1-D (N,), one per row`]);
  if (src.rows !== rowsOf.rows) {
    const other = labelsPath !== undefined ?
      `${labelsPath} holds ${rowsOf.rows} labels` :
      `${rowsOf.file} has ${rowsOf.rows} rows (shape ${shapeText(rowsOf.shape)})`;
    throw new InputError('weights', `${spec} holds ${src.rows} sample weights but ${other}`, undefined, src.rows);
  }
  let sum = 0;
  try {
    for await (const { start, data } of src.chunks(1 << 20)) sum = addAbsWeights(asWeights(numeric(data)), sum, start);
  } catch (e) {
    const ours = e instanceof InputError && e.field === 'weights';
    throw ours ? new InputError('weights', `${src.file}: ${e.message}`, e.index, e.value) : e;
  }
  return src;
}

/** A chunk of weights as float64 (float32 kept). */
export function asWeights(data: NumericArray): Float32Array | Float64Array {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  return Float64Array.from(data as ArrayLike<number | bigint>, Number);
}

/** A batch-relative InputError naming its file and row there (`kept`: a batch row to the chunk's row). */
export function located(e: unknown, start: number, files: Record<string, string>, kept = (i: number) => i): unknown {
  if (!(e instanceof InputError) || e.index === undefined || !files[e.field]) return e;
  const what = e.field === 'labels' ? 'label' : e.field === 'weights' ? 'weight' : 'predicted class';
  const index = start + kept(e.index);
  const detail = e.message.replace(/^index \d+: (label|predicted class|weight) /, '');
  return new InputError(e.field, `${files[e.field]}: index ${index}: ${what} ${detail}`, index, e.value);
}

/** The bytes of an SVG plot for `path`: the SVG, or for a .png path its PNG rendering within the plot budget. */
export async function plotData(path: string, svg: string): Promise<string | Uint8Array> {
  if (extname(path).toLowerCase() !== '.png') return svg;
  const [{ svgToPng }, { pngWidthWithin }] = await Promise.all([import('../node/png.js'),
    import('../report/plot-size.js')]);
  return svgToPng(svg, { width: pngWidthWithin(svg) });
}

/** Refuses a command line reading more than one input from standard input (`-`), which can feed one. */
export function checkOneStdin(values: CliValues): void {
  const inputs = ['logits', 'preds', 'labels', 'logits-b', 'preds-b', 'scores', 'targets', 'sample-weight'];
  const dashes = inputs.filter((f) => typeof values[f] === 'string' && isStdinSpec(values[f]));
  if (dashes.length < 2) return;
  const given = dashes.map((f) => `--${f} ${String(values[f])}`).join(' and ');
  throw new UsageError(`${given}: standard input can feed one input only; save the others to files`);
}
