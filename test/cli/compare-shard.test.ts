import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { comparisonResult } from '../../src/tasks/compare/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-compare-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const F = 'test/fixtures/compare';
const ARGS = ['--logits', `${F}/a.npy`, '--logits-b', `${F}/b.npy`, '--labels', `${F}/labels.npy`, '--backend', 'cpu'];
const at = (name: string) => join(dir, name);

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/** Writes `compare ... --shard i/n` (the JSON part, the default format with --shard) to `name`. */
function part(name: string, shard: string, extra: string[] = []): string {
  const r = confmat(['compare', ...ARGS, '--shard', shard, '--out', at(name), ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return at(name);
}

/** A part edited by `edit`, written to `name`. */
function edited(name: string, from: string, edit: (v: Record<string, unknown>) => void): string {
  const v = read(from);
  edit(v);
  writeFileSync(at(name), JSON.stringify(v));
  return at(name);
}

/** The part as a non-joint one: both matrices and the right/wrong table instead of the joint counts. */
const unjoint = (v: Record<string, unknown>) => {
  const r = comparisonResult(Float64Array.from(v.counts as number[]), v.numClasses as number, true);
  Object.assign(v, { joint: false, countsA: Array.from(r.a.counts), countsB: Array.from(r.b.counts),
    rightWrong: Array.from(r.rightWrong) });
  delete v.counts;
};

const REPORT = ['a', 'b', 'joint', 'mcnemar', 'perClass', 'changes'];
const CI = ['--ci', '0.95', '--seed', '7', '--bootstrap', '300'];

describe('confmat compare --shard and merge', () => {
  const parts = ['0/3', '1/3', '2/3'].map((s, i) => part(`p${i}.json`, s));

  it('writes parts that carry the joint counts, the classes, the options and the shard', () => {
    writeFileSync(at('names.txt'), `${Array.from({ length: 10 }, (_, k) => `digit <${k}>`).join('\n')}\n`);
    const named = read(part('named.json', '1/3', ['--classes', at('names.txt'), '--ignore-index=-1']));
    expect(named.classes).toEqual(Array.from({ length: 10 }, (_, k) => `digit <${k}>`));
    expect(named.options).toEqual({ numClasses: 10, ignoreIndex: -1 });
    const p = read(parts[1]!);
    expect(p).toMatchObject({ format: 'confmat-state', version: 1, task: 'comparison', numClasses: 10, joint: true,
      options: { numClasses: 10 }, shards: { count: 3, indices: [1] } });
    expect((p.counts as number[]).length).toBe(1000);
    const rows = (p.counts as number[]).reduce((s, x) => s + x, 0);
    expect(rows).toBe((p.a as { total: number }).total);
  });

  it('merges 3 shards into the report of one run: the same --ci intervals, byte for byte', () => {
    const one = JSON.parse(confmat(['compare', ...ARGS, '--format', 'json', ...CI]).stdout) as Record<string, unknown>;
    const r = confmat(['merge', parts[2]!, parts[0]!, parts[1]!, '--format', 'json', ...CI]);
    expect(r.code, r.stderr).toBe(0);
    const merged = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(JSON.stringify(merged.difference)).toBe(JSON.stringify(one.difference));
    expect((merged.difference as { table: string }).table).toBe('joint');
    for (const k of REPORT) expect([k, merged[k]]).toEqual([k, one[k]]);
    expect(merged.shards).toEqual({ count: 3, indices: [0, 1, 2] });
    const table = confmat(['merge', ...parts, '--format', 'table', ...CI]);
    expect(table.stdout).toBe(confmat(['compare', ...ARGS, '--format', 'table', ...CI]).stdout);
  });

  it('merges a joint and a non-joint part as both matrices and the right/wrong table, saying which', () => {
    const flat = edited('flat1.json', parts[1]!, unjoint);
    const r = confmat(['merge', parts[0]!, flat, parts[2]!, '--format', 'json', ...CI]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/p0\.json \(and 1 more\) holds the joint \(true, A, B\) table, .*flat1\.json only both/);
    expect(r.stderr.match(/holds the joint/g)).toHaveLength(1);
    const merged = JSON.parse(r.stdout) as Record<string, unknown>;
    const one = JSON.parse(confmat(['compare', ...ARGS, '--format', 'json', ...CI]).stdout) as Record<string, unknown>;
    expect(merged.joint).toBe(false);
    for (const k of ['a', 'b', 'mcnemar', 'perClass', 'changes']) expect([k, merged[k]]).toEqual([k, one[k]]);
    expect((merged.difference as { table: string }).table).toBe('right-wrong');
  });

  it("draws the difference heatmap: merge of the shards draws the one run's, byte for byte", () => {
    const one = confmat(['compare', ...ARGS, '--plot', at('one.svg'), '--out', at('one.json')]);
    expect(one.code, one.stderr).toBe(0);
    const r = confmat(['merge', ...parts, '--plot', at('merged.svg'), '--out', at('merged.json')]);
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(at('one.svg'), 'utf8');
    expect(readFileSync(at('merged.svg'), 'utf8')).toBe(svg);
    expect(svg).toContain('B - A: change in rows per cell');
    expect(svg.match(/<text x="[\d.]+" y="[\d.]+" fill="#(000|fff)">[-+]?\d+<\/text>/g)).toHaveLength(100);
    for (const cmd of [['compare', ...ARGS], ['merge', ...parts]]) {
      const html = confmat([...cmd, '--plot', at('x.html'), '--out', at('x.json')]);
      expect(html.stderr).toMatch(
        /--plot .*x\.html: compare (parts )?draws? the difference heatmap B - A as \.svg or \.png/,
      );
      expect(html.code).toBe(2);
      expect(existsSync(at('x.json'))).toBe(false);
    }
  });

  it('merges merged parts again: associative', () => {
    const r = confmat(['merge', parts[0]!, parts[2]!, '--allow-partial', '--out', at('m02.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(read(at('m02.json')).shards).toEqual({ count: 3, indices: [0, 2] });
    const [again, flat] = [confmat(['merge', at('m02.json'), parts[1]!, '--format', 'json']),
      confmat(['merge', ...parts, '--format', 'json'])];
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(flat.stdout);
  });

  it('refuses --shard with --preds and --preds-b but no --num-classes (exit 2)', () => {
    const r = confmat(['compare', '--preds', `${F}/labels.npy`, '--preds-b', `${F}/labels.npy`, '--labels',
      `${F}/labels.npy`, '--shard', '0/2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard with --preds and --preds-b needs --num-classes C/);
  });

  let n = 0;
  const cell = (v: Record<string, unknown>, key: string, j: number, x: unknown) => ((v[key] as unknown[])[j] = x);
  it.each<[string, () => string[], RegExp]>([['an eval part', () => {
    const r = confmat(['eval', '--logits', `${F}/a.npy`, '--labels', `${F}/labels.npy`, '--backend', 'cpu', '--shard',
      '1/3', '--out', at('eval1.json')]);
    expect(r.code, r.stderr).toBe(0);
    return [parts[0]!, at('eval1.json'), parts[2]!];
  }, /eval1\.json: a confmat eval \(multiclass\) part, but .*p0\.json is a confmat compare part: compare and eval/], [
    'counts of the wrong length',
    () => [parts[0]!, edited('len.json', parts[1]!, (v) => (v.counts as number[]).pop())],
    /len\.json: \$\.counts: holds 999 counts, 10 x 10 x 10 = 1000 expected/,
  ], ['a non-integer count', () => [parts[0]!, edited('frac.json', parts[1]!, (v) => cell(v, 'counts', 5, 1.5))],
    /frac\.json: \$\.counts\[5\]: count must be an integer in \[0, 2\^53 - 1\], got 1\.5/], ['an absurd count',
    () => [parts[0]!, edited('huge.json', parts[1]!, (v) => cell(v, 'counts', 0, 2 ** 60))],
    /huge\.json: \$\.counts\[0\]: count must be an integer in \[0, 2\^53 - 1\]/], ['joint not a boolean',
    () => [parts[0]!, edited('joint.json', parts[1]!, (v) => (v.joint = 'yes'))],
    /joint\.json: \$\.joint: must be true or false, got "yes"/], ['an edited right/wrong table',
    () => [parts[0]!, edited('rw.json', parts[1]!, (v) => {
      unjoint(v);
      (v.rightWrong as number[])[9]! += 1;
    })], /rw\.json: \$\.rightWrong\[8\.\.11\]: hold \d+ rows of class 2, \$\.countsA \d+ \(edited or corrupt file\?\)/],
    ['a right/wrong table that moves a right row', () => [parts[0]!, edited('rw2.json', parts[1]!, (v) => {
      unjoint(v);
      (v.rightWrong as number[])[4]! -= 1;
      (v.rightWrong as number[])[6]! += 1;
    })], /rw2\.json: \$\.rightWrong\[4\.\.7\]: say A is right on \d+ rows of class 1, \$\.countsA/], [
    'another ignore index',
    () => [parts[0]!, edited('ign.json', parts[1]!, (v) => (v.options = { numClasses: 10, ignoreIndex: 3 }))],
    /ign\.json: options .*"ignoreIndex":3.* differ from .*p0\.json's/,
  ], ['an unknown option',
    () => [parts[0]!, edited('opt.json', parts[1]!, (v) => (v.options = { numClasses: 10, topK: 2 }))],
    /opt\.json: \$\.options\.topK: option not known to this confmat/], ['other class names',
    () => [parts[0]!, edited('names.json', parts[1]!, (v) => {
      v.classes = Array.from({ length: 10 }, (_, k) => (k === 4 ? 'four' : String(k)));
    })], /names\.json: class 4 is named "four", but "4" in .*p0\.json/], ['another C',
    () => [parts[0]!, edited('c.json', parts[1]!, (v) => {
      Object.assign(v, { numClasses: 2, counts: [0, 0, 0, 0, 0, 0, 0, 1], options: { numClasses: 2 } });
      delete v.classes;
    })], /c\.json: 2 classes, but .*p0\.json has 10/], ['a joint table too large',
    () => [parts[0]!, edited('big.json', parts[1]!, (v) => {
      Object.assign(v, { numClasses: 20000, options: { numClasses: 20000 } });
      delete v.classes;
    })], /big\.json: \$\.numClasses: a joint table of 20000 classes: C\^3 float64 counts need/], ['deep JSON',
    () => [parts[0]!, (writeFileSync(at('deep.json'), `${'['.repeat(100000)}${']'.repeat(100000)}`), at('deep.json'))],
    /deep\.json: .*nested/]])('refuses %s, naming the file and the field (exit 1, no --out file)',
      (_, files, message) => {
        const out = at(`refused-${n++}.json`);
        const r = confmat(['merge', ...files(), '--out', out]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toMatch(/^confmat: \//);
        expect(r.code).toBe(1);
        expect(existsSync(out)).toBe(false);
      });

  it.each([[['--format', 'csv'], /compare parts merge into table or json, not csv/], [['--normalize', 'true'],
    /--normalize applies to eval parts; these are compare parts/]])('refuses %j on compare parts (exit 2)',
      (flags, message) => {
        const r = confmat(['merge', ...parts, ...flags]);
        expect(r.stderr).toMatch(message);
        expect(r.code).toBe(2);
      });
});
