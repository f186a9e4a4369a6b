import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openCsvArray } from '../../src/read/csv.js';
import { rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-csv-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Decimal texts of every shape the byte parser takes or hands back: signs, leading zeros, long mantissas, exponents. */
function numberTexts(seed: number, n: number): string[] {
  const rand = rng(seed);
  const digits = (k: number): string => Array.from({ length: k }, () => String(Math.floor(rand() * 10))).join('');
  const fixed = ['0', '-0', '+0', '0.0', '-0.0', '.5', '5.', '-.5', '007', '1e22', '1e23', '1e-22', '1e-23',
    '9007199254740993', '123456789012345', '1234567890123456', '0.000000000000000000001234', '4.9e-324', '1e308',
    '1.7976931348623157e308', '2.2250738585072014e-308', '3.4028235e38', '1E5', '1e+5', '-1e-5', '00.100',
    '999999999999999e-22', '0.1', '0.2', '0.3'];
  const out = [...fixed];
  while (out.length < n) {
    const sign = ['', '-', '+'][Math.floor(rand() * 3)]!;
    const int = digits(Math.floor(rand() * 18));
    const frac = rand() < 0.7 ? `.${digits(Math.floor(rand() * 18))}` : '';
    const exp = rand() < 0.4 ?
      `${rand() < 0.5 ? 'e' : 'E'}${['', '-', '+'][Math.floor(rand() * 3)]}${Math.floor(rand() * 40)}` :
      '';
    const t = `${sign}${int}${frac}${exp}`;
    if (/\d/.test(t.replace(/[eE].*/, ''))) out.push(t);
  }
  return out;
}

describe('CSV numbers parsed from bytes', () => {
  test.each(['labels', 'none'] as const)('equal Number() of the text, bit for bit (%s)', async (role) => {
    const texts = role === 'labels' ?
      ['0', '-0', '+7', '007', '2147483647', '-2147483648', ' 12 ', '\t3'] :
      numberTexts(7, 20_000);
    const path = join(dir, `numbers-${role}.csv`);
    writeFileSync(path, `${texts.join('\n')}\n`);
    const src = await openCsvArray(path, { role: role === 'labels' ? 'labels' : undefined, spec: path });
    const got: number[] = [];
    for await (const { data } of src.chunks(997)) got.push(...Array.from(data as Float64Array));
    await src.close();
    expect(got.length).toBe(texts.length);
    const same = (g: number, w: number): boolean => (role === 'labels' ? g === w : Object.is(g, w));
    const bad = texts.map((t, i) => [t, got[i]!, Number(t.trim())] as const).filter(([, g, w]) => !same(g, w));
    expect(bad).toEqual([]);
  });

  test('several columns and delimiters equal Number() of each field', async () => {
    const texts = numberTexts(11, 3_000);
    for (const [delim, name] of [[',', 'comma'], ['\t', 'tab'], [';', 'semicolon'], ['  ', 'spaces']] as const) {
      const rows: string[] = [];
      for (let i = 0; i + 3 <= texts.length; i += 3) rows.push(texts.slice(i, i + 3).join(delim));
      const path = join(dir, `cols-${name}.csv`);
      writeFileSync(path, `${rows.join('\r\n')}\r\n`);
      const src = await openCsvArray(path, { spec: path });
      const got: number[] = [];
      for await (const { data } of src.chunks(101)) got.push(...Array.from(data as Float64Array));
      await src.close();
      const want = rows.flatMap((r) => r.split(delim.trim() === '' ? /\s+/ : delim).map(Number));
      expect(got.map((g, i) => Object.is(g, want[i])).every(Boolean), name).toBe(true);
    }
  });
});
