import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';

const DIR = 'test/fixtures/weights-tasks';
const tmp = mkdtempSync(join(tmpdir(), 'confmat-weights-tasks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Scores {
  precision: number;
  recall: number;
  f1: number;
}
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as {
  multilabel: { totalWeight: number;
    cases: { name: string; thresholds: number[]; matrices: number[][][]; perLabel: { support: number[] }; micro: Scores;
      macro: Scores; weighted: Scores; samples: Scores }[] };
  binary: { roc: { thresholds: number[]; fpr: number[] }; rocAuc: number; averagePrecision: number;
    grid: { weights: { matrix: number[][] }; signed: { matrix: number[][] } } };
};
const perLabel = expected.multilabel.cases.find((c) => c.name === 'per-label')!;
const ML = ['eval', '--task', 'multilabel', '--scores', `${DIR}/ml-scores.npy`, '--targets', `${DIR}/ml-targets.npy`,
  '--threshold', perLabel.thresholds.join(',')];
const BIN = ['eval', '--task', 'binary', '--scores', `${DIR}/bin-scores.npy`, '--targets', `${DIR}/bin-targets.npy`];
const SWEEP = ['--thresholds', expected.binary.roc.thresholds.join(',')];

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]): Record<string, any> {
  const r = confmat([...args, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function npy(name: string, data: Parameters<typeof encodeNpy>[0], shape = [data.length]): string {
  const path = join(tmp, name);
  writeFileSync(path, encodeNpy(data, shape));
  return path;
}

function close(got: number[], want: number[], what: string, rel = 1e-12): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((a, i) => {
    const b = want[i]!;
    if (!(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300))) {
      expect.fail(`${what}[${i}]: ${a} vs sklearn ${b}`);
    }
  });
}

describe('confmat eval --task multilabel|binary --sample-weight', () => {
  it.each(['gpu', 'cpu'])('multilabel equals sklearn with sample_weight on --backend %s', (backend) => {
    const out = json([...ML, '--sample-weight', `${DIR}/ml-weights.npy`, '--backend', backend]);
    expect(out.backend.name).toBe(backend);
    expect(out.options).toEqual({ numLabels: 5, sampleWeight: true });
    close([out.rows], [expected.multilabel.totalWeight], 'rows (sum of weights)');
    close(out.matrices.flat(2), perLabel.matrices.flat(2), 'matrices');
    close(out.perLabel.map((x: { support: number }) => x.support), perLabel.perLabel.support, 'support');
    for (const avg of ['micro', 'macro', 'weighted', 'samples'] as const) {
      const got = out[`${avg}Avg`];
      close([got.precision, got.recall, got.f1], [perLabel[avg].precision, perLabel[avg].recall, perLabel[avg].f1],
        `${avg} average`);
    }
  });

  it.each(['gpu', 'cpu'])(
    'binary equals sklearn (roc_auc_score, average_precision_score, confusion_matrix) with sample_weight on --backend %s',
    (backend) => {
      const out = json([...BIN, ...SWEEP, '--threshold', '0.5', '--sample-weight', `${DIR}/bin-weights.npy`,
        '--backend', backend]);
      expect(out.options).toEqual({ sampleWeight: true });
      close([out.sweep.rocAuc, out.sweep.averagePrecision], [expected.binary.rocAuc, expected.binary.averagePrecision],
        'areas');
      close(out.sweep.roc.fpr, expected.binary.roc.fpr, 'fpr');
      close(out.matrix.flat(), expected.binary.grid.weights.matrix.flat(), 'matrix at 0.5');
      const signed = json([...BIN, '--sample-weight', `${DIR}/bin-signed-weights.npy`, '--backend', backend]);
      close(signed.matrix.flat(), expected.binary.grid.signed.matrix.flat(), 'matrix at 0.5, signed weights');
    },
  );

  it('integer weights are read as numbers: weight 3 everywhere triples every count', () => {
    const threes = npy('threes.npy', new Int16Array(400).fill(3));
    const plain = json([...ML, '--backend', 'cpu']);
    const tripled = json([...ML, '--sample-weight', threes, '--backend', 'gpu']);
    expect(tripled.matrices).toEqual(plain.matrices.map((m: number[][]) => m.map((r) => r.map((v) => 3 * v))));
    expect(tripled.samplesAvg.support).toBe(3 * plain.samplesAvg.support);
    close([tripled.samplesAvg.precision, tripled.samplesAvg.recall, tripled.samplesAvg.f1], [plain.samplesAvg.precision,
      plain.samplesAvg.recall, plain.samplesAvg.f1], 'samples average', 1e-15);
  });

  it('says in the table that counts are sums of weights', () => {
    const ml = confmat([...ML, '--sample-weight', `${DIR}/ml-weights.npy`, '--backend', 'cpu', '--format', 'table']);
    expect(ml.code, ml.stderr).toBe(0);
    expect(ml.stdout).toContain(
      `${expected.multilabel.totalWeight.toFixed(2)} (sum of sample weights; counts are sums of weights), 5 labels`,
    );
    const bin = confmat([...BIN, '--sample-weight', `${DIR}/bin-weights.npy`, '--backend', 'cpu', '--format', 'table']);
    expect(bin.code, bin.stderr).toBe(0);
    expect(bin.stdout).toMatch(
      /^[\d.]+ \(sum of sample weights; counts are sums of weights; [\d.]+ positive\), predicted positive when score >= 0.5/,
    );
  });

  it('shards merge into the single run (within float64 rounding); weighted and unweighted parts are refused', () => {
    for (const [task, args] of [['multilabel', [...ML, '--sample-weight', `${DIR}/ml-weights.npy`]], ['binary', [...BIN,
      ...SWEEP, '--sample-weight', `${DIR}/bin-weights.npy`]]] as const) {
      const single = json([...args, '--backend', 'cpu']);
      const parts = [0, 1, 2].map((i) => {
        const path = join(tmp, `${task}-part-${i}.json`);
        const r = confmat([...args, '--shard', `${i}/3`, '--backend', i === 1 ? 'gpu' : 'cpu', '--out', path]);
        expect(r.code, r.stderr).toBe(0);
        return path;
      });
      const merged = confmat(['merge', parts[2]!, parts[0]!, parts[1]!, '--format', 'json']);
      expect(merged.code, merged.stderr).toBe(0);
      const out = JSON.parse(merged.stdout);
      expect(out.options).toEqual(single.options);
      if (task === 'multilabel') {
        close(out.matrices.flat(2), single.matrices.flat(2), 'merged matrices');
        close([out.samplesAvg.f1, out.weightedAvg.f1], [single.samplesAvg.f1, single.weightedAvg.f1],
          'merged averages');
      } else {
        close([out.sweep.rocAuc, out.sweep.averagePrecision], [single.sweep.rocAuc, single.sweep.averagePrecision],
          'merged areas');
        close(out.sweep.tps, single.sweep.tps, 'merged tps');
      }
      const unweighted = join(tmp, `${task}-unweighted.json`);
      const u = confmat([...args.slice(0, -2), '--shard', '1/3', '--backend', 'cpu', '--out', unweighted]);
      expect(u.code, u.stderr).toBe(0);
      const mixed = confmat(['merge', parts[0]!, unweighted]);
      expect(mixed.code).toBe(1);
      expect(mixed.stderr).toContain(
        `${unweighted}: counted without sample weights, but ${
          parts[0]
        } was counted with sample weights (--sample-weight): weighted and unweighted parts do not merge`,
      );
    }
  });

  it('refuses NaN, infinite, 2-D and wrong-length weights naming the file, index and value, and writes nothing', () => {
    const nan = new Float64Array(400).fill(1);
    nan[123] = NaN;
    const inf = new Float32Array(500).fill(0.5);
    inf[499] = -Infinity;
    const out = join(tmp, 'out.json');
    const cases: [string[], RegExp][] = [[[...ML, '--sample-weight', npy('nan.npy', nan)],
      /^confmat: .*nan\.npy: index 123: weight NaN is not finite\n$/], [[...BIN, ...SWEEP, '--sample-weight',
      npy('inf.npy', inf)], /^confmat: .*inf\.npy: index 499: weight -Infinity is not finite\n$/], [[...ML,
      '--sample-weight', npy('short.npy', new Float64Array(399))],
      /^confmat: .*short\.npy holds 399 sample weights but .*ml-scores\.npy has 400 rows \(shape \(400, 5\)\)\n$/], [[
      ...BIN,
      '--sample-weight',
      npy('flat.npy', new Float64Array(1000), [500, 2]),
    ], /^confmat: .*flat\.npy.*shape \(500, 2\): sample weights must be 1-D \(N,\), one per row\n$/]];
    for (const [args, message] of cases) {
      for (const backend of ['cpu', 'gpu']) {
        const r = confmat([...args, '--backend', backend, '--out', out]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(existsSync(out)).toBe(false);
      }
    }
  });
});
