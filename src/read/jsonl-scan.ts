/**
 * A byte-level reader of one JSON Lines line: checks the whole line is one JSON object (as `JSON.parse` would
 * accept it) and reads the asked fields straight from the bytes, skipping the rest. It gives up (returns false)
 * on anything not plainly right, and the caller then reads the line with `JSON.parse` (and its messages).
 *
 * @module
 */

/** Exact powers of ten as doubles (10^22 is the largest). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Relative distance from a float32 rounding boundary that decides a float32 from an approximate double. */
const F32_MARGIN = 2 ** -45;

/** @internal One field a line is read for: where its value goes (`out[row]`, or `width` items from `row * width`). */
export interface FieldTarget {
  /** The field's name, and as UTF-8 bytes. */
  name: string;
  key: Uint8Array;
  holds: 'number' | 'string' | 'array';
  width: number;
  /** Numbers must be int32 integers (labels). */
  int: boolean;
  out: Float64Array | Float32Array | Int32Array | string[];
  row: number;
}

/** Nesting of the values skipped: 1 for an object, 0 for an array, by level. */
let stack = new Uint8Array(64);
/** Where the last number read ends, and the last key; whether the last string had escapes or non-ASCII bytes. */
let end = 0;
let keyEnd = 0;
let wide = false;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

function skipSpace(d: Buffer, i: number, e: number): number {
  while (i < e && isSpace(d[i]!)) i++;
  return i;
}

/** The end of the JSON string opening at `i` (after its closing quote), or -1; sets `wide`. */
function stringEnd(d: Buffer, i: number, e: number): number {
  wide = false;
  for (i++; i < e; i++) {
    const c = d[i]!;
    if (c === 34) return i + 1;
    if (c < 32) return -1;
    if (c >= 128) wide = true;
    else if (c === 92) {
      wide = true;
      const n = d[++i];
      if (n === 117) {
        if (i + 4 >= e) return -1;
        for (let k = 1; k <= 4; k++) {
          const h = d[i + k]!;
          if (!(isDigit(h) || ((h | 32) >= 97 && (h | 32) <= 102))) return -1;
        }
        i += 4;
      } else if (!(n === 34 || n === 92 || n === 47 || n === 98 || n === 102 || n === 110 || n === 114 || n === 116)) {
        return -1;
      }
    }
  }
  return -1;
}

/**
 * @internal The JSON number starting at `i` (before `e`), NaN when the text there is not one; `end` is set after it.
 * Up to 15 significant digits and a decimal exponent within 22 it is one correctly rounded operation on exact
 * operands (Clinger's fast path), otherwise `Number` of the text: the same double as `JSON.parse` either way.
 * `f32`: the number is wanted as float32 only; up to 19 digits and an exponent within 44 it may then be the float32
 * value of `JSON.parse`'s double, from an approximation y (within 2^-49 of the decimal, as is that double) whose
 * float32 rounding is the same over y * (1 +- 2^-45): no float32 rounding boundary lies between the two.
 */
export function jsonNumber(d: Buffer, i: number, e: number, f32 = false): number {
  const a = i;
  if (d[i] === 45) i++;
  let m = 0;
  let sig = 0;
  let scale = 0;
  let x = 0;
  let k = i < e ? d[i]! - 48 : -1;
  if (k < 0 || k > 9) return NaN;
  if (k > 0) {
    for (m = k, sig = 1, i++; i < e && (k = d[i]! - 48) >= 0 && k <= 9; i++, sig++) m = m * 10 + k;
  } else i++;
  if (i < e && d[i] === 46) {
    const f = ++i;
    for (; i < e && (k = d[i]! - 48) >= 0 && k <= 9; i++, scale--) {
      m = m * 10 + k;
      if (m > 0) sig++;
    }
    if (i === f) return NaN;
  }
  if (i < e && (d[i] === 101 || d[i] === 69)) {
    const minus = d[++i] === 45;
    if (minus || d[i] === 43) i++;
    const f = i;
    for (; i < e && (k = d[i]! - 48) >= 0 && k <= 9; i++) if (x < 1e6) x = x * 10 + k;
    if (i === f) return NaN;
    if (minus) x = -x;
  }
  end = i;
  const p = x + scale;
  const sign = d[a] === 45 ? -1 : 1;
  if (sig <= 15 && p >= -22 && p <= 22) return sign * (p >= 0 ? m * POW10[p]! : m / POW10[-p]!);
  if (f32 && sig <= 19 && p >= -44 && p <= 44) {
    const q = p >= 0 ? p : -p;
    const a1 = POW10[q > 22 ? 22 : q]!;
    const a2 = POW10[q > 22 ? q - 22 : 0]!;
    const y = sign * (p >= 0 ? m * a1 * a2 : m / a1 / a2);
    const f = Math.fround(y);
    if (Math.fround(y * (1 + F32_MARGIN)) === f && Math.fround(y * (1 - F32_MARGIN)) === f) return f;
  }
  return Number(d.toString('latin1', a, i));
}

/** The end of the JSON value starting at `i`, or -1 when it is not valid JSON; iterative, any depth. */
function skipValue(d: Buffer, i: number, e: number): number {
  let depth = 0;
  for (;;) {
    const c = d[i];
    if (i >= e) return -1;
    if (c === 123 || c === 91) {
      i = skipSpace(d, i + 1, e);
      if (d[i] === c + 2 && i < e) i++;
      else {
        if (depth === stack.length) {
          const grown = new Uint8Array(2 * depth);
          grown.set(stack);
          stack = grown;
        }
        stack[depth++] = c === 123 ? 1 : 0;
        if (c === 123 && (i = memberValue(d, i, e)) < 0) return -1;
        continue;
      }
    } else if (c === 34) {
      if ((i = stringEnd(d, i, e)) < 0) return -1;
    } else if (c === 45 || isDigit(c!)) {
      if (Number.isNaN(jsonNumber(d, i, e))) return -1;
      i = end;
    } else {
      const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : '';
      for (let k = 0; k < word.length; k++, i++) if (i >= e || d[i] !== word.charCodeAt(k)) return -1;
      if (word === '') return -1;
    }
    for (;;) {
      if (depth === 0) return i;
      i = skipSpace(d, i, e);
      const obj = stack[depth - 1] === 1;
      if (i < e && d[i] === 44) {
        i = skipSpace(d, i + 1, e);
        if (obj && (i = memberValue(d, i, e)) < 0) return -1;
        break;
      }
      if (i >= e || d[i] !== (obj ? 125 : 93)) return -1;
      i++;
      depth--;
    }
  }
}

/** After `"key" :` at `i` (spaces skipped): where the member's value starts, or -1. */
function memberValue(d: Buffer, i: number, e: number): number {
  if (i >= e || d[i] !== 34 || (i = stringEnd(d, i, e)) < 0) return -1;
  keyEnd = i - 1;
  i = skipSpace(d, i, e);
  return i < e && d[i] === 58 ? skipSpace(d, i + 1, e) : -1;
}

/** The field whose key is bytes [a, b) (without quotes, `wide` as `stringEnd` left it), or undefined. */
function fieldOf(d: Buffer, a: number, b: number, fields: FieldTarget[]): FieldTarget | undefined {
  if (wide) {
    const name = JSON.parse(d.toString('utf8', a - 1, b + 1)) as string;
    return fields.find((f) => f.name === name);
  }
  next: for (const f of fields) {
    if (f.key.length !== b - a) continue;
    for (let k = 0; k < f.key.length; k++) if (f.key[k] !== d[a + k]) continue next;
    return f;
  }
  return undefined;
}

/** Reads field `f`'s value starting at `i` into its row; the end of the value, or -1 when it is not as expected. */
function readField(f: FieldTarget, d: Buffer, i: number, e: number): number {
  if (f.holds === 'string') {
    const b = d[i] === 34 ? stringEnd(d, i, e) : -1;
    if (b < 0) return -1;
    (f.out as string[])[f.row] = wide ?
      JSON.parse(d.toString('utf8', i, b)) as string :
      d.toString('latin1', i + 1, b - 1);
    return b;
  }
  const out = f.out as Float64Array;
  if (f.holds === 'number') {
    const x = jsonNumber(d, i, e, out instanceof Float32Array);
    if (!Number.isFinite(x) || (f.int && !(Number.isInteger(x) && x >= -2147483648 && x <= 2147483647))) return -1;
    out[f.row] = x;
    return end;
  }
  if (d[i] !== 91) return -1;
  i = skipSpace(d, i + 1, e);
  const f32 = out instanceof Float32Array;
  for (let j = 0, o = f.row * f.width; j < f.width; j++) {
    const x = jsonNumber(d, i, e, f32);
    if (!Number.isFinite(x)) return -1;
    out[o + j] = x;
    i = skipSpace(d, end, e);
    if (j < f.width - 1) {
      if (i >= e || d[i] !== 44) return -1;
      i = skipSpace(d, i + 1, e);
    }
  }
  return i < e && d[i] === 93 ? i + 1 : -1;
}

/**
 * @internal Reads bytes [s, e) as one JSON object, each of `fields` into its row: true when the line is valid JSON
 * and every field is there holding what it should (the last of duplicated keys counts); false otherwise.
 * A field's value is read in place; one that is not as expected is skipped (a later duplicate may be).
 */
export function readLine(d: Buffer, s: number, e: number, fields: FieldTarget[]): boolean {
  let i = skipSpace(d, s, e);
  if (i >= e || d[i] !== 123) return false;
  i = skipSpace(d, i + 1, e);
  let seen = 0;
  if (i < e && d[i] === 125) i++;
  else {
    for (;;) {
      const k = i;
      if ((i = memberValue(d, i, e)) < 0) return false;
      const f = fieldOf(d, k + 1, keyEnd, fields);
      const read = f === undefined ? -1 : readField(f, d, i, e);
      if (f !== undefined) seen = read < 0 ? seen & ~(1 << fields.indexOf(f)) : seen | (1 << fields.indexOf(f));
      if ((i = read < 0 ? skipValue(d, i, e) : read) < 0) return false;
      i = skipSpace(d, i, e);
      if (i < e && d[i] === 44) {
        i = skipSpace(d, i + 1, e);
        continue;
      }
      if (i >= e || d[i] !== 125) return false;
      i++;
      break;
    }
  }
  return skipSpace(d, i, e) === e && seen === (1 << fields.length) - 1;
}
