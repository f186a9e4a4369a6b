/**
 * Node-only: stream numbers from a CSV / TSV / whitespace-separated text file
 * by rows: logits as one row per sample of C numbers, labels as one column.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { type CsvDelimiter, detectDelimiter, parseCsvNumber } from './csv-syntax.js';
import { byteBlocks, openWith, readExactly } from './file-io.js';
import { hexBytes, NpyError } from './npy.js';
import type { ArraySource } from './open-array.js';
import { type RowChunk, RowSource, type SourceInit } from './row-source.js';

export { parseCsvNumber };

const BLOCK_BYTES = 1 << 20;
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const SNIFF_BYTES = 512;

/**
 * A CSV problem at a place in the file: `file:line:column: detail` (1-based; `offset` is the byte offset).
 *
 * @example
 * throw new CsvError('logits.csv', 7, 12, 301, 'non-numeric field "n/a"'); // "logits.csv:7:12: non-numeric ..."
 */
export class CsvError extends NpyError {
  /**
   * @example
   * throw new CsvError('labels.csv', 3, 1, 17, 'non-integer label "2.5"');
   */
  constructor(file: string, readonly line: number, readonly column: number, offset: number | undefined,
    detail: string) {
    super(file, offset, detail);
    this.name = 'CsvError';
    this.message = `${file}:${line}:${column}: ${detail}`;
  }
}

/** Options of {@link openCsvArray}. */
export interface CsvOptions {
  /** `'logits'`: float32 `[N, C]`; `'labels'`: int32 `[N]`; none: float64, `[N]` for one column else `[N, C]`. */
  role?: 'logits' | 'labels' | undefined;
  /** Read only this column: a header name, or a 0-based index (a header name wins if both match). */
  column?: string | undefined;
  /** Default: detected from the first line (tab, then `;`, then `,`, then whitespace, else one column). */
  delimiter?: CsvDelimiter | undefined;
  /** The name the source reports as `file`. */
  spec: string;
}

class FieldError {
  constructor(readonly at: number, readonly detail: string) {}
}

/** @internal An error at character `at` of line `line` (its text starting at byte `offset`). */
export const csvError = (path: string, line: number, offset: number, text: string, at: number,
  detail: string): CsvError => new CsvError(path, line, at + 1, offset + Buffer.byteLength(text.slice(0, at)), detail);

function quoted(text: string, q: number): [string, number] {
  let out = '';
  let i = q + 1;
  for (;;) {
    const k = text.indexOf('"', i);
    if (k < 0) throw new FieldError(q, 'unterminated quoted field (a quoted field cannot span lines)');
    out += text.slice(i, k);
    if (text[k + 1] === '"') {
      out += '"';
      i = k + 2;
    } else return [out, k + 1];
  }
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Splits one line into fields (unquoted, untrimmed) and the 0-based character index where each starts. */
function splitFields(text: string, delim: CsvDelimiter): { fields: string[]; starts: number[] } {
  const fields: string[] = [];
  const starts: number[] = [];
  const n = text.length;
  if (delim === 'whitespace') {
    let i = 0;
    for (;;) {
      while (i < n && isSpace(text[i])) i++;
      if (i >= n) return { fields, starts };
      starts.push(i);
      if (text[i] === '"') {
        const [v, j] = quoted(text, i);
        if (j < n && !isSpace(text[j])) throw new FieldError(j, 'unexpected text after a closing quote');
        fields.push(v);
        i = j;
      } else {
        let j = i;
        while (j < n && !isSpace(text[j])) j++;
        fields.push(text.slice(i, j));
        i = j;
      }
    }
  }
  const sep = delim === 'none' ? '' : delim;
  let i = 0;
  for (;;) {
    let j = i;
    while (j < n && text[j] === ' ') j++;
    if (text[j] === '"') {
      const [v, k] = quoted(text, j);
      let m = k;
      while (m < n && text[m] === ' ') m++;
      if (m < n && text[m] !== sep) throw new FieldError(m, 'unexpected text after a closing quote');
      fields.push(v);
      starts.push(j);
      if (m >= n) return { fields, starts };
      i = m + 1;
    } else {
      const d = sep === '' ? -1 : text.indexOf(sep, i);
      starts.push(i);
      fields.push(text.slice(i, d < 0 ? undefined : d));
      if (d < 0) return { fields, starts };
      i = d + 1;
    }
  }
}

const clip = (s: string, n = 40): string => (s.length <= n ? s : `${s.slice(0, n)}...`);

/** @internal One line of a text file: its 1-based number, its text without the line ending, its first byte. */
export interface Line {
  line: number;
  text: string;
  offset: number;
}

/** {@link splitFields}, a syntax error thrown as a CsvError at its place in the file. */
function splitLine(path: string, { line, text, offset }: Line, delim: CsvDelimiter): ReturnType<typeof splitFields> {
  try {
    return splitFields(text, delim);
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    throw csvError(path, line, offset, text, e.at, e.detail);
  }
}

/** One block read: `data` starts at file byte `offset`, line `line` first; [start, end) of each line in `spans`. */
interface LineBlock {
  data: Buffer;
  offset: number;
  line: number;
  spans: number[];
}

/** @internal Line `i` of a block as text; line 1's UTF-8 BOM dropped. */
export function lineAt(b: LineBlock, i: number): Line {
  const line = b.line + i;
  let text = b.data.toString('utf8', b.spans[2 * i], b.spans[2 * i + 1]);
  let offset = b.offset + b.spans[2 * i]!;
  if (line === 1 && text.charCodeAt(0) === 0xfeff) [text, offset] = [text.slice(1), offset + 3];
  return { line, text, offset };
}

/** @internal The lines of a file's first `size` bytes, in blocks (one per block read), without their line endings. */
export async function* lineBlocks(fh: FileHandle, path: string, size: number,
  checkOpen?: () => void): AsyncGenerator<LineBlock> {
  let [pending, pendingOffset, pos, line] = [Buffer.alloc(0), 0, 0, 1];
  const end = (data: Buffer, nl: number, s: number): number => (nl > s && data[nl - 1] === 13 ? nl - 1 : nl);
  for await (const block of byteBlocks(fh, path, 0, size, BLOCK_BYTES)) {
    checkOpen?.();
    const data = pending.length > 0 ? Buffer.concat([pending, block]) : block;
    const offset = pending.length > 0 ? pendingOffset : pos;
    pos += block.length;
    const spans: number[] = [];
    let s = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, s)) {
      spans.push(s, end(data, nl, s));
      s = nl + 1;
    }
    pending = Buffer.from(data.subarray(s));
    pendingOffset = offset + s;
    if (pending.length > MAX_LINE_BYTES) {
      throw new CsvError(path, line + spans.length / 2, 1, pendingOffset,
        `line is longer than ${MAX_LINE_BYTES} bytes; is this a text file?`);
    }
    if (spans.length > 0) yield { data, offset, line, spans };
    line += spans.length / 2;
  }
  if (pending.length > 0) {
    yield { data: pending, offset: pendingOffset, line, spans: [0, end(pending, pending.length, 0)] };
  }
}

const isBlank = (c: number): boolean => c === 32 || c === 9;

/**
 * Splits bytes [s, e) of a plain line (printable ASCII and tabs, no quotes, not blank) by `delim`, calling `field`
 * with each field's byte span; the field count, or -1 for any other line or when `field` returns false (the
 * string path then decides, so every message stays its own).
 */
function plainFields(d: Buffer, s: number, e: number, delim: CsvDelimiter,
  field?: (j: number, a: number, b: number) => boolean): number {
  const sep = delim.length === 1 ? delim.charCodeAt(0) : -1;
  const ws = delim === 'whitespace';
  let [j, a, seen] = [0, s, false];
  for (let i = s; i <= e; i++) {
    const c = i < e ? d[i]! : -2;
    if (c === 34 || c > 126 || (c >= 0 && c < 32 && c !== 9)) return -1;
    if (c >= 0 && !isBlank(c)) seen = true;
    const cut = c === -2 || c === sep || (ws && isBlank(c));
    if (!cut) continue;
    if (!ws || i > a) {
      if (field && !field(j, a, i)) return -1;
      j++;
    }
    a = i + 1;
  }
  return seen ? j : -1;
}

/** 10^0 .. 10^22, each exact in float64. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * The number in bytes [a, b) written as `[+-]digits[.digits][e[+-]digits]` with blanks around, else undefined. Up to
 * 15 significant digits and a decimal exponent within 22 (Clinger's fast path: one correctly rounded operation on
 * exact operands) it is computed from the digits, otherwise by `Number`: the same double either way.
 */
function plainNumber(d: Buffer, a: number, b: number): number | undefined {
  while (a < b && isBlank(d[a]!)) a++;
  while (b > a && isBlank(d[b - 1]!)) b--;
  let i = d[a] === 43 || d[a] === 45 ? a + 1 : a;
  let [m, digits, sig, scale] = [0, 0, 0, 0];
  const digit = (): boolean => {
    const c = d[i]! - 48;
    if (!(c >= 0 && c <= 9)) return false;
    m = m * 10 + c;
    digits++;
    if (m > 0) sig++;
    return true;
  };
  for (; i < b && digit(); i++);
  if (d[i] === 46) { for (i++; i < b && digit(); i++) scale--; }
  if (digits === 0) return undefined;
  let e = 0;
  if (d[i] === 101 || d[i] === 69) {
    const minus = d[i + 1] === 45;
    i += minus || d[i + 1] === 43 ? 2 : 1;
    const e0 = i;
    for (; i < b && d[i]! >= 48 && d[i]! <= 57 && e < 1e6; i++) e = e * 10 + d[i]! - 48;
    if (i === e0) return undefined;
    if (minus) e = -e;
  }
  if (i !== b) return undefined;
  const p = e + scale;
  if (sig > 15 || p < -22 || p > 22) return Number(d.toString('latin1', a, b));
  const v = p >= 0 ? m * POW10[p]! : m / POW10[-p]!;
  return d[a] === 45 ? -v : v;
}

interface Scan {
  delimiter: CsvDelimiter;
  header: string[] | undefined;
  columns: number;
  rows: number;
}

const ROLES = { labels: ['i', 'i4', Int32Array], logits: ['f', 'f4', Float32Array], none: ['f', 'f8', Float64Array],
  strings: ['s', 'str', Array] };
type Values = Int32Array | Float32Array | Float64Array | string[];

const MIXED = '; the column also holds numbers (a column of string labels holds none)';
const HEADER_AS_DATA =
  " is also this column's header (line 1): a column of string labels needs a header row, so line " +
  '1 was taken as one; if it is data, add a header line (e.g. "label")';

class CsvSource extends RowSource {
  constructor(init: SourceInit, private readonly scan: Scan, private readonly cols: number[],
    private readonly size: number, private readonly values: new(length: number) => Values) {
    super(init);
  }

  /** The header of the one string column read, which no value of it may equal. */
  private headerName(): string | undefined {
    return this.kind === 's' ? this.scan.header?.[this.cols[0]!] : undefined;
  }

  /** Row `row` (0-based) from line `l` by the string path, into `out` at `k`; returns the next `k`. */
  private stringRow(l: Line, row: number, out: Values, k: number): number {
    const { scan, cols, rows } = this;
    const { path } = this.init;
    if (row >= rows) {
      if (l.text.trim() === '') return k;
      throw new CsvError(path, l.line, 1, l.offset,
        `more data rows than the ${rows} counted when the file was opened (did the file change?)`);
    }
    const { fields, starts } = splitLine(path, l, scan.delimiter);
    if (fields.length !== scan.columns) {
      throw new CsvError(path, l.line, 1, l.offset,
        `expected ${scan.columns} fields, found ${fields.length} (did the file change?)`);
    }
    const labels = this.kind === 'i';
    for (const c of cols) {
      const f = fields[c]!;
      if (this.kind === 's' && f.trim() === this.headerName()) {
        throw csvError(path, l.line, l.offset, l.text, starts[c]!,
          `label ${JSON.stringify(clip(f.trim()))}${HEADER_AS_DATA}`);
      }
      if (this.kind === 's' && f.trim() !== '') {
        out[k++] = f.trim();
        continue;
      }
      const v = parseCsvNumber(f);
      let why: string | undefined;
      if (v === undefined) {
        const empty = `empty field${scan.header ? ` in column '${scan.header[c]}'` : ` in column ${c}`}`;
        why = f.trim() === '' ?
          `${empty} (missing value?)` :
          `non-numeric ${labels ? 'label' : 'field'} ${JSON.stringify(clip(f.trim()))}${labels ? MIXED : ''}`;
      } else if (labels && (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)) {
        const range = Number.isInteger(v) ? 'is outside the int32 range' : 'is not an integer';
        why = `label ${JSON.stringify(clip(f.trim()))} ${range}`;
      }
      if (why !== undefined) throw csvError(path, l.line, l.offset, l.text, starts[c]!, why);
      (out as Float64Array)[k++] = v!;
    }
    return k;
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk> {
    const { scan, cols, rows } = this;
    const { path } = this.init;
    const per = Math.min(rowsPerChunk, rows);
    const out = new this.values(per * cols.length);
    let [start, r, k] = [0, 0, 0];
    const labels = this.kind === 'i';
    const all = cols.length === scan.columns;
    const headerName = this.headerName();
    const put = (j: number, a: number, b: number): boolean => {
      if (!all && j !== cols[0]) return true;
      if (Array.isArray(out)) {
        while (a < b && isBlank(data[a]!)) a++;
        while (b > a && isBlank(data[b - 1]!)) b--;
        const s = data.toString('latin1', a, b);
        out[all ? k + j : k] = s;
        return a < b && s !== headerName;
      }
      const v = plainNumber(data, a, b);
      if (v === undefined || (labels && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647))) return false;
      out[all ? k + j : k] = v;
      return true;
    };
    let data: Buffer = Buffer.alloc(0);
    for await (const block of lineBlocks(this.init.fh, path, this.size, () => this.checkOpen())) {
      data = block.data;
      for (let i = 0; i < block.spans.length / 2; i++) {
        if (block.line + i === 1 && scan.header !== undefined) continue;
        const plain = start + r < rows &&
          plainFields(block.data, block.spans[2 * i]!, block.spans[2 * i + 1]!, scan.delimiter, put) === scan.columns;
        if (plain) k += cols.length;
        else k = this.stringRow(lineAt(block, i), start + r, out, k);
        const n = Math.min(per, rows - start);
        if (++r === n) {
          yield { start, data: Array.isArray(out) ? out.slice(0, n * cols.length) : out.subarray(0, n * cols.length) };
          this.checkOpen();
          [start, r, k] = [start + n, 0, 0];
        }
      }
    }
    if (start < rows) {
      this.fail(undefined,
        `the file now holds ${start + r} data rows, ${rows} were counted when it was opened (did the file change?)`);
    }
  }
}

/** @internal Why the first bytes of a file are not UTF-8 text, with the offset; undefined when they may be. */
export function notText(head: Uint8Array): [number, string] | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => head[i] === b);
  const hex = (n: number): string => hexBytes(head.subarray(0, n));
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) {
    return [0, `the file is UTF-16 (byte-order mark ${hex(2)}); save it as UTF-8`];
  }
  const kinds: [number[], string][] = [[[0x1f, 0x8b], 'gzip-compressed data; decompress it first'], [[0x50, 0x4b, 0x03,
    0x04], 'a zip archive (an .npz, or an .xlsx workbook: export it as CSV)'], [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59],
    'a .npy file; name it .npy'], [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed data; decompress it first'], [[0x42, 0x5a,
    0x68], 'bzip2-compressed data; decompress it first']];
  for (const [sig, what] of kinds) {
    if (starts(...sig)) return [0, `not a text file: ${what} (starts with ${hex(sig.length)})`];
  }
  const nul = head.indexOf(0);
  if (nul < 0) return undefined;
  return [nul, 'not a text file: a NUL byte (binary data, or UTF-16 text without a byte-order mark: save it as UTF-8)'];
}

/** The columns holding a field that is a number, and those holding one that is not (blanks aside). */
interface FieldKinds {
  numbers: Set<number>;
  texts: Set<number>;
}

/** Notes the kind of field `f` of column `j`. */
function noteKind(kinds: FieldKinds, j: number, f: string): void {
  if (f.trim() !== '') (parseCsvNumber(f) === undefined ? kinds.texts : kinds.numbers).add(j);
}

/** First pass: delimiter, header, every line's field count checked, data rows counted, blank lines only at the end. */
async function scanFile(fh: FileHandle, path: string, size: number, forced: CsvDelimiter | undefined,
  kinds?: FieldKinds): Promise<Scan> {
  let delimiter: CsvDelimiter = forced ?? ',';
  let header: string[] | undefined;
  let pendingHeader: string[] | undefined;
  let [columns, rows] = [0, 0];
  let first: Line | undefined;
  let blank: Line | undefined;
  for await (const block of lineBlocks(fh, path, size)) {
    const text = kinds && ((j: number, a: number, b: number): boolean => {
      if (plainNumber(block.data, a, b) !== undefined) kinds.numbers.add(j);
      else if (!kinds.texts.has(j)) noteKind(kinds, j, block.data.toString('latin1', a, b));
      return true;
    });
    for (let i = 0; i < block.spans.length / 2; i++) {
      const settled = first !== undefined && pendingHeader === undefined && blank === undefined;
      if (settled &&
        plainFields(block.data, block.spans[2 * i]!, block.spans[2 * i + 1]!, delimiter, text) === columns) {
        rows++;
        continue;
      }
      const l = lineAt(block, i);
      if (l.text.trim() === '') {
        blank ??= l;
        continue;
      }
      if (blank !== undefined) {
        throw new CsvError(path, blank.line, 1, blank.offset,
          `blank line before line ${l.line}; blank lines are only allowed at the end of the file`);
      }
      if (first === undefined && forced === undefined) delimiter = detectDelimiter(l.text);
      const { fields, starts } = splitLine(path, l, delimiter);
      if (first === undefined) {
        first = l;
        columns = fields.length;
        if (fields.some((f) => parseCsvNumber(f) === undefined)) header = fields.map((f) => f.trim());
        else if (columns >= 2 && fields.every((f, j) => f.trim() === String(j))) {
          pendingHeader = fields.map((f) => f.trim());
        } else rows++;
        continue;
      }
      if (fields.length !== columns) {
        const at = fields.length > columns ? starts[columns]! : l.text.length;
        const what = header !== undefined || pendingHeader !== undefined ?
          'the header row has' :
          `line ${first.line} has`;
        throw csvError(path, l.line, l.offset, l.text, at,
          `expected ${columns} fields (${what} ${columns}), found ${fields.length}: ${
            JSON.stringify(clip(l.text, 80))
          }`);
      }
      if (pendingHeader !== undefined) {
        if (fields.some((f) => !Number.isInteger(parseCsvNumber(f) ?? 0.5))) header = pendingHeader;
        else rows++;
        pendingHeader = undefined;
      }
      if (kinds) fields.forEach((f, j) => noteKind(kinds, j, f));
      rows++;
    }
  }
  if (first === undefined) {
    throw new NpyError(path, 0,
      blank ? 'no data: the file holds only blank lines' : 'empty file: no header and no data rows');
  }
  if (pendingHeader !== undefined) rows++;
  return { delimiter, header, columns, rows };
}

function describeColumns(scan: Scan): string {
  if (scan.header === undefined) return `${scan.columns} columns and no header row`;
  const names = scan.header.map((h) => `'${h}'`);
  return `columns ${names.length > 30 ? `${names.slice(0, 30).join(', ')}, ...` : names.join(', ')}`;
}

/**
 * Opens a CSV, TSV or whitespace-separated text file of numbers for streaming by rows. A first pass
 * detects the delimiter and a header row, checks every line's field count and counts the rows;
 * numbers are parsed while streaming (see {@link parseCsvNumber}). `'logits'`: float32 `[N, C]`;
 * `'labels'`: int32 `[N]` from one column, or its strings (`kind: 's'`, blanks around each dropped) when no field
 * of it is a number; no role: float64, `[N]` for one column else `[N, C]`.
 *
 * @throws NpyError for I/O errors, an empty or non-text file, an unknown column, several columns for
 *   labels; {@link CsvError} (`file:line:column: ...`) for a bad line, field or label
 */
export function openCsvArray(path: string, options: CsvOptions): Promise<ArraySource> {
  return openWith(path, async (fh, size) => {
    const head = await readExactly(fh, path, Math.min(SNIFF_BYTES, size), 0);
    const bad = notText(head);
    if (bad !== undefined) throw new NpyError(path, bad[0], bad[1]);
    const { role, column } = options;
    const kinds = role === 'labels' ? { numbers: new Set<number>(), texts: new Set<number>() } : undefined;
    const scan = await scanFile(fh, path, size, options.delimiter, kinds);
    let cols = Array.from({ length: scan.columns }, (_, j) => j);
    if (column !== undefined) {
      let c = scan.header?.indexOf(column) ?? -1;
      if (c < 0 && /^\d+$/.test(column) && Number(column) < scan.columns) c = Number(column);
      if (c < 0) {
        const how = scan.header !== undefined ?
          'a header name or a 0-based index' :
          'the file has no header row, so a 0-based index';
        throw new NpyError(path, undefined,
          `no column '${column}': the file has ${describeColumns(scan)}; choose one by ${how} below ${scan.columns}`);
      }
      cols = [c];
    } else if (role === 'labels' && scan.columns !== 1) {
      const choose = `choose one with ${path}:COLUMN (a header name or a 0-based index)`;
      throw new NpyError(path, undefined, `labels need one column, the file has ${describeColumns(scan)}; ${choose}`);
    }
    const strings = cols.length === 1 && kinds !== undefined && kinds.texts.has(cols[0]!) &&
      !kinds.numbers.has(cols[0]!);
    const [kind, dtype, values] = ROLES[strings ? 'strings' : role ?? 'none'] as ['f' | 'i' | 's', string,
      new(length: number) => Values];
    const shape = role === 'logits' || cols.length > 1 ? [scan.rows, cols.length] : [scan.rows];
    const itemSize = strings ? 0 : Number(dtype[1]);
    const header = { descr: dtype, dtype, kind, itemSize, shape, fortranOrder: false, bigEndian: false, dataOffset: 0,
      dataBytes: scan.rows * cols.length * itemSize };
    return new CsvSource({ file: options.spec, path, fh, header, decode: () => new values(0) }, scan, cols, size,
      values);
  });
}
