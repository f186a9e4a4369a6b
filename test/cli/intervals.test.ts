import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'confmat-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** A run that must succeed: its stdout. */
const ok = (args: string[]): string => {
  const r = run(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const json = (args: string[]) => JSON.parse(ok([...args, '--format', 'json'])) as Record<string, any>;

const F = 'test/fixtures/sklearn/digits-mlp';
const MC = ['eval', '--logits', `${F}.logits.npy`, '--labels', `${F}.labels.npy`, '--backend', 'cpu'];
const B = 'test/fixtures/binary';
const BIN = ['eval', '--task', 'binary', '--scores', `${B}/scores.npy`, '--targets', `${B}/targets.npy`, '--backend',
  'cpu'];
type Iv = { low: number; high: number };

/** Every {low, high} under `ci` with its path, paired with the point estimate at `point(path)`. */
function intervals(ci: Record<string, any>, path = ''): [string, Iv][] {
  if (typeof ci.low === 'number' && typeof ci.high === 'number') return [[path, ci as Iv]];
  return Object.entries(ci).flatMap((
    [k, v],
  ) => (typeof v === 'object' && v !== null ? intervals(v, `${path}.${k}`) : []));
}

describe('confmat eval --ci (multiclass)', () => {
  const report = json([...MC, '--ci', '0.95', '--top-k', '2']);
  const ci = report.ci;

  it('gives every metric an interval, with the method, level, resamples and seed', () => {
    expect(Object.keys(ci)).toEqual(['level', 'method', 'resamples', 'seed', 'accuracy', 'balancedAccuracy', 'kappa',
      'mcc', 'macroAvg', 'weightedAvg', 'microAvg', 'topK', 'perClass']);
    expect([ci.level, ci.method, ci.resamples, ci.seed]).toEqual([0.95, 'multinomial-bootstrap', 1000, 0]);
    for (const avg of ['macroAvg', 'weightedAvg', 'microAvg']) {
      expect(Object.keys(ci[avg])).toEqual(['precision', 'recall', 'f1']);
    }
    expect(ci.perClass).toHaveLength(10);
    ci.perClass.forEach((p: Record<string, any>, k: number) => {
      expect(Object.keys(p)).toEqual(['class', 'precision', 'recall', 'f1', 'wilson']);
      expect(p.class).toBe(String(k));
      expect(Object.keys(p.wilson)).toEqual(['precision', 'recall']);
    });
    const all = intervals(ci);
    expect(all.length).toBe(4 + 9 + 1 + 10 * 5);
    for (const [path, iv] of all) {
      expect(iv.low, path).toBeLessThanOrEqual(iv.high);
      expect(iv.low, path).toBeGreaterThanOrEqual(-1);
      expect(iv.high, path).toBeLessThanOrEqual(1);
    }
  });

  it('puts each point estimate inside its interval', () => {
    const point = (path: string): number => {
      const [, a, b, c] = path.split('.');
      if (a === 'perClass') return report.perClass[Number(b)][c === 'wilson' ? path.split('.')[4]! : c!];
      if (a === 'topK') return report.topK.accuracy;
      return b === undefined ? report[a!] : report[a!][b];
    };
    for (const [path, iv] of intervals(ci)) {
      const v = point(path);
      expect(typeof v, path).toBe('number');
      expect(v, path).toBeGreaterThanOrEqual(iv.low - 1e-12);
      expect(v, path).toBeLessThanOrEqual(iv.high + 1e-12);
    }
    expect(ci.accuracy.high - ci.accuracy.low).toBeGreaterThan(0.02);
  });

  it('is the same for one seed and differs for another; --bootstrap and --seed are recorded', () => {
    const args = [...MC, '--ci', '95%', '--bootstrap', '300', '--seed', '7', '--format', 'json'];
    const [a, b] = [ok(args), ok(args)];
    expect(a).toBe(b);
    const seven = JSON.parse(a).ci;
    expect([seven.level, seven.resamples, seven.seed]).toEqual([0.95, 300, 7]);
    const eight = json([...MC, '--ci', '95%', '--bootstrap', '300', '--seed', '8']).ci;
    expect(eight.seed).toBe(8);
    expect(JSON.stringify(eight.accuracy) + JSON.stringify(eight.mcc)).not.toBe(
      JSON.stringify(seven.accuracy) + JSON.stringify(seven.mcc),
    );
  });

  it("merge --ci of shards equals one run with the same seed, byte for byte; merge drops the parts' ci", () => {
    const parts = [0, 1, 2].map((i) => join(dir, `mc-${i}.json`));
    parts.forEach((p, i) => ok([...MC, '--shard', `${i}/3`, '--ci', '0.9', '--seed', String(i), '--out', p]));
    const one = json([...MC, '--ci', '0.9', '--seed', '5']);
    const merged = json(['merge', ...parts, '--ci', '0.9', '--seed', '5']);
    expect(JSON.stringify(merged.ci)).toBe(JSON.stringify(one.ci));
    expect(json(['merge', ...parts]).ci).toBeUndefined();
    expect(JSON.parse(readFileSync(parts[0]!, 'utf8')).ci.seed).toBe(0);
  });

  it('counted on the GPU gives the same intervals as on the CPU', () => {
    const gpu = json([...MC.slice(0, -1), 'gpu', '--ci', '0.95', '--top-k', '2']);
    expect(gpu.backend.name).toBe('gpu');
    expect(JSON.stringify(gpu.ci)).toBe(JSON.stringify(ci));
  });

  it('prints value [low, high] in the table: the summary lines and the report, columns aligned', () => {
    const text = ok([...MC, '--ci', '0.95', '--format', 'table']);
    const iv = json([...MC, '--ci', '0.95']).ci;
    const pc = (v: number) => `${(100 * v).toFixed(1)}%`;
    expect(text).toContain(`accuracy: 88.2% [${pc(iv.accuracy.low)}, ${pc(iv.accuracy.high)}]`);
    const f = (v: number) => v.toFixed(4);
    expect(text).toContain(`MCC ${f(report.mcc)} [${f(iv.mcc.low)}, ${f(iv.mcc.high)}]`);
    expect(text).toContain(`balanced accuracy ${f(report.balancedAccuracy)} [${f(iv.balancedAccuracy.low)}, `);
    const p8 = report.perClass[8];
    const row8 = new RegExp(
      `^8 +${f(p8.precision)} \\[${f(iv.perClass[8].precision.low)}, ` +
        `${f(iv.perClass[8].precision.high)}\\] +${f(p8.recall)} \\[[\\d.]+, [\\d.]+\\] +${f(p8.f1)} \\[[\\d.]+, ` +
        `[\\d.]+\\] +87$`,
      'm',
    );
    expect(text).toMatch(row8);
    expect(text).toContain('[95% confidence intervals: multinomial bootstrap, 1,000 resamples, seed 0]');
    const head = text.split('\n').findIndex((l) => /^ +precision +recall +f1-score +support$/.test(l));
    const block = text.split('\n').slice(head, head + 11);
    expect(new Set(block.map((l) => l.length)).size).toBe(1);
  });

  it("shows the intervals in markdown and in the HTML heatmap's report; CSV is the matrix alone", () => {
    const md = ok([...MC, '--ci', '0.95', '--format', 'markdown']);
    expect(md).toMatch(/accuracy 0\.8821 \[0\.\d{4}, 0\.\d{4}\], balanced accuracy 0\.8821 \[/);
    expect(md).toMatch(/^\| 8 \| 0\.7053 \\\[0\.\d{4}, 0\.\d{4}\\\] \| /m);
    expect(md).toContain('95% confidence, multinomial bootstrap, 1000 resamples, seed 0.');
    const html = join(dir, 'cm.html');
    ok([...MC, '--ci', '0.95', '--plot', html, '--out', join(dir, 'r.json')]);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/0\.7053 \[0\.\d{4}, 0\.\d{4}\]/);
    expect(page).toContain('multinomial bootstrap, 1,000 resamples, seed 0');
    expect(ok([...MC, '--ci', '0.95', '--format', 'csv'])).toBe(ok([...MC, '--format', 'csv']));
  });
});

describe('confmat eval --task binary --ci', () => {
  it('gives ROC AUC and average precision intervals with a sweep, the scores at the threshold always', () => {
    const swept = json([...BIN, '--thresholds', '21', '--ci', '0.9', '--seed', '4']);
    expect(Object.keys(swept.ci)).toEqual(['level', 'method', 'resamples', 'seed', 'rocAuc', 'averagePrecision',
      'accuracy', 'precision', 'recall', 'f1']);
    const point: Record<string, number> = { ...swept, rocAuc: swept.sweep.rocAuc,
      averagePrecision: swept.sweep.averagePrecision };
    for (const [path, iv] of intervals(swept.ci)) {
      const v = point[path.slice(1)]!;
      expect(v, path).toBeGreaterThanOrEqual(iv.low);
      expect(v, path).toBeLessThanOrEqual(iv.high);
      expect(iv.high, path).toBeGreaterThan(iv.low);
    }
    const plain = json([...BIN, '--ci', '0.9', '--seed', '4']);
    expect(Object.keys(plain.ci)).toEqual(['level', 'method', 'resamples', 'seed', 'accuracy', 'precision', 'recall',
      'f1']);
    const table = ok([...BIN, '--thresholds', '21', '--ci', '0.9', '--seed', '4', '--format', 'table']);
    const f = (v: number) => v.toFixed(4);
    expect(table).toContain(`ROC AUC ${f(swept.sweep.rocAuc)} [${f(swept.ci.rocAuc.low)}, ${f(swept.ci.rocAuc.high)}]`);
    expect(table).toContain(`recall ${f(swept.recall)} [${f(swept.ci.recall.low)}, ${f(swept.ci.recall.high)}]`);
    expect(table).toContain('[90% confidence intervals: multinomial bootstrap, 1,000 resamples, seed 4]');
    const md = ok([...BIN, '--thresholds', '21', '--ci', '0.9', '--seed', '4', '--format', 'markdown']);
    expect(md).toContain(`F1 ${f(swept.f1)} [${f(swept.ci.f1.low)}, ${f(swept.ci.f1.high)}].`);
    expect(md).toContain(`average precision ${f(swept.sweep.averagePrecision)} [${f(swept.ci.averagePrecision.low)}, `);
    expect(md).toContain('Intervals: 90% confidence, multinomial bootstrap, 1000 resamples, seed 4.');
  });

  it('merge --ci of binary shards (parts that carry ci) equals one run', () => {
    const parts = [0, 1].map((i) => join(dir, `bin-${i}.json`));
    parts.forEach((p, i) =>
      ok([...BIN, '--thresholds', '0.2,0.4,0.6,0.8', '--shard', `${i}/2`, '--ci', '0.8', '--out', p])
    );
    const one = json([...BIN, '--thresholds', '0.2,0.4,0.6,0.8', '--ci', '0.95', '--seed', '9']);
    const merged = json(['merge', ...parts, '--ci', '0.95', '--seed', '9']);
    expect(JSON.stringify(merged.ci)).toBe(JSON.stringify(one.ci));
  });
});

describe('--ci refusals and bad values', () => {
  const refused = (args: string[], code: number, message: string | RegExp) => {
    const r = run(args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  };

  it('refuses --bootstrap or --seed without --ci, and bad values naming the flag and the value', () => {
    refused([...MC, '--seed', '3'], 2, '--seed sets how --ci draws its intervals: it needs --ci LEVEL');
    refused([...MC, '--bootstrap', '50'], 2, '--bootstrap sets how --ci draws its intervals');
    refused(['merge', join(dir, 'none.json'), '--bootstrap', '50'], 2, '--bootstrap sets how --ci');
    refused([...MC, '--ci', '95'], 2,
      '--ci must be a confidence level in (0, 1) such as 0.95, or a percentage such ' +
        "as 95%, got '95' (did you mean 95%?)");
    for (const bad of ['1', '0', '100%', 'abc', '-0.5', '0.95x']) refused([...MC, `--ci=${bad}`], 2, `got '${bad}'`);
    refused([...MC, '--ci', '0.95', '--bootstrap', '1'], 2, "--bootstrap must be an integer in [2, 1000000], got '1'");
    refused([...MC, '--ci', '0.95', '--seed', '1.5'], 2,
      "--seed must be an integer in [0, 9007199254740991], got '1.5'");
  });

  it('refuses sample weights, saying why (every mode: multiclass, multilabel, eval and merge)', () => {
    const W = 'test/fixtures/weights';
    const weighted = ['eval', '--logits', `${W}/logits.npy`, '--labels', `${W}/labels.npy`, '--sample-weight',
      `${W}/weights.npy`, '--backend', 'cpu'];
    refused([...weighted, '--ci', '0.95'], 1, '--ci with --sample-weight: confidence intervals need unweighted counts');
    const part = join(dir, 'weighted.json');
    ok([...weighted, '--out', part, '--format', 'json']);
    refused(['merge', part, '--ci', '0.95'], 1, '--ci with parts counted with --sample-weight: confidence intervals');
    const T = 'test/fixtures/weights-tasks';
    const ml = ['eval', '--task', 'multilabel', '--scores', `${T}/ml-scores.npy`, '--targets', `${T}/ml-targets.npy`,
      '--sample-weight', `${T}/ml-weights.npy`, '--backend', 'cpu'];
    refused([...ml, '--ci', '0.95'], 1, '--ci with --sample-weight: confidence intervals need unweighted counts');
    const mlPart = join(dir, 'ml-weighted.json');
    ok([...ml, '--out', mlPart, '--format', 'json']);
    refused(['merge', mlPart, '--ci', '0.95'], 1, '--ci with parts counted with --sample-weight');
  });
});

const PC = [...MC, '--per-class'];
const M = 'test/fixtures/multilabel';
const ML = ['eval', '--task', 'multilabel', '--scores', `${M}/scores.npy`, '--targets', `${M}/targets.npy`, '--backend',
  'cpu'];
const f = (v: number) => v.toFixed(4);
const bracket = (v: number, iv: Iv) => `${f(v)} [${f(iv.low)}, ${f(iv.high)}]`;

/** `merge --ci` of `n` shards of `args` (their own ci drawn with other seeds) equals one run's ci; no --ci, no ci. */
function mergeMatchesOneRun(args: string[], name: string, n: number): void {
  const parts = Array.from({ length: n }, (_, i) => join(dir, `${name}-${i}.json`));
  parts.forEach((p, i) => ok([...args, '--shard', `${i}/${n}`, '--ci', '0.8', '--seed', String(i + 1), '--out', p]));
  const [one, merged] = [json([...args, '--ci', '0.95', '--seed', '6']),
    json(['merge', ...parts, '--ci', '0.95', '--seed', '6'])];
  expect(merged.ci.seed).toBe(6);
  expect(JSON.stringify(merged.ci)).toBe(JSON.stringify(one.ci));
  expect(json(['merge', ...parts]).ci).toBeUndefined();
}

describe('confmat eval --per-class --ci', () => {
  const report = json([...PC, '--ci', '0.95', '--bootstrap', '2000', '--seed', '3']);
  const ci = report.ci;

  it("gives accuracy and the listed (worst) classes' P/R/F1 intervals, the dense run's within Monte Carlo error", () => {
    expect(Object.keys(ci)).toEqual(['level', 'method', 'resamples', 'seed', 'accuracy', 'perClass']);
    expect([ci.level, ci.method, ci.resamples, ci.seed]).toEqual([0.95, 'multinomial-bootstrap', 2000, 3]);
    const f1: number[] = report.perClass.f1;
    const worst = f1.map((_, k) => k).sort((a, b) => f1[a]! - f1[b]! || a - b);
    expect(ci.perClass.map((p: { index: number }) => p.index)).toEqual(worst);
    const dense = json([...MC, '--ci', '0.95', '--bootstrap', '2000', '--seed', '9']).ci;
    const near = (a: Iv, b: Iv, what: string) => {
      const tol = 0.15 * (b.high - b.low) + 1e-12;
      expect(Math.abs(a.low - b.low), what).toBeLessThan(tol);
      expect(Math.abs(a.high - b.high), what).toBeLessThan(tol);
    };
    near(ci.accuracy, dense.accuracy, 'accuracy');
    for (const p of ci.perClass) {
      expect(Object.keys(p)).toEqual(['class', 'index', 'precision', 'recall', 'f1', 'wilson']);
      expect(p.class).toBe(String(p.index));
      expect(p.wilson).toEqual(dense.perClass[p.index].wilson);
      for (const key of ['precision', 'recall', 'f1']) near(p[key], dense.perClass[p.index][key], `${p.index} ${key}`);
    }
    for (const left of ['balancedAccuracy', 'kappa', 'mcc', 'macroAvg', 'weightedAvg', 'microAvg']) {
      expect(ci[left], left).toBeUndefined();
    }
  });

  it('prints value [low, high] in the table and Markdown, with the line saying what has no interval', () => {
    const args = [...PC, '--ci', '0.95', '--bootstrap', '2000', '--seed', '3'];
    const text = ok([...args, '--format', 'table']);
    expect(text).toContain(`accuracy ${bracket(report.accuracy, ci.accuracy)}  balanced accuracy ${f(0.8821)}  `);
    const p8 = ci.perClass[0];
    expect(p8.index).toBe(8);
    const row = `${bracket(report.perClass.precision[8], p8.precision)}  ${
      bracket(report.perClass.recall[8], p8.recall)
    }`;
    expect(text).toMatch(new RegExp(`^ +8  ${row.replace(/[[\].]/g, '\\$&')}  ${f(report.perClass.f1[8])} \\[`, 'm'));
    for (const p of ci.perClass) {
      const line = text.split('\n').find((l) => new RegExp(`^ +${p.index}  \\d`).test(l))!;
      const cells = ['precision', 'recall', 'f1'].map((k) => bracket(report.perClass[k][p.index], p[k]));
      expect(line.trim().split(/ {2,}/).slice(1, 4), `class ${p.index}`).toEqual(cells);
    }
    expect(text).toContain('[95% confidence intervals: multinomial bootstrap, 2,000 resamples, seed 3] for accuracy');
    expect(text).toContain(
      'balanced accuracy, kappa, MCC and the macro / weighted averages get none: they need the ' +
        'joint counts across classes, which per-class mode does not keep',
    );
    const md = ok([...args, '--format', 'markdown']);
    expect(md).toMatch(/^\| 8 \| 0\.7053 \\\[0\.\d{4}, 0\.\d{4}\\\] \| /m);
    expect(md).toContain('per-class mode does not keep');
    expect(ok([...args, '--format', 'csv'])).toBe(ok([...PC, '--format', 'csv']));
    expect(ok([...PC, '--format', 'table'])).not.toContain('[');
  });

  it('counted on the GPU gives the same intervals as on the CPU', () => {
    const gpu = json([...PC.slice(0, -2), 'gpu', '--per-class', '--ci', '0.95', '--bootstrap', '2000', '--seed', '3']);
    expect(gpu.backend.name).toBe('gpu');
    expect(JSON.stringify(gpu.ci)).toBe(JSON.stringify(ci));
  });

  it('merge --ci of per-class shards equals one run with the same seed, byte for byte', () => {
    mergeMatchesOneRun(PC, 'pc', 3);
  });
});

describe('confmat eval --task multilabel --ci', () => {
  const report = json([...ML, '--ci', '0.9', '--seed', '2']);
  const ci = report.ci;

  it("gives each label's P/R/F1 intervals with Wilson's, and every average's", () => {
    expect(Object.keys(ci)).toEqual(['level', 'method', 'resamples', 'seed', 'perLabel', 'microAvg', 'macroAvg',
      'weightedAvg', 'samplesAvg']);
    for (const name of ['microAvg', 'macroAvg', 'weightedAvg', 'samplesAvg']) {
      for (const key of ['precision', 'recall', 'f1']) {
        expect(ci[name][key].low, `${name} ${key}`).toBeLessThan(report[name][key]);
        expect(ci[name][key].high, `${name} ${key}`).toBeGreaterThan(report[name][key]);
      }
    }
    const table: [string, number][] = report.rowOutcomes;
    expect(table.reduce((n, [, c]) => n + c, 0)).toBe(report.rows);
    expect(json(ML).rowOutcomes).toBeUndefined();
    expect(ci.perLabel).toHaveLength(report.numLabels);
    ci.perLabel.forEach((p: Record<string, any>, j: number) => {
      expect(Object.keys(p)).toEqual(['label', 'precision', 'recall', 'f1', 'wilson']);
      expect(p.label).toBe(String(j));
      for (const key of ['precision', 'recall', 'f1']) {
        const v = report.perLabel[j][key];
        expect(p[key].low, `${j} ${key}`).toBeLessThanOrEqual(v);
        expect(p[key].high, `${j} ${key}`).toBeGreaterThanOrEqual(v);
      }
    });
    expect(ci.perLabel[1].recall.high).toBeGreaterThan(ci.perLabel[1].recall.low + 0.05);
    const again = json([...ML, '--ci', '0.9', '--seed', '2']).ci;
    expect(JSON.stringify(again)).toBe(JSON.stringify(ci));
    expect(JSON.stringify(json([...ML, '--ci', '0.9', '--seed', '3']).ci.perLabel)).not.toBe(
      JSON.stringify(ci.perLabel),
    );
  });

  it('prints value [low, high] per label and average in the table and Markdown, and how they were drawn', () => {
    const text = ok([...ML, '--ci', '0.9', '--seed', '2', '--format', 'table']);
    const p1 = report.perLabel[1];
    const cells = ['precision', 'recall', 'f1', 'support'].map((k) =>
      k === 'support' ? String(p1[k]) : bracket(p1[k], ci.perLabel[1][k])
    );
    const line = text.split('\n').find((l) => /^ +1 /.test(l))!;
    expect(line.trim().split(/ {2,}/).slice(-4)).toEqual(cells);
    const macro = text.split('\n').find((l) => /^ +macro avg /.test(l))!;
    expect(macro).toContain(bracket(report.macroAvg.f1, ci.macroAvg.f1));
    expect(text).toContain(
      '[90% confidence intervals: multinomial bootstrap, 1,000 resamples, seed 2] for each label and each average',
    );
    const md = ok([...ML, '--ci', '0.9', '--seed', '2', '--format', 'markdown']);
    expect(md).toContain(`${f(p1.precision)} \\[${f(ci.perLabel[1].precision.low)}, `);
    expect(md).toContain(`| samples | ${f(report.samplesAvg.precision)} \\[${f(ci.samplesAvg.precision.low)}, `);
    expect(ok([...ML, '--format', 'table'])).not.toContain('[');
  });

  it('says why the averages get none when the parts kept no row outcomes (counted before they were kept)', () => {
    const part = join(dir, 'ml-old.json');
    writeFileSync(part, JSON.stringify(json(ML)));
    const text = ok(['merge', part, '--ci', '0.9', '--format', 'table']);
    expect(text).toContain('the micro, macro, weighted and samples averages get none: they need the joint counts');
    expect(text).toContain('kept no row outcomes (eval keeps them with --ci or --shard');
  });

  it('counted on the GPU gives the same intervals as on the CPU', () => {
    const gpu = json([...ML.slice(0, -1), 'gpu', '--ci', '0.9', '--seed', '2']);
    expect(gpu.backend.name).toBe('gpu');
    expect(JSON.stringify(gpu.ci)).toBe(JSON.stringify(ci));
  });

  it('merge --ci of multilabel shards equals one run with the same seed, byte for byte', () => {
    mergeMatchesOneRun(ML, 'ml', 2);
  });
});

describe('confmat demo --ci', () => {
  it("draws the intervals with the data's seed", () => {
    const out = run(['demo', '--rows', '20000', '--backend', 'cpu', '--ci', '0.95', '--seed', '3', '--format', 'json']);
    expect(out.code, out.stderr).toBe(0);
    const ci = JSON.parse(out.stdout).ci;
    expect([ci.seed, ci.resamples]).toEqual([3, 1000]);
    expect(ci.accuracy.low).toBeLessThan(ci.accuracy.high);
  });
});
