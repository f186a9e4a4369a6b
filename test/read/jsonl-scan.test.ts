import { describe, expect, it } from 'vitest';
import { type FieldTarget, jsonNumber, readLine } from '../../src/read/jsonl-scan.js';
import { rng } from '../helpers/random.js';

const rand = rng(2016);
const pick = (n: number): number => Math.floor(rand() * n);
const digits = (n: number, lead = false): string =>
  Array.from({ length: n }, (_, k) => String(k === 0 && lead ? 1 + pick(9) : pick(10))).join('');

/** jsonNumber of the whole text, or undefined when the text is not one JSON number (as a line's member checks). */
function parse(text: string): number | undefined {
  const line = Buffer.from(`{"z": ${text}, "y": 0}`);
  const f: FieldTarget = { name: 'y', key: Buffer.from('y'), holds: 'number', width: 1, int: false,
    out: new Float64Array(1), row: 0 };
  const x = jsonNumber(Buffer.from(text), 0, Buffer.byteLength(text));
  return readLine(line, 0, line.length, [f]) ? x : undefined;
}

/** A random decimal text in JSON's grammar: sign, 0 or a 1-20 digit integer, 0-20 fraction digits, an exponent. */
function randomNumber(): string {
  const int = rand() < 0.2 ? '0' : digits(1 + pick(20), true);
  const frac = rand() < 0.5 ? `.${digits(1 + pick(20))}` : '';
  const exp = rand() < 0.5 ? `${rand() < 0.5 ? 'e' : 'E'}${['', '+', '-'][pick(3)]}${digits(1 + pick(3))}` : '';
  return `${rand() < 0.3 ? '-' : ''}${int}${frac}${exp}`;
}

describe('jsonNumber', () => {
  it('equals JSON.parse bit for bit at the fast path edges', () => {
    const edges = ['0', '-0', '-0.0', '0e-999', '1e22', '1e23', '-1e22', '9e22', '0.1', '0.3', '1.7976931348623157e308',
      '1.7976931348623159e308', '5e-324', '2.4703282292062327e-324', '2.4703282292062328e-324', '9007199254740993',
      '9007199254740992', '999999999999999', '9999999999999999', '123456789012345e-22', '123456789012345e22',
      '1234567890123456e-22', '0.000001', '1e-7', '1e999', '-1e999', '100000000000000000000000', '1.5e-22', '4.35e-23',
      '0.1e-22', '10e21', '0.0000000000000000000001', '1E+2', '1e+0022', '2.2250738585072011e-308'];
    for (const t of edges) expect([t, parse(t)]).toEqual([t, JSON.parse(t)]);
    for (const t of edges) expect(Object.is(parse(t), JSON.parse(t))).toBe(true);
  });

  it('equals JSON.parse bit for bit on 30,000 random decimal texts', () => {
    let fast = 0;
    for (let k = 0; k < 30_000; k++) {
      const t = randomNumber();
      const want = JSON.parse(t) as number;
      const got = parse(t);
      if (!Object.is(got, want)) expect([t, got]).toEqual([t, want]);
      if (t.replace(/^-|e.*$/i, '').replace('.', '').replace(/^0+/, '').length <= 15) fast++;
    }
    expect(fast).toBeGreaterThan(5000);
  });

  it('as float32 (logits): the float32 of JSON.parse, on random 16-19 digit texts and texts at float32 midpoints', () => {
    const f32 = (t: string): number => jsonNumber(Buffer.from(t), 0, Buffer.byteLength(t), true);
    const bits = new Uint32Array(1);
    const asF32 = new Float32Array(bits.buffer);
    let [approximated, fellBack] = [0, 0];
    for (let k = 0; k < 30_000; k++) {
      bits[0] = (Math.floor(rand() * 0x7f000000) | (rand() < 0.5 ? 0x80000000 : 0)) >>> 0;
      const f = asF32[0]!;
      bits[0]++;
      const mid = (f + asF32[0]!) / 2;
      const t = k % 3 === 0 ?
        randomNumber() :
        k % 3 === 1 ?
        (mid * (1 + (rand() - 0.5) * 2 ** -50)).toPrecision(17 + pick(3)) :
        `${rand() < 0.5 ? '-' : ''}${digits(16 + pick(4), true)}e${-30 + pick(40)}`;
      const [got, want] = [f32(t), Math.fround(JSON.parse(t) as number)];
      if (!Object.is(Math.fround(got), want)) expect([t, got]).toEqual([t, want]);
      const double = JSON.parse(t) as number;
      if (got !== double) approximated++;
      else if (k % 3 === 1 && double !== Math.fround(double)) fellBack++;
    }
    expect(approximated).toBeGreaterThan(10_000);
    expect(fellBack).toBeGreaterThan(1000);
  });

  it('refuses what JSON does not allow: +1, .5, 1., 01, -, 1e, 1e+, 0x1, Infinity, NaN', () => {
    for (const t of ['+1', '.5', '1.', '01', '-', '1e', '1e+', '0x1', 'Infinity', '-Infinity', 'NaN', '1.e3', '--1',
      '1 2']) {
      expect([t, parse(t)]).toEqual([t, undefined]);
      expect(() => JSON.parse(t)).toThrow();
    }
  });
});

const target = (name: string, holds: FieldTarget['holds'], width = 1, int = false): FieldTarget => ({ name,
  key: Buffer.from(name), holds, width, int, out: holds === 'string' ? [] : new Float64Array(width), row: 0 });

/** readLine on `text` (utf8) for the fields; the values read, or undefined when it gave up. */
function read(text: string | Buffer, fields: FieldTarget[]): unknown[] | undefined {
  const d = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (const f of fields) f.out = f.holds === 'string' ? [] : new Float64Array(f.width + 2).fill(7);
  if (!readLine(Buffer.concat([d, Buffer.from('\n')]), 0, d.length, fields)) return undefined;
  return fields.map((f) => (f.holds === 'array' ? Array.from(f.out as Float64Array).slice(0, f.width) : f.out[0]));
}

/** What JSON.parse gives for the fields, undefined when readLine should give up (invalid, missing, other types). */
function oracle(text: string, fields: FieldTarget[]): unknown[] | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out = [];
  for (const f of fields) {
    const x = Object.hasOwn(v, f.name) ? v[f.name] : undefined;
    const num = (y: unknown): boolean => typeof y === 'number' && Number.isFinite(y);
    const ok = f.holds === 'string' ?
      typeof x === 'string' :
      f.holds === 'number' ?
      num(x) && (!f.int || (Number.isInteger(x) && (x as number) >= -(2 ** 31) && (x as number) < 2 ** 31)) :
      Array.isArray(x) && x.length === f.width && x.every(num);
    if (!ok) return undefined;
    out.push(x);
  }
  return out;
}

/** Both agree: read where JSON.parse reads the fields (the same values, bit for bit), give up where it does not. */
function agree(text: string, fields: FieldTarget[]): boolean {
  const got = read(text, fields);
  const want = oracle(text, fields);
  const same = (a: unknown, b: unknown): boolean =>
    Array.isArray(a) ? Array.isArray(b) && a.length === b.length && a.every((x, k) => same(x, b[k])) : Object.is(a, b);
  if (!same(got, want)) expect([text, got]).toEqual([text, want]);
  return got !== undefined;
}

/** A random JSON value (as text), nested up to `depth`; strings with escapes, surrogates and non-ASCII text. */
function randomValue(depth: number): string {
  const k = pick(depth > 0 ? 8 : 6);
  if (k === 0) return randomNumber();
  if (k === 1) return randomString();
  if (k === 2) return ['true', 'false', 'null'][pick(3)]!;
  if (k <= 5) return `[${Array.from({ length: pick(4) }, randomNumber).join(pick(2) ? ',' : ' , ')}]`;
  if (k === 6) return `[${Array.from({ length: pick(4) }, () => randomValue(depth - 1)).join(',')}]`;
  return `{${Array.from({ length: pick(4) }, () => `${randomString()}:${randomValue(depth - 1)}`).join(',')}}`;
}

function randomString(): string {
  const parts = ['a', 'y', 'x', 's', 'é', '日本', '😀', '\\"', '\\\\', '\\/', '\\b\\f\\n\\r\\t', '\\u0041', '\\u00e9',
    '\\ud83d\\ude00', '\\ud800', '\\uDC00', '\u2028', ' ', '{', ']', ',', ':'];
  return `"${Array.from({ length: pick(4) }, () => parts[pick(parts.length)]).join('')}"`;
}

describe('readLine', () => {
  it('reads numbers, strings and arrays with spaces, escapes, duplicates and other fields skipped', () => {
    const [y, x, s] = [target('y', 'number', 1, true), target('x', 'array', 3), target('s', 'string')];
    expect(read('{"y": 3, "x": [0.5, -1e3, 2], "s": "a\\"b"}', [y, x, s])).toEqual([3, [0.5, -1000, 2], 'a"b']);
    expect(read(' \t{ "z" : {"q": [[], {}, [1, {"r": null}]]} ,"y":-0, "\\u0079": 4 }\r\t', [y])).toEqual([4]);
    expect(read('{"s": "\\ud83d\\ude00 é \\u00e9", "s": "日本"}', [s])).toEqual(['日本']);
    expect(read('{"s": "\\ud800"}', [s])).toEqual(['\ud800']);
    expect(read('{"y": 3.0}', [y])).toEqual([3]);
    for (const bad of ['{"y": 3.5}', '{"y": 2147483648}', '{"y": "3"}', '{"y": 3,}', '{"y": 3} x', '{"y" 3}', '{y: 3}',
      '[{"y": 3}]', '{"y": 3, "z": [1,]}', '{"y": 3, "z": "\u0001"}', '{"y": 3, "z": "\\x"}',
      '{"y": 3, "z": "\\u12G4"}', '{"y": 3, "z": "\\u\u00104"}', '{"y": 3, "z": "\\u\u001000a"}', '{"y": 3, "z": tru}',
      '{"y": 3, "z": {"a" 1}}', '{"y": 3, "z": [}', '{"z": 3}', '{"y": 3, "z": [1 2]}', '{"y": 3, "z": {"a": 1,}}',
      '{"y": 1e400}', '{"y": 3}}', '{"y": 3']) {
      expect([bad, read(bad, [y])]).toEqual([bad, undefined]);
    }
  });

  it('agrees with JSON.parse on 20,000 random lines and on 20,000 with bytes changed', () => {
    const fields = [target('y', 'number'), target('x', 'array', 2), target('s', 'string')];
    let [read, mutatedRead] = [0, 0];
    const bytes = [...'{}[],:"\\ \r\t0-.eEnNaIu+'].map((c) => c.charCodeAt(0)).concat([0, 1, 0x1f, 0x7f]);
    for (let k = 0; k < 20_000; k++) {
      const members = [`"y": ${randomNumber()}`, `"x": [${randomNumber()}, ${randomNumber()}]`,
        `"s": ${randomString()}`, `${randomString()}: ${randomValue(3)}`, `"x": ${randomValue(2)}`];
      const line = `{${members.filter(() => rand() < 0.8).sort(() => rand() - 0.5).join(pick(2) ? ',' : ' ,\t')}}`;
      for (const f of [[fields[0]!], [fields[1]!], [fields[2]!], fields]) if (agree(line, f)) read++;
      const b = Buffer.from(line);
      for (let m = 1 + pick(2); m > 0; m--) b[pick(b.length)] = bytes[pick(bytes.length)]!;
      const mutated = b.toString('latin1');
      if (agree(mutated, [fields[pick(3)]!])) mutatedRead++;
    }
    expect(read).toBeGreaterThan(5000);
    expect(mutatedRead).toBeGreaterThan(500);
  });

  it('agrees with JSON.parse on the reader fuzz lines (seed 16), and skips 100,000 levels of nesting', () => {
    const r16 = rng(16);
    const base = Buffer.from('{"y": 1, "x": [0.5, -1e3, 2], "s": "a\\"b"}');
    const bytes = [...'{}[],:"\\ \n\r0-.eEnNaI'].map((c) => c.charCodeAt(0)).concat([0, 0xff, 0xc3]);
    for (let k = 0; k < 3000; k++) {
      const b = Buffer.from(base);
      for (let m = 1 + Math.floor(r16() * 3); m > 0; m--) {
        b[Math.floor(r16() * b.length)] = bytes[Math.floor(r16() * bytes.length)]!;
      }
      for (const f of [target('y', 'number', 1, true), target('x', 'array', 3), target('s', 'string')]) {
        if (!b.includes(10)) agree(b.toString('utf8'), [f]);
      }
    }
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(read(`{"z": ${deep}, "w": {"a": ${deep}}, "y": 1}`, [target('y', 'number')])).toEqual([1]);
    expect(read(`{"z": ${deep.slice(1)}, "y": 1}`, [target('y', 'number')])).toBeUndefined();
  });

  it('reads invalid UTF-8 in strings and keys as the decoder does (U+FFFD), as JSON.parse of the decoded line', () => {
    const s = target('s', 'string');
    const line = Buffer.concat([Buffer.from('{"\xff": 1, "s": "a'), Buffer.from([0xc3, 0xff, 0xe6, 0x97]),
      Buffer.from('"}')]);
    expect(read(line, [s])).toEqual([JSON.parse(line.toString('utf8')).s]);
    expect(read(Buffer.from('{"\ufffd": 2}'), [target('\ufffd', 'number')])).toEqual([2]);
    const raw = Buffer.concat([Buffer.from('{"'), Buffer.from([0xff]), Buffer.from('": 2}')]);
    expect(read(raw, [target('\ufffd', 'number')])).toEqual([2]);
  });
});
