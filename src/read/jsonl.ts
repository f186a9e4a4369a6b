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
import { type FieldTarget, readLine } from './jsonl-scan.js';
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
  /** @internal Items other passes may queue for a pass of this source (default 8M). */
  queueItems?: number | undefined;
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

/** Items of other passes' rows queued for a pass at most (64 MiB of float64); beyond, that pass reads them itself. */
const MAX_QUEUED_ITEMS = 8 << 20;

/** Rows another pass read for this one: `n` of them from row `start`, `taken` already. */
interface Queued {
  start: number;
  data: Values | string[];
  n: number;
  taken: number;
}

/** One pass over a source's rows, which passes of other fields of the same file fill while they read the lines. */
interface Pass {
  target: FieldTarget;
  make: () => Values | string[];
  queue: Queued[];
  queued: number;
  /** Items queued at most: beyond, `open` turns false. */
  max: number;
  /** The row after the last this pass holds (queued or read); others queue row `end` only, while `open`. */
  end: number;
  open: boolean;
}

/** The sources open on one file (by device, inode, size and times): the first pass's count, and their passes. */
interface Group {
  key: string;
  count: Count;
  passes: Set<Pass>;
  members: number;
}

const groups = new Map<string, Group>();

type LineBlock = Parameters<typeof lineAt>[0];

/** Where a pass is in the file when it reads lines itself: the block, the line in it, the rows before it. */
interface Cursor {
  blocks: AsyncIterator<LineBlock>;
  block: LineBlock | undefined;
  i: number;
  row: number;
}

class JsonlSource extends RowSource {
  constructor(init: SourceInit, private readonly scan: Scan, private readonly size: number,
    private readonly values: (new(length: number) => Values) | undefined, private readonly group: Group,
    private readonly queueItems: number) {
    super(init);
  }

  /** This source's passes not yet done. */
  private readonly passes = new Set<Pass>();

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

  /** The next row of another pass's queue into `out` at row `r` (up to row `n`): the rows taken. */
  private static fromQueue(me: Pass, out: Values | string[], r: number, n: number, width: number): number {
    const q = me.queue[0]!;
    const m = Math.min(q.n - q.taken, n - r);
    if (Array.isArray(out)) { for (let k = 0; k < m; k++) out[r + k] = (q.data as string[])[q.taken + k]!; }
    else out.set((q.data as Values).subarray(q.taken * width, (q.taken + m) * width), r * width);
    q.taken += m;
    me.queued -= m;
    if (q.taken === q.n) me.queue.shift();
    return m;
  }

  /** The other passes that can take row `row` now. */
  private fillers(me: Pass, row: number): Pass[] {
    return [...this.group.passes].filter((p) => p !== me && p.open && p.end === row);
  }

  /** Points `p`'s target at a queued slot for row `row` (a new queued block when the last is full or not adjacent). */
  private static slot(p: Pass, row: number): void {
    let q = p.queue.at(-1);
    if (q === undefined || q.start + q.n !== row || q.n * p.target.width === q.data.length) {
      q = { start: row, data: p.make(), n: 0, taken: 0 };
      p.queue.push(q);
    }
    p.target.out = q.data;
    p.target.row = q.n;
  }

  /** A pass, registered as it is made (before its first row) so that passes made together share their reads. */
  protected fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk> {
    const { rows, holds, width, field } = this.scan;
    const per = Math.min(rowsPerChunk, rows);
    const make = (): Values | string[] => (this.values ? new this.values(per * width) : new Array<string>(per));
    const target: FieldTarget = { name: field, key: Buffer.from(field), holds, width, int: this.kind === 'i',
      out: make(), row: 0 };
    const me: Pass = { target: { ...target }, make, queue: [], queued: 0, max: this.queueItems, end: 0, open: true };
    this.group.passes.add(me);
    this.passes.add(me);
    return this.pass(me, target, per);
  }

  private async *pass(me: Pass, target: FieldTarget, per: number): AsyncGenerator<RowChunk> {
    const { rows, holds, width } = this.scan;
    const out = target.out;
    const cursor: Cursor = { blocks: lineBlocks(this.init.fh, this.init.path, this.size, () => this.checkOpen()),
      block: undefined, i: 0, row: 0 };
    try {
      for (let start = 0; start < rows; start += per) {
        const n = Math.min(per, rows - start);
        for (let r = 0; r < n;) {
          if (me.queue.length > 0) r += JsonlSource.fromQueue(me, out, r, n, width);
          else if (cursor.block === undefined || cursor.i === cursor.block.spans.length / 2) {
            const next = await cursor.blocks.next();
            if (next.done) {
              this.fail(undefined,
                `the file now holds ${cursor.row} lines, ${rows} were counted when it was ` +
                  'opened (did the file change?)');
            }
            [cursor.block, cursor.i] = [next.value, 0];
          } else r = this.readLines(cursor, me, target, start, r, n);
        }
        const data = holds === 'string' ? (out as string[]).slice(0, n) : (out as Values).subarray(0, n * width);
        yield { start, data: data as NumericArray };
        this.checkOpen();
      }
      if (cursor.block !== undefined) await this.noMoreLines(cursor);
    } finally {
      this.group.passes.delete(me);
      this.passes.delete(me);
    }
  }

  /** Reads rows from the cursor's block into `out` from row `r` (to `n`), queueing other passes' fields too. */
  private readLines(cursor: Cursor, me: Pass, target: FieldTarget, start: number, r: number, n: number): number {
    const { rows } = this.scan;
    const block = cursor.block!;
    const d = block.data;
    let them = this.fillers(me, start + r);
    let fields = [target, ...them.map((p) => p.target)];
    for (; cursor.i < block.spans.length / 2 && r < n; cursor.i++) {
      let s = block.spans[2 * cursor.i]!;
      const e = block.spans[2 * cursor.i + 1]!;
      if (isBlank(d, s, e)) continue;
      if (cursor.row < start + r) {
        cursor.row++;
        continue;
      }
      if (cursor.row >= rows) this.moreLines(block, cursor.i);
      if (block.line + cursor.i === 1 && d[s] === 0xef && d[s + 1] === 0xbb && d[s + 2] === 0xbf) s += 3;
      target.row = r;
      for (const p of them) JsonlSource.slot(p, cursor.row);
      if (readLine(d, s, e, fields)) {
        for (const p of them) JsonlSource.queued(p);
      } else {
        // The others' `end` stays at this row: they read it, and what follows, themselves.
        [them, fields] = [[], [target]];
        this.take(lineAt(block, cursor.i), target.out, r);
      }
      if (them.some((p) => !p.open)) {
        them = them.filter((p) => p.open);
        fields = [target, ...them.map((p) => p.target)];
      }
      me.end = ++cursor.row;
      r++;
    }
    return r;
  }

  /** Counts the row just read into `p`'s queue; closes `p` when the queue is full. */
  private static queued(p: Pass): void {
    p.queue.at(-1)!.n++;
    p.end++;
    if (++p.queued * p.target.width > p.max) p.open = false;
  }

  private moreLines(block: LineBlock, i: number): never {
    const l = lineAt(block, i);
    throw new CsvError(this.init.path, l.line, 1, l.offset,
      `more lines than the ${this.scan.rows} counted when the file was opened (did the file change?)`);
  }

  /** After the last row: the rest of the file holds blank lines only. */
  private async noMoreLines(cursor: Cursor): Promise<void> {
    for (let block = cursor.block; block !== undefined;) {
      for (; cursor.i < block.spans.length / 2; cursor.i++) {
        if (isBlank(block.data, block.spans[2 * cursor.i]!, block.spans[2 * cursor.i + 1]!)) continue;
        if (cursor.row >= this.scan.rows) this.moreLines(block, cursor.i);
        cursor.row++;
      }
      const next = await cursor.blocks.next();
      [block, cursor.i] = [next.done ? undefined : next.value, 0];
    }
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    for (const p of this.passes) this.group.passes.delete(p);
    if (--this.group.members === 0) groups.delete(this.group.key);
    await super.close();
  }
}

/** What the first pass finds: non-blank lines (blank lines only at the end), and the first. */
interface Count {
  rows: number;
  first: Line;
}

/** First pass: lines counted, blank lines only at the end. */
async function countLines(fh: FileHandle, path: string, size: number): Promise<Count> {
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
  return { rows, first };
}

/** The field and what it holds, from the first line. */
function scanFile(path: string, { rows, first }: Count, options: JsonlOptions): Scan {
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
    const st = await fh.stat();
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const shared = groups.get(key);
    const group = shared ?? { key, count: await countLines(fh, path, size), passes: new Set(), members: 0 };
    const scan = scanFile(path, group.count, options);
    groups.set(key, group);
    group.members++;
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
      values, group, options.queueItems ?? MAX_QUEUED_ITEMS);
  });
}
