import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConfusionMatrix } from '../../src/index.js';
import { encodeNpy } from '../../src/read/npy.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const D = 'test/fixtures/jsonl/digits';
/** What sklearn says of argmax(logits), or of the predictions, against the labels (make-jsonl-fixtures.py). */
interface Sklearn {
  matrix: number[][];
  accuracy: number;
  balancedAccuracy: number;
  kappa: number;
  mcc: number;
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}
const SKLEARN = JSON.parse(readFileSync(`${D}.json`, 'utf8')) as Record<'logits' | 'preds', Sklearn> & {
  binary: { matrix: number[][] };
};
const { fresh } = tempDirs('confmat-stdin-');

/** The built CLI with `input` on its standard input and TMPDIR a fresh folder (returned, to check it stays empty). */
function confmat(args: string[], input: string | Uint8Array = '') {
  const tmp = fresh();
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'eval', ...args, '--format', 'json'], { input,
    encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, left: readdirSync(tmp) };
}

/** The report, checked to be a success that left nothing behind. */
function report(args: string[], input?: string | Uint8Array): string {
  const r = confmat(args, input);
  expect({ code: r.code, left: r.left }).toEqual({ code: 0, left: [] });
  expect(r.stderr).toMatch(/^(confmat: --num-classes not given; using 10 \(largest class index \+ 1\)\n)?$/);
  return r.stdout;
}

function expectSklearn(out: string, what: 'logits' | 'preds'): void {
  const r = JSON.parse(out);
  const sk = SKLEARN[what];
  expect(r.matrix).toEqual(sk.matrix);
  for (const k of ['accuracy', 'balancedAccuracy', 'kappa', 'mcc'] as const) expect(r[k]).toBeCloseTo(sk[k], 12);
  for (const k of ['precision', 'recall', 'f1', 'support'] as const) {
    r.perClass.forEach((c: Record<string, number>, i: number) => expect(c[k]).toBeCloseTo(sk[k][i]!, 12));
    expect(r.perClass).toHaveLength(sk[k].length);
  }
}

const npyArgs = ['--logits', `${D}.logits.npy`, '--labels', `${D}.labels.npy`, '--backend', 'cpu'];

describe('JSON Lines inputs', () => {
  it.each(['cpu', 'gpu'])('eval of logits and labels from JSONL equals the .npy run and sklearn (--backend %s)',
    (backend) => {
      const jsonl = report(['--logits', `${D}.jsonl:logits`, '--labels', `${D}.jsonl:label`, '--backend', backend]);
      expectSklearn(jsonl, 'logits');
      const npy = report([...npyArgs.slice(0, -1), backend]);
      expect(jsonl).toBe(npy);
    });

  it('eval of predictions from JSONL (C found by a first pass) equals sklearn', () => {
    const out = report(['--preds', `${D}.jsonl:pred`, '--labels', `${D}.jsonl:label`, '--backend', 'cpu']);
    expectSklearn(out, 'preds');
    expect(out).toBe(report(['--preds', `${D}.preds.npy`, '--labels', `${D}.labels.npy`, '--backend', 'cpu']));
  });
});

describe('JSON Lines scores', () => {
  it('--task binary: a number per line as the score, an integer as the target, equal to the .npy run', () => {
    const dir = fresh();
    const rows = readFileSync(`${D}.jsonl`, 'utf8').trim().split('\n').map((l) =>
      JSON.parse(l) as { label: number; logits: number[] }
    );
    const scores = Float32Array.from(rows, (r) => r.logits[1]!);
    const targets = Int32Array.from(rows, (r) => Number(r.label === 1));
    writeFileSync(join(dir, 's.npy'), encodeNpy(scores, [rows.length]));
    writeFileSync(join(dir, 't.npy'), encodeNpy(targets, [rows.length]));
    writeFileSync(join(dir, 'b.jsonl'), rows.map((_, i) => `{"t": ${targets[i]}, "s": ${scores[i]}}\n`).join(''));
    const args = (s: string, t: string) => ['--task', 'binary', '--scores', s, '--targets', t, '--backend', 'cpu'];
    const npy = report(args(join(dir, 's.npy'), join(dir, 't.npy')));
    expect(JSON.parse(npy).matrix).toEqual(SKLEARN.binary.matrix);
    expect(report(args(`${join(dir, 'b.jsonl')}:s`, `${join(dir, 'b.jsonl')}:t`))).toBe(npy);
    expect(report(args('-:s', `${join(dir, 'b.jsonl')}:t`), readFileSync(join(dir, 'b.jsonl')))).toBe(npy);
  });
});

describe('- reads standard input', () => {
  let npy = '';
  beforeAll(() => {
    npy = report(npyArgs);
  });
  const logitsNpy = readFileSync(`${D}.logits.npy`);
  const jsonl = readFileSync(`${D}.jsonl`);
  const csv = (() => {
    const rows = jsonl.toString().trim().split('\n').map((l) => (JSON.parse(l) as { logits: number[] }).logits);
    return `${rows.map((r) => r.join(',')).join('\n')}\n`;
  })();

  it.each([['.npy logits', ['--logits', '-', '--labels', `${D}.labels.npy`], logitsNpy], ['CSV logits', ['--logits',
    '-', '--labels', `${D}.labels.npy`], csv], ['a JSONL field of logits', ['--logits', '-:logits', '--labels',
    `${D}.labels.npy`], jsonl], ['.npy labels', ['--logits', `${D}.logits.npy`, '--labels', '-'],
    readFileSync(`${D}.labels.npy`)], ['a JSONL field of labels', ['--logits', `${D}.logits.npy`, '--labels',
    '-:label'], jsonl]])('%s: the report equals the run from files, and no temporary is left', (_, args, input) => {
      expect(report([...args, '--backend', 'cpu'], input)).toBe(npy);
    });

  it('predictions and labels read twice (C inferred), --shard, CPU threads: each equals the run from files', () => {
    const files = ['--preds', `${D}.preds.npy`, '--labels', `${D}.labels.npy`, '--backend', 'cpu'];
    const fromFiles = report(files);
    expect(report(['--preds', '-', ...files.slice(2)], readFileSync(`${D}.preds.npy`))).toBe(fromFiles);
    expect(report(['--preds', '-:pred', ...files.slice(2)], jsonl)).toBe(fromFiles);
    expect(report([...files.slice(0, 2), '--labels', '-', '--backend', 'cpu'], readFileSync(`${D}.labels.npy`))).toBe(
      fromFiles,
    );
    const shard = ['--shard', '1/3', '--num-classes', '10'];
    expect(report(['--preds', '-', ...files.slice(2), ...shard], readFileSync(`${D}.preds.npy`))).toBe(
      report([...files, ...shard]),
    );
    const threads = ['--threads', '2'];
    expect(report(['--logits', '-', ...npyArgs.slice(2), ...threads], logitsNpy)).toBe(
      report([...npyArgs, ...threads]),
    );
  });

  it('compare reads --labels - for both models', () => {
    const args = ['--logits', `${D}.logits.npy`, '--preds-b', `${D}.preds.npy`, '--backend', 'cpu', '--format', 'json'];
    const run = (labels: string, input = '' as string | Uint8Array) => {
      const tmp = fresh();
      const r = spawnSync(process.execPath, ['dist/cli/main.js', 'compare', ...args, '--labels', labels], { input,
        encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
      expect({ code: r.status, stderr: r.stderr, left: readdirSync(tmp) }).toEqual({ code: 0, stderr: '', left: [] });
      return r.stdout;
    };
    expect(run('-', readFileSync(`${D}.labels.npy`))).toBe(run(`${D}.labels.npy`));
  });

  it.each([['an .npz', readFileSync('test/fixtures/formats/single.npz'), 1,
    /<stdin>: byte 0: a zip archive \(\.npz\) cannot/], ['a .safetensors file',
    readFileSync('test/fixtures/formats/single.safetensors'), 1,
    /<stdin>: byte 0: a \.safetensors file cannot be read from standard input: its format is read by seeking/], [
    'a Parquet file',
    Buffer.from('PAR1\0\0\0\0\0\0\0\0\0\0\0\0PAR1'),
    1,
    /<stdin>: byte 0: a Parquet file cannot be/,
  ], ['nothing', '', 1, /<stdin>: byte 0: standard input is empty/], ['a name after - for a .npy', logitsNpy, 1,
    /a \.npy file holds a single array; drop ':x' from '<stdin>:x'/, '-:x'], ['a bad JSONL line',
    '{"x": [1, 2]}\n{"x": [1, 2, 3]}\n{"x": [1, 2]}\n', 1, /^confmat: <stdin>:2:14: field 'x': 3 numbers/, '-',
    'test/fixtures/bad/ok-labels.npy'], ['CSV of the wrong width', '1,2\n3,4\n', 1,
    /labels\.npy holds 450 labels but <stdin> has 2 rows/]])('refuses %s, naming <stdin>, and leaves no temporary',
      (_, input, code, message, spec = '-', labels = `${D}.labels.npy`) => {
        const r = confmat(['--logits', spec, '--labels', labels, '--backend', 'cpu'], input);
        expect({ code: r.code, left: r.left, stdout: r.stdout }).toEqual({ code, left: [], stdout: '' });
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/confmat-stdin-|\n\s+at /);
      });

  it('refuses two inputs from standard input (usage error, exit 2)', () => {
    const r = confmat(['--logits', '-:logits', '--labels', '-:label'], jsonl);
    expect({ code: r.code, left: r.left }).toEqual({ code: 2, left: [] });
    expect(r.stderr).toMatch(/--logits -:logits and --labels -:label: standard input can feed one input only/);
  });

  it.each([['SIGTERM', 'cpu'], ['SIGINT', 'cpu'], ['SIGTERM', 'auto']] as const)(
    '%s while standard input is copied (--backend %s) removes the copy, then dies of it',
    async (signal, backend) => {
      const tmp = fresh();
      // --backend auto runs the CLI in a child behind Dawn's stderr filter, which passes the signal on
      const child = spawn(process.execPath, ['dist/cli/main.js', 'eval', '--logits', '-', '--labels', `${D}.labels.npy`,
        '--backend', backend], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, TMPDIR: tmp } });
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((ok) =>
        child.on('exit', (code, sig) => ok([code, sig]))
      );
      child.stdin.write(logitsNpy.subarray(0, 4096));
      const copy = () => readdirSync(tmp).flatMap((d) => readdirSync(join(tmp, d)));
      while (copy().length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect(copy()).toEqual(['stdin']);
      child.kill(signal);
      expect(await exited).toEqual([null, signal]);
      expect(readdirSync(tmp)).toEqual([]);
    },
  );

  it('a 540 MB .npy stream stays under 256 MiB of peak RSS, counts every row and leaves no copy', async () => {
    const [block, repeats, classes] = [2 ** 20, 13, 10];
    const rows = block * repeats;
    const rand = rng(16);
    const logits = makeLogits(rand, block, classes, 'random');
    const labels = makeLabels(rand, block, classes, Int32Array) as Int32Array;
    const dir = fresh();
    const labelsPath = join(dir, 'labels.npy');
    const all = new Int32Array(rows);
    for (let i = 0; i < repeats; i++) all.set(labels, i * block);
    writeFileSync(labelsPath, encodeNpy(all, [rows]));
    const empty = Buffer.from(encodeNpy(new Float32Array(0), [0, classes])).toString('latin1');
    const pad = new RegExp(` {${String(rows).length - 1}}\n$`);
    const header = Buffer.from(empty.replace('(0, 10)', `(${rows}, 10)`).replace(pad, '\n'), 'latin1');
    const cm = createConfusionMatrix({ numClasses: classes });
    await cm.update({ logits, labels });
    const counts = (await cm.compute()).counts;
    const tmp = fresh();
    const child = spawn(process.execPath, ['--import', './test/helpers/report-rss.mjs', 'dist/cli/main.js', 'eval',
      '--logits', '-', '--labels', labelsPath, '--backend', 'cpu', '--format', 'json'], {
      env: { ...process.env, TMPDIR: tmp },
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((ok) => child.on('close', ok));
    const write = (b: Uint8Array) => new Promise<void>((ok, fail) => child.stdin.write(b, (e) => (e ? fail(e) : ok())));
    await write(header);
    for (let i = 0; i < repeats; i++) await write(new Uint8Array(logits.buffer));
    child.stdin.end();
    expect(await exited, stderr).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.total).toBe(rows);
    expect(out.matrix.flat()).toEqual(Array.from(counts, (v) => v * repeats));
    const peak = Number(/confmat-test peak-rss-bytes (\d+)/.exec(stderr)?.[1]);
    console.log(`${header.length + rows * classes * 4} bytes of .npy on standard input, peak RSS ${peak} bytes`);
    expect(peak).toBeGreaterThan(10 * 2 ** 20);
    expect(peak).toBeLessThan(256 * 2 ** 20);
    expect(readdirSync(tmp)).toEqual([]);
  }, 300_000);

  it('a file named - is read with ./-', () => {
    const dir = fresh();
    writeFileSync(join(dir, '-'), logitsNpy);
    expect(report(['--logits', join(dir, '-'), ...npyArgs.slice(2)])).toBe(npy);
  });
});

describe('messages name standard input <stdin>, not -', () => {
  it('a bad label and a row count that differs, read from standard input', () => {
    const preds = join(fresh(), 'p.npy');
    writeFileSync(preds, encodeNpy(new Int32Array([0, 1, 2, 1]), [4]));
    const bad = confmat(['--preds', preds, '--labels', '-', '--num-classes', '3', '--backend', 'cpu'],
      encodeNpy(new Int32Array([0, 1, -1, 1]), [4]));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('confmat: <stdin>: index 2: label -1 is outside [0, 3)\n');
    const short = confmat(['--preds', preds, '--labels', '-', '--num-classes', '3', '--backend', 'cpu'],
      encodeNpy(new Int32Array([0, 1, 2]), [3]));
    expect(short.stderr).toBe(`confmat: <stdin> holds 3 labels but ${preds} holds 4 predictions\n`);
    expect(short.left).toEqual([]);
  });
});
