import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confusionMatrix, InputError, selectClasses } from '../../src/index.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';
import { dropIgnored } from '../../src/tasks/multiclass/select.js';

const DIR = 'test/fixtures/subset';
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { full: number[][]; subset: number[];
  subsetMatrix: number[][]; ignored: number };
const ARGS = ['eval', '--logits', `${DIR}/logits.npy`, '--labels', `${DIR}/labels.npy`, '--format', 'json'];

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--ignore-index and --class-subset equal sklearn (labels=) on the samples not ignored', () => {
  it.each([['gpu', []], ['cpu', []], ['cpu', ['--threads', '2']]] as const)('on the %s backend %j',
    (backend, extra) => {
      const full = confmat([...ARGS, '--backend', backend, '--ignore-index=-100', ...extra]);
      expect(full.stderr).not.toContain('Error');
      expect(full.code).toBe(0);
      expect(JSON.parse(full.stdout).matrix).toEqual(expected.full);
      expect(JSON.parse(full.stdout).total).toBe(3000 - expected.ignored);
      const sub = confmat([...ARGS, '--backend', backend, '--ignore-index=-100', '--class-subset', '3,1,5', ...extra]);
      const out = JSON.parse(sub.stdout);
      expect(out.matrix).toEqual(expected.subsetMatrix);
      expect(out.classes).toEqual(['3', '1', '5']);
      expect(out.numClasses).toBe(3);
    });

  it('without --ignore-index the -100 labels are refused, naming the index', () => {
    const r = confmat([...ARGS, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/labels\.npy: index \d+: label -100 is outside \[0, 6\)/);
    const threads = confmat([...ARGS, '--backend', 'cpu', '--threads', '2']);
    expect(threads.code).toBe(1);
    expect(threads.stderr).toContain(r.stderr.match(/labels\.npy: index \d+: label -100 is outside \[0, 6\)/)![0]);
  });

  it('bad flags are usage errors or name the flag', () => {
    expect(confmat([...ARGS, '--ignore-index', 'x']).code).toBe(2);
    expect(confmat([...ARGS, '--class-subset', '1,,2']).code).toBe(2);
    const r = confmat([...ARGS, '--ignore-index=-100', '--class-subset', '1,9', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--class-subset: class subset entry 1: 9 is outside [0, 6)');
    expect(confmat([...ARGS, '--ignore-index=-100', '--class-subset', '1,1']).stderr).toContain(
      'class 1 is listed twice',
    );
  });
});

describe('selectClasses and dropIgnored', () => {
  it('select rows and columns in the given order; excluded pairs leave the total', () => {
    const r = selectClasses(reduceCounts(new Float64Array([3, 1, 0, 0, 4, 2, 1, 0, 5]), 3), [2, 0]);
    expect(Array.from(r.counts)).toEqual([5, 1, 0, 3]);
    expect(r.total).toBe(9);
    expect(r.correct).toBe(8);
    expect(() => selectClasses(r, [])).toThrow(InputError);
  });

  it('drops the ignored rows of logits, predictions and labels of every width, BigInt too', async () => {
    const b = dropIgnored({ logits: new Float32Array([1, 0, 0, 1, 5, 6]), labels: new BigInt64Array([0n, -100n, 1n]) },
      -100, 2);
    expect(Array.from(b.logits!)).toEqual([1, 0, 5, 6]);
    expect(Array.from(b.labels as BigInt64Array)).toEqual([0n, 1n]);
    const same = { preds: new Uint8Array([1]), labels: new Uint8Array([1]) };
    expect(dropIgnored(same, 255, 2)).toBe(same);
    const r = await confusionMatrix({ preds: new Uint8Array([1, 0, 1]), labels: new Uint8Array([255, 0, 1]) }, {
      numClasses: 2,
      ignoreIndex: 255,
    });
    expect(Array.from(r.counts)).toEqual([1, 0, 0, 1]);
  });
});

describe('--top-k', () => {
  const topk = JSON.parse(readFileSync('test/fixtures/topk/expected.json', 'utf8')) as {
    k: { k: number; hits: number; perClass: number[] }[];
  };
  const TOPK_ARGS = ['eval', '--logits', 'test/fixtures/topk/logits.npy', '--labels', 'test/fixtures/topk/labels.npy'];
  it.each(['gpu', 'cpu'])('equals sklearn top_k_accuracy_score in the JSON and the table on the %s backend',
    (backend) => {
      const r = confmat([...TOPK_ARGS, '--top-k', '3', '--backend', backend, '--format', 'json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.topK).toEqual({ k: 3, accuracy: topk.k[2]!.hits / 2000, hits: topk.k[2]!.perClass });
      const t = confmat([...TOPK_ARGS, '--top-k', '3', '--backend', backend, '--format', 'table']);
      expect(t.stdout).toContain(`top-3 accuracy: ${((100 * topk.k[2]!.hits) / 2000).toFixed(1)}%`);
    });

  it('needs logits of float16/32', () => {
    const r = confmat(['eval', '--preds', 'test/fixtures/topk/labels.npy', '--labels', 'test/fixtures/topk/labels.npy',
      '--top-k', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--top-k needs --logits');
  });
});

describe('shards with --ignore-index and --top-k', () => {
  it('merge to the single run, top-k hits included; parts counted with other options are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'confmat-opts-'));
    try {
      const args = ['eval', '--logits', `${DIR}/logits.npy`, '--labels', `${DIR}/labels.npy`, '--ignore-index=-100',
        '--top-k', '2', '--backend', 'cpu', '--format', 'json'];
      const single = JSON.parse(confmat(args).stdout);
      for (const i of [0, 1, 2]) {
        expect(confmat([...args, '--shard', `${i}/3`, '--out', join(dir, `p${i}.json`)]).code).toBe(0);
      }
      const merged = confmat(['merge', ...[0, 1, 2].map((i) => join(dir, `p${i}.json`)), '--format', 'json']);
      expect(merged.code).toBe(0);
      const m = JSON.parse(merged.stdout);
      expect(m.matrix).toEqual(single.matrix);
      expect(m.topK).toEqual(single.topK);
      expect(m.options).toEqual({ numClasses: 6, ignoreIndex: -100, topK: 2 });
      expect(confmat([...args.map((a) => (a === '2' ? '3' : a)), '--shard', '0/3', '--out', join(dir, 'p0.json')]).code)
        .toBe(0);
      const mixed = confmat(['merge', ...[0, 1, 2].map((i) => join(dir, `p${i}.json`))]);
      expect(mixed.code).toBe(1);
      expect(mixed.stderr).toMatch(/options .*"topK":2.* differ from .*"topK":3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
