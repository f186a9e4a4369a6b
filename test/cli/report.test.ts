import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confusionMatrix, matrixRows } from '../../src/index.js';
import { encodeNpy } from '../../src/read/npy.js';
import { cpuArgmax } from '../../src/tasks/multiclass/update-cpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const fx = 'test/fixtures/sklearn/digits-mlp';
const digits = ['--logits', `${fx}.logits.npy`, '--labels', `${fx}.labels.npy`];
const expected = JSON.parse(readFileSync('test/fixtures/metrics/sklearn-digits-mlp.json', 'utf8')).expected;
const rel = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-3);

describe('confmat eval reports', () => {
  it('JSON carries the metrics sklearn reports, equal to 1e-9', () => {
    const r = confmat(['eval', ...digits, '--format', 'json', '--backend', 'gpu', '--normalize', 'true']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const k of ['balancedAccuracy', 'kappa', 'mcc', 'accuracy'] as const) {
      expect(rel(out[k], expected[k])).toBe(true);
    }
    for (const k of ['precision', 'recall', 'f1'] as const) {
      expect(rel(out.macroAvg[k], expected.macroAvg[k])).toBe(true);
      expect(rel(out.weightedAvg[k], expected.weightedAvg[k])).toBe(true);
    }
    expect(out.perClass).toHaveLength(10);
    expect(out.topConfusions[0].count).toBeGreaterThanOrEqual(out.topConfusions[1].count);
    expect(out.normalized.mode).toBe('true');
    for (const row of out.normalized.matrix) expect(row.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('class names reach the table, CSV and Markdown', () => {
    const names = join(dir, 'names.txt');
    writeFileSync(names,
      `${['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].join('\n')}\n`);
    const table = confmat(['eval', ...digits, '--classes', names, '--format', 'table', '--backend', 'cpu']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^seven +\|/m);
    expect(table.stdout).toContain('macro avg');
    expect(table.stdout).not.toContain('\x1b[');
    const csv = confmat(['eval', ...digits, '--classes', names, '--format', 'csv', '--backend', 'cpu']).stdout.trim()
      .split('\n');
    expect(csv[0]).toBe('true\\predicted,zero,one,two,three,four,five,six,seven,eight,nine');
    expect(csv.slice(1).map((l) => l.split(',').slice(1).map(Number))).toEqual(
      JSON.parse(readFileSync(`${fx}.json`, 'utf8')).matrix,
    );
    const md = confmat(['eval', ...digits, '--classes', names, '--format', 'markdown', '--backend', 'cpu']).stdout;
    expect(md).toContain('| **nine** |');
    expect(md).toContain('## Classification report');
  });

  it('refuses a names file with the wrong count, naming it', () => {
    const names = join(dir, 'three.json');
    writeFileSync(names, '["a","b","c"]');
    const r = confmat(['eval', ...digits, '--classes', names, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('three.json: 3 class names, but the data has 10 classes');
  });

  it('--out and --plot write whole files, and nothing when the input is bad', () => {
    const out = join(dir, 'r.json');
    for (const ext of ['svg', 'png', 'html']) {
      const plot = join(dir, `h.${ext}`);
      const r = confmat(['eval', ...digits, '--out', out, '--plot', plot, '--backend', 'cpu']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(JSON.parse(readFileSync(out, 'utf8')).total).toBe(899);
      const bytes = readFileSync(plot);
      if (ext === 'png') expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      else expect(bytes.toString().toLowerCase()).toContain(ext === 'svg' ? '<svg' : '<!doctype html>');
    }
    const bad = join(dir, 'bad.labels.npy');
    writeFileSync(bad, encodeNpy(new Int32Array(899).fill(11), [899]));
    const fresh = join(dir, 'fresh.json');
    const r = confmat(['eval', '--logits', `${fx}.logits.npy`, '--labels', bad, '--out', fresh, '--plot',
      join(dir, 'fresh.svg')]);
    expect(r.code).toBe(1);
    expect(existsSync(fresh) || existsSync(join(dir, 'fresh.svg'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a --plot of unknown type before reading anything', () => {
    const r = confmat(['eval', ...digits, '--plot', join(dir, 'h.jpg')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.svg, .png or .html');
  });
});

describe('confmat eval inputs', () => {
  const rand = rng(9);
  const n = 5000;
  const c = 7;
  const logits = makeLogits(rand, n, c, 'special');
  const labels = makeLabels(rand, n, c, Int16Array) as Int16Array;
  const oracle = confusionMatrix({ logits, labels }, { numClasses: c }).then(matrixRows);

  it('float64 logits are compared in double precision (host argmax), float16 widened exactly', async () => {
    const f64 = new Float64Array(n * c).map((_, i) => logits[i]!);
    f64.fill(0, 0, c);
    f64[0] = 1;
    f64[1] = 1 + 2 ** -40; // equal to 1 in float32: only a double-precision argmax picks column 1
    const y = join(dir, 'y.npy');
    writeFileSync(y, encodeNpy(labels, [n]));
    writeFileSync(join(dir, 'x64.npy'), encodeNpy(f64, [n, c], { bigEndian: true }));
    const r = confmat(['eval', '--logits', join(dir, 'x64.npy'), '--labels', y, '--format', 'json', '--backend',
      'gpu']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('float64 logits');
    const want = matrixRows(await confusionMatrix({ preds: cpuArgmax(f64, c), labels }, { numClasses: c }));
    expect(JSON.parse(r.stdout).matrix).toEqual(want);
    expect(cpuArgmax(f64.subarray(0, c), c)[0]).toBe(1);
    expect(want[labels[0]!]![1]).toBeGreaterThan(0);
  });

  it('npz members and CSV columns equal the .npy result', async () => {
    const want = await oracle;
    const csv = join(dir, 'labels.csv');
    writeFileSync(csv, `id,label\n${Array.from(labels, (v, i) => `${i},${v}`).join('\n')}\n`);
    writeFileSync(join(dir, 'x.npy'), encodeNpy(logits, [n, c]));
    const r = confmat(['eval', '--logits', join(dir, 'x.npy'), '--labels', `${csv}:label`, '--format', 'json',
      '--backend', 'gpu']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).matrix).toEqual(want);
    const npz = 'test/fixtures/formats';
    expect(readdirSync(npz).some((f) => f.endsWith('.npz'))).toBe(true);
  });
});

const digitsCpu = ['eval', '--logits', `${fx}.logits.npy`, '--labels', `${fx}.labels.npy`, '--backend', 'cpu'];

describe('confmat eval --plot-scale, --plot-no-diagonal', () => {
  it('colour the SVG and HTML heatmaps; the default draws as before', () => {
    const svg = (name: string, ...flags: string[]): string => {
      const path = join(dir, name);
      expect(confmat([...digitsCpu, '--plot', path, ...flags]).code).toBe(0);
      return readFileSync(path, 'utf8');
    };
    const base = svg('a.svg');
    expect(svg('b.svg', '--plot-scale', 'linear')).toBe(base);
    const log = svg('c.svg', '--plot-scale', 'log', '--plot-no-diagonal');
    expect(log).not.toBe(base);
    expect(log.match(/fill="#c8c8c8"/g)).toHaveLength(10);
    expect(svg('d.svg', '--plot-scale', 'row')).not.toBe(base);
    expect(svg('e.html', '--plot-scale', 'log', '--plot-no-diagonal')).toContain('"scale":"log","diagonal":false');
  });

  it('refuses another scale, naming the flag and the value', () => {
    const r = confmat([...digitsCpu, '--plot', join(dir, 'x.svg'), '--plot-scale', 'sqrt']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--plot-scale.*sqrt/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
