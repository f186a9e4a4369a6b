import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';
import { HAS_MESA_EGL } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-per-class-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'eval', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, data: Parameters<typeof encodeNpy>[0], shape: number[]): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy(data, shape));
  return path;
}

const FIX = 'test/fixtures/per-class';
const sk = JSON.parse(readFileSync(`${FIX}/expected.json`, 'utf8')) as { accuracy: number; macro: { f1: number };
  weighted: { f1: number }; presentClasses: number; distinctPairs: number; topPairs: [number, number, number][] };
const withoutBackend = (json: string) => {
  const { backend: _, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return rest;
};

/** N x C logits where every other row's label holds the maximum; labels in [0, C). */
function huge(name: string, rows: number, c: number, seed: number): { logits: string; labels: string; y: Int32Array } {
  const rand = rng(seed);
  const y = makeLabels(rand, rows, c) as Int32Array;
  const x = makeLogits(rand, rows, c, 'random');
  for (let i = 0; i < rows; i += 2) x[i * c + y[i]!] = 10;
  return { logits: file(`${name}-logits.npy`, x, [rows, c]), labels: file(`${name}-labels.npy`, y, [rows]), y };
}

describe('confmat eval in per-class mode', () => {
  it.each(['gpu', 'cpu'])(
    'counts per class when C x C does not fit the host, with a note, equal to sklearn (--backend %s)',
    (backend) => {
      const r = confmat(['--preds', `${FIX}/preds.npy`, '--labels', `${FIX}/labels.npy`, '--backend', backend,
        '--format', 'json']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/numClasses 30000 is too large for the host.*; counting per class instead/);
      expect(r.stderr.match(/--num-classes not given/g)).toHaveLength(1);
      const out = JSON.parse(r.stdout);
      expect(out.mode).toBe('per-class');
      expect(out.backend.name).toBe(backend);
      expect(out.numClasses).toBe(30000);
      expect(out.accuracy).toBeCloseTo(sk.accuracy, 12);
      expect(out.macroAvg.f1).toBeCloseTo(sk.macro.f1, 12);
      expect(out.weightedAvg.f1).toBeCloseTo(sk.weighted.f1, 12);
      expect(out.presentClasses).toBe(sk.presentClasses);
      expect(out.confusions.count).toHaveLength(sk.distinctPairs);
      expect(
        out.topConfusions.map((
          x: { true: string; pred: string; count: number },
        ) => [Number(x.true), Number(x.pred), x.count]),
      ).toEqual(sk.topPairs.slice(0, 10));
      expect([out.confusions.true.slice(0, 20), out.confusions.pred.slice(0, 20), out.confusions.count.slice(0, 20)])
        .toEqual([0, 1, 2].map((k) => sk.topPairs.map((p) => p[k])));
      for (const key of ['tp', 'fp', 'fn', 'support', 'precision', 'recall', 'f1']) {expect(out.perClass[key])
          .toHaveLength(30000);}
    },
  );

  it('--logits with C = 30000: the GPU equals the CPU, and --per-class equals the automatic choice', () => {
    const { logits, labels } = huge('auto', 40, 30000, 1);
    const gpu = confmat(['--logits', logits, '--labels', labels, '--backend', 'gpu']);
    const cpu = confmat(['--logits', logits, '--labels', labels, '--backend', 'cpu', '--per-class']);
    expect([gpu.code, cpu.code]).toEqual([0, 0]);
    expect(gpu.stderr).toMatch(/counting per class instead/);
    expect(cpu.stderr).toBe('');
    expect(withoutBackend(gpu.stdout)).toEqual(withoutBackend(cpu.stdout));
    expect(JSON.parse(cpu.stdout).correct).toBeGreaterThanOrEqual(20);
  });

  it.runIf(HAS_MESA_EGL)('falls back when the matrix fits the host but not the device (GL ES, compatibility level)',
    () => {
      const { logits, labels } = huge('device', 30, 6000, 2);
      const gl = confmat(['--logits', logits, '--labels', labels, '--backend', 'gpu', '--dawn-backend', 'opengles',
        '--feature-level', 'compatibility']);
      expect(gl.code).toBe(0);
      expect(gl.stderr).toMatch(/numClasses 6000 is too large for this device.*counting per class instead/);
      const cpu = confmat(['--logits', logits, '--labels', labels, '--backend', 'cpu', '--per-class']);
      expect(withoutBackend(gl.stdout)).toEqual(withoutBackend(cpu.stdout));
      expect(JSON.parse(gl.stdout).backend.name).toBe('gpu');
    });

  it('--per-class on small C agrees with the dense report; csv, markdown and table', () => {
    const rand = rng(5);
    const labels = file('small-labels.npy', makeLabels(rand, 500, 7) as Int32Array, [500]);
    const logits = file('small-logits.npy', makeLogits(rand, 500, 7, 'ties'), [500, 7]);
    const dense = JSON.parse(confmat(['--logits', logits, '--labels', labels, '--backend', 'cpu']).stdout);
    const per = JSON.parse(confmat(['--logits', logits, '--labels', labels, '--backend', 'gpu', '--per-class']).stdout);
    for (const k of ['total', 'correct', 'accuracy', 'balancedAccuracy', 'macroAvg', 'weightedAvg', 'microAvg',
      'topConfusions']) expect(per[k], k).toEqual(dense[k]);
    expect(per.kappa).toBeCloseTo(dense.kappa, 14);
    expect(per.mcc).toBeCloseTo(dense.mcc, 14);
    expect(per.perClass.f1).toEqual(dense.perClass.map((x: { f1: number }) => x.f1));
    expect(per.perClass.support).toEqual(dense.perClass.map((x: { support: number }) => x.support));
    const names = join(dir, 'names.txt');
    writeFileSync(names, ['cat', 'dog', 'a,b', 'emu', 'fox', 'gnu', 'hen'].join('\n'));
    const csv = confmat(['--logits', logits, '--labels', labels, '--per-class', '--format', 'csv', '--classes', names]);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('index,class,tp,fp,fn,support,precision,recall,f1');
    expect(lines).toHaveLength(8);
    expect(lines[3]!.startsWith('2,"a,b",')).toBe(true);
    const md = confmat(['--logits', logits, '--labels', labels, '--per-class', '--format', 'markdown']);
    expect(md.stdout).toMatch(/\| macro avg \| 0\.\d{4} \|/);
    expect(md.stdout).toContain('**Most confused pairs**');
    const table = confmat(['--logits', logits, '--labels', labels, '--per-class', '--format', 'table']);
    expect(table.stdout).toMatch(/^per-class mode: 7 classes, 500 samples/);
    expect(table.stdout).toContain('worst classes by F1');
  });

  it('names the file, index and value of a bad label, also past ignored rows, and writes nothing', () => {
    const { logits, y } = huge('bad', 30, 30000, 3);
    const bad = Int32Array.from(y);
    bad[3] = -100;
    bad[9] = -100;
    bad[17] = 30000;
    const labels = file('bad-labels.npy', bad, [30]);
    const out = join(dir, 'bad.json');
    for (const extra of [[], ['--per-class'], ['--ignore-index=-100']]) {
      const r = confmat(['--logits', logits, '--labels', labels, '--out', out, ...extra]);
      expect(r.code).toBe(1);
      const index = extra[0] === '--ignore-index=-100' ? 17 : 3;
      expect(r.stderr).toContain(
        `bad-labels.npy: index ${index}: label ${index === 17 ? 30000 : -100} is outside [0, 30000)`,
      );
      expect(existsSync(out)).toBe(false);
    }
  });

  it('keeps the refusal when a flag needs the C x C matrix; --per-class refuses such flags with a usage error', () => {
    const plot = join(dir, 'cm.svg');
    const auto = confmat(['--preds', `${FIX}/preds.npy`, '--labels', `${FIX}/labels.npy`, '--plot', plot]);
    expect(auto.code).toBe(1);
    expect(auto.stderr).toMatch(
      /numClasses 30000 is too large for the host: .*; per-class mode \(--per-class\) would count without the matrix, but --plot needs it\n$/,
    );
    expect(auto.stderr).not.toContain('counting per class instead');
    expect(existsSync(plot)).toBe(false);
    const explicit = confmat(['--preds', `${FIX}/preds.npy`, '--labels', `${FIX}/labels.npy`, '--plot', plot,
      '--per-class']);
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toMatch(/--plot draws the C x C matrix, which per-class mode does not build/);
    for (const [flags, message] of [[['--normalize', 'true'], /--normalize applies to the C x C matrix/], [['--top-k',
      '2'], /--top-k is counted with the C x C matrix/], [['--task', 'binary'],
      /--per-class applies to --task multiclass/]] as const) {
      const r = confmat(['--preds', `${FIX}/preds.npy`, '--labels', `${FIX}/labels.npy`, '--per-class', ...flags]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it.each(['gpu', 'cpu'])(
    'shards and merges: n parts of --per-class --shard i/n add up to the whole run (--backend %s)',
    (backend) => {
      const { logits, labels } = huge('shards', 3001, 700, 11);
      const common = ['--logits', logits, '--labels', labels, '--per-class', '--ignore-index', '5', '--backend',
        backend];
      const whole = confmat([...common, '--format', 'json']);
      expect(whole.code).toBe(0);
      const parts = [0, 1, 2].map((i) => {
        const out = join(dir, `pc-${backend}-${i}.json`);
        const r = confmat([...common, '--shard', `${i}/3`, '--out', out]);
        expect(r.code).toBe(0);
        return out;
      });
      expect(JSON.parse(readFileSync(parts[1]!, 'utf8')).shards).toEqual({ count: 3, indices: [1] });
      const merge = (args: string[]) =>
        spawnSync(process.execPath, ['dist/cli/main.js', 'merge', ...args], { encoding: 'utf8' });
      const merged = merge([...parts, '--format', 'json']);
      expect(merged.status).toBe(0);
      const { shards, ...sum } = withoutBackend(merged.stdout);
      expect(shards).toEqual({ count: 3, indices: [0, 1, 2] });
      expect(sum).toEqual(withoutBackend(whole.stdout));
      const partial = merge([parts[0]!, parts[2]!, '--format', 'json']);
      expect(partial.status).toBe(1);
      expect(partial.stderr).toMatch(/missing shard 1 /);
      const plot = merge([...parts, '--plot', join(dir, 'pc.svg')]);
      expect(plot.status).toBe(2);
      expect(plot.stderr).toMatch(/--plot needs the C x C matrix; these are per-class parts/);
    },
  );
});
