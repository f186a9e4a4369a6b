/**
 * Decodes the pages of one Parquet column chunk straight into a row-major output array, checking each
 * row as it goes (nulls, list lengths), without building a JavaScript array per row. Page headers,
 * decompression, levels and value decoding are hyparquet's; the levels are walked here.
 *
 * @module
 */
import type { ColumnMetaData, Compressors, DecodedArray, PageHeader, SchemaTree } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert, convertWithDictionary, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';

/** @internal What hyparquet's page functions take to decode a column. */
export type ColumnDecoder = Parameters<typeof readDataPage>[2];

/** @internal Where a column's values go: rows [a, b) of the group, item j of row r at `(r - a) * stride + col + j`. */
export interface Target {
  out: { [i: number]: unknown; length: number };
  a: number;
  b: number;
  stride: number;
  col: number;
  /** Items per row; NaN takes the first row's count (returned). */
  width: number;
  /** Throws the located error for row `row` of the group. */
  fail: (row: number, detail: string) => never;
}

/** @internal Definition levels of a column's path: below `list` the row is null, below `repeated` its list is empty. */
export interface Levels {
  /** Largest repetition level (0 flat, 1 a list). */
  rep: number;
  max: number;
  list: number;
  repeated: number;
}

/** @internal The levels of a column from its schema path (root first). */
export function levelsOf(path: SchemaTree[]): Levels {
  let def = 0;
  let rep = 0;
  let list: number | undefined;
  let repeated: number | undefined;
  for (const node of path.slice(1)) {
    const r = node.element.repetition_type;
    if (r === 'REPEATED' && repeated === undefined) list = def;
    if (r !== 'REQUIRED') def++;
    if (r === 'REPEATED' && repeated === undefined) repeated = def;
    if (r === 'REPEATED') rep++;
  }
  return { rep, max: def, list: list ?? def, repeated: repeated ?? def };
}

/**
 * @internal A decoder for a column chunk (hyparquet's default parsers; strings decoded as UTF-8; FLOAT16 left as
 * its 2-byte values, which {@link decodeChunk} reads as bits).
 */
export function columnDecoder(path: SchemaTree[], meta: ColumnMetaData, compressors: Compressors): ColumnDecoder {
  const leaf = path.at(-1)!.element;
  const element = isFloat16(leaf) ? { ...leaf, logical_type: undefined } : leaf;
  return { pathInSchema: meta.path_in_schema, type: meta.type, element, schemaPath: path, codec: meta.codec,
    parsers: DEFAULT_PARSERS, compressors, utf8: true };
}

const isFloat16 = (e: SchemaTree['element']): boolean => e.logical_type?.type === 'FLOAT16';

/** FLOAT16 values (2 bytes each, little-endian) as their bits. */
const halfBits = (values: ArrayLike<unknown>): Uint16Array =>
  Uint16Array.from(values as ArrayLike<Uint8Array>, (b) => b[0]! | (b[1]! << 8));

const nullDetail = 'is null; missing values are not read';
/** Most values (or levels) one page may hold: far above any writer's pages, far below V8's array limits. */
const MAX_PAGE_VALUES = 1 << 26;
/** Largest page, decompressed. */
const MAX_PAGE_BYTES = 1 << 30;

/** Reads an unsigned LEB128 varint at `at.offset` of `view`. */
function varint(view: DataView, at: { offset: number }): number {
  let v = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const b = view.getUint8(at.offset++);
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return v;
  }
  throw new Error('varint longer than 5 bytes');
}

/**
 * Walks an RLE/bit-packed hybrid run list of `n` values of `bits` bits without decoding it, refusing a run
 * that says it repeats a value past the `n` values (hyparquet writes such runs out in full, and a corrupt
 * count would grow its array until V8 aborts the process).
 */
function checkHybrid(view: DataView, at: { offset: number }, bits: number, n: number): void {
  for (let seen = 0; seen < n;) {
    const header = varint(view, at);
    if (header % 2 === 1) {
      const groups = Math.floor(header / 2);
      at.offset += groups * bits;
      seen += groups * 8;
    } else {
      const count = header / 2;
      if (count > n - seen) throw new Error(`an RLE run of ${count} values where ${n - seen} remain`);
      at.offset += (bits + 7) >> 3;
      seen += count;
    }
    if (at.offset > view.byteLength) throw new Error('an RLE/bit-packed run runs past its page');
  }
}

const bitWidth = (max: number): number => 32 - Math.clz32(max);

/** Checks the run lists of a decompressed version 1 data page (levels, dictionary indices) before hyparquet. */
function checkPageV1(page: Uint8Array, n: number, levels: Levels, encoding: string, type: string): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const at = { offset: 0 };
  for (const max of [levels.rep, levels.max]) {
    if (max === 0) continue;
    const len = view.getUint32(at.offset, true);
    at.offset += 4;
    const end = at.offset + len;
    checkHybrid(view, at, bitWidth(max), n);
    at.offset = end;
  }
  if (encoding.endsWith('_DICTIONARY') || encoding === 'RLE') {
    if (type === 'BOOLEAN') at.offset += 4;
    const bits = type === 'BOOLEAN' ? 1 : view.getUint8(at.offset++);
    if (bits > 0) checkHybrid(view, at, bits, n);
  }
}

/** Checks the run lists of a version 2 data page (levels; dictionary indices, decompressed for it). */
function checkPageV2(page: Uint8Array, header: PageHeader, n: number, levels: Levels, decoder: ColumnDecoder): void {
  const h2 = header.data_page_header_v2!;
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (levels.rep > 0) checkHybrid(view, { offset: 0 }, bitWidth(levels.rep), n);
  if (levels.max > 0) checkHybrid(view, { offset: h2.repetition_levels_byte_length }, bitWidth(levels.max), n);
  const skip = h2.repetition_levels_byte_length + h2.definition_levels_byte_length;
  if (!(h2.encoding.endsWith('_DICTIONARY') || h2.encoding === 'RLE') || page.length <= skip) return;
  const rest = page.subarray(skip);
  const values = h2.is_compressed === false ?
    rest :
    decompressPage(rest, header.uncompressed_page_size - skip, decoder.codec, decoder.compressors);
  const v = new DataView(values.buffer, values.byteOffset, values.byteLength);
  const bits = decoder.type === 'BOOLEAN' ? 1 : v.getUint8(0);
  if (bits > 0) checkHybrid(v, { offset: decoder.type === 'BOOLEAN' ? 4 : 1 }, bits, n);
}

/**
 * @internal Decodes the pages in `bytes` (one column chunk) for rows [t.a, t.b) of its row group into `t.out`.
 * Returns the items per row. Errors from hyparquet (corrupt pages) propagate as they are.
 */
export function decodeChunk(bytes: Uint8Array, decoder: ColumnDecoder, levels: Levels, t: Target,
  numValues: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: 0 };
  const flat = levels.repeated === levels.max && levels.list === levels.max;
  const { out, a, b, stride, col, fail } = t;
  let width = t.width;
  let dictionary: DecodedArray | undefined;
  let row = -1;
  let item = 0;
  const endRow = () => {
    if (Number.isNaN(width)) width = item;
    if (row >= a && item !== width) fail(row, `holds ${item} values, not ${width} like the others`);
  };
  while (reader.offset < bytes.length && row < b) {
    const header = parquetHeader(reader);
    const size = header.compressed_page_size;
    if (size < 0 || reader.offset + size > bytes.length) {
      throw new Error(`page of ${size} bytes at byte ${reader.offset} runs past its column chunk`);
    }
    const page = bytes.subarray(reader.offset, reader.offset + size);
    reader.offset += size;
    const count = header.dictionary_page_header?.num_values ?? header.data_page_header?.num_values ??
      header.data_page_header_v2?.num_values ?? 0;
    if (!(count >= 0 && count <= Math.min(MAX_PAGE_VALUES, numValues) &&
      header.uncompressed_page_size <= MAX_PAGE_BYTES)) {
      throw new Error(
        `a page says it holds ${count} values (${header.uncompressed_page_size} bytes decompressed) in a ` +
          `column chunk of ${numValues}`,
      );
    }
    if (header.type === 'DICTIONARY_PAGE') {
      const dict = decompressPage(page, header.uncompressed_page_size, decoder.codec, decoder.compressors);
      const r = { view: new DataView(dict.buffer, dict.byteOffset, dict.byteLength), offset: 0 };
      dictionary = convert(
        readPlain(r, decoder.type, header.dictionary_page_header!.num_values, decoder.element.type_length),
        decoder,
      );
      continue;
    }
    const v1 = header.type === 'DATA_PAGE' ? header.data_page_header : undefined;
    if (v1 === undefined && header.type !== 'DATA_PAGE_V2') continue;
    const n = v1?.num_values ?? header.data_page_header_v2!.num_values;
    if (flat && row + n < a) {
      row += n;
      continue;
    }
    let raw: Uint8Array | undefined;
    if (v1) {
      raw = decompressPage(page, header.uncompressed_page_size, decoder.codec, decoder.compressors);
      checkPageV1(raw, n, levels, v1.encoding, decoder.type);
    } else {
      checkPageV2(page, header, n, levels, decoder);
    }
    const { definitionLevels: defs, repetitionLevels: reps, dataPage } = raw ?
      readDataPage(raw, v1!, decoder) :
      readDataPageV2(page, header, decoder);
    const converted = convertWithDictionary(dataPage, dictionary, (v1 ?? header.data_page_header_v2!).encoding,
      decoder) as ArrayLike<unknown>;
    const values = isFloat16(decoder.schemaPath.at(-1)!.element) ? halfBits(converted) : converted;
    if (flat && stride === 1 && values.length === n && ArrayBuffer.isView(values) && ArrayBuffer.isView(out)) {
      if (row >= 0) endRow();
      const first = row + 1;
      const [lo, hi] = [Math.max(a, first), Math.min(b, first + n)];
      if (hi > lo) (out as Float64Array).set((values as Float64Array).subarray(lo - first, hi - first), lo - a + col);
      [row, item] = first + n > b ? [b, 0] : [first + n - 1, 1];
      continue;
    }
    const hasDefs = defs !== undefined && defs.length > 0;
    let vi = 0;
    for (let i = 0; i < n; i++) {
      const def = hasDefs ? defs[i]! : levels.max;
      if (reps.length === 0 || reps[i] === 0) {
        if (row >= 0) endRow();
        if (++row >= b) break;
        item = 0;
      }
      if (def === levels.max) {
        const v = values[vi++];
        if (row >= a && item < width) out[(row - a) * stride + col + item] = v;
        item++;
      } else if (row >= a) {
        if (def < levels.list) fail(row, nullDetail);
        if (def >= levels.repeated) fail(row, `item ${item} ${nullDetail}`);
      }
    }
  }
  if (row < b) {
    if (row >= a) endRow();
    if (row + 1 < b) throw new Error(`the column chunk holds ${row + 1} rows, not ${b}`);
  }
  return width;
}
