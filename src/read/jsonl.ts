/**
 * Node-only: stream one field of a JSON Lines file (`x.jsonl:field`, `x.ndjson:field`) by rows, one
 * object per line: labels and predictions as integers or strings, logits as arrays of numbers.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { CsvError, csvError, type Line, lineAt, lineBlocks, notText } from './csv.js';
import { openWith, quoteList, readExactly } from './file-io.js';
import { jsonSyntaxError, jsonTooDeep } from './json-error.js';
import { NpyError, type NumericArray } from './npy.js';
import type { ArraySource } from './open-array.js';
import { type Layout, type RowChunk, RowSource, type SourceInit } from './row-source.js';

const SNIFF_BYTES = 512;

/** Options of {@link openJsonlArray}. */
export interface JsonlOptions {
  /** `'logits'`: arrays of numbers (or numbers) as float32 `[N, C]`; `'labels'`: int32 `[N]`, or strings. */
  role?: 'logits' | 'labels' | undefined;
  /** The field read from every object; default: the only field of the first object. */
  field?: string | undefined;
  /** The name the source reports as `file`. */
  spec: string;
}

/** What the field holds on every line, as on the first: a number, a string or an array of `width` numbers. */
interface Scan {
  rows: number;
  field: string;
  holds: 'number' | 'string' | 'array';
  width: number;
  /** The first non-blank line's number. */
  first: number;
}

type Values = Int32Array | Float32Array | Float64Array;

const clip = (s: string, n = 40): string => (s.length <= n ? s : `${s.slice(0, n)}...`);
const fieldsOf = (keys: string[]): string => (keys.length === 0 ? 'no fields' : `fields ${quoteList(keys, '')}`);

const skipSpace = (t: string, i: number): number => {
  while (i < t.length && ' \t\r\n'.includes(t[i]!)) i++;
  return i;
};

/** End of the JSON string starting at `i` of `t` (the index after its closing quote). */
function stringEnd(t: string, i: number): number {
  for (i++; i < t.length && t[i] !== '"'; i++) if (t[i] === '\\') i++;
  return i + 1;
}

/** End of the JSON value starting at `i` of valid JSON `t`, by counting brackets (no recursion). */
function valueEnd(t: string, i: number): number {
  if (t[i] === '"') return stringEnd(t, i);
  if (t[i] !== '[' && t[i] !== '{') return i + (/^[^\s,\]}]*/.exec(t.slice(i, i + 400))![0].length);
  for (let depth = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '"') i = stringEnd(t, i) - 1;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && --depth === 0) return i + 1;
  }
  return i;
}

/** Where the value of the top-level member `key` of the valid JSON object `t` starts (its last one); 0 if none. */
function memberAt(t: string, key: string): number {
  let found = 0;
  for (let i = skipSpace(t, skipSpace(t, 0) + 1); t[i] === '"';) {
    const k = stringEnd(t, i);
    const v = skipSpace(t, skipSpace(t, k) + 1);
    if (JSON.parse(t.slice(i, k)) === key) found = v;
    i = skipSpace(t, valueEnd(t, v));
    i = skipSpace(t, t[i] === ',' ? i + 1 : i);
  }
  return found;
}

/** Where element `k` of the valid JSON array starting at `a` of `t` starts (its closing bracket when shorter). */
function elementAt(t: string, a: number, k: number): number {
  let i = skipSpace(t, a + 1);
  for (let j = 0; j < k && t[i] !== ']'; j++) {
    i = skipSpace(t, valueEnd(t, i));
    i = skipSpace(t, t[i] === ',' ? i + 1 : i);
  }
  return i;
}

function describe(v: unknown): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string (${JSON.stringify(clip(v))})`;
  return typeof v === 'number' ? `a number (${v})` : 'an object';
}

/** Line `l` parsed as one JSON object; syntax errors, non-finite words and deep nesting located on the line. */
function parseObject(path: string, l: Line): Record<string, unknown> {
  const fail = (at: number, detail: string): CsvError => csvError(path, l.line, l.offset, l.text, at, detail);
  let v: unknown;
  try {
    v = JSON.parse(l.text);
  } catch (e) {
    const deep = e instanceof RangeError ? jsonTooDeep(l.text) : undefined;
    if (deep !== undefined) throw fail(deep.at, deep.detail);
    const { at, detail } = jsonSyntaxError(l.text, e);
    const word = /^-?(NaN|Infinity)/.exec(l.text.slice(at))?.[0];
    if (word === undefined) throw fail(at, `not valid JSON: ${detail}`);
    throw fail(at, `non-finite value ${word}, which JSON does not have (Python's json.dumps writes it)`);
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  throw fail(skipSpace(l.text, 0), `expected one JSON object per line, found ${describe(v)}`);
}

const isBlank = (d: Buffer, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) if (d[i] !== 32 && d[i] !== 9) return false;
  return true;
};

/** The checks of one line's field, each a located CsvError. */
class LineCheck {
  constructor(readonly path: string, readonly scan: Scan, readonly l: Line) {}

  fail(at: number, detail: string): CsvError {
    const { path, l } = this;
    return csvError(path, l.line, l.offset, l.text, at, detail);
  }

  /** The field's value: a located error when the object lacks it. */
  value(obj: Record<string, unknown>): unknown {
    const { field } = this.scan;
    if (Object.hasOwn(obj, field)) return obj[field];
    throw this.fail(skipSpace(this.l.text, 0), `no field '${field}' (the object has ${fieldsOf(Object.keys(obj))})`);
  }

  /** `v` if it is a finite number, else an error at `at` (`what` names it). */
  number(v: unknown, at: () => number, what: string): number {
    if (typeof v !== 'number') throw this.fail(at(), `${what}: expected a number, found ${describe(v)}`);
    if (Number.isFinite(v)) return v;
    const a = at();
    throw this.fail(a, `${what}: ${clip(this.l.text.slice(a, valueEnd(this.l.text, a)))} is beyond the float64 range`);
  }
}

class JsonlSource extends RowSource {
  constructor(init: SourceInit, private readonly scan: Scan, private readonly size: number,
    private readonly values: (new(length: number) => Values) | undefined) {
    super(init);
  }

  /** Row `r` of a chunk from line `l` into `out`. */
  private take(l: Line, out: Values | string[], r: number): void {
    const { field, holds, width, first } = this.scan;
    const check = new LineCheck(this.init.path, this.scan, l);
    const v = check.value(parseObject(this.init.path, l));
    const at = (): number => memberAt(l.text, field);
    const name = `field '${field}'`;
    if (holds === 'string') {
      if (typeof v !== 'string') throw check.fail(at(), `${name}: expected a string, found ${describe(v)}`);
      (out as string[])[r] = v;
    } else if (holds === 'number') {
      const x = check.number(v, at, name);
      if (this.kind === 'i' && !(Number.isInteger(x) && x >= -2147483648 && x <= 2147483647)) {
        const why = Number.isInteger(x) ? 'is outside the int32 range' : 'is not an integer';
        throw check.fail(at(), `${name}: label ${clip(l.text.slice(at(), valueEnd(l.text, at())))} ${why}`);
      }
      (out as Values)[r] = x;
    } else {
      if (!Array.isArray(v)) throw check.fail(at(), `${name}: expected an array of numbers, found ${describe(v)}`);
      if (v.length !== width) {
        throw check.fail(elementAt(l.text, at(), Math.min(v.length, width)),
          `${name}: ${v.length} number${
            v.length === 1 ? '' : 's'
          }, but line ${first} has ${width} (rows must be equally long)`);
      }
      const o = out as Values;
      for (let j = 0; j < width; j++) {
        o[r * width + j] = check.number(v[j], () => elementAt(l.text, at(), j), `${name}[${j}]`);
      }
    }
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk> {
    const { rows, holds, width } = this.scan;
    const per = Math.min(rowsPerChunk, rows);
    const out: Values | string[] = this.values ? new this.values(per * width) : new Array<string>(per);
    let [start, r] = [0, 0];
    for await (const block of lineBlocks(this.init.fh, this.init.path, this.size, () => this.checkOpen())) {
      for (let i = 0; i < block.spans.length / 2; i++) {
        if (isBlank(block.data, block.spans[2 * i]!, block.spans[2 * i + 1]!)) continue;
        const l = lineAt(block, i);
        if (start + r >= rows) {
          throw new CsvError(this.init.path, l.line, 1, l.offset,
            `more lines than the ${rows} counted when the file was opened (did the file change?)`);
        }
        this.take(l, out, r);
        const n = Math.min(per, rows - start);
        if (++r === n) {
          const data = holds === 'string' ? (out as string[]).slice(0, n) : (out as Values).subarray(0, n * width);
          yield { start, data: data as NumericArray };
          this.checkOpen();
          [start, r] = [start + n, 0];
        }
      }
    }
    if (start < rows) {
      this.fail(undefined,
        `the file now holds ${start + r} lines, ${rows} were counted when it was opened (did the file change?)`);
    }
  }
}

/** First pass: lines counted, blank lines only at the end; the field and what it holds from the first line. */
async function scanFile(fh: FileHandle, path: string, size: number, options: JsonlOptions): Promise<Scan> {
  let rows = 0;
  let first: Line | undefined;
  let blank: Line | undefined;
  for await (const block of lineBlocks(fh, path, size)) {
    for (let i = 0; i < block.spans.length / 2; i++) {
      if (isBlank(block.data, block.spans[2 * i]!, block.spans[2 * i + 1]!)) {
        blank ??= lineAt(block, i);
        continue;
      }
      if (blank !== undefined) {
        throw new CsvError(path, blank.line, 1, blank.offset,
          `blank line before line ${block.line + i}; blank lines are only allowed at the end of the file`);
      }
      first ??= lineAt(block, i);
      rows++;
    }
  }
  if (first === undefined) {
    throw new NpyError(path, 0, blank ? 'no data: the file holds only blank lines' : 'empty file: no JSON lines');
  }
  const obj = parseObject(path, first);
  const keys = Object.keys(obj);
  const field = options.field ?? (keys.length === 1 ? keys[0]! : undefined);
  if (field === undefined) {
    throw new NpyError(path, undefined,
      `name the field to read, as ${path}:FIELD (line ${first.line} has ${fieldsOf(keys)})`);
  }
  const scan: Scan = { rows, field, holds: 'number', width: 1, first: first.line };
  const check = new LineCheck(path, scan, first);
  const v = check.value(obj);
  const at = memberAt(first.text, field);
  const { role } = options;
  if (Array.isArray(v)) {
    if (role === 'labels') {
      throw check.fail(at, `field '${field}' holds an array; labels and predictions are one number or string a line`);
    }
    return { ...scan, holds: 'array', width: v.length };
  }
  if (typeof v === 'string' && role === 'labels') return { ...scan, holds: 'string' };
  if (typeof v === 'number') return scan;
  const want = role === 'logits' ? 'an array of numbers (a row of logits) or a number (a score)' : 'a number';
  throw check.fail(at, `field '${field}' holds ${describe(v)}; expected ${want} on every line`);
}

/**
 * Opens one field of a JSON Lines file for streaming by rows. A first pass counts the lines (blank
 * lines only at the end) and reads the first object; each line is parsed and checked while streaming.
 * `'labels'`: int32 `[N]` from integers, or strings (kind `'s'`); `'logits'`: float32 `[N, C]` from
 * arrays of C numbers (`[N, 1]` from numbers, as scores); no role: float64, `[N]` or `[N, C]`.
 *
 * @throws NpyError for I/O errors, an empty or non-text file, no field named; CsvError (`file:line:column: ...`)
 *   for invalid JSON, a missing field, a value of the wrong type, a ragged array, a non-finite number
 */
export function openJsonlArray(path: string, options: JsonlOptions): Promise<ArraySource> {
  return openWith(path, async (fh, size) => {
    const bad = notText(await readExactly(fh, path, Math.min(SNIFF_BYTES, size), 0));
    if (bad !== undefined) throw new NpyError(path, bad[0], bad[1]);
    const scan = await scanFile(fh, path, size, options);
    const [kind, dtype, values] = scan.holds === 'string' ?
      ['s', 'str', undefined] :
      options.role === 'labels' ?
      ['i', 'i4', Int32Array] :
      options.role === 'logits' ?
      ['f', 'f4', Float32Array] :
      ['f', 'f8', Float64Array];
    const shape = scan.holds === 'array' || options.role === 'logits' ? [scan.rows, scan.width] : [scan.rows];
    const itemSize = values?.BYTES_PER_ELEMENT ?? 0;
    const header = { descr: dtype, dtype, kind, itemSize, shape, fortranOrder: false, bigEndian: false, dataOffset: 0,
      dataBytes: scan.rows * scan.width * itemSize } as Layout;
    return new JsonlSource({ file: options.spec, path, fh, header, decode: () => new Float64Array(0) }, scan, size,
      values);
  });
}
