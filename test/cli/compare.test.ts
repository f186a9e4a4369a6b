import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/index.js';
import { encodeNpy } from '../../src/read/npy.js';
import { cpuArgmax } from '../../src/tasks/multiclass/update-cpu.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const F = 'test/fixtures/compare';
const [A, B, Y] = [`${F}/a.npy`, `${F}/b.npy`, `${F}/labels.npy`];
const expected = JSON.parse(readFileSync(`${F}/expected.json`, 'utf8')) as { matrixA: number[][]; matrixB: number[][];
  mcnemar: { b: number; c: number; statistic: number; pValue: number; exactPValue: number } };
const npy = (path: string) => parseNpy(new Uint8Array(readFileSync(path)), path).data;

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'compare', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, data: Parameters<typeof encodeNpy>[0], shape: number[]): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy(data, shape));
  return path;
}

interface Report {
  a: { matrix: number[][]; accuracy: number; backend: { name: string } };
  b: { matrix: number[][]; accuracy: number };
  joint: boolean;
  mcnemar: typeof expected.mcnemar;
  perClass: { class: string; a: { f1: number }; b: { f1: number }; delta: { f1: number; recall: number } }[];
  changes: { true: string; pred: string; a: number; b: number; delta: number }[];
}

function report(args: string[]): Report {
  const r = confmat([...args, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

function expectFixture(r: Report): void {
  expect([r.a.matrix, r.b.matrix, r.joint]).toEqual([expected.matrixA, expected.matrixB, true]);
  const m = expected.mcnemar;
  expect([r.mcnemar.b, r.mcnemar.c]).toEqual([m.b, m.c]);
  for (const k of ['statistic', 'pValue', 'exactPValue'] as const) expect(r.mcnemar[k] / m[k]).toBeCloseTo(1, 11);
}

describe('confmat compare', () => {
  const cpu = report(['--logits', A, '--logits-b', B, '--labels', Y, '--backend', 'cpu']);

  it('reports two sklearn models as sklearn and statsmodels do', () => {
    expectFixture(cpu);
    const f1 = (m: number[][], k: number) => {
      const tp = m[k]![k]!;
      const [support, predicted] = [m[k]!.reduce((s, x) => s + x, 0), m.reduce((s, row) => s + row[k]!, 0)];
      return (2 * tp) / (support + predicted);
    };
    cpu.perClass.forEach((p, k) => {
      expect(p.a.f1).toBeCloseTo(f1(expected.matrixA, k), 12);
      expect(p.delta.f1).toBeCloseTo(f1(expected.matrixB, k) - f1(expected.matrixA, k), 12);
    });
    const deltas = cpu.changes.map((x) => Math.abs(x.delta));
    expect(deltas).toEqual([...deltas].sort((x, y) => y - x));
    expect(cpu.changes.length).toBe(10);
    expect(cpu.changes[0]).toEqual({ true: '2', pred: '8', a: expected.matrixA[2]![8], b: expected.matrixB[2]![8],
      delta: expected.matrixB[2]![8]! - expected.matrixA[2]![8]! });
  });

  it('counts the same on the GPU', () => {
    const gpu = report(['--logits', A, '--logits-b', B, '--labels', Y, '--backend', 'gpu', '--chunk-rows', '100']);
    expect(gpu.a.backend.name).toBe('gpu');
    const strip = (r: Report) => ({ ...r, a: { ...r.a, backend: null }, b: { ...r.b, backend: null } });
    expect(strip(gpu)).toEqual(strip(cpu));
  });

  it('takes predicted classes, float64 logits, CSV and a mix of them', () => {
    const c = 10;
    const pa = cpuArgmax(npy(A) as Float32Array, c);
    const pb = cpuArgmax(npy(B) as Float32Array, c);
    const predsA = file('preds-a.npy', Int16Array.from(pa), [pa.length]);
    const csv = join(dir, 'preds-b.csv');
    writeFileSync(csv, `${Array.from(pb).join('\n')}\n`);
    const f64 = file('b64.npy', Float64Array.from(npy(B) as Float32Array), [pb.length, c]);
    for (const args of [['--preds', predsA, '--preds-b', csv], ['--preds', predsA, '--logits-b', B], ['--logits', A,
      '--logits-b', f64]]) {
      for (const backend of ['cpu', 'gpu']) {
        const r = report([...args, '--labels', Y, '--backend', backend]);
        expect([r.a.matrix, r.b.matrix, r.mcnemar]).toEqual([cpu.a.matrix, cpu.b.matrix, cpu.mcnemar]);
      }
    }
  });

  it('skips --ignore-index rows for both models and prints a table', () => {
    const labels = npy(Y) as BigInt64Array;
    const marked = BigInt64Array.from(labels, (v, i) => (i % 4 === 0 ? -100n : v));
    const y = file('ignored.npy', marked, [marked.length]);
    const all = report(['--logits', A, '--logits-b', B, '--labels', y, '--ignore-index=-100', '--backend', 'cpu']);
    const kept = (m: number[][]) => m.flat().reduce((s, x) => s + x, 0);
    expect(kept(all.a.matrix)).toBe(labels.length - Math.ceil(labels.length / 4));
    const gpu = report(['--logits', A, '--logits-b', B, '--labels', y, '--ignore-index=-100', '--backend', 'gpu']);
    expect([gpu.a.matrix, gpu.b.matrix, gpu.mcnemar]).toEqual([all.a.matrix, all.b.matrix, all.mcnemar]);
    const t = confmat(['--logits', A, '--logits-b', B, '--labels', Y, '--backend', 'cpu', '--format', 'table']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/accuracy\s+0\.9588\s+0\.8287\s+-0\.1301/);
    expect(t.stdout).toContain('McNemar: b = 135 (A right, B wrong), c = 18 (A wrong, B right)');
    expect(t.stdout).toMatch(/2 -> 8\s+0\s+33\s+\+33/);
  });

  it('refuses mismatched inputs naming the files, with exit 1 and no stack', () => {
    const short = file('short.npy', new Float32Array(20 * 10), [20, 10]);
    const wide = file('wide.npy', new Float32Array(899 * 11), [899, 11]);
    const bad = file('bad-preds.npy', Int32Array.from({ length: 899 }, (_, i) => (i === 7 ? 12 : 0)), [899]);
    const cases: [string[], RegExp][] = [[['--logits', A, '--logits-b', short], new RegExp(`${Y}.*${short}|${short}`)],
      [['--logits', short, '--logits-b', B], new RegExp(short)], [['--logits', A, '--logits-b', wide],
      new RegExp(`${A} has 10 class columns but ${wide} has 11`)], [['--logits', A, '--preds-b', bad],
      new RegExp(`${bad}: index 7: predicted class 12 is outside \\[0, 10\\)`)]];
    for (const [args, message] of cases) {
      for (const backend of ['cpu', 'gpu']) {
        const r = confmat([...args, '--labels', Y, '--backend', backend, '--format', 'json']);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stdout).toBe('');
      }
    }
    const mismatch = confmat(['--logits', A, '--logits-b', short, '--labels', Y, '--backend', 'cpu']);
    expect(mismatch.stderr).toBe(`confmat: ${Y} holds 899 labels but ${short} has 20 rows (shape (20, 10))\n`);
  });

  it('refuses bad usage with exit 2', () => {
    const usage: [string[], RegExp][] = [[['--logits', A, '--labels', Y], /exactly one of --logits-b or --preds-b/], [[
      '--logits',
      A,
      '--logits-b',
      B,
    ], /compare needs --labels/], [['--logits', A, '--logits-b', B, '--labels', Y, '--format', 'csv'],
      /table or json, not csv/], [['--logits', A, '--logits-b', B, '--labels', Y, '--top-k', '2'],
      /--top-k applies to confmat eval/]];
    for (const [args, message] of usage) {
      const r = confmat([...args, '--backend', 'cpu']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
