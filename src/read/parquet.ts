/**
 * Node-only: stream columns of a Parquet file by rows, one row group at a time, with hyparquet over
 * positional reads (never the whole file). `x.parquet:col` is one column: integers, floats, bool or
 * strings give `(N,)`; a list (or fixed-size list) of numbers gives `(N, C)`. `x.parquet:a,b,c` joins
 * float columns into `(N, 3)`. Rows and shape come from the footer; every row is checked as it is read.
 * Reference: https://parquet.apache.org/docs/file-format/
 *
 * @module
 */
import { type FileMetaData, parquetMetadata, parquetSchema, type SchemaElement, type SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { FileHandle } from 'node:fs/promises';
import { widenHalves } from '../format/half.js';
import { openWith, quoteList, readExactly } from './file-io.js';
import { hexBytes, NpyError, type NumericArray } from './npy.js';
import type { ArraySource, ChunkData, OpenArrayOptions } from './open-array.js';
import { columnDecoder, decodeChunk, type Levels, levelsOf } from './parquet-pages.js';
import { checkRowsPerChunk } from './row-source.js';

const MAGIC = 0x31524150;
/** Most bytes one row group's rows may take decoded (or one column chunk compressed): memory stays bounded. */
const MAX_GROUP_BYTES = 1 << 30;

type Kind = ArraySource['kind'];

/** @internal A column as read: its dtype and whether each row is a list of values. */
interface Column {
  name: string;
  dtype: string;
  kind: Kind;
  list: boolean;
  /** How errors name the type, e.g. `INT32 (INT_8)`. */
  type: string;
  /** Schema nodes from the root to the leaf, and their definition levels. */
  path: SchemaTree[];
  levels: Levels;
}

type Chunk = { start: number; data: ChunkData };
type Out = NumericArray | string[] | unknown[];

const ARRAYS: Record<string, new(n: number) => NumericArray> = { i1: Int8Array, i2: Int16Array, i4: Int32Array,
  i8: BigInt64Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, u8: BigUint64Array, f2: Uint16Array,
  f4: Float32Array, f8: Float64Array, b1: Uint8Array };

/** True when the file at `head` (its first 4 bytes) starts with Parquet's magic `PAR1`. */
const isParquetMagic = (head: Uint8Array): boolean =>
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
    case 'FIXED_LEN_BYTE_ARRAY':
      if (lt?.type === 'FLOAT16' && e.type_length === 2) return { dtype: 'f2', type };
      break;
    case 'BYTE_ARRAY':
      if (plain || ct === 'UTF8' || ct === 'ENUM' || lt?.type === 'ENUM') return { dtype: 'str', type };
      break;
    default:
  }
  return { refused: type };
}

/** The column of a top-level schema node: a primitive, or a list (3-level or legacy 2-level) of primitives. */
function describe(root: SchemaTree, node: SchemaTree): Column | string {
  const e = node.element;
  const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST';
  let leaf: SchemaTree | undefined = node;
  let list = e.repetition_type === 'REPEATED';
  const path = [root, node];
  if (isList) {
    const rep = node.children.length === 1 ? node.children[0]! : undefined;
    leaf = rep?.children.length === 0 ? rep : rep?.children.length === 1 ? rep.children[0] : undefined;
    list = true;
    if (rep !== undefined) path.push(rep);
    if (leaf !== undefined && leaf !== rep) path.push(leaf);
  }
  if (leaf === undefined || leaf.children.length > 0) {
    return `column '${e.name}' is a ${isList ? 'nested list' : 'group (struct or map)'}; not read`;
  }
  const d = leafDtype(leaf.element);
  if ('refused' in d) {
    const what = `${list ? 'lists of ' : ''}${d.refused}`;
    return `column '${e.name}' holds ${what}; supported: integers, FLOAT16, FLOAT, DOUBLE, BOOLEAN, strings, and ` +
      'lists of numbers';
  }
  const kind = (d.dtype === 'str' ? 's' : d.dtype[0]) as Kind;
  if (list && kind === 's') return `column '${e.name}' holds lists of strings; lists must hold numbers`;
  return { name: e.name, list, kind, ...d, path, levels: levelsOf(path) };
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
    private readonly size: number, private readonly meta: FileMetaData, private readonly cols: Column[], width: number,
    private readonly halves = false) {
    const [c0] = cols as [Column];
    this.dtype = cols.some((c) => c.dtype !== c0.dtype) ? 'f8' : c0.dtype;
    this.kind = c0.kind;
    for (const rg of meta.row_groups) this.starts.push(this.starts.at(-1)! + Number(rg.num_rows));
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

  private async *read(start: number, end: number, rowsPerChunk: number): AsyncGenerator<Chunk> {
    const per = Math.min(rowsPerChunk, end - start);
    const w = this.rowLength;
    let out: Out | undefined;
    let next = start;
    let fill = 0;
    for (let g = 0; g < this.starts.length - 1 && next < end; g++) {
      const [a, b] = [Math.max(start, this.starts[g]!), Math.min(end, this.starts[g + 1]!)];
      if (a >= b) continue;
      const data = await this.readGroup(g, a, b);
      for (let at = a; at < b;) {
        const want = Math.min(per, end - next);
        const k = Math.min(b - at, want - fill);
        const [from, to] = [(at - a) * w, (at - a + k) * w];
        at += k;
        if (fill === 0 && k === want) {
          yield { start: next, data: this.take(data, from, to) };
          next += k;
          continue;
        }
        out ??= this.newOut(per);
        if (this.kind !== 's') (out as Float64Array).set((data as Float64Array).subarray(from, to), fill * w);
        else for (let i = from; i < to; i++) (out as string[])[fill * w + i - from] = (data as string[])[i]!;
        fill += k;
        if (fill === want) {
          yield { start: next, data: this.take(out, 0, fill * w) };
          next += fill;
          fill = 0;
          if (this.kind === 's') out = undefined;
        }
      }
    }
  }

  /**
   * Items [from, to) of `out` as a chunk; strings (kind 's') come as a `string[]`, per the string-column contract;
   * FLOAT16 as their bits (Uint16Array) with `halves`, else widened to a Float32Array.
   */
  private take(out: Out, from: number, to: number): ChunkData {
    if (this.dtype === 'f2' && !this.halves) return widenHalves((out as Uint16Array).subarray(from, to), 'float16');
    if (this.kind !== 's') return (out as NumericArray).subarray(from, to);
    return (from === 0 && to === out.length ? out : (out as string[]).slice(from, to)) as ChunkData;
  }

  /** Rows [a, b) (absolute) of row group `g`, every column decoded into `out`, row-major. */
  async readGroup(g: number, a: number, b: number, out?: Out): Promise<Out> {
    const gs = this.starts[g]!;
    const item = this.kind === 's' ? 8 : Number(this.dtype.slice(1)) || 1;
    if ((b - a) * this.rowLength * item > MAX_GROUP_BYTES) {
      this.fail(
        `row group ${g} holds ${b - a} rows of ${this.rowLength} ${this.dtype} items (${
          Math.ceil((b - a) * this.rowLength * item / 2 ** 20)
        } MiB), over the 1 GiB a row group may take here; write the file with smaller row groups (pyarrow: ` +
          'row_group_size=, DuckDB: ROW_GROUP_SIZE)',
      );
    }
    out ??= this.newOut(b - a);
    const rg = this.meta.row_groups[g]!;
    for (const [k, col] of this.cols.entries()) {
      const leaf = col.path.slice(1).map((n) => n.element.name).join('.');
      const meta = rg.columns.find((c) => c.meta_data?.path_in_schema.join('.') === leaf)?.meta_data;
      const where = `column '${col.name}', row group ${g} (rows ${gs}..${this.starts[g + 1]! - 1})`;
      if (meta === undefined) this.fail(`${where}: no column chunk in the footer (corrupt file?)`);
      const dict = meta.dictionary_page_offset;
      const from = Number(
        dict !== undefined && dict > 0n && dict < meta.data_page_offset ? dict : meta.data_page_offset,
      );
      const len = Number(meta.total_compressed_size);
      if (len > MAX_GROUP_BYTES) {
        this.fail(`${where}: ${len} bytes compressed, over the 1 GiB a row group may take here`);
      }
      if (!(from >= 0 && len >= 0 && from + len <= this.size)) {
        this.fail(`${where}: its ${len} bytes at byte ${from} run past the end of the file (${this.size} bytes)`);
      }
      this.checkOpen();
      const bytes = await readExactly(this.fh, this.path, len, from);
      this.checkOpen();
      const fail = (row: number, detail: string): never =>
        this.fail(`column '${col.name}': row ${gs + row} (row group ${g}, row ${row} of the group) ${detail}`);
      try {
        decodeChunk(bytes, columnDecoder(col.path, meta, compressors), col.levels, { out: out as unknown[], a: a - gs,
          b: b - gs, stride: this.rowLength, col: this.cols.length > 1 ? k : 0, width: col.list ? this.rowLength : 1,
          fail }, Number(meta.num_values));
      } catch (e) {
        if (e instanceof NpyError) throw e;
        this.fail(`${where}: cannot decode (corrupt file?): ${(e as Error).message}`);
      }
    }
    return out;
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
    for (const [g, rg] of metadata.row_groups.entries()) {
      if (!(rg.num_rows >= 0n && rg.num_rows <= BigInt(Number.MAX_SAFE_INTEGER))) {
        fail(size - 8, `row group ${g} says it holds ${rg.num_rows} rows (corrupt footer?)`);
      }
    }
    const total = metadata.row_groups.reduce((n, rg) => n + Number(rg.num_rows), 0);
    if (!Number.isSafeInteger(total)) fail(size - 8, `the row groups hold ${total} rows in all (corrupt footer?)`);
    const top = new Map(tree.children.map((c) => [c.element.name, c]));
    const holds = `it holds ${quoteList([...top.keys()], '(none)')}`;
    if (name === undefined && top.size !== 1) fail(undefined, `choose a column with ${path}:COLUMN; ${holds}`);
    const names = name === undefined ? [...top.keys()] : top.has(name) ? [name] : name.split(',');
    const cols = names.map((n) => {
      const node = top.get(n);
      if (node === undefined) return fail(undefined, `no column '${n}' in the file; ${holds}`);
      const c = describe(tree, node);
      return typeof c === 'string' ? fail(undefined, c) : c;
    });
    for (const c of cols) {
      if (c.kind === 's' && options.role === 'logits') {
        fail(undefined,
          `column '${c.name}' holds strings (${c.type}); logits must be floats: a list of floats ` +
            'per row, or several float columns (x.parquet:l0,l1,...)');
      }
      if (cols.length > 1 && (c.kind !== 'f' || c.list || c.dtype === 'f2')) {
        fail(undefined,
          `column '${c.name}' holds ${c.list ? 'lists' : c.type}; several columns (${name}) ` +
            'make one row of floats, so each must be FLOAT or DOUBLE');
      }
    }
    for (const [g, rg] of metadata.row_groups.entries()) {
      for (const c of cols.filter((c) => !c.list)) {
        const v = rg.columns.find((k) => k.meta_data?.path_in_schema[0] === c.name)?.meta_data?.num_values;
        if (v !== rg.num_rows) {
          fail(undefined,
            `column '${c.name}': row group ${g} holds ${v} values for ${rg.num_rows} rows (corrupt file?)`);
        }
      }
    }
    const list = cols.length === 1 && cols[0]!.list ? listLength(metadata, cols[0]!) : { c: cols.length };
    if (list.bad === undefined) return new ParquetRows(spec, path, fh, size, metadata, cols, list.c!, options.halves);
    const rows = new ParquetRows(spec, path, fh, size, metadata, cols, list.c ?? NaN);
    await rows.readGroup(list.bad, rows.groupStart(list.bad), rows.groupStart(list.bad + 1), []);
    const rg = metadata.row_groups[list.bad]!;
    const values = rg.columns.find((k) => k.meta_data?.path_in_schema[0] === cols[0]!.name)?.meta_data?.num_values;
    return fail(undefined,
      `column '${cols[0]!.name}': row group ${list.bad} holds ${values} list items for ` +
        `${rg.num_rows} rows: the lists are not all the same length`);
  });
}
