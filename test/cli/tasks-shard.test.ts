import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMultilabelMatrix, createThresholdSweep, parseNpy } from '../../src/index.js';
import { encodeNpy } from '../../src/read/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-tasks-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const at = (name: string) => join(dir, name);
const report = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
/** The report without the fields a merge may change: the backend and the shard set. */
/** A report without what differs by how it was run: backend, shards, and the row outcomes parts keep (--shard). */
const comparable = (r: Record<string, unknown>) => {
  const { backend: _b, shards: _s, rowOutcomes: _o, ...rest } = r;
  return rest;
};
const npy = (path: string) => parseNpy(new Uint8Array(readFileSync(path)), path).data;
const rowsOf = (i: number, n: number, rows: number) =>
  [Math.floor((i * rows) / n), Math.floor(((i + 1) * rows) / n)] as const;

const ML = 'test/fixtures/multilabel';
const BIN = 'test/fixtures/binary';
const mlScores = npy(`${ML}/scores.npy`) as Float32Array;
const mlTargets = npy(`${ML}/targets.npy`) as Uint8Array;
const L = 5;
const N = mlScores.length / L; // 300: not divisible by 7
const binScores = npy(`${BIN}/scores.npy`) as Float32Array;
const binTargets = npy(`${BIN}/targets.npy`);
const BN = binScores.length; // 228: not divisible by 7
const PER_LABEL = '0.3,0.5,0.5,0.7,0.5';

writeFileSync(at('scores.csv'),
  `${Array.from({ length: L }, (_, j) => `l${j}`).join(',')}\n${
    Array.from({ length: N }, (_, i) => Array.from(mlScores.subarray(i * L, (i + 1) * L)).join(',')).join('\n')
  }\n`);
writeFileSync(at('targets.csv'),
  `${Array.from({ length: N }, (_, i) => Array.from(mlTargets.subarray(i * L, (i + 1) * L)).join(',')).join('\n')}\n`);
writeFileSync(at('labels.txt'), `${['sky', 'tree', 'car', 'person', 'dog'].join('\n')}\n`);
writeFileSync(at('classes.npy'), encodeNpy(Int32Array.from({ length: N }, (_, i) => i % L), [N]));

const mlArgs = (
  ...extra: string[]
) => ['eval', '--task', 'multilabel', '--scores', `${ML}/scores.npy`, '--targets', `${ML}/targets.npy`, '--threshold',
  PER_LABEL, ...extra];
const binArgs = (
  ...extra: string[]
) => ['eval', '--task', 'binary', '--scores', `${BIN}/scores.npy`, '--targets', `${BIN}/targets.npy`, ...extra];

/** Runs the n shards of `args` into part files. */
function shards(tag: string, args: string[], n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const part = at(`${tag}-${i}-of-${n}.json`);
    const r = confmat([...args, '--shard', `${i}/${n}`, '--out', part]);
    expect(r.code, r.stderr).toBe(0);
    expect(report(part).shards).toEqual({ count: n, indices: [i] });
    return part;
  });
}

function single(args: string[]): Record<string, unknown> {
  const r = confmat([...args, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function merge(parts: string[], ...extra: string[]) {
  const r = confmat(['merge', ...parts, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('confmat eval --task multilabel --shard i/n and confmat merge', () => {
  it.each<[string, string[], number[]]>([['npy on the GPU', ['--backend', 'gpu'], [1, 3, 7]], [
    'CSV scores and targets on the CPU',
    ['--backend', 'cpu', '--scores', at('scores.csv'), '--targets', at('targets.csv')],
    [3],
  ]])("%s: each part counts its rows; merged parts give the single run's JSON report", async (tag, extra, counts) => {
    const whole = single(mlArgs('--backend', 'cpu'));
    const outcomes = single(mlArgs('--backend', 'cpu', '--ci', '0.95')).rowOutcomes as [string, number][];
    expect(outcomes.reduce((a, [, c]) => a + c, 0)).toBe(N);
    expect(whole.rowOutcomes).toBeUndefined();
    for (const n of counts) {
      const parts = shards(`ml-${tag.replace(/\W+/g, '-')}`, mlArgs(...extra), n);
      for (const [i, part] of parts.entries()) {
        const [start, end] = rowsOf(i, n, N);
        const ml = createMultilabelMatrix({ numLabels: L, threshold: PER_LABEL.split(',').map(Number) });
        await ml.update({ scores: mlScores.subarray(start * L, end * L),
          targets: mlTargets.subarray(start * L, end * L) });
        expect(report(part).matrices).toEqual((await ml.compute()).matrices);
        expect(report(part).rows).toBe(end - start);
      }
      const merged = JSON.parse(merge(parts.reverse(), '--format', 'json')) as Record<string, unknown>;
      expect(comparable(merged)).toEqual(comparable(whole));
      expect(merged.rowOutcomes).toEqual(outcomes);
      expect(merged.shards).toEqual({ count: n, indices: Array.from({ length: n }, (_, i) => i) });
    }
  });

  it('merges in any grouping, and renders table, CSV, Markdown and the plot as the single run does', () => {
    const parts = shards('mlg', mlArgs('--backend', 'cpu', '--classes', at('labels.txt')), 3);
    const m02 = at('mlg-02.json');
    const partial = confmat(['merge', parts[0]!, parts[2]!, '--allow-partial', '--out', m02]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stderr).toContain('missing 1');
    expect(report(m02).rows).toBe(N - (rowsOf(1, 3, N)[1] - rowsOf(1, 3, N)[0]));
    for (const format of ['json', 'table', 'csv', 'markdown']) {
      const one = confmat([...mlArgs('--backend', 'cpu', '--classes', at('labels.txt')), '--format', format, '--plot',
        at(`ml-one-${format}.svg`)]);
      const merged = merge([parts[1]!, m02], '--format', format, '--plot', at(`ml-merged-${format}.svg`));
      if (format === 'json') expect(comparable(JSON.parse(merged))).toEqual(comparable(JSON.parse(one.stdout)));
      else expect(merged).toBe(one.stdout);
      expect(readFileSync(at(`ml-merged-${format}.svg`), 'utf8')).toBe(
        readFileSync(at(`ml-one-${format}.svg`), 'utf8'),
      );
    }
    const csv = merge(parts, '--format', 'csv').split('\n');
    expect(csv[0]).toBe('label,threshold,tn,fp,fn,tp,precision,recall,f1,support');
    expect(csv[1]).toMatch(/^sky,0\.30000001192092896,\d+,\d+,\d+,\d+,/);
    expect(csv[9]).toMatch(/^samples avg,,,,,,0\.\d+,0\.\d+,0\.\d+,537$/);
    expect(merge(parts, '--format', 'markdown')).toContain('| person | 0.699999988079071 |');
    expect(merge(parts, '--format', 'table', '--classes', at('labels.txt'))).toMatch(/samples avg/);
  });

  it('names the row in the whole file when a shard holds a bad target, and checks only its own rows', () => {
    const bad = Uint8Array.from(mlTargets);
    bad[250 * L + 3] = 2;
    writeFileSync(at('bad-targets.npy'), encodeNpy(bad, [N, L]));
    const args = ['eval', '--task', 'multilabel', '--scores', `${ML}/scores.npy`, '--targets', at('bad-targets.npy'),
      '--backend', 'cpu'];
    const r = confmat([...args, '--shard', '2/3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${at('bad-targets.npy')}: row 250, column 3: target 2 is not 0 or 1`);
    expect(confmat([...args, '--shard', '0/3']).code).toBe(0);
  });
});

describe('confmat eval --task binary --shard i/n and confmat merge', () => {
  it.each<[string, string[], number[]]>([['--thresholds 21, spaced over the whole file in every shard, on the GPU', [
    '--thresholds',
    '21',
    '--backend',
    'gpu',
  ], [3, 7]], ['a listed sweep with Infinity', ['--thresholds', '0.1,0.5,0.9,Infinity', '--threshold', '0.25',
    '--backend', 'cpu'], [2]], ['one threshold, no sweep', ['--threshold', '0.3', '--backend', 'cpu'], [1, 4]]])(
      "%s: merged parts give the single run's JSON report",
      async (tag, extra, counts) => {
        const whole = single(binArgs(...extra.map((x) => (x === 'gpu' ? 'cpu' : x))));
        for (const n of counts) {
          const parts = shards(`bin-${tag.replace(/\W+/g, '-')}`, binArgs(...extra), n);
          for (const [i, part] of parts.entries()) {
            const [start, end] = rowsOf(i, n, BN);
            const got = report(part) as { sweep?: { thresholds: unknown[]; tps: number[] }; threshold: unknown;
              positives: number };
            const sweep = createThresholdSweep({
              thresholds: (got.sweep?.thresholds ?? [got.threshold]).map((t) => Number(t)),
            });
            await sweep.update({ scores: binScores.subarray(start, end),
              targets: Uint8Array.from(binTargets.subarray(start, end) as ArrayLike<number>, Number) });
            const want = await sweep.compute();
            expect(got.positives).toBe(want.positives);
            if (got.sweep) {
              expect(got.sweep.thresholds).toEqual((whole.sweep as { thresholds: unknown[] }).thresholds);
              expect(got.sweep.tps).toEqual(want.tps);
            }
          }
          const merged = JSON.parse(merge(parts.reverse(), '--format', 'json')) as Record<string, unknown>;
          expect(comparable(merged)).toEqual(comparable(whole));
          expect(merged.rows).toBe(BN);
        }
      },
    );

  it('renders table, CSV, Markdown and the curves of the merged parts as the single run does', () => {
    const args = binArgs('--thresholds', '11', '--backend', 'cpu');
    const parts = shards('bing', args, 3);
    for (const format of ['json', 'table', 'csv', 'markdown']) {
      const one = confmat([...args, '--format', format, '--plot', at(`bin-one-${format}.svg`)]);
      const merged = merge([parts[2]!, parts[0]!, parts[1]!], '--format', format, '--plot',
        at(`bin-merged-${format}.svg`));
      if (format === 'json') expect(comparable(JSON.parse(merged))).toEqual(comparable(JSON.parse(one.stdout)));
      else expect(merged).toBe(one.stdout);
      expect(readFileSync(at(`bin-merged-${format}.svg`), 'utf8')).toBe(
        readFileSync(at(`bin-one-${format}.svg`), 'utf8'),
      );
    }
    const csv = merge(parts, '--format', 'csv').trim().split('\n');
    expect(csv[0]).toBe('threshold,tn,fp,fn,tp,accuracy,precision,recall,f1,fpr');
    const k =
      (JSON.parse(merge(parts, '--format', 'json')) as { sweep: { thresholds: unknown[] } }).sweep.thresholds.length;
    expect(k).toBeGreaterThanOrEqual(11);
    expect(csv).toHaveLength(1 + k);
    expect(merge(parts, '--format', 'markdown')).toMatch(
      /## Confusion matrix at threshold 0\.5\n\n\| true \\ predicted \| 0 \| 1 \|/,
    );
  });
});

describe('merge refusals of task parts exit non-zero, name the file and write nothing', () => {
  const part = (name: string, args: string[]) => {
    const path = at(name);
    const r = confmat([...args, '--out', path]);
    expect(r.code, r.stderr).toBe(0);
    return path;
  };
  const edited = (name: string, from: string, edit: (v: Record<string, unknown>) => void) => {
    const v = report(from);
    edit(v);
    writeFileSync(at(name), JSON.stringify(v));
    return at(name);
  };
  const ml = (name: string, i: number, n: number, ...extra: string[]) =>
    part(name, [...mlArgs('--backend', 'cpu', ...extra), '--shard', `${i}/${n}`]);
  const bin = (name: string, i: number, n: number, ...extra: string[]) =>
    part(name, [...binArgs('--backend', 'cpu', ...extra), '--shard', `${i}/${n}`]);
  let k = 0;
  it.each<[string, () => string[], number, RegExp]>([['a multilabel and a multiclass part',
    () => [ml('t0.json', 0, 2),
      part('t1.json', ['eval', '--logits', `${ML}/scores.npy`, '--labels', at('classes.npy'), '--backend', 'cpu',
        '--shard', '1/2'])], 1,
    /t1\.json: a multiclass state, but .*t0\.json is multilabel: parts of different tasks do not merge/], [
    'a binary and a multilabel part',
    () => [bin('u0.json', 0, 2), ml('u1.json', 1, 2)],
    1,
    /u1\.json: a multilabel state, but .*u0\.json is binary/,
  ], ['multilabel parts of other thresholds',
    () => [ml('h0.json', 0, 2),
      part('h1.json', ['eval', '--task', 'multilabel', '--scores', `${ML}/scores.npy`, '--targets', `${ML}/targets.npy`,
        '--backend', 'cpu', '--shard', '1/2'])], 1,
    /h1\.json: the threshold of label 0 is 0\.5, but 0\.30000001192092896 in .*h0\.json: parts must be counted with the same --threshold/],
    ['multilabel parts of other label names',
      () => [ml('n0.json', 0, 2), ml('n1.json', 1, 2, '--classes', at('labels.txt'))], 1,
      /n1\.json: label 0 is named "sky", but "0" in .*n0\.json/], ['binary parts of other --thresholds',
    () => [bin('s0.json', 0, 2, '--thresholds', '5'), bin('s1.json', 1, 2, '--thresholds', '6')], 1,
    /s1\.json: a sweep of \d+ thresholds, but .*s0\.json is a sweep of \d+ thresholds: parts must be counted with the same --thresholds/],
    ['binary parts of another --threshold', () => [bin('b0.json', 0, 2), bin('b1.json', 1, 2, '--threshold', '0.7')], 1,
      /b1\.json: threshold 0\.699999988079071, but 0\.5 in .*b0\.json/], ['a duplicate binary shard', () => {
    const a = bin('d0.json', 0, 2);
    copyFileSync(a, at('d0-copy.json'));
    return [a, at('d0-copy.json'), bin('d1.json', 1, 2)];
  }, 1, /d0-copy\.json: shard 0\/2 is also in .*d0\.json; each shard must be merged once/], [
    'missing multilabel shards',
    () => [ml('m1.json', 1, 4), ml('m3.json', 3, 4)],
    1,
    /2 parts hold 2 of 4 shards; missing shards 0, 2 \(confmat eval --shard i\/4\); pass --allow-partial/,
  ], ['an edited multilabel count',
    () => [ml('e0.json', 0, 2),
      edited('e1.json', ml('e1-orig.json', 1, 2), (v) => ((v.matrices as number[][][])[2]![1]![1]! += 1))], 1,
    /e1\.json: \$\.matrices\[2\]: TN \+ FP \+ FN \+ TP = 151, but rows is 150 \(edited or corrupt file\?\)/], [
    'an edited binary sweep',
    () => [bin('f0.json', 0, 2, '--thresholds', '5'),
      edited('f1.json', bin('f1-orig.json', 1, 2, '--thresholds', '5'),
        (v) => ((v.sweep as { tps: number[] }).tps[4] = 999))],
    1,
    /f1\.json: \$\.sweep\.tps\[4\]: 999 exceeds the \d+ positives/,
  ], ['--normalize with multilabel parts', () => [ml('z0.json', 0, 1), '--normalize', 'true'], 2,
    /--normalize applies to multiclass parts; these are multilabel/], ['an HTML plot of binary parts',
    () => [bin('p0.json', 0, 1, '--thresholds', '5'), '--plot', at('curves.html')], 2,
    /curves\.html: binary parts draw \.svg or \.png/], ['curves of binary parts without a sweep',
    () => [bin('q0.json', 0, 1), '--plot', at('curves.svg')], 2,
    /--plot with binary parts draws ROC and PR curves: the parts need --thresholds/], ['--classes with binary parts',
    () => [bin('c0.json', 0, 1), '--classes', at('labels.txt')], 2,
    /--classes names the classes or labels of multiclass and multilabel parts; these are binary/]])('%s',
      (_, args, code, message) => {
        const out = at(`refused-${k++}.json`);
        const r = confmat(['merge', ...args(), '--out', out]);
        expect(r.stderr).toMatch(message);
        expect(r.code).toBe(code);
        expect(existsSync(out)).toBe(false);
        expect(existsSync(at('curves.svg'))).toBe(false);
        expect(existsSync(at('curves.html'))).toBe(false);
      });
});
