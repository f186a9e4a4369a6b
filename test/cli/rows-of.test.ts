import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';
import { argmaxRow } from '../../src/tasks/multiclass/update-cpu.js';
import { type LogitStyle, makeLabels, makeLogits, rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-rows-of-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'eval', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const path = (name: string, data: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

// rows: argmax 2, 0, 1, 0, 2; labels 0, 1, 2, 0, 1
const logits = path('l.npy', encodeNpy(new Float32Array([0, 1, 2, 3, 0, 0, 0, 5, 1, 1, 0, 0, 0, 0, 9]), [5, 3]));
const labels = path('y.npy', encodeNpy(Int32Array.of(0, 1, 2, 0, 1), [5]));
const ids = path('ids.txt', 'a.png\nb.png\nc.png\nd.png\ne.png\n');
const names = path('names.txt', 'cat\ndog\nbird\n');
const small = ['--logits', logits, '--labels', labels];

/** Seeded n x c logits and labels written as .npy, with the --logits / --labels arguments naming them. */
function randomInputs(name: string, seed: number, n: number, c: number, style: LogitStyle) {
  const rand = rng(seed);
  const x = makeLogits(rand, n, c, style);
  const y = makeLabels(rand, n, c) as Int32Array;
  const files = ['--logits', path(`${name}-l.npy`, encodeNpy(x, [n, c])), '--labels',
    path(`${name}-y.npy`, encodeNpy(y, [n]))];
  return { x, y, files };
}

describe('confmat eval --rows-of', () => {
  it('lists the rows of the cells asked for as JSON, with ids and scores', () => {
    const r = confmat([...small, '--rows-of', '0,2', '--rows-of', '1,*', '--ids', ids, '--format', 'json', '--backend',
      'cpu']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ row: 0, id: 'a.png', true: 0, pred: 2, score_true: 0, score_pred: 2 }, {
      row: 1,
      id: 'b.png',
      true: 1,
      pred: 0,
      score_true: 0,
      score_pred: 3,
    }, { row: 4, id: 'e.png', true: 1, pred: 2, score_true: 0, score_pred: 9 }]);
  });

  it('writes CSV with class names, and text', () => {
    const csv = confmat([...small, '--rows-of', '1,0', '--classes', names, '--format', 'csv', '--backend', 'cpu']);
    expect(csv.stdout).toBe('row,true,pred,true_name,pred_name,score_true,score_pred\n1,1,0,dog,cat,0,3\n');
    const text = confmat([...small, '--rows-of', '1,*', '--ids', ids, '--classes', names, '--format', 'table',
      '--backend', 'cpu']);
    expect(text.stdout).toBe(
      'true 1 (dog), predicted 0 (cat): 1 rows\n  row 1  b.png  score_true 0.00000  score_pred 3.00000\n' +
        'true 1 (dog), predicted 2 (bird): 1 rows\n  row 4  e.png  score_true 0.00000  score_pred 9.00000\n',
    );
  });

  it('gives the same rows on the GPU and the CPU over many chunks, as np.where((y == t) & (argmax == p))', () => {
    const c = 7;
    const { x, y, files } = randomInputs('big', 9, 3000, c, 'ties');
    const args = [...files, '--rows-of', '3,5', '--rows-of', '0,0', '--format', 'json', '--chunk-rows', '256'];
    const [gpu, cpu] = [confmat([...args, '--backend', 'gpu']), confmat([...args, '--backend', 'cpu'])];
    expect([gpu.code, cpu.code]).toEqual([0, 0]);
    expect(gpu.stdout).toBe(cpu.stdout);
    const rows = JSON.parse(cpu.stdout) as { row: number; true: number; pred: number }[];
    const where = (t: number, p: number) =>
      Array.from(y.keys()).filter((i) => y[i] === t && argmaxRow(x, i * c, c) === p).slice(0, 1000);
    expect(rows.filter((r) => r.true === 0).map((r) => r.row)).toEqual(where(0, 0));
    expect(rows.filter((r) => r.true === 3).map((r) => r.row)).toEqual(where(3, 5));
    expect(where(3, 5).length).toBeGreaterThan(10);
  });

  it('--rows-limit N lists the first N rows of each cell on both backends, the note naming the flag', () => {
    const c = 4;
    const { x, y, files } = randomInputs('lim', 10, 3000, c, 'random');
    const args = [...files, '--rows-of', '1,2', '--rows-of', '2,*', '--format', 'json', '--chunk-rows', '256'];
    const where = (t: number, p: number) =>
      Array.from(y.keys()).filter((i) => y[i] === t && p !== t && (p < 0 || argmaxRow(x, i * c, c) === p));
    for (const [limit, extra] of [[3, ['--rows-limit', '3']], [1000, []], [2000, ['--rows-limit', '2000']]] as const) {
      const [gpu, cpu] = [confmat([...args, ...extra, '--backend', 'gpu']),
        confmat([...args, ...extra, '--backend', 'cpu'])];
      expect([gpu.code, cpu.code]).toEqual([0, 0]);
      expect(gpu.stdout).toBe(cpu.stdout);
      const rows = JSON.parse(cpu.stdout) as { row: number; true: number; pred: number }[];
      expect(rows.filter((r) => r.true === 1).map((r) => r.row)).toEqual(where(1, 2).slice(0, limit));
      for (const p of [0, 1, 3]) {
        const cell = rows.filter((r) => r.true === 2 && r.pred === p).map((r) => r.row);
        expect(cell).toEqual(where(2, -1).filter((i) => argmaxRow(x, i * c, c) === p).slice(0, limit));
      }
      const some = where(2, -1).length > limit;
      expect(cpu.stderr.includes(`lists the first ${limit} rows of a cell; some cells hold more (--rows-limit N`)).toBe(
        some,
      );
    }
    expect(where(2, -1).length).toBeGreaterThan(3);
    const lone = confmat([...small, '--rows-limit', '5', '--backend', 'cpu']);
    expect([lone.code, lone.stderr]).toEqual([2, expect.stringContaining('--rows-limit needs --rows-of')]);
    for (const bad of ['0', '1000001', '2.5']) {
      expect(confmat([...small, '--rows-of', '1,0', '--rows-limit', bad, '--backend', 'cpu']).code).toBe(2);
    }
  });

  it('refuses a bad --rows-of (exit 2), a class out of range, --ids of another length (exit 1)', () => {
    const bad = confmat([...small, '--rows-of', '3', '--backend', 'cpu']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--rows-of must be TRUE,PRED or TRUE,\*.*'3'/)]);
    const range = confmat([...small, '--rows-of', '1,3', '--backend', 'cpu']);
    expect([range.code, range.stderr]).toEqual([2,
      expect.stringContaining('--rows-of 1,3: class 3 is outside [0, 3)')]);
    const short = confmat([...small, '--rows-of', '1,0', '--ids', path('short.txt', 'a\nb\n'), '--backend', 'cpu']);
    expect([short.code, short.stdout]).toEqual([1, '']);
    expect(short.stderr).toMatch(/--ids .*short\.txt holds 2 lines but .*y\.npy holds 5 rows/);
    const mixed = confmat([...small, '--rows-of', '1,0', '--normalize', 'true', '--backend', 'cpu']);
    expect([mixed.code, mixed.stderr]).toEqual([2, expect.stringContaining('--normalize does not combine with')]);
    const lone = confmat([...small, '--ids', ids, '--backend', 'cpu']);
    expect([lone.code, lone.stderr]).toEqual([2, expect.stringContaining('--ids needs --rows-of')]);
  });
});
