import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pairedIntervals, rightWrongIntervals } from '../../src/tasks/compare/paired-intervals.js';

const F = 'test/fixtures/compare';
const ARGS = ['--logits', `${F}/a.npy`, '--logits-b', `${F}/b.npy`, '--labels', `${F}/labels.npy`, '--backend', 'cpu'];
const numpy = JSON.parse(readFileSync(`${F}/paired-bootstrap.json`, 'utf8')) as Record<'accuracy' | 'macroF1' | 'mcc',
  { low: number; high: number }>;

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'compare', ...ARGS, ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Diff = { estimate: number; low: number; high: number };
interface Report {
  a: { accuracy: number; ci: { accuracy: { low: number; high: number }; seed: number } };
  b: { accuracy: number; ci: { accuracy: { low: number; high: number } } };
  difference: { table: string; seed: number; resamples: number; level: number; accuracy: Diff; macroF1: Diff; mcc: Diff;
    kappa: Diff; perClass: { class: string; precision: Diff; recall: Diff; f1: Diff }[] };
}

const json = (args: string[]): Report => {
  const r = confmat(['--format', 'json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Report;
};

describe('confmat compare --ci', () => {
  it('gives paired intervals of every difference, equal to numpy row resampling of both models', () => {
    const r = json(['--ci', '0.95', '--bootstrap', '20000', '--seed', '5']);
    const d = r.difference;
    expect(d).toMatchObject({ table: 'joint', level: 0.95, resamples: 20000, seed: 5 });
    expect(d.accuracy.estimate).toBeCloseTo(r.b.accuracy - r.a.accuracy, 12);
    for (const name of ['accuracy', 'macroF1', 'mcc'] as const) {
      expect(Math.abs(d[name].low - numpy[name].low), name).toBeLessThan(0.003);
      expect(Math.abs(d[name].high - numpy[name].high), name).toBeLessThan(0.003);
    }
    for (const x of [d.accuracy, d.kappa, ...d.perClass.flatMap((p) => [p.precision, p.recall, p.f1])]) {
      expect(x.low).toBeLessThanOrEqual(x.estimate + 1e-12);
      expect(x.high).toBeGreaterThanOrEqual(x.estimate - 1e-12);
    }
    expect(d.perClass.map((p) => p.class)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(r.a.ci.accuracy.low).toBeLessThan(r.a.accuracy);
    expect(r.b.ci.accuracy.high).toBeGreaterThan(r.b.accuracy);
  });

  it('is reproducible by seed and shown in the table', () => {
    const one = confmat(['--format', 'json', '--ci', '95%', '--bootstrap', '200']).stdout;
    expect(confmat(['--format', 'json', '--ci', '95%', '--bootstrap', '200']).stdout).toBe(one);
    expect(confmat(['--format', 'json', '--ci', '95%', '--bootstrap', '200', '--seed', '1']).stdout).not.toBe(one);
    const table = confmat(['--format', 'table', '--ci', '0.9', '--bootstrap', '200']).stdout;
    expect(table).toMatch(/B - A +90% CI of B - A\n/);
    expect(table).toMatch(/^accuracy +0\.9588 +0\.8287 +-0\.1301 +\[-0\.1\d{3}, -0\.\d{4}\]$/m);
    expect(table).toContain('[paired bootstrap over the joint table: 200 resamples, seed 0]');
    expect(confmat(['--format', 'table']).stdout).not.toContain('CI of B - A');
  });

  it('refuses --bootstrap or --seed without --ci', () => {
    const r = confmat(['--bootstrap', '100']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--bootstrap sets how --ci draws its intervals/);
  });
});

describe('rightWrongIntervals', () => {
  it('equals the joint table bootstrap in what the right/wrong table holds', () => {
    const c = 3;
    const joint = new Float64Array(c * c * c);
    const cells = new Float64Array(4 * c);
    const put = (t: number, a: number, b: number, n: number): void => {
      joint[(t * c + a) * c + b]! += n;
      cells[4 * t + 2 * Number(a !== t) + Number(b !== t)]! += n;
    };
    [[0, 0, 0, 50], [0, 0, 1, 9], [0, 1, 0, 4], [0, 2, 2, 3], [1, 1, 1, 40], [1, 0, 1, 12], [1, 1, 2, 2], [2, 2, 2, 30],
      [2, 0, 1, 6], [2, 2, 0, 1]].forEach(([t, a, b, n]) => put(t!, a!, b!, n!));
    const options = { level: 0.95, resamples: 20000, seed: 3 };
    const full = pairedIntervals(joint, c, options);
    const rw = rightWrongIntervals(cells, c, options);
    expect(rw.table).toBe('right-wrong');
    for (const [x, y] of [[rw.accuracy, full.accuracy], [rw.balancedAccuracy, full.balancedAccuracy],
      ...rw.perClass.map((p, k) => [p.recall, full.perClass[k]!.recall])] as [Diff, Diff][]) {
      expect(x.estimate).toBeCloseTo(y.estimate, 12);
      expect(Math.abs(x.low - y.low)).toBeLessThan(0.01);
      expect(Math.abs(x.high - y.high)).toBeLessThan(0.01);
    }
  });
});
