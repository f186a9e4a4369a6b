import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-tasks-'));
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

const ML = 'test/fixtures/multilabel';
const BIN = 'test/fixtures/binary';
const ml = JSON.parse(readFileSync(`${ML}/expected.json`, 'utf8')) as {
  cases: { name: string; thresholds: number[]; matrices: number[][][]; samples: { f1: number };
    micro: { f1: number } }[];
};
const bin = JSON.parse(readFileSync(`${BIN}/expected.json`, 'utf8')) as { roc: { thresholds: number[]; fpr: number[] };
  rocAuc: number; averagePrecision: number; 'at0.5': { matrix: number[][] } };
const mlCase = (name: string) => ml.cases.find((c) => c.name === name)!;

describe('confmat eval --task multilabel', () => {
  it.each(['gpu', 'cpu'])('equals sklearn with per-label thresholds and with --threshold logits on --backend %s',
    (backend) => {
      const per = mlCase('probs-per-label');
      const r = confmat(['--task', 'multilabel', '--scores', `${ML}/scores.npy`, '--targets', `${ML}/targets.npy`,
        '--threshold', per.thresholds.join(','), '--backend', backend, '--format', 'json']);
      expect(r.stderr).not.toContain('counting on the CPU');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.task).toBe('multilabel');
      expect(out.backend.name).toBe(backend);
      expect(out.matrices).toEqual(per.matrices);
      expect(out.samplesAvg.f1).toBeCloseTo(per.samples.f1, 12);
      expect(out.microAvg.f1).toBeCloseTo(per.micro.f1, 12);
      const lg = mlCase('logits-0');
      const r2 = confmat(['--task', 'multilabel', '--scores', `${ML}/logits.npy`, '--targets', `${ML}/targets.npy`,
        '--threshold', 'logits', '--backend', backend]);
      expect(JSON.parse(r2.stdout).matrices).toEqual(lg.matrices);
    });

  it('prints a table and draws one row per label', () => {
    const plot = join(dir, 'labels.svg');
    const r = confmat(['--task', 'multilabel', '--scores', `${ML}/scores.npy`, '--targets', `${ML}/targets.npy`,
      '--format', 'table', '--plot', plot, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/samples avg\s+0\.6178\s+0\.6338\s+0\.5823\s+537/);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.match(/<title>TP \d+<\/title>/g)).toHaveLength(5);
  });

  it('names the file, row, column and value of a target that is not 0 or 1', () => {
    const targets = new Uint8Array(12);
    targets[7] = 2;
    const r = confmat(['--task', 'multilabel', '--scores', file('s.npy', new Float32Array(12), [4, 3]), '--targets',
      file('t.npy', targets, [4, 3])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/t\.npy: row 2, column 1: target 2 is not 0 or 1/);
  });

  it('refuses a threshold list of the wrong length and mismatched shapes', () => {
    const s = file('s2.npy', new Float32Array(12), [4, 3]);
    const r = confmat(['--task', 'multilabel', '--scores', s, '--targets', file('t2.npy', new Uint8Array(12), [4, 3]),
      '--threshold', '0.1,0.2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 thresholds but .*s2\.npy has 3 labels/);
    const r2 = confmat(['--task', 'multilabel', '--scores', s, '--targets', file('t3.npy', new Uint8Array(8), [4, 2])]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/shape \(4, 2\).*shape \(4, 3\)/);
  });
});

describe('confmat eval --task binary', () => {
  it.each(['gpu', 'cpu'])(
    "equals sklearn's roc_curve, auc and average_precision_score at its thresholds on --backend %s",
    (backend) => {
      const r = confmat(['--task', 'binary', '--scores', `${BIN}/scores.npy`, '--targets', `${BIN}/targets.npy`,
        '--thresholds', bin.roc.thresholds.join(','), '--backend', backend, '--format', 'json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.backend.name).toBe(backend);
      expect(out.matrix).toEqual(bin['at0.5'].matrix);
      expect(out.sweep.rocAuc).toBeCloseTo(bin.rocAuc, 14);
      expect(out.sweep.averagePrecision).toBeCloseTo(bin.averagePrecision, 14);
      expect(out.sweep.roc.fpr).toHaveLength(bin.roc.fpr.length);
    },
  );

  it('sweeps K evenly spaced thresholds, prints a table and draws the curves', () => {
    const plot = join(dir, 'curves.svg');
    const r = confmat(['--task', 'binary', '--scores', `${BIN}/scores.npy`, '--targets', `${BIN}/targets.npy`,
      '--thresholds', '11', '--threshold', '0.35', '--format', 'table', '--plot', plot]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('score >= 0.3499999940395355');
    expect(r.stdout).toMatch(/ROC AUC 0\.\d{4}\s+average precision 0\.\d{4}\s+\(12 thresholds\)/);
    expect(readFileSync(plot, 'utf8')).toMatch(/ROC, AUC = 0\.\d{4}/);
  });

  it('without --thresholds gives the matrix only', () => {
    const r = confmat(['--task', 'binary', '--scores', `${BIN}/scores.npy`, '--targets', `${BIN}/targets.npy`,
      '--backend', 'cpu']);
    const out = JSON.parse(r.stdout);
    expect(out.matrix).toEqual(bin['at0.5'].matrix);
    expect(out.sweep).toBeUndefined();
  });

  it('names the index and value of a bad target and leaves no plot behind', () => {
    const plot = join(dir, 'bad.svg');
    const r = confmat(['--task', 'binary', '--scores', file('b.npy', new Float32Array(5), [5]), '--targets',
      file('bt.npy', Int32Array.of(0, 1, 1, -3, 0), [5]), '--thresholds', '3', '--plot', plot]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bt\.npy: index 3: target -3 is not 0 or 1/);
    expect(existsSync(plot)).toBe(false);
  });

  it.each([[['--task', 'binary', '--logits', 'x.npy', '--scores', 'a', '--targets', 'b'],
    /--logits does not apply to --task binary/], [['--task', 'binary', '--scores', 'a.npy'],
    /needs --scores S and --targets Y/], [['--task', 'binary', '--scores', 'a.npy', '--targets', 'b.npy', '--plot',
    'p.svg'], /needs --thresholds/], [['--task', 'binary', '--scores', 'a.npy', '--targets', 'b.npy', '--threshold',
    '0.1,0.2'], /takes one threshold/], [['--task', 'multilabel', '--scores', 'a.npy', '--targets', 'b.npy',
    '--threshold', 'half'], /--threshold must be a number/], [['--task', 'binary', '--scores', 'a.npy', '--targets',
    'b.npy', '--thresholds', '1'], /--thresholds K must be an integer in \[2/], [['--task', 'ranking', '--scores',
    'a.npy'], /--task must be one of multiclass, multilabel, binary/], [['--logits', 'a.npy', '--labels', 'b.npy',
    '--threshold', '0.5'], /--threshold needs --task multilabel or --task binary/]])('usage error: %j',
      (args, message) => {
        const r = confmat(args);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
      });
});
