/**
 * Node-only: stream numbers from a CSV / TSV / whitespace-separated text file
 * by rows: logits as one row per sample of C numbers, labels as one column.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { type CsvDelimiter, detectDelimiter, parseCsvNumber } from './csv-syntax.js';
import { ioError, openRegularFile, readExactly } from './file-io.js';
import { NpyError, type NumericArray } from './npy.js';
import type { ArraySource } from './open-array.js';

export { parseCsvNumber };

const BLOCK_BYTES = 1 << 20;
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

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

export type { CsvDelimiter } from './csv-syntax.js';

/**
 * Options of {@link openCsvArray}.
 *
 * @example
 * const opts: CsvOptions = { role: 'labels', column: 'label' };
 */
export interface CsvOptions {
  /** `'logits'`: float32 `[N, C]`; `'labels'`: int32 `[N]`; none: float64, `[N]` for one column else `[N, C]`. */
  role?: 'logits' | 'labels';
  /** Read only this column: a header name, or a 0-based index (a header name wins if both match). */
  column?: string;
  /** Default: detected from the first line (tab, then `;`, then `,`, then whitespace, else one column). */
  delimiter?: CsvDelimiter;
  /** The name the source reports as `file` (defaults to `path`, or `path:column`). */
  spec?: string;
}

class FieldError {
  constructor(readonly at: number, readonly detail: string) {}
}

interface Split {
  fields: string[];
  starts: number[];
}

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
function splitFields(text: string, delim: CsvDelimiter): Split {
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
      if (d < 0) {
        fields.push(text.slice(i));
        return { fields, starts };
      }
      fields.push(text.slice(i, d));
      i = d + 1;
    }
  }
}

/** {@link splitFields}, a syntax error thrown as a CsvError at its place in the file. */
function splitLine(path: string, line: number, lineOffset: number, text: string, delim: CsvDelimiter): Split {
  try {
    return splitFields(text, delim);
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    throw new CsvError(path, line, e.at + 1, byteOffset(lineOffset, text, e.at), e.detail);
  }
}

const clip = (s: string, n = 40): string => (s.length <= n ? s : `${s.slice(0, n)}...`);

interface LineBatch {
  texts: string[];
  offsets: number[];
  firstLine: number;
}

function dropBom(texts: string[], offsets: number[]): void {
  if (texts[0]!.charCodeAt(0) === 0xfeff) {
    texts[0] = texts[0]!.slice(1);
    offsets[0] = offsets[0]! + 3;
  }
}

/** Lines of the file in batches (one per block read), without line endings; the UTF-8 BOM of line 1 dropped. */
async function* lineBatches(fh: FileHandle, path: string, checkOpen: () => void): AsyncGenerator<LineBatch> {
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let pending = Buffer.alloc(0);
  let pendingOffset = 0;
  let pos = 0;
  let line = 1;
  for (;;) {
    checkOpen();
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(block, 0, BLOCK_BYTES, pos));
    } catch (e) {
      throw ioError(path, pos, e);
    }
    const texts: string[] = [];
    const offsets: number[] = [];
    if (bytesRead === 0) {
      if (pending.length > 0) {
        const e = pending[pending.length - 1] === 13 ? pending.length - 1 : pending.length;
        texts.push(pending.toString('utf8', 0, e));
        offsets.push(pendingOffset);
        if (line === 1) dropBom(texts, offsets);
        yield { texts, offsets, firstLine: line };
      }
      return;
    }
    const data = pending.length > 0 ?
      Buffer.concat([pending, block.subarray(0, bytesRead)]) :
      block.subarray(0, bytesRead);
    const dataOffset = pending.length > 0 ? pendingOffset : pos;
    pos += bytesRead;
    let s = 0;
    for (;;) {
      const nl = data.indexOf(10, s);
      if (nl < 0) break;
      const e = nl > s && data[nl - 1] === 13 ? nl - 1 : nl;
      texts.push(data.toString('utf8', s, e));
      offsets.push(dataOffset + s);
      s = nl + 1;
    }
    pending = Buffer.from(data.subarray(s));
    pendingOffset = dataOffset + s;
    if (pending.length > MAX_LINE_BYTES) {
      throw new CsvError(path, line + texts.length, 1, pendingOffset,
        `line is longer than ${MAX_LINE_BYTES} bytes; is this a text file?`);
    }
    if (texts.length > 0) {
      if (line === 1) dropBom(texts, offsets);
      yield { texts, offsets, firstLine: line };
      line += texts.length;
    }
  }
}

interface Scan {
  delimiter: CsvDelimiter;
  header: string[] | undefined;
  columns: number;
  rows: number;
}

function byteOffset(lineOffset: number, text: string, at: number): number {
  return lineOffset + Buffer.byteLength(text.slice(0, at));
}

class CsvSource implements ArraySource {
  readonly dtype: string;
  readonly kind: 'f' | 'i';
  readonly shape: number[];
  readonly rows: number;
  readonly rowLength: number;
  private closed = false;

  constructor(readonly file: string, private readonly path: string, private readonly fh: FileHandle,
    private readonly scan: Scan, private readonly cols: number[],
    private readonly role: 'logits' | 'labels' | undefined, shape: number[]) {
    this.kind = role === 'labels' ? 'i' : 'f';
    this.dtype = role === 'labels' ? 'i4' : role === 'logits' ? 'f4' : 'f8';
    this.shape = shape;
    this.rows = scan.rows;
    this.rowLength = cols.length;
  }

  private checkOpen = (): void => {
    if (this.closed) throw new NpyError(this.path, undefined, 'reader is closed');
  };

  chunks(rowsPerChunk: number): AsyncIterable<{ start: number; data: NumericArray }> {
    if (!Number.isSafeInteger(rowsPerChunk) || rowsPerChunk < 1) {
      throw new RangeError(`${this.file}: rowsPerChunk must be a positive integer, got ${rowsPerChunk}`);
    }
    this.checkOpen();
    return this.stream(rowsPerChunk);
  }

  private async *stream(rowsPerChunk: number): AsyncGenerator<{ start: number; data: NumericArray }> {
    const { path, scan, cols, rows } = this;
    const width = cols.length;
    const per = Math.min(rowsPerChunk, rows);
    const out: Int32Array | Float32Array | Float64Array = this.role === 'labels' ?
      new Int32Array(per * width) :
      this.role === 'logits' ?
      new Float32Array(per * width) :
      new Float64Array(per * width);
    const labels = this.role === 'labels';
    const skip = scan.header !== undefined ? 1 : 0;
    const fail: (line: number, text: string, lineOffset: number, at: number, detail: string) => never = (line, text,
      lineOffset, at, detail) => {
      throw new CsvError(path, line, at + 1, byteOffset(lineOffset, text, at), detail);
    };
    let start = 0;
    let r = 0;
    let k = 0;
    for await (const { texts, offsets, firstLine } of lineBatches(this.fh, path, this.checkOpen)) {
      for (let i = 0; i < texts.length; i++) {
        const line = firstLine + i;
        if (line <= skip) continue;
        const text = texts[i]!;
        if (start + r >= rows) {
          if (text.trim() === '') continue;
          throw new CsvError(path, line, 1, offsets[i],
            `more data rows than the ${rows} counted when the file was opened (did the file change?)`);
        }
        const split = splitLine(path, line, offsets[i]!, text, scan.delimiter);
        if (split.fields.length !== scan.columns) {
          throw new CsvError(path, line, 1, offsets[i],
            `expected ${scan.columns} fields, found ${split.fields.length} (did the file change?)`);
        }
        for (const c of cols) {
          const f = split.fields[c]!;
          const v = parseCsvNumber(f);
          if (v === undefined) {
            if (f.trim() === '') {
              fail(line, text, offsets[i]!, split.starts[c]!,
                `empty field${scan.header ? ` in column '${scan.header[c]}'` : ` in column ${c}`} (missing value?)`);
            }
            fail(line, text, offsets[i]!, split.starts[c]!,
              `non-numeric ${labels ? 'label' : 'field'} ${JSON.stringify(clip(f.trim()))}`);
          }
          if (labels && (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX)) {
            const why = Number.isInteger(v) ? 'is outside the int32 range' : 'is not an integer';
            fail(line, text, offsets[i]!, split.starts[c]!, `label ${JSON.stringify(clip(f.trim()))} ${why}`);
          }
          out[k++] = v;
        }
        r++;
        const n = Math.min(per, rows - start);
        if (r === n) {
          yield { start, data: out.subarray(0, n * width) };
          this.checkOpen();
          start += n;
          r = 0;
          k = 0;
        }
      }
    }
    if (start < rows) {
      throw new NpyError(path, undefined,
        `the file now holds ${start + r} data rows, ${rows} were counted when it was opened (did the file change?)`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

const SNIFF_BYTES = 512;

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Why the first bytes of a file are not UTF-8 text of numbers, with the offset; undefined when they may be. */
function notText(head: Uint8Array): [number, string] | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => head[i] === b);
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) {
    return [0, `the file is UTF-16 (byte-order mark ${hexBytes(head.subarray(0, 2))}); save it as UTF-8`];
  }
  const kinds: [number[], string][] = [[[0x1f, 0x8b], 'gzip-compressed data; decompress it first'], [[0x50, 0x4b, 0x03,
    0x04], 'a zip archive (an .npz, or an .xlsx workbook: export it as CSV)'], [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59],
    'a .npy file; name it .npy'], [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed data; decompress it first'], [[0x42, 0x5a,
    0x68], 'bzip2-compressed data; decompress it first']];
  for (const [sig, what] of kinds) {
    if (starts(...sig)) {
      return [0, `not a text file: ${what} (starts with ${hexBytes(head.subarray(0, sig.length))})`];
    }
  }
  const nul = head.indexOf(0);
  if (nul >= 0) {
    return [nul,
      'not a text file: a NUL byte (binary data, or UTF-16 text without a byte-order mark: save it as UTF-8)'];
  }
  return undefined;
}

/**
 * First pass: delimiter, header, column count checked on every line, data rows counted, blank lines only at the end.
 */
async function scanFile(fh: FileHandle, path: string, forced: CsvDelimiter | undefined): Promise<Scan> {
  let delimiter: CsvDelimiter = forced ?? ',';
  let header: string[] | undefined;
  let columns = 0;
  let rows = 0;
  let first: { fields: string[]; line: number } | undefined;
  let pendingHeader: string[] | undefined;
  let blank: { line: number; offset: number } | undefined;
  for await (const { texts, offsets, firstLine } of lineBatches(fh, path, () => undefined)) {
    for (let i = 0; i < texts.length; i++) {
      const line = firstLine + i;
      const text = texts[i]!;
      if (text.trim() === '') {
        blank ??= { line, offset: offsets[i]! };
        continue;
      }
      if (blank !== undefined) {
        throw new CsvError(path, blank.line, 1, blank.offset,
          `blank line before line ${line}; blank lines are only allowed at the end of the file`);
      }
      if (first === undefined && forced === undefined) delimiter = detectDelimiter(text);
      const { fields, starts } = splitLine(path, line, offsets[i]!, text, delimiter);
      if (first === undefined) {
        first = { fields, line };
        columns = fields.length;
        const values = fields.map(parseCsvNumber);
        if (values.some((v) => v === undefined)) header = fields.map((f) => f.trim());
        else if (columns >= 2 && fields.every((f, j) => f.trim() === String(j))) {
          pendingHeader = fields.map((f) => f.trim());
        } else rows++;
        continue;
      }
      if (fields.length !== columns) {
        const at = fields.length > columns ? starts[columns]! : text.length;
        const what = header !== undefined || pendingHeader !== undefined ?
          'the header row has' :
          `line ${first.line} has`;
        throw new CsvError(path, line, at + 1, byteOffset(offsets[i]!, text, at),
          `expected ${columns} fields (${what} ${columns}), found ${fields.length}: ${JSON.stringify(clip(text, 80))}`);
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
 * @example
 * const labels = await openCsvArray('eval.csv', { role: 'labels', column: 'label' }); // [N], 'i4'
 * for await (const { start, data } of labels.chunks(65536)) consume(start, data as Int32Array);
 * await labels.close();
 */
export async function openCsvArray(path: string, options: CsvOptions = {}): Promise<ArraySource> {
  const { fh, size } = await openRegularFile(path);
  try {
    const head = new Uint8Array(Math.min(SNIFF_BYTES, size));
    await readExactly(fh, path, head, 0);
    const bad = notText(head);
    if (bad !== undefined) throw new NpyError(path, bad[0], bad[1]);
    const scan = await scanFile(fh, path, options.delimiter);
    const { role, column } = options;
    let cols: number[];
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
    } else {
      if (role === 'labels' && scan.columns !== 1) {
        throw new NpyError(path, undefined,
          `labels need one column, the file has ${
            describeColumns(scan)
          }; choose one with ${path}:COLUMN (a header name or a 0-based index)`);
      }
      cols = Array.from({ length: scan.columns }, (_, j) => j);
    }
    const shape = role === 'logits' || cols.length > 1 ? [scan.rows, cols.length] : [scan.rows];
    const spec = options.spec ?? (column === undefined ? path : `${path}:${column}`);
    return new CsvSource(spec, path, fh, scan, cols, role, shape);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}
