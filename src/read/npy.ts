/**
 * Reader and writer for the NumPy `.npy` format, versions 1.0, 2.0 and 3.0. Isomorphic: no Node built-ins.
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
export type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/**
 * A parsed `.npy` array.
 *
 * @example
 * const arr: NpyArray = parseNpy(bytes, 'logits.npy');
 * const [rows, cols] = arr.shape; // e.g. [1000, 10]
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
  /** C-order data, native endian: float16 widened to Float32Array, bool as a 0/1 Uint8Array. */
  data: NumericArray;
}

/**
 * Any failure to read or parse a `.npy` file: the message names the file and, where known, the byte offset.
 *
 * @example
 * throw new NpyError('a.npy', 6, 'unsupported .npy format version 4.0'); // "a.npy: byte 6: unsupported ..."
 */
export class NpyError extends Error {
  /** The message without the `file: byte N: ` prefix. */
  readonly detail: string;

  /**
   * @example
   * throw new NpyError('a.npy', 6, 'unsupported .npy format version 4.0');
   */
  constructor(readonly file: string, readonly offset: number | undefined, detail: string,
    options?: { cause?: unknown }) {
    super(offset === undefined ? `${file}: ${detail}` : `${file}: byte ${offset}: ${detail}`, options);
    this.name = 'NpyError';
    this.detail = detail;
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

type Kind = NpyArray['kind'];
type TypedCtor = { new(buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  new(length: number): NumericArray };
type Indexable = { [i: number]: number | bigint };

const TYPED: Record<string, TypedCtor> = { f4: Float32Array, f8: Float64Array, i1: Int8Array, i2: Int16Array,
  i4: Int32Array, i8: BigInt64Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array,
  u8: BigUint64Array } as unknown as Record<string, TypedCtor>;

// Header literal parser: a strict subset of Python literal syntax.

type PyValue = { t: 'str'; v: string } | { t: 'int'; v: bigint } | { t: 'float'; v: number; src: string } | { t: 'bool';
  v: boolean } | { t: 'none' } | { t: 'tuple' | 'list'; v: PyValue[] } | { t: 'dict'; v: Array<[PyValue, PyValue]> };

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

  /** Skips whitespace; returns the next character. */
  ws(): string | undefined {
    while (this.pos < this.s.length && /[ \t\r\n]/.test(this.s[this.pos]!)) this.pos++;
    return this.s[this.pos];
  }

  here(): string {
    const next = this.s.slice(this.pos, this.pos + 12).trimEnd();
    return this.pos >= this.s.length ? 'end of header' : JSON.stringify(next);
  }

  value(depth: number): PyValue {
    if (depth > 32) this.fail('nesting too deep');
    const c = this.ws();
    if (c === undefined) this.fail('unexpected end of header, expected a value');
    if (c === '{') return this.dict(depth);
    if (c === '(' || c === '[') return this.seq(depth, c);
    if (c === "'" || c === '"') return { t: 'str', v: this.str() };
    if (/[-+0-9.]/.test(c)) return this.num();
    const w = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos, this.pos + 64))?.[0];
    if (w === undefined) this.fail(`unexpected ${this.here()}`);
    if (w !== 'True' && w !== 'False' && w !== 'None') {
      this.fail(`unexpected name ${JSON.stringify(w)} (only literals are allowed)`);
    }
    this.pos += w.length;
    return w === 'None' ? { t: 'none' } : { t: 'bool', v: w === 'True' };
  }

  /** Comma-separated items after the opening bracket, up to `close`; returns whether there was a comma. */
  items(close: string, what: string, item: () => void): boolean {
    this.pos++;
    let comma = false;
    for (;;) {
      if (this.ws() === close) {
        this.pos++;
        return comma;
      }
      item();
      const c = this.ws();
      if (c === ',') {
        this.pos++;
        comma = true;
      } else if (c !== close) this.fail(`expected ',' or ${what}, got ${this.here()}`);
    }
  }

  dict(depth: number): PyValue {
    const v: Array<[PyValue, PyValue]> = [];
    this.items('}', "'}' in dict", () => {
      const k = this.value(depth + 1);
      if (this.ws() !== ':') this.fail(`expected ':' after dict key, got ${this.here()}`);
      this.pos++;
      v.push([k, this.value(depth + 1)]);
    });
    return { t: 'dict', v };
  }

  seq(depth: number, open: string): PyValue {
    const close = open === '(' ? ')' : ']';
    const v: PyValue[] = [];
    const comma = this.items(close, `'${close}'`, () => v.push(this.value(depth + 1)));
    if (open === '[') return { t: 'list', v };
    // A parenthesised single value without a comma is not a tuple in Python.
    return v.length === 1 && !comma ? v[0]! : { t: 'tuple', v };
  }

  str(): string {
    const q = this.s[this.pos]!;
    const start = this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string literal', start);
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      if (e === '\\' || e === "'" || e === '"') out += e;
      else if (e === 'n' || e === 't') out += e === 'n' ? '\n' : '\t';
      else this.fail(`unsupported escape \\${e ?? ''} in string literal`, this.pos - 2);
    }
  }

  num(): PyValue {
    const start = this.pos;
    const m = /^[-+]?(?:\d[\d_]*)?(?:\.\d*)?(?:[eE][-+]?\d+)?[lL]?/.exec(this.s.slice(this.pos, this.pos + 400));
    const tok = m?.[0] ?? '';
    if (!/\d/.test(tok)) this.fail(`bad number ${this.here()}`);
    this.pos += tok.length;
    // Python 2 wrote long ints with an 'L' suffix, e.g. (3L, 4L).
    if (/^[-+]?\d[\d_]*[lL]?$/.test(tok)) return { t: 'int', v: BigInt(tok.replace(/[_lL]/g, '').replace(/^\+/, '')) };
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

const clip = (s: string, n = 80): string => (s.length <= n ? s : `${s.slice(0, n)}...`);

const SIZES: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1], '?': [1] };
const OTHER_KINDS: Record<string, string> = { c: 'complex', O: 'object (pickled Python objects)', U: 'unicode string',
  S: 'byte string', a: 'byte string', V: 'void/raw bytes', M: 'datetime64', m: 'timedelta64' };

/** A string dtype (`'<U5'`: 5 UTF-32 code points; `'|S5'`: 5 bytes), or undefined for any other code. */
function stringDescr(q: string, order: string, code: string, digits: string, fail: (msg: string) => never): ItemType
  | undefined {
  if (code !== 'U' && code !== 'S' && code !== 'a') return undefined;
  const n = Number(digits);
  if (digits === '' || n < 1) fail(`unsupported dtype ${q}: a string dtype needs a length of 1 or more`);
  const unit = code === 'U' ? 4 : 1;
  if (order === '=' && unit > 1) fail(`unsupported dtype ${q}: native byte order '=' is ambiguous in a file`);
  return { kind: 's', itemSize: n * unit, bigEndian: order === '>', chars: code === 'U' ? 'U' : 'S' };
}

/** What a dtype descriptor says of the items. */
type ItemType = { kind: Kind | 's'; itemSize: number; bigEndian: boolean; chars?: 'U' | 'S' };

function parseDescr(descr: string, fail: (msg: string) => never, strings: boolean): ItemType {
  const q = JSON.stringify(descr);
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)(\[\w+\])?$/.exec(descr);
  const simple = m && (m[4] === undefined || m[2] === 'M' || m[2] === 'm');
  if (!simple) fail(`unsupported dtype ${q}: not a simple dtype descriptor`);
  const [, order, code, digits] = m as unknown as [string, string, string, string];
  const str = strings ? stringDescr(q, order, code, digits, fail) : undefined;
  if (str) return str;
  const allowed = SIZES[code];
  if (allowed === undefined) {
    const what = OTHER_KINDS[code];
    fail(
      `unsupported dtype ${q}${what ? ` (${what})` : ''}` +
        '; supported: float16/32/64 (f2, f4, f8), int8..int64 (i1..i8), uint8..uint64 (u1..u8), bool (b1)',
    );
  }
  const kind = code === '?' ? 'b' : (code as Kind);
  const size = digits === '' ? undefined : Number(digits);
  const itemSize = size ?? (kind === 'b' ? 1 : NaN);
  if (!allowed.includes(itemSize)) {
    const name = kind === 'f' ? 'float' : kind === 'b' ? 'bool' : 'integer';
    fail(`unsupported dtype ${q}: ${name} of ${size ?? '?'} bytes (supported sizes: ${allowed.join(', ')})`);
  }
  if (order === '=' && itemSize > 1) {
    fail(`unsupported dtype ${q}: native byte order '=' is ambiguous in a file; expected '<' or '>'`);
  }
  if (order === '|' && itemSize > 1) fail(`invalid dtype ${q}: byte order '|' is only valid for 1-byte types`);
  return { kind, itemSize, bigEndian: order === '>' };
}

/** Copies `count` items of `itemSize` bytes into a fresh buffer, reversing the bytes of each item if `swap`. */
function copyItems(src: Uint8Array, itemSize: number, count: number, swap: boolean): ArrayBuffer {
  const out = src.slice(0, count * itemSize);
  if (swap && itemSize > 1) {
    for (let o = 0; o < out.length; o += itemSize) {
      for (let b = 0; b < itemSize; b++) out[o + b] = src[o + itemSize - 1 - b]!;
    }
  }
  return out.buffer;
}

/** A shape as numpy prints it (and a `.npy` header writes it): `(3, 4)`, `(3,)`. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** @internal Bytes in hex, space-separated: '1f 8b'. */
export const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** @internal The first `n` bytes in hex and as text, with ` ...` after when `more`: '50 4b ("PK")'. */
export function hexPreview(bytes: Uint8Array, n: number, more = bytes.length > n): string {
  const head = bytes.subarray(0, n);
  const text = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hexBytes(head)} ("${text}")${more ? ' ...' : ''}`;
}

/** @internal Where the header dict starts and its length, from a valid preamble in `head`; else undefined. */
export function npyHeaderSpan(head: Uint8Array): { start: number; length: number } | undefined {
  if (head.length < 12 || MAGIC.some((b, i) => head[i] !== b) || head[7] !== 0) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head[6] === 1) return { start: 10, length: dv.getUint16(8, true) };
  return head[6] === 2 || head[6] === 3 ? { start: 12, length: dv.getUint32(8, true) } : undefined;
}

/** The header of a `.npy` file: everything needed to locate and decode its data. */
export interface NpyHeader extends Omit<NpyArray, 'data' | 'kind'> {
  /** As in {@link NpyArray}, or `'s'` for a string dtype (`'<U5'`, `'|S5'`: read through `openArray`). */
  kind: Kind | 's';
  /** For `kind: 's'`: `'U'` UTF-32 code points or `'S'` bytes (`itemSize` is bytes either way). */
  chars?: 'U' | 'S';
  /** Byte offset of the data in the file. */
  dataOffset: number;
  /** Size of the data in bytes: product(shape) * itemSize. */
  dataBytes: number;
  /** Whether multi-byte items are stored big-endian (descr starts with `'>'`). */
  bigEndian: boolean;
}

/**
 * Parses the preamble and header of a `.npy` file from its first bytes (at least the whole header),
 * without touching the data; with `fileSize`, checks it equals `dataOffset + dataBytes`; with `strings`, str and
 * bytes dtypes (`<U5`, `|S5`) are read as `kind: 's'` (else refused).
 *
 * @throws NpyError on a malformed or unsupported header, or a file size that does not match
 */
export function parseNpyHeader(bytes: Uint8Array, file = '<buffer>', fileSize?: number, strings = false): NpyHeader {
  const fail: (offset: number | undefined, msg: string) => never = (offset, msg) => {
    throw new NpyError(file, offset, msg);
  };
  const len = bytes.length;
  const short = `truncated preamble: file is ${len} bytes`;
  if (len === 0) fail(0, 'file is empty (0 bytes); expected a .npy file starting with \\x93NUMPY');
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= len) fail(len, `${short}, starting like the .npy magic \\x93NUMPY but too short for it`);
    if (bytes[i] !== MAGIC[i]) fail(0, `not a .npy file: expected magic \\x93NUMPY, got ${hexPreview(bytes, 8)}`);
  }
  if (len < 8) fail(len, `${short}, the version number needs 8`);
  const [major, minor] = [bytes[6]!, bytes[7]!];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    fail(6, `unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const headerStart = major === 1 ? 10 : 12;
  if (len < headerStart) fail(len, `${short}, the version ${major}.0 header length field needs ${headerStart}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataOffset = headerStart + headerLen;
  const says = `truncated header: header length field says ${headerLen} bytes, but only`;
  if (fileSize !== undefined && dataOffset > fileSize) {
    fail(8, `${says} ${Math.max(0, fileSize - headerStart)} bytes follow the preamble`);
  }
  if (dataOffset > len) {
    const given = fileSize !== undefined ? ` in the ${len} bytes given (file is ${fileSize} bytes)` : '';
    fail(8, `${says} ${len - headerStart} bytes follow the preamble${given}`);
  }
  const headerBytes = bytes.subarray(headerStart, dataOffset);
  let header = '';
  if (major === 3) {
    try {
      header = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      fail(headerStart, 'header is not valid UTF-8 (required by format version 3.0)');
    }
  } else {
    for (let i = 0; i < headerBytes.length; i += 4096) {
      header += String.fromCharCode(...headerBytes.subarray(i, i + 4096));
    }
  }

  const p = new LiteralParser(header);
  let dict: PyValue;
  try {
    dict = p.value(0);
    p.ws();
    if (p.pos < header.length) p.fail(`unexpected ${p.here()} after the dict`);
  } catch (e) {
    if (!(e instanceof HeaderSyntaxError)) throw e;
    const at = headerStart + (major === 3 ? new TextEncoder().encode(header.slice(0, e.pos)).length : e.pos);
    fail(at, `header is not a Python dict literal: ${e.message}: ${JSON.stringify(clip(header.trimEnd()))}`);
  }
  const bad: (msg: string) => never = (msg) => fail(headerStart, msg);
  if (dict.t !== 'dict') bad(`header is not a Python dict literal: got ${clip(pyRepr(dict))}`);
  const entries = new Map<string, PyValue>();
  for (const [k, v] of dict.v) {
    if (k.t !== 'str') bad(`header dict has a non-string key ${clip(pyRepr(k))}`);
    entries.set(k.v, v);
  }
  const keys = ['descr', 'fortran_order', 'shape'];
  const plural = (xs: string[]): string => `${xs.length > 1 ? 's' : ''} ${xs.map((k) => `'${k}'`).join(', ')}`;
  const missing = keys.filter((k) => !entries.has(k));
  if (missing.length > 0) bad(`header dict is missing key${plural(missing)}: ${clip(pyRepr(dict))}`);
  const extra = [...entries.keys()].filter((k) => !keys.includes(k));
  if (extra.length > 0) {
    bad(`header dict has unexpected key${plural(extra)} (expected exactly 'descr', 'fortran_order', 'shape')`);
  }

  const descrV = entries.get('descr')!;
  if (descrV.t === 'list') {
    bad(`unsupported dtype: structured dtype ${clip(pyRepr(descrV))} (only plain numeric dtypes are supported)`);
  }
  if (descrV.t !== 'str') bad(`'descr' must be a string, got ${clip(pyRepr(descrV))}`);
  const descr = descrV.v;
  const dtype = parseDescr(descr, bad, strings);
  const foV = entries.get('fortran_order')!;
  if (foV.t !== 'bool') bad(`'fortran_order' must be True or False, got ${clip(pyRepr(foV))}`);
  const shapeV = entries.get('shape')!;
  if (shapeV.t !== 'tuple') {
    bad(`bad shape tuple: 'shape' must be a tuple of non-negative integers, got ${clip(pyRepr(shapeV))}`);
  }
  const tuple = `bad shape tuple ${clip(pyRepr(shapeV))}`;
  const max = `exceeds Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER})`;
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  const shape: number[] = [];
  let count = 1n;
  for (const [i, d] of shapeV.v.entries()) {
    if (d.t !== 'int') bad(`${tuple}: dimension ${i} is ${clip(pyRepr(d))}, not an integer`);
    const n = d.v;
    if (n < 0n) bad(`${tuple}: dimension ${i} is negative (${n})`);
    count *= n;
    if (n > safe || count > safe) bad(`${tuple}: element count ${max}`);
    shape.push(Number(n));
  }
  const expected = count * BigInt(dtype.itemSize);
  const actual = fileSize === undefined ? expected : BigInt(fileSize - dataOffset);
  if (actual !== expected) {
    const extraNote = actual > expected ? ` (${actual - expected} extra trailing bytes)` : '';
    const says = `header says shape ${shapeText(shape)} of ${descr} = ${expected} bytes of data`;
    fail(dataOffset, `${says}, file has ${actual}${extraNote}`);
  }
  if (expected > safe) bad(`${tuple}: data size in bytes ${max}`);
  return { descr, ...dtype, shape, fortranOrder: foV.v, dataOffset, dataBytes: Number(expected) };
}

/**
 * Converts raw `.npy` item bytes into a native-endian typed array (a view of `raw` when it can):
 * float16 widened to Float32Array (its bits as a Uint16Array with `halves`), bool as 0/1 Uint8Array.
 *
 * @throws RangeError if `raw.length` is not a multiple of the item size
 */
export function decodeNpyItems(header: Pick<NpyHeader, 'kind' | 'itemSize' | 'bigEndian'>, raw: Uint8Array,
  options: { halves?: boolean } = {}): NumericArray {
  const { kind, itemSize } = header;
  if (raw.length % itemSize !== 0) {
    throw new RangeError(`decodeNpyItems: ${raw.length} bytes is not a whole number of ${itemSize}-byte items`);
  }
  const n = raw.length / itemSize;
  const swap = header.bigEndian && itemSize > 1;
  if (kind === 'b') return raw.every((b) => b <= 1) ? raw : raw.map((b) => (b ? 1 : 0));
  const half = kind === 'f' && itemSize === 2;
  const ctor = half ? Uint16Array : TYPED[`${kind}${itemSize}`]!;
  const data = !swap && raw.byteOffset % itemSize === 0 ?
    new ctor(raw.buffer, raw.byteOffset, n) :
    new ctor(copyItems(raw, itemSize, n, swap), 0, n);
  return half && !options.halves ? widenHalves(data as Uint16Array, 'float16') : data;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * @internal Raw items of a string dtype as strings, trailing NULs dropped as numpy does: `'U'` items are UTF-32
 * code points, `'S'` items bytes read as UTF-8; `first` is the index of the first item, for messages.
 *
 * @throws RangeError naming the item that is not a code point or not UTF-8
 */
export function decodeNpyStrings(header: Pick<NpyHeader, 'itemSize' | 'bigEndian' | 'chars'>, raw: Uint8Array,
  first = 0): string[] {
  const { itemSize, bigEndian } = header;
  const n = itemSize === 0 ? 0 : raw.length / itemSize;
  const out = new Array<string>(n);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  for (let i = 0; i < n; i++) {
    const a = i * itemSize;
    if (header.chars === 'S') {
      let e = a + itemSize;
      while (e > a && raw[e - 1] === 0) e--;
      try {
        out[i] = utf8.decode(raw.subarray(a, e));
      } catch {
        throw new RangeError(`item ${first + i}: byte string ${hexBytes(raw.subarray(a, e))} is not UTF-8`);
      }
      continue;
    }
    const cps: number[] = [];
    for (let o = a; o < a + itemSize; o += 4) cps.push(view.getUint32(o, !bigEndian));
    while (cps.length > 0 && cps[cps.length - 1] === 0) cps.pop();
    const bad = cps.find((c) => c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff));
    if (bad !== undefined) throw new RangeError(`item ${first + i}: 0x${bad.toString(16)} is not a Unicode code point`);
    out[i] = String.fromCodePoint(...cps);
  }
  return out;
}

/**
 * Permutes Fortran-order (column-major) elements into C order, into a fresh array of the same type
 * (with the shape reversed, C order into Fortran order).
 *
 * @throws RangeError if the shape does not match `data.length`
 */
export function fortranToCOrder<T extends NumericArray>(src: T, shape: readonly number[]): T {
  const [n, count] = [src.length, shape.reduce((a, b) => a * b, 1)];
  if (count !== n) {
    throw new RangeError(`fortranToCOrder: shape ${shapeText(shape)} needs ${count} elements, data has ${n}`);
  }
  const out = new (src.constructor as TypedCtor)(n) as T;
  const [s, d] = [src as unknown as Indexable, out as unknown as Indexable];
  if (n === 0) return out;
  if (shape.length === 2) {
    const [r, c] = shape as [number, number];
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) d[i * c + j] = s[j * r + i]!;
    return out;
  }
  const fstride: number[] = [];
  for (let k = 0, acc = 1; k < shape.length; acc *= shape[k++]!) fstride.push(acc);
  const idx = new Array<number>(shape.length).fill(0);
  for (let c = 0, f = 0; c < n; c++) {
    d[c] = s[f]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      f += fstride[k]!;
      if (++idx[k]! < shape[k]!) break;
      f -= fstride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** @internal `h`, refused (at `offset`) when of a string dtype: those are read through `openArray` only. */
export function numericHeader<H extends { kind: Kind | 's'; descr: string }>(h: H, file: string, offset?: number): H & {
  kind: Kind;
} {
  if (h.kind !== 's') return h as H & { kind: Kind };
  const what = h.descr.includes('U') ? 'unicode string' : 'byte string';
  throw new NpyError(file, offset,
    `unsupported dtype ${JSON.stringify(h.descr)} (${what}) here: string arrays are read as labels by the CLI ` +
      "(openArray from 'confmat/node'), not as numbers");
}

/**
 * Parses a `.npy` file (format 1.0, 2.0 or 3.0) from its bytes; aligned little-endian C-order data is a view.
 *
 * @throws NpyError on any malformed or unsupported input
 * @example
 * const arr = parseNpy(new Uint8Array(await (await fetch('logits.npy')).arrayBuffer()), 'logits.npy');
 * arr.shape; // [1000, 10]
 */
export function parseNpy(bytes: Uint8Array, file = '<buffer>'): NpyArray {
  const { dataOffset, dataBytes, bigEndian, ...h } = numericHeader(parseNpyHeader(bytes, file, bytes.length), file);
  const data = decodeNpyItems({ ...h, bigEndian }, bytes.subarray(dataOffset, dataOffset + dataBytes));
  return { ...h, data: h.fortranOrder && h.shape.length > 1 ? fortranToCOrder(data, h.shape) : data };
}

/**
 * Encodes C-order `data` as a `.npy` file, format 1.0, byte for byte as `numpy.save` writes it
 * (`fortranOrder` writes the elements column-major; a `Uint8Array` is `'|u1'`).
 *
 * @throws RangeError if `data.length` does not match the product of `shape`, or a dimension is bad
 */
export function encodeNpy(data: NumericArray, shape: number[],
  opts: { bigEndian?: boolean; fortranOrder?: boolean } = {}): Uint8Array {
  const { bigEndian = false, fortranOrder = false } = opts;
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`encodeNpy: bad dimension ${d} in shape [${shape.join(', ')}]`);
    }
    count *= d;
  }
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] needs ${count} elements, data has ${data.length}`);
  }
  const code = Object.keys(TYPED).find((k) => data instanceof TYPED[k]!);
  if (code === undefined) throw new TypeError('encodeNpy: unsupported array type');
  const descr = `${code.endsWith('1') ? '|' : bigEndian ? '>' : '<'}${code}`;
  const order = fortranOrder ? 'True' : 'False';
  let dict = `{'descr': '${descr}', 'fortran_order': ${order}, 'shape': ${shapeText(shape)}, }`;
  if (shape.length > 0) {
    const growth = String(shape[fortranOrder ? shape.length - 1 : 0]);
    dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - growth.length));
  }
  const header = dict + ' '.repeat(ARRAY_ALIGN - ((11 + dict.length) % ARRAY_ALIGN)) + '\n';
  if (header.length > 0xffff) throw new RangeError('encodeNpy: header too long for format 1.0');
  const ordered = fortranOrder && shape.length > 1 ? fortranToCOrder(data, [...shape].reverse()) : data;
  const itemSize = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(10 + header.length + data.length * itemSize);
  out.set([...MAGIC, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const src = new Uint8Array(ordered.buffer, ordered.byteOffset, ordered.byteLength);
  const swapped = bigEndian && itemSize > 1 ? new Uint8Array(copyItems(src, itemSize, data.length, true)) : src;
  out.set(swapped, 10 + header.length);
  return out;
}
