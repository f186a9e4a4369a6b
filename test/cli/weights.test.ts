import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';

const DIR = 'test/fixtures/weights';
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { counts: number[][]; accuracy: number;
  top2: number };
const ARGS = ['eval', '--logits', `${DIR}/logits.npy`, '--labels', `${DIR}/labels.npy`, '--sample-weight',
  `${DIR}/weights.npy`];
const tmp = mkdtempSync(join(tmpdir(), 'confmat-weights-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function weightsFile(name: string, data: Float64Array | Float32Array | Int32Array, shape = [data.length]): string {
  const path = join(tmp, name);
  writeFileSync(path, encodeNpy(data, shape));
  return path;
}

describe('confmat eval --sample-weight', () => {
  it.each(['gpu', 'cpu'])('equals sklearn (confusion_matrix, accuracy, top-2 with sample_weight) on the %s backend',
    (backend) => {
      const r = confmat([...ARGS, '--backend', backend, '--top-k', '2', '--format', 'json']);
      expect(r.stderr).not.toContain('Error');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      out.matrix.flat().forEach((v: number, i: number) =>
        expect(Math.abs(v - expected.counts.flat()[i]!)).toBeLessThanOrEqual(1e-9 * Math.abs(v) + 1e-12)
      );
      expect(out.accuracy).toBeCloseTo(expected.accuracy, 12);
      expect(out.topK.accuracy).toBeCloseTo(expected.top2, 12);
      expect(out.options.sampleWeight).toBe(true);
    });

  it('says the counts are sums of weights in the table and markdown', () => {
    const table = confmat([...ARGS, '--backend', 'cpu', '--format', 'table']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Sum of sample weights: [\d.]+/);
    expect(table.stdout).toContain('3074.51');
    expect(confmat([...ARGS, '--backend', 'cpu', '--format', 'markdown']).stdout).toContain(
      '(sum of sample weights) samples',
    );
  });

  it('integer weights are read as numbers: weight 2 everywhere doubles every count', () => {
    const labels = readFileSync(`${DIR}/labels.npy`);
    const n = (labels.length - 128) / 4;
    const twos = weightsFile('twos.npy', new Int32Array(n).fill(2));
    const plain = JSON.parse(
      confmat(['eval', '--logits', `${DIR}/logits.npy`, '--labels', `${DIR}/labels.npy`, '--backend', 'cpu', '--format',
        'json']).stdout,
    );
    const doubled = JSON.parse(
      confmat(['eval', '--logits', `${DIR}/logits.npy`, '--labels', `${DIR}/labels.npy`, '--sample-weight', twos,
        '--backend', 'gpu', '--format', 'json']).stdout,
    );
    expect(doubled.matrix).toEqual(plain.matrix.map((row: number[]) => row.map((v) => 2 * v)));
  });

  it('on 2 and 3 worker threads reading the logits file: the one-thread sums exactly (weights added in row order)', () => {
    const one = JSON.parse(confmat([...ARGS, '--backend', 'cpu', '--format', 'json']).stdout);
    for (const threads of ['2', '3']) {
      const r = confmat([...ARGS, '--backend', 'cpu', '--threads', threads, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const { backend, ...rest } = JSON.parse(r.stdout);
      expect(backend.threads).toBe(Number(threads));
      const { backend: _, ...oneRest } = one;
      expect(rest).toEqual(oneRest);
    }
    const shardOne = JSON.parse(confmat([...ARGS, '--backend', 'cpu', '--shard', '1/3', '--format', 'json']).stdout);
    const shardTwo = JSON.parse(
      confmat([...ARGS, '--backend', 'cpu', '--threads', '2', '--shard', '1/3', '--format', 'json']).stdout,
    );
    expect(shardTwo.matrix).toEqual(shardOne.matrix);
    expect(shardTwo.options).toEqual(shardOne.options);
  });

  it('refuses a NaN weight naming the file, the index and the value, and writes nothing', () => {
    const w = new Float64Array(3000).fill(1);
    w[2345] = NaN;
    const bad = weightsFile('nan.npy', w);
    const out = join(tmp, 'out.json');
    for (const backend of ['cpu', 'gpu', 'cpu --threads 2']) {
      const r = confmat([...ARGS.slice(0, 5), '--sample-weight', bad, '--backend', ...backend.split(' '), '--out',
        out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${bad}: index 2345: weight NaN is not finite`);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses weights of the wrong length or shape, and usage it cannot honour', () => {
    const short = weightsFile('short.npy', new Float32Array(10).fill(1));
    let r = confmat([...ARGS.slice(0, 5), '--sample-weight', short]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${short} holds 10 sample weights but ${DIR}/labels.npy holds 3000 labels`);
    const square = weightsFile('square.npy', new Float32Array(6000), [3000, 2]);
    r = confmat([...ARGS.slice(0, 5), '--sample-weight', square]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sample weights must be 1-D (N,)');
    // --task multilabel and binary take --sample-weight too: test/cli/weights-tasks.test.ts
  });

  it.each(['gpu', 'cpu'])('--shard i/3 parts with weights merge to the single run (%s)', (backend) => {
    const single = JSON.parse(confmat([...ARGS, '--backend', backend, '--top-k', '2', '--format', 'json']).stdout);
    const parts = [0, 1, 2].map((i) => {
      const out = join(tmp, `part-${backend}-${i}.json`);
      const r = confmat([...ARGS, '--backend', backend, '--top-k', '2', '--shard', `${i}/3`, '--out', out]);
      expect(r.code).toBe(0);
      return out;
    });
    const r = confmat(['merge', ...parts.reverse(), '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const merged = JSON.parse(r.stdout);
    expect(merged.options).toEqual(single.options);
    merged.matrix.flat().forEach((v: number, i: number) =>
      expect(Math.abs(v - single.matrix.flat()[i]!)).toBeLessThanOrEqual(1e-12 * Math.abs(v) + 1e-12)
    );
    expect(merged.topK.accuracy).toBeCloseTo(single.topK.accuracy, 12);
    const unweighted = join(tmp, 'unweighted.json');
    confmat(['eval', '--logits', `${DIR}/logits.npy`, '--labels', `${DIR}/labels.npy`, '--backend', 'cpu', '--top-k',
      '2', '--shard', '0/3', '--out', unweighted]);
    const mixed = confmat(['merge', parts[0]!, unweighted]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/options .*differ/);
  });
});
