/**
 * Node-only: stream columns of a Parquet file by rows, one row group at a time, with hyparquet over
 * positional reads (never the whole file). `x.parquet:col` is one column: integers, floats, bool or
 * strings give `(N,)`; a list (or fixed-size list) of numbers gives `(N, C)`. `x.parquet:a,b,c` joins
 * float columns into `(N, 3)`. Rows and shape come from the footer; every row is checked as it is read.
 * Reference: https://parquet.apache.org/docs/file-format/
 *
 * @module
 */
import { type AsyncBuffer, type FileMetaData, parquetMetadata, type ParquetScan, parquetScan, parquetSchema,
  type SchemaElement, type SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { FileHandle } from 'node:fs/promises';
import { openWith, quoteList, readExactly } from './file-io.js';
import { hexBytes, NpyError, type NumericArray } from './npy.js';
import type { ArraySource, OpenArrayOptions } from './open-array.js';
import { checkRowsPerChunk } from './row-source.js';

const MAGIC = 0x31524150;

type Kind = ArraySource['kind'];

/** @internal A column as read: its dtype and whether each row is a list of values. */
interface Column {
  name: string;
  dtype: string;
  kind: Kind;
  list: boolean;
  /** How errors name the type, e.g. `INT32 (INT_8)`. */
  type: string;
}

type Chunk = { start: number; data: NumericArray };
type Out = NumericArray | string[] | unknown[];

const ARRAYS: Record<string, new(n: number) => NumericArray> = { i1: Int8Array, i2: Int16Array, i4: Int32Array,
  i8: BigInt64Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, u8: BigUint64Array, f4: Float32Array,
  f8: Float64Array, b1: Uint8Array };

/** True when the file at `head` (its first 4 bytes) starts with Parquet's magic `PAR1`. */
export const isParquetMagic = (head: Uint8Array): boolean =>
  head.length >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === MAGIC;

/** The numpy-style dtype of a leaf column, or why it is not read. */
function leafDtype(e: SchemaElement): { dtype: string; type: string } | { refused: string } {
  const ct = e.converted_type;
  const lt = e.logical_type;
  const type = `${e.type ?? 'group'}${lt ? ` (${lt.type})` : ct ? ` (${ct})` : ''}`;
  const int = (bits: number, signed: boolean) => ({ dtype: `${signed ? 'i' : 'u'}${bits / 8}`, type });
  if (lt?.type === 'INTEGER') return int(lt.bitWidth, lt.isSigned);
  const m = ct === undefined ? null : /^(U?)INT_(8|16|32|64)$/.exec(ct);
  if (m) return int(Number(m[2]), m[1] === '');
  const plain = ct === undefined && (lt === undefined || lt.type === 'STRING');
  switch (e.type) {
    case 'INT32':
      if (plain) return int(32, true);
      break;
    case 'INT64':
      if (plain) return int(64, true);
      break;
    case 'FLOAT':
      return { dtype: 'f4', type };
    case 'DOUBLE':
      return { dtype: 'f8', type };
    case 'BOOLEAN':
      return { dtype: 'b1', type };
    case 'BYTE_ARRAY':
      if (plain || ct === 'UTF8' || ct === 'ENUM' || lt?.type === 'ENUM') return { dtype: 'str', type };
      break;
    default:
  }
  return { refused: type };
}

/** The column of a top-level schema node: a primitive, or a list (3-level or legacy 2-level) of primitives. */
function describe(node: SchemaTree): Column | string {
  const e = node.element;
  const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST';
  let leaf: SchemaTree | undefined = node;
  let list = e.repetition_type === 'REPEATED';
  if (isList) {
    const rep = node.children.length === 1 ? node.children[0]! : undefined;
    leaf = rep?.children.length === 0 ? rep : rep?.children.length === 1 ? rep.children[0] : undefined;
    list = true;
  }
  if (leaf === undefined || leaf.children.length > 0) {
    return `column '${e.name}' is a ${isList ? 'nested list' : 'group (struct or map)'}; not read`;
  }
  const d = leafDtype(leaf.element);
  if ('refused' in d) {
    return `column '${e.name}' holds ${list ? 'lists of ' : ''}${d.refused}; supported: integers, FLOAT, DOUBLE, ` +
      'BOOLEAN, strings, and lists of numbers';
  }
  const kind = (d.dtype === 'str' ? 's' : d.dtype[0]) as Kind;
  if (list && kind === 's') return `column '${e.name}' holds lists of strings; lists must hold numbers`;
  return { name: e.name, list, kind, ...d };
}

/** Reads the footer (checking both magics and the length), as hyparquet's metadata. */
async function readFooter(fh: FileHandle, path: string, size: number,
  fail: (offset: number | undefined, detail: string) => never): Promise<FileMetaData> {
  if (size < 12) fail(0, `not a Parquet file: ${size} bytes, too short for 'PAR1', a footer and 'PAR1'`);
  const head = await readExactly(fh, path, 4, 0);
  if (!isParquetMagic(head)) fail(0, `not a Parquet file: starts with 0x${hexBytes(head)}, not 'PAR1'`);
  const tail = await readExactly(fh, path, 8, size - 8);
  if (!isParquetMagic(tail.subarray(4))) {
    fail(size - 4, `the file does not end with 'PAR1' (got 0x${hexBytes(tail.subarray(4))}): truncated file?`);
  }
  const len = new DataView(tail.buffer).getUint32(0, true);
  if (len > size - 12) {
    fail(size - 8, `footer length ${len} is more than the ${size - 12} bytes before it (truncated file?)`);
  }
  const footer = await readExactly(fh, path, len + 8, size - 8 - len);
  try {
    return parquetMetadata(footer);
  } catch (e) {
    return fail(size - 8 - len, `cannot read the footer (corrupt file?): ${(e as Error).message}`);
  }
}

/** An AsyncBuffer reading byte ranges of an open file. */
function fileBuffer(fh: FileHandle, path: string, size: number): AsyncBuffer {
  return { byteLength: size, async slice(start, end = size) {
    const bytes = await readExactly(fh, path, Math.max(0, Math.min(end, size) - start), start);
    return bytes.buffer as ArrayBuffer;
  } };
}

/**
 * Items per row of a list column from the footer's value counts (`c`, from the first row group), and the
 * first row group whose count disagrees (ragged or null lists), if any.
 */
function listLength(meta: FileMetaData, column: Column): { c: number | undefined; bad?: number } {
  let c: number | undefined;
  for (const [g, rg] of meta.row_groups.entries()) {
    const rows = Number(rg.num_rows);
    const chunk = rg.columns.find((k) => k.meta_data?.path_in_schema[0] === column.name);
    const values = Number(chunk?.meta_data?.num_values ?? 0);
    if (rows === 0) continue;
    if (values % rows !== 0 || (c !== undefined && values / rows !== c)) return { c, bad: g };
    c = values / rows;
  }
  return { c: c ?? 0 };
}

/** Copies rows of decoded column values into `out` (row-major, `width` per row) at row `at`, checking each. */
function copyRows(out: Out, at: number, width: number, cols: Column[], decoded: ArrayLike<unknown>[], first: number,
  count: number, where: (col: Column, i: number, detail: string) => never): void {
  const c0 = cols[0]!;
  const big = c0.dtype === 'i8' || c0.dtype === 'u8';
  const o = out as unknown[];
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < cols.length; k++) {
      const col = cols[k]!;
      const v = decoded[k]![first + i];
      if (v === null || v === undefined) where(col, i, 'is null; missing values are not read');
      if (!col.list) {
        o[(at + i) * width + k] = big ? v : typeof v === 'boolean' ? Number(v) : v;
        continue;
      }
      const row = v as ArrayLike<unknown>;
      if (row.length !== width) where(col, i, `holds ${row.length} values, not ${width} like the others`);
      for (let j = 0; j < width; j++) {
        const x = row[j];
        if (x === null || x === undefined) where(col, i, `item ${j} is null; missing values are not read`);
        o[(at + i) * width + j] = x;
      }
    }
  }
}

/** Rows of Parquet columns; owns `fh`. */
class ParquetRows implements ArraySource {
  readonly dtype: string;
  readonly kind: ArraySource['kind'];
  readonly shape: number[];
  readonly rows: number;
  readonly rowLength: number;
  private closed = false;
  private readonly starts: number[] = [0];

  constructor(readonly file: string, private readonly path: string, private readonly fh: FileHandle,
    private readonly scan: ParquetScan, private readonly cols: Column[], width: number) {
    const [c0] = cols as [Column];
    this.dtype = cols.some((c) => c.dtype !== c0.dtype) ? 'f8' : c0.dtype;
    this.kind = c0.kind;
    for (const rg of scan.metadata.row_groups) this.starts.push(this.starts.at(-1)! + Number(rg.num_rows));
    this.rows = this.starts.at(-1)!;
    this.rowLength = width;
    this.shape = cols.length > 1 || c0.list ? [this.rows, width] : [this.rows];
  }

  private fail(detail: string): never {
    throw new NpyError(this.path, undefined, detail);
  }

  /** The first row of row group `g` (`rows` for g = the number of groups). */
  groupStart(g: number): number {
    return this.starts[g]!;
  }

  chunks(rowsPerChunk: number): AsyncIterable<Chunk> {
    return this.rangeChunks(0, this.rows, rowsPerChunk);
  }

  rangeChunks(start: number, end: number, rowsPerChunk: number): AsyncIterable<Chunk> {
    checkRowsPerChunk(this.file, rowsPerChunk);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > this.rows) {
      throw new RangeError(`${this.file}: rows [${start}, ${end}) are not within its ${this.rows} rows`);
    }
    if (this.closed) this.fail('reader is closed');
    return this.read(start, end, rowsPerChunk);
  }

  private newOut(rows: number): Out {
    const n = rows * this.rowLength;
    return this.kind === 's' ? new Array<string>(n) : new ARRAYS[this.dtype]!(n);
  }

  /** The first `rows` rows of `out`; strings (kind 's') come as a `string[]`, per the string-column contract. */
  private take(out: Out, rows: number): NumericArray {
    const n = rows * this.rowLength;
    if (this.kind !== 's') return (out as NumericArray).subarray(0, n);
    return ((out as string[]).length === n ? out : (out as string[]).slice(0, n)) as unknown as NumericArray;
  }

  private async *read(start: number, end: number, rowsPerChunk: number): AsyncGenerator<Chunk> {
    const per = Math.min(rowsPerChunk, end - start);
    let out = this.newOut(per);
    let next = start;
    let fill = 0;
    for (let g = 0; g < this.starts.length - 1 && next < end; g++) {
      const [gs, ge] = [this.starts[g]!, this.starts[g + 1]!];
      if (ge <= next) continue;
      const [a, b] = [Math.max(next + fill, gs), Math.min(end, ge)];
      if (a >= b) continue;
      const decoded = await this.readGroup(g, a, b);
      const where = (col: Column, i: number, detail: string): never =>
        this.fail(`column '${col.name}': row ${a + i} (row group ${g}, row ${a + i - gs} of the group) ${detail}`);
      for (let at = a; at < b;) {
        const want = Math.min(per, end - next);
        const k = Math.min(b - at, want - fill);
        copyRows(out, fill, this.rowLength, this.cols, decoded, at - a, k, (c, i, d) => where(c, at - a + i, d));
        fill += k;
        at += k;
        if (fill === want) {
          yield { start: next, data: this.take(out, fill) };
          next += fill;
          fill = 0;
          if (this.kind === 's') out = this.newOut(per);
        }
      }
    }
  }

  /** Decoded values of every column for rows [a, b) of row group `g` (absolute rows). */
  private async readGroup(g: number, a: number, b: number): Promise<ArrayLike<unknown>[]> {
    this.checkOpen();
    let decoded: ArrayLike<unknown>[];
    try {
      decoded = await Promise.all(
        this.cols.map((c) => this.scan.readColumn({ column: c.name, rowStart: a, rowEnd: b })),
      );
    } catch (e) {
      if (e instanceof NpyError) throw e;
      return this.fail(
        `row group ${g} (rows ${this.starts[g]}..${this.starts[g + 1]! - 1}): cannot decode ` +
          `(corrupt file?): ${(e as Error).message}`,
      );
    }
    this.checkOpen();
    for (const [k, d] of decoded.entries()) {
      if (d.length !== b - a) {
        this.fail(
          `column '${this.cols[k]!.name}': row group ${g} decodes to ${d.length} rows, not ${b - a} (corrupt file?)`,
        );
      }
    }
    return decoded;
  }

  private checkOpen(): void {
    if (this.closed) this.fail('reader is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}

/**
 * Opens `name` of a Parquet file for streaming by rows: one column, or float columns joined by commas
 * (`l0,l1,l2`); without a name the file must hold one column. Checks the magics, footer, schema and
 * (for lists) that every row group holds the same items per row before it resolves.
 *
 * @throws NpyError naming `path` and the byte (footer) or the column, row group and row
 */
export function openParquetArray(path: string, name: string | undefined, spec: string,
  options: OpenArrayOptions = {}): Promise<ArraySource> {
  const fail = (offset: number | undefined, detail: string): never => {
    throw new NpyError(path, offset, detail);
  };
  return openWith(path, async (fh, size) => {
    const metadata = await readFooter(fh, path, size, fail);
    let tree: SchemaTree;
    try {
      tree = parquetSchema(metadata);
    } catch (e) {
      return fail(undefined, `cannot read the schema (corrupt file?): ${(e as Error).message}`);
    }
    const top = new Map(tree.children.map((c) => [c.element.name, c]));
    const holds = `it holds ${quoteList([...top.keys()], '(none)')}`;
    if (name === undefined && top.size !== 1) fail(undefined, `choose a column with ${path}:COLUMN; ${holds}`);
    const names = name === undefined ? [...top.keys()] : top.has(name) ? [name] : name.split(',');
    const cols = names.map((n) => {
      const node = top.get(n);
      if (node === undefined) return fail(undefined, `no column '${n}' in the file; ${holds}`);
      const c = describe(node);
      return typeof c === 'string' ? fail(undefined, c) : c;
    });
    for (const c of cols) {
      if (c.kind === 's' && options.role === 'logits') {
        fail(undefined,
          `column '${c.name}' holds strings (${c.type}); logits must be floats: a list of floats ` +
            'per row, or several float columns (x.parquet:l0,l1,...)');
      }
      if (cols.length > 1 && (c.kind !== 'f' || c.list)) {
        fail(undefined,
          `column '${c.name}' holds ${c.list ? 'lists' : c.type}; several columns (${name}) ` +
            'make one row of floats, so each must be FLOAT or DOUBLE');
      }
    }
    const list = cols.length === 1 && cols[0]!.list ? listLength(metadata, cols[0]!) : { c: cols.length };
    let scan: ParquetScan;
    try {
      scan = await parquetScan({ file: fileBuffer(fh, path, size), metadata, columns: cols.map((c) => c.name),
        compressors });
    } catch (e) {
      return fail(undefined, `cannot read (corrupt file?): ${(e as Error).message}`);
    }
    if (list.bad === undefined) return new ParquetRows(spec, path, fh, scan, cols, list.c!);
    const first = list.c ??
      (await scan.readColumn({ column: cols[0]!.name, rowStart: 0, rowEnd: 1 }) as unknown[][])[0]?.length;
    const rows = new ParquetRows(spec, path, fh, scan, cols, first ?? 0);
    const [gs, ge] = [rows.groupStart(list.bad), rows.groupStart(list.bad + 1)];
    for await (const _ of rows.rangeChunks(gs, ge, ge - gs)) void _;
    const rg = metadata.row_groups[list.bad]!;
    const values = rg.columns.find((k) => k.meta_data?.path_in_schema[0] === cols[0]!.name)?.meta_data?.num_values;
    return fail(undefined,
      `column '${cols[0]!.name}': row group ${list.bad} holds ${values} list items for ` +
        `${rg.num_rows} rows: the lists are not all the same length`);
  });
}
