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

/** An error at character `at` of line `line` (its text starting at byte `offset`). */
const csvError = (path: string, line: number, offset: number, text: string, at: number, detail: string): CsvError =>
  new CsvError(path, line, at + 1, offset + Buffer.byteLength(text.slice(0, at)), detail);

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

/** One line of the file: its 1-based number, its text without the line ending, the byte where it starts. */
interface Line {
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

/** The lines of the file's first `size` bytes, in batches (one per block read); line 1's UTF-8 BOM dropped. */
async function* lineBatches(fh: FileHandle, path: string, size: number,
  checkOpen?: () => void): AsyncGenerator<Line[]> {
  let [pending, pendingOffset, pos, line] = [Buffer.alloc(0), 0, 0, 1];
  const make = (text: string, offset: number): Line => {
    if (line === 1 && text.charCodeAt(0) === 0xfeff) [text, offset] = [text.slice(1), offset + 3];
    return { line: line++, text, offset };
  };
  for await (const block of byteBlocks(fh, path, 0, size, BLOCK_BYTES)) {
    checkOpen?.();
    const data = pending.length > 0 ? Buffer.concat([pending, block]) : block;
    const dataOffset = pending.length > 0 ? pendingOffset : pos;
    pos += block.length;
    const lines: Line[] = [];
    let s = 0;
    for (let nl = data.indexOf(10); nl >= 0; s = nl + 1, nl = data.indexOf(10, s)) {
      lines.push(make(data.toString('utf8', s, nl > s && data[nl - 1] === 13 ? nl - 1 : nl), dataOffset + s));
    }
    pending = Buffer.from(data.subarray(s));
    pendingOffset = dataOffset + s;
    if (pending.length > MAX_LINE_BYTES) {
      throw new CsvError(path, line, 1, pendingOffset,
        `line is longer than ${MAX_LINE_BYTES} bytes; is this a text file?`);
    }
    if (lines.length > 0) yield lines;
  }
  const e = pending[pending.length - 1] === 13 ? pending.length - 1 : pending.length;
  if (pending.length > 0) yield [make(pending.toString('utf8', 0, e), pendingOffset)];
}

interface Scan {
  delimiter: CsvDelimiter;
  header: string[] | undefined;
  columns: number;
  rows: number;
}

const ROLES = { labels: ['i', 'i4', Int32Array], logits: ['f', 'f4', Float32Array], none: ['f', 'f8', Float64Array] };
type Values = Int32Array | Float32Array | Float64Array;

class CsvSource extends RowSource {
  constructor(init: SourceInit, private readonly scan: Scan, private readonly cols: number[],
    private readonly size: number, private readonly values: new(length: number) => Values) {
    super(init);
  }

  protected async *fileOrderChunks(rowsPerChunk: number): AsyncGenerator<RowChunk> {
    const { scan, cols, rows } = this;
    const { path } = this.init;
    const labels = this.kind === 'i';
    const per = Math.min(rowsPerChunk, rows);
    const out = new this.values(per * cols.length);
    let [start, r, k] = [0, 0, 0];
    for await (const lines of lineBatches(this.init.fh, path, this.size, () => this.checkOpen())) {
      for (const l of lines) {
        if (l.line === 1 && scan.header !== undefined) continue;
        if (start + r >= rows) {
          if (l.text.trim() === '') continue;
          throw new CsvError(path, l.line, 1, l.offset,
            `more data rows than the ${rows} counted when the file was opened (did the file change?)`);
        }
        const { fields, starts } = splitLine(path, l, scan.delimiter);
        if (fields.length !== scan.columns) {
          throw new CsvError(path, l.line, 1, l.offset,
            `expected ${scan.columns} fields, found ${fields.length} (did the file change?)`);
        }
        for (const c of cols) {
          const f = fields[c]!;
          const v = parseCsvNumber(f);
          let why: string | undefined;
          if (v === undefined) {
            const empty = `empty field${scan.header ? ` in column '${scan.header[c]}'` : ` in column ${c}`}`;
            why = f.trim() === '' ?
              `${empty} (missing value?)` :
              `non-numeric ${labels ? 'label' : 'field'} ${JSON.stringify(clip(f.trim()))}`;
          } else if (labels && (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)) {
            const range = Number.isInteger(v) ? 'is outside the int32 range' : 'is not an integer';
            why = `label ${JSON.stringify(clip(f.trim()))} ${range}`;
          }
          if (why !== undefined) throw csvError(path, l.line, l.offset, l.text, starts[c]!, why);
          out[k++] = v!;
        }
        const n = Math.min(per, rows - start);
        if (++r === n) {
          yield { start, data: out.subarray(0, n * cols.length) };
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

/** Why the first bytes of a file are not UTF-8 text of numbers, with the offset; undefined when they may be. */
function notText(head: Uint8Array): [number, string] | undefined {
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

/** First pass: delimiter, header, every line's field count checked, data rows counted, blank lines only at the end. */
async function scanFile(fh: FileHandle, path: string, size: number, forced: CsvDelimiter | undefined): Promise<Scan> {
  let delimiter: CsvDelimiter = forced ?? ',';
  let header: string[] | undefined;
  let pendingHeader: string[] | undefined;
  let [columns, rows] = [0, 0];
  let first: Line | undefined;
  let blank: Line | undefined;
  for await (const lines of lineBatches(fh, path, size)) {
    for (const l of lines) {
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
 * `'labels'`: int32 `[N]` from one column; no role: float64, `[N]` for one column else `[N, C]`.
 *
 * @throws NpyError for I/O errors, an empty or non-text file, an unknown column, several columns for
 *   labels; {@link CsvError} (`file:line:column: ...`) for a bad line, field or label
 */
export function openCsvArray(path: string, options: CsvOptions): Promise<ArraySource> {
  return openWith(path, async (fh, size) => {
    const head = await readExactly(fh, path, Math.min(SNIFF_BYTES, size), 0);
    const bad = notText(head);
    if (bad !== undefined) throw new NpyError(path, bad[0], bad[1]);
    const scan = await scanFile(fh, path, size, options.delimiter);
    const { role, column } = options;
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
    const [kind, dtype, values] = ROLES[role ?? 'none'] as ['f' | 'i', string, new(length: number) => Values];
    const shape = role === 'logits' || cols.length > 1 ? [scan.rows, cols.length] : [scan.rows];
    const itemSize = Number(dtype[1]);
    const header = { descr: dtype, dtype, kind, itemSize, shape, fortranOrder: false, bigEndian: false, dataOffset: 0,
      dataBytes: scan.rows * cols.length * itemSize };
    return new CsvSource({ file: options.spec, path, fh, header, decode: () => new values(0) }, scan, cols, size,
      values);
  });
}
