/**
 * Reader and writer for the NumPy `.npy` format, versions 1.0, 2.0 and 3.0.
 *
 * Isomorphic: uses no Node built-ins, so it runs in the browser as well.
 * Format reference: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * @module
 */
import { widenHalves } from '../format/half.js';

/**
 * Any typed array `parseNpy` can return or `encodeNpy` can write.
 *
 * @example
 * const data: NumericArray = new Float32Array([0.5, 1.5]);
 */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/**
 * A parsed `.npy` array.
 *
 * @example
 * const arr: NpyArray = parseNpy(bytes, 'logits.npy');
 * const [rows, cols] = arr.shape; // e.g. [1000, 10]
 * const first = arr.data[0];      // row 0, column 0
 */
export interface NpyArray {
  /** The dtype descriptor as written in the header, e.g. `'<f4'`, `'>i8'`, `'|u1'`, `'|b1'`, `'<f2'`. */
  descr: string;
  /** `'f'` float, `'i'` signed integer, `'u'` unsigned integer, `'b'` bool. */
  kind: 'f' | 'i' | 'u' | 'b';
  /** Size of one element in the file, in bytes (2 for `'<f2'`, although `data` holds float32). */
  itemSize: number;
  /** Dimensions; `[]` for a scalar (one element). */
  shape: number[];
  /** `fortran_order` as in the header. */
  fortranOrder: boolean;
  /** Row-major (C order) data in native (little) endian. Fortran-order 2-D input is transposed into C order here. float16 ('f2') is widened to Float32Array; bool ('|b1') becomes Uint8Array of 0/1. */
  data: NumericArray;
}

/**
 * Any failure to read or parse a `.npy` file. The message names the file and,
 * where known, the byte offset of the problem.
 *
 * @example
 * try {
 *   parseNpy(bytes, 'labels.npy');
 * } catch (e) {
 *   if (e instanceof NpyError) console.error(e.message); // "labels.npy: byte 10: header is not a Python dict literal: ..."
 * }
 */
export class NpyError extends Error {
  /** The file name given to the parser (`'<buffer>'` by default). */
  readonly file: string;
  /** Byte offset in the file where the problem was found, if known. */
  readonly offset: number | undefined;
  /** The message without the `file: byte N: ` prefix. */
  readonly detail: string;

  /**
   * @example
   * throw new NpyError('a.npy', 6, 'unsupported .npy format version 4.0');
   */
  constructor(file: string, offset: number | undefined, detail: string, options?: { cause?: unknown }) {
    super(offset === undefined ? `${file}: ${detail}` : `${file}: byte ${offset}: ${detail}`, options);
    this.name = 'NpyError';
    this.file = file;
    this.offset = offset;
    this.detail = detail;
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

type Kind = NpyArray['kind'];

interface DType {
  kind: Kind;
  itemSize: number;
  bigEndian: boolean;
}

type TypedCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  new (length: number): NumericArray;
};

function ctorFor(kind: Kind, itemSize: number): TypedCtor {
  const c =
    kind === 'f'
      ? itemSize === 4 ? Float32Array : itemSize === 8 ? Float64Array : undefined
      : kind === 'i'
        ? itemSize === 1 ? Int8Array : itemSize === 2 ? Int16Array : itemSize === 4 ? Int32Array : itemSize === 8 ? BigInt64Array : undefined
        : itemSize === 1 ? Uint8Array : itemSize === 2 ? Uint16Array : itemSize === 4 ? Uint32Array : itemSize === 8 ? BigUint64Array : undefined;
  if (c === undefined) throw new Error(`internal: no typed array for ${kind}${itemSize}`);
  return c as unknown as TypedCtor;
}

// ---------------------------------------------------------------------------
// Header literal parser: a strict subset of Python literal syntax.

type PyValue =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number; src: string }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'tuple'; v: PyValue[] }
  | { t: 'list'; v: PyValue[] }
  | { t: 'dict'; v: Array<[PyValue, PyValue]> };

class HeaderSyntaxError extends Error {
  constructor(readonly pos: number, message: string) {
    super(message);
  }
}

class LiteralParser {
  pos = 0;
  constructor(readonly s: string) {}

  fail(msg: string, pos = this.pos): never {
    throw new HeaderSyntaxError(pos, msg);
  }

  ws(): void {
    while (this.pos < this.s.length && /[ \t\r\n]/.test(this.s[this.pos]!)) this.pos++;
  }

  peek(): string | undefined {
    return this.s[this.pos];
  }

  describeHere(): string {
    if (this.pos >= this.s.length) return 'end of header';
    return JSON.stringify(this.s.slice(this.pos, this.pos + 12).trimEnd());
  }

  value(depth: number): PyValue {
    if (depth > 32) this.fail('nesting too deep');
    this.ws();
    const c = this.peek();
    if (c === undefined) this.fail('unexpected end of header, expected a value');
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.seq(depth, '(', ')');
    if (c === '[') return this.seq(depth, '[', ']');
    if (c === "'" || c === '"') return { t: 'str', v: this.str() };
    if (/[-+0-9.]/.test(c)) return this.num();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos, this.pos + 64));
    if (m) {
      const w = m[0];
      if (w === 'True' || w === 'False') {
        this.pos += w.length;
        return { t: 'bool', v: w === 'True' };
      }
      if (w === 'None') {
        this.pos += w.length;
        return { t: 'none' };
      }
      this.fail(`unexpected name ${JSON.stringify(w)} (only literals are allowed)`);
    }
    this.fail(`unexpected ${this.describeHere()}`);
  }

  dict(depth: number): PyValue {
    this.pos++;
    const out: Array<[PyValue, PyValue]> = [];
    for (;;) {
      this.ws();
      if (this.peek() === '}') {
        this.pos++;
        return { t: 'dict', v: out };
      }
      const k = this.value(depth + 1);
      this.ws();
      if (this.peek() !== ':') this.fail(`expected ':' after dict key, got ${this.describeHere()}`);
      this.pos++;
      const v = this.value(depth + 1);
      out.push([k, v]);
      this.ws();
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c !== '}') this.fail(`expected ',' or '}' in dict, got ${this.describeHere()}`);
    }
  }

  seq(depth: number, open: string, close: string): PyValue {
    this.pos++;
    const out: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.ws();
      if (this.peek() === close) {
        this.pos++;
        break;
      }
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.peek();
      if (c === ',') {
        this.pos++;
        sawComma = true;
      } else if (c !== close) this.fail(`expected ',' or '${close}', got ${this.describeHere()}`);
    }
    if (open === '[') return { t: 'list', v: out };
    // A parenthesised single value without a comma is not a tuple in Python.
    if (out.length === 1 && !sawComma) return out[0]!;
    return { t: 'tuple', v: out };
  }

  str(): string {
    const q = this.s[this.pos]!;
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string literal', start);
      this.pos++;
      if (c === q) return out;
      if (c === '\\') {
        const e = this.s[this.pos];
        this.pos++;
        if (e === '\\' || e === "'" || e === '"') out += e;
        else if (e === 'n') out += '\n';
        else if (e === 't') out += '\t';
        else this.fail(`unsupported escape \\${e ?? ''} in string literal`, this.pos - 2);
      } else out += c;
    }
  }

  num(): PyValue {
    const start = this.pos;
    const m = /^[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:[eE][-+]?\d+)?[lL]?/.exec(this.s.slice(this.pos, this.pos + 400));
    const tok = m?.[0] ?? '';
    if (!/\d/.test(tok)) this.fail(`bad number ${this.describeHere()}`);
    this.pos += tok.length;
    if (/^[-+]?\d[\d_]*[lL]?$/.test(tok)) {
      // Python 2 wrote long ints with an 'L' suffix, e.g. (3L, 4L).
      return { t: 'int', v: BigInt(tok.replace(/[_lL]/g, '').replace(/^\+/, '')) };
    }
    if (/[lL]$/.test(tok)) this.fail(`bad number ${JSON.stringify(tok)}`, start);
    return { t: 'float', v: Number(tok.replace(/_/g, '')), src: tok };
  }
}

function pyRepr(v: PyValue): string {
  switch (v.t) {
    case 'str':
      return `'${v.v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'int':
      return v.v.toString();
    case 'float':
      return v.src;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.v.length === 1 ? `(${pyRepr(v.v[0]!)},)` : `(${v.v.map(pyRepr).join(', ')})`;
    case 'list':
      return `[${v.v.map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${v.v.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
}

function clip(s: string, n = 80): string {
  return s.length <= n ? s : `${s.slice(0, n)}...`;
}

// ---------------------------------------------------------------------------
// dtype descriptors

function parseDescr(descr: string, fail: (msg: string) => never): DType {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)(\[\w+\])?$/.exec(descr);
  if (!m) fail(`unsupported dtype ${JSON.stringify(descr)}: not a simple dtype descriptor`);
  const order = m[1]!;
  const code = m[2]!;
  const size = m[3] === '' ? undefined : Number(m[3]);
  if (m[4] !== undefined && code !== 'M' && code !== 'm') fail(`unsupported dtype ${JSON.stringify(descr)}: not a simple dtype descriptor`);
  const names: Record<string, string> = {
    c: 'complex',
    O: 'object (pickled Python objects)',
    U: 'unicode string',
    S: 'byte string',
    a: 'byte string',
    V: 'void/raw bytes',
    M: 'datetime64',
    m: 'timedelta64',
  };
  let kind: Kind;
  let allowed: number[];
  if (code === 'f') {
    kind = 'f';
    allowed = [2, 4, 8];
  } else if (code === 'i') {
    kind = 'i';
    allowed = [1, 2, 4, 8];
  } else if (code === 'u') {
    kind = 'u';
    allowed = [1, 2, 4, 8];
  } else if (code === 'b' || code === '?') {
    kind = 'b';
    allowed = [1];
  } else {
    const what = names[code];
    fail(
      `unsupported dtype ${JSON.stringify(descr)}` +
        (what ? ` (${what})` : '') +
        '; supported: float16/32/64 (f2, f4, f8), int8..int64 (i1..i8), uint8..uint64 (u1..u8), bool (b1)',
    );
  }
  const itemSize = size ?? (kind === 'b' ? 1 : NaN);
  if (!allowed.includes(itemSize)) {
    fail(`unsupported dtype ${JSON.stringify(descr)}: ${kind === 'f' ? 'float' : kind === 'b' ? 'bool' : 'integer'} of ${size ?? '?'} bytes (supported sizes: ${allowed.join(', ')})`);
  }
  if (order === '=' && itemSize > 1) {
    fail(`unsupported dtype ${JSON.stringify(descr)}: native byte order '=' is ambiguous in a file; expected '<' or '>'`);
  }
  if (order === '|' && itemSize > 1) {
    fail(`invalid dtype ${JSON.stringify(descr)}: byte order '|' is only valid for 1-byte types`);
  }
  return { kind, itemSize, bigEndian: order === '>' };
}

// ---------------------------------------------------------------------------
// Data conversion helpers

/** Copies `count` items of `itemSize` bytes into a fresh buffer, reversing the bytes of each item if `swap`. */
function copyItems(src: Uint8Array, itemSize: number, count: number, swap: boolean): ArrayBuffer {
  const out = new Uint8Array(count * itemSize);
  if (!swap || itemSize === 1) {
    out.set(src.subarray(0, count * itemSize));
    return out.buffer;
  }
  for (let i = 0, o = 0; i < count; i++, o += itemSize) {
    for (let b = 0; b < itemSize; b++) out[o + b] = src[o + itemSize - 1 - b]!;
  }
  return out.buffer;
}

/** Permutes Fortran-order (column-major) data into C order (row-major). */
function fortranToC<T extends NumericArray>(src: T, shape: readonly number[], ctor: TypedCtor): T {
  const n = src.length;
  const out = new ctor(n) as T;
  const nd = shape.length;
  if (n === 0) return out;
  if (nd === 2) {
    const r = shape[0]!;
    const c = shape[1]!;
    const s = src as unknown as { [i: number]: number | bigint };
    const d = out as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) d[i * c + j] = s[j * r + i]!;
    return out;
  }
  const fstride: number[] = [];
  let acc = 1;
  for (let k = 0; k < nd; k++) {
    fstride.push(acc);
    acc *= shape[k]!;
  }
  const idx = new Array<number>(nd).fill(0);
  const s = src as unknown as { [i: number]: number | bigint };
  const d = out as unknown as { [i: number]: number | bigint };
  let f = 0;
  for (let c = 0; c < n; c++) {
    d[c] = s[f]!;
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]!++;
      f += fstride[k]!;
      if (idx[k]! < shape[k]!) break;
      f -= fstride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** Permutes C-order data into Fortran order. */
function cToFortran(src: NumericArray, shape: readonly number[]): NumericArray {
  const nd = shape.length;
  const out = new (src.constructor as TypedCtor)(src.length);
  if (src.length === 0) return out;
  const cstride: number[] = new Array<number>(nd);
  let acc = 1;
  for (let k = nd - 1; k >= 0; k--) {
    cstride[k] = acc;
    acc *= shape[k]!;
  }
  const idx = new Array<number>(nd).fill(0);
  const s = src as unknown as { [i: number]: number | bigint };
  const d = out as unknown as { [i: number]: number | bigint };
  let c = 0;
  for (let f = 0; f < src.length; f++) {
    d[f] = s[c]!;
    for (let k = 0; k < nd; k++) {
      idx[k]!++;
      c += cstride[k]!;
      if (idx[k]! < shape[k]!) break;
      c -= cstride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * A shape as numpy prints it (and as a `.npy` header writes it).
 *
 * @example
 * shapeText([3, 4]); // '(3, 4)'
 * shapeText([3]);    // '(3,)'
 * shapeText([]);     // '()'
 */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function hexPreview(bytes: Uint8Array, n: number): string {
  const head = bytes.subarray(0, n);
  const hex = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hex} ("${text}")${bytes.length > n ? ' ...' : ''}`;
}

// ---------------------------------------------------------------------------

/**
 * The header of a `.npy` file: everything needed to locate and decode its data.
 *
 * @example
 * const h: NpyHeader = parseNpyHeader(firstBytes, 'logits.npy', fileSize);
 * h.shape;      // [1000000, 1000]
 * h.dataOffset; // 128
 * h.dataBytes;  // 4000000000
 */
export interface NpyHeader {
  /** The dtype descriptor as written in the header, e.g. `'<f4'`, `'>i8'`, `'|b1'`. */
  descr: string;
  /** `'f'` float, `'i'` signed integer, `'u'` unsigned integer, `'b'` bool. */
  kind: 'f' | 'i' | 'u' | 'b';
  /** Size of one element in the file, in bytes (2 for `'<f2'`). */
  itemSize: number;
  /** Dimensions; `[]` for a scalar (one element). */
  shape: number[];
  /** `fortran_order` as in the header. */
  fortranOrder: boolean;
  /** Byte offset of the data in the file. */
  dataOffset: number;
  /** Size of the data in bytes: product(shape) * itemSize. */
  dataBytes: number;
  /** Whether multi-byte items are stored big-endian (descr starts with `'>'`). */
  bigEndian: boolean;
}

/**
 * Parses the preamble and header of a `.npy` file (format 1.0, 2.0 or 3.0)
 * from its first bytes, without touching the data.
 *
 * `bytes` must hold at least the whole header (`dataOffset` bytes); the data
 * may be absent. When `fileSize` is given, it must equal
 * `dataOffset + dataBytes`, otherwise the same error as {@link parseNpy} gives
 * for short or long data is thrown.
 *
 * @param bytes the start of the file, at least up to the end of the header
 * @param file name used in error messages; defaults to `'<buffer>'`
 * @param fileSize the size of the whole file, if known, to validate the data size
 * @throws NpyError on a malformed or unsupported header (`"truncated header: ..."`
 *   when `bytes` ends inside it) or a file size that does not match
 * @example
 * const head = new Uint8Array(4096);
 * const { bytesRead } = await fh.read(head, 0, 4096, 0);
 * const h = parseNpyHeader(head.subarray(0, bytesRead), 'logits.npy', (await fh.stat()).size);
 * // h.descr '<f4', h.shape [1000, 10], h.dataOffset 128, h.dataBytes 40000
 */
export function parseNpyHeader(bytes: Uint8Array, file = '<buffer>', fileSize?: number): NpyHeader {
  const fail: (offset: number | undefined, msg: string) => never = (offset, msg) => {
    throw new NpyError(file, offset, msg);
  };
  const len = bytes.length;
  if (len === 0) fail(0, 'file is empty (0 bytes); expected a .npy file starting with \\x93NUMPY');
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= len) fail(len, `truncated preamble: file is ${len} bytes, starting like the .npy magic \\x93NUMPY but too short for it`);
    if (bytes[i] !== MAGIC[i]) fail(0, `not a .npy file: expected magic \\x93NUMPY, got ${hexPreview(bytes, 8)}`);
  }
  if (len < 8) fail(len, `truncated preamble: file is ${len} bytes, the version number needs 8`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    fail(6, `unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lenSize;
  if (len < headerStart) {
    fail(len, `truncated preamble: file is ${len} bytes, the version ${major}.0 header length field needs ${headerStart}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = lenSize === 2 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataOffset = headerStart + headerLen;
  if (fileSize !== undefined && dataOffset > fileSize) {
    fail(8, `truncated header: header length field says ${headerLen} bytes, but only ${Math.max(0, fileSize - headerStart)} bytes follow the preamble`);
  }
  if (dataOffset > len) {
    fail(
      8,
      `truncated header: header length field says ${headerLen} bytes, but only ${len - headerStart} bytes follow the preamble` +
        (fileSize !== undefined ? ` in the ${len} bytes given (file is ${fileSize} bytes)` : ''),
    );
  }
  const headerBytes = bytes.subarray(headerStart, dataOffset);
  let header: string;
  if (major === 3) {
    try {
      header = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      fail(headerStart, 'header is not valid UTF-8 (required by format version 3.0)');
    }
  } else {
    header = '';
    for (let i = 0; i < headerBytes.length; i += 4096) {
      header += String.fromCharCode(...headerBytes.subarray(i, i + 4096));
    }
  }
  const offsetOf = (pos: number): number =>
    headerStart + (major === 3 ? new TextEncoder().encode(header.slice(0, pos)).length : pos);

  const p = new LiteralParser(header);
  let dict: PyValue;
  try {
    dict = p.value(0);
    p.ws();
    if (p.pos < header.length) p.fail(`unexpected ${p.describeHere()} after the dict`);
  } catch (e) {
    if (e instanceof HeaderSyntaxError) {
      fail(offsetOf(e.pos), `header is not a Python dict literal: ${e.message}: ${JSON.stringify(clip(header.trimEnd()))}`);
    }
    throw e;
  }
  if (dict.t !== 'dict') {
    fail(headerStart, `header is not a Python dict literal: got ${clip(pyRepr(dict))}`);
  }
  const entries = new Map<string, PyValue>();
  for (const [k, v] of dict.v) {
    if (k.t !== 'str') fail(headerStart, `header dict has a non-string key ${clip(pyRepr(k))}`);
    entries.set(k.v, v);
  }
  const missing = ['descr', 'fortran_order', 'shape'].filter((k) => !entries.has(k));
  if (missing.length > 0) {
    fail(headerStart, `header dict is missing key${missing.length > 1 ? 's' : ''} ${missing.map((k) => `'${k}'`).join(', ')}: ${clip(pyRepr(dict))}`);
  }
  const extra = [...entries.keys()].filter((k) => k !== 'descr' && k !== 'fortran_order' && k !== 'shape');
  if (extra.length > 0) {
    fail(headerStart, `header dict has unexpected key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} (expected exactly 'descr', 'fortran_order', 'shape')`);
  }

  const descrV = entries.get('descr')!;
  if (descrV.t === 'list') fail(headerStart, `unsupported dtype: structured dtype ${clip(pyRepr(descrV))} (only plain numeric dtypes are supported)`);
  if (descrV.t !== 'str') fail(headerStart, `'descr' must be a string, got ${clip(pyRepr(descrV))}`);
  const descr = descrV.v;
  const dtype = parseDescr(descr, (m) => fail(headerStart, m));

  const foV = entries.get('fortran_order')!;
  if (foV.t !== 'bool') fail(headerStart, `'fortran_order' must be True or False, got ${clip(pyRepr(foV))}`);
  const fortranOrder = foV.v;

  const shapeV = entries.get('shape')!;
  if (shapeV.t !== 'tuple') {
    fail(headerStart, `bad shape tuple: 'shape' must be a tuple of non-negative integers, got ${clip(pyRepr(shapeV))}`);
  }
  const shape: number[] = [];
  let count = 1n;
  for (const [i, d] of shapeV.v.entries()) {
    if (d.t !== 'int') {
      fail(headerStart, `bad shape tuple ${clip(pyRepr(shapeV))}: dimension ${i} is ${clip(pyRepr(d))}, not an integer`);
    }
    if (d.v < 0n) fail(headerStart, `bad shape tuple ${clip(pyRepr(shapeV))}: dimension ${i} is negative (${d.v})`);
    count *= d.v;
    if (d.v > BigInt(Number.MAX_SAFE_INTEGER) || count > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail(headerStart, `bad shape tuple ${clip(pyRepr(shapeV))}: element count exceeds Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER})`);
    }
    shape.push(Number(d.v));
  }
  const expectedBytes = count * BigInt(dtype.itemSize);
  if (fileSize !== undefined) {
    const actualBytes = fileSize - dataOffset;
    if (expectedBytes !== BigInt(actualBytes)) {
      const extraNote = BigInt(actualBytes) > expectedBytes ? ` (${BigInt(actualBytes) - expectedBytes} extra trailing bytes)` : '';
      fail(dataOffset, `header says shape ${shapeText(shape)} of ${descr} = ${expectedBytes} bytes of data, file has ${actualBytes}${extraNote}`);
    }
  }
  if (expectedBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(headerStart, `bad shape tuple ${clip(pyRepr(shapeV))}: data size in bytes exceeds Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER})`);
  }
  return {
    descr,
    kind: dtype.kind,
    itemSize: dtype.itemSize,
    shape,
    fortranOrder,
    dataOffset,
    dataBytes: Number(expectedBytes),
    bigEndian: dtype.bigEndian,
  };
}

/**
 * Converts the raw item bytes of (part of) a `.npy` file's data, as laid out in
 * the file, into a native-endian typed array: big-endian items are
 * byte-swapped, float16 is widened to `Float32Array` (kept as its raw bits in a
 * `Uint16Array` with `options.halves`), bool becomes a `Uint8Array` of 0/1.
 * Element order is not changed (no Fortran transpose).
 *
 * Copies only when needed: little-endian data whose `raw.byteOffset` is
 * aligned to the item size, and bool data holding only 0 and 1, are returned
 * as views into `raw.buffer`.
 *
 * @param header the file's header (only `kind`, `itemSize` and `bigEndian` are used)
 * @param raw whole items; `raw.length` must be a multiple of `header.itemSize`
 * @param options `halves`: float16 items come as their bits (a Uint16Array), for the GPU to read as they are
 * @throws RangeError if `raw.length` is not a multiple of the item size
 * @example
 * const h = parseNpyHeader(head, 'logits.npy', size);
 * const raw = new Uint8Array(rows * rowLength * h.itemSize);
 * await fh.read(raw, 0, raw.length, h.dataOffset);
 * const chunk = decodeNpyItems(h, raw) as Float32Array; // a view of raw for '<f4'
 */
export function decodeNpyItems(header: Pick<NpyHeader, 'kind' | 'itemSize' | 'bigEndian'>, raw: Uint8Array, options: { halves?: boolean } = {}): NumericArray {
  const { kind, itemSize } = header;
  if (raw.length % itemSize !== 0) {
    throw new RangeError(`decodeNpyItems: ${raw.length} bytes is not a whole number of ${itemSize}-byte items`);
  }
  const n = raw.length / itemSize;
  const swap = header.bigEndian && itemSize > 1;
  if (kind === 'f' && itemSize === 2) {
    const bits = !swap && raw.byteOffset % 2 === 0 ? new Uint16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(copyItems(raw, 2, n, swap));
    return options.halves ? bits : widenHalves(bits, 'float16');
  }
  if (kind === 'b') {
    let clean = true;
    for (let i = 0; i < n; i++) {
      if (raw[i]! > 1) {
        clean = false;
        break;
      }
    }
    if (clean) return raw;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = raw[i] ? 1 : 0;
    return b;
  }
  const ctor = ctorFor(kind, itemSize);
  if (!swap && raw.byteOffset % itemSize === 0) return new ctor(raw.buffer, raw.byteOffset, n);
  return new ctor(copyItems(raw, itemSize, n, swap), 0, n);
}

/**
 * Permutes Fortran-order (column-major) elements into C order (row-major),
 * into a fresh array of the same type. Arrays with fewer than two dimensions
 * are the same in both orders and are copied unchanged.
 *
 * @param data all elements of the array, column-major
 * @param shape the array's shape; its product must equal `data.length`
 * @throws RangeError if the shape does not match `data.length`
 * @example
 * fortranToCOrder(Int32Array.of(1, 4, 2, 5, 3, 6), [2, 3]); // Int32Array [1, 2, 3, 4, 5, 6]
 */
export function fortranToCOrder<T extends NumericArray>(data: T, shape: readonly number[]): T {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`fortranToCOrder: shape ${shapeText(shape)} needs ${count} elements, data has ${data.length}`);
  }
  if (shape.length < 2) return data.slice() as T;
  return fortranToC(data, shape, data.constructor as TypedCtor);
}

/**
 * Parses a `.npy` file (format 1.0, 2.0 or 3.0) from its bytes.
 *
 * Little-endian data whose offset is aligned to the item size is returned as a
 * view into `bytes.buffer` (no copy); big-endian, unaligned, float16, bool and
 * Fortran-order data are copied into a fresh native array.
 *
 * @param bytes the whole file
 * @param file name used in error messages; defaults to `'<buffer>'`
 * @throws NpyError on any malformed or unsupported input
 * @example
 * const arr = parseNpy(new Uint8Array(await (await fetch('logits.npy')).arrayBuffer()), 'logits.npy');
 * arr.shape;            // [1000, 10]
 * arr.data;             // Float32Array(10000)
 */
export function parseNpy(bytes: Uint8Array, file = '<buffer>'): NpyArray {
  const h = parseNpyHeader(bytes, file, bytes.length);
  let data = decodeNpyItems(h, bytes.subarray(h.dataOffset, h.dataOffset + h.dataBytes));
  if (h.fortranOrder && h.shape.length > 1) {
    data = fortranToC(data, h.shape, data.constructor as TypedCtor);
  }
  return { descr: h.descr, kind: h.kind, itemSize: h.itemSize, shape: h.shape, fortranOrder: h.fortranOrder, data };
}

function descrFor(data: NumericArray, bigEndian: boolean): string {
  const e = bigEndian ? '>' : '<';
  if (data instanceof Float32Array) return `${e}f4`;
  if (data instanceof Float64Array) return `${e}f8`;
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return `${e}i2`;
  if (data instanceof Int32Array) return `${e}i4`;
  if (data instanceof BigInt64Array) return `${e}i8`;
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return `${e}u2`;
  if (data instanceof Uint32Array) return `${e}u4`;
  if (data instanceof BigUint64Array) return `${e}u8`;
  throw new TypeError('encodeNpy: unsupported array type');
}

/**
 * Encodes a typed array as a `.npy` file, format version 1.0, with the header
 * padded to a 64-byte boundary exactly as `numpy.save` does (same bytes as
 * numpy writes for the same dtype, shape and order).
 *
 * `data` is always given in C order (row-major), like {@link NpyArray.data};
 * with `fortranOrder: true` the elements are written column-major and the
 * header says `'fortran_order': True`. A `Uint8Array` is written as `'|u1'`
 * (not bool).
 *
 * @throws RangeError if `data.length` does not match the product of `shape`,
 *   or the shape has a negative or non-integer dimension
 * @example
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * parseNpy(bytes).shape; // [2, 3]
 * const be = encodeNpy(new Int32Array([7, 8]), [2], { bigEndian: true }); // descr '>i4'
 */
export function encodeNpy(
  data: NumericArray,
  shape: number[],
  opts: { bigEndian?: boolean; fortranOrder?: boolean } = {},
): Uint8Array {
  const bigEndian = opts.bigEndian ?? false;
  const fortranOrder = opts.fortranOrder ?? false;
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`encodeNpy: bad dimension ${d} in shape [${shape.join(', ')}]`);
    count *= d;
  }
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] needs ${count} elements, data has ${data.length}`);
  }
  const descr = descrFor(data, bigEndian);
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText(shape)}, }`;
  if (shape.length > 0) {
    const growth = String(shape[fortranOrder ? shape.length - 1 : 0]);
    dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - growth.length));
  }
  const hlen = dict.length + 1;
  const padlen = ARRAY_ALIGN - ((10 + hlen) % ARRAY_ALIGN);
  const header = dict + ' '.repeat(padlen) + '\n';
  if (header.length > 0xffff) throw new RangeError('encodeNpy: header too long for format 1.0');
  const ordered = fortranOrder && shape.length > 1 ? cToFortran(data, shape) : data;
  const itemSize = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(10 + header.length + data.length * itemSize);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const src = new Uint8Array(ordered.buffer, ordered.byteOffset, ordered.byteLength);
  const body = out.subarray(10 + header.length);
  if (bigEndian && itemSize > 1) body.set(new Uint8Array(copyItems(src, itemSize, data.length, true)));
  else body.set(src);
  return out;
}
