import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';

const F = 'test/fixtures/strings';
const expected = JSON.parse(readFileSync(`${F}/expected.json`, 'utf8')) as { classes: string[]; matrix: number[][];
  given: string[]; matrixGiven: number[][] };
const tmp = mkdtempSync(join(tmpdir(), 'confmat-strings-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const at = (name: string, data?: string | Uint8Array): string => {
  const path = join(tmp, name);
  if (data !== undefined) writeFileSync(path, data);
  return path;
};

/** The JSON report of a run that must succeed. */
function report(args: string[]): { classes: string[]; matrix: number[][]; options: Record<string, unknown> } {
  const r = confmat([...args, '--backend', 'cpu', '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const CSV = ['--labels', `${F}/eval.csv:label`, '--preds', `${F}/eval.csv:pred`];
const NPY = ['--labels', `${F}/y.npy`, '--preds', `${F}/p.npy`];

describe('string labels against sklearn (test/fixtures/strings/make-strings.py)', () => {
  it.each([['.npy <U arrays', NPY], ['CSV columns', CSV], ['a |S labels array with <U predictions', ['--labels',
    `${F}/y-bytes.npy`, '--preds', `${F}/p.npy`]], ['CSV labels with .npy predictions', ['--labels',
    `${F}/eval.csv:label`, '--preds', `${F}/p.npy`]], ['members of an .npz (np.savez_compressed)', ['--labels',
    `${F}/run.npz:y`, '--preds', `${F}/run.npz:p`]]])(
      '%s: the classes of unique_labels, in code point order, and confusion_matrix',
      (_, args) => {
        const r = report(['eval', ...args]);
        expect(r.classes).toEqual(expected.classes);
        expect(r.matrix).toEqual(expected.matrix);
      },
    );

  it('counts the same on the GPU backend (the test adapter)', () => {
    const r = confmat(['eval', ...NPY, '--backend', 'gpu', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([out.classes, out.matrix, out.backend.name]).toEqual([expected.classes, expected.matrix, 'gpu']);
  });

  it('--classes: the classes in its order, unused ones too (confusion_matrix(labels=...))', () => {
    for (const args of [NPY, CSV]) {
      const r = report(['eval', ...args, '--classes', `${F}/names.txt`]);
      expect(r.classes).toEqual(expected.given);
      expect(r.matrix).toEqual(expected.matrixGiven);
    }
  });

  it('per-class mode counts the same', () => {
    const r = confmat(['eval', ...CSV, '--per-class', '--backend', 'cpu', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.classes).toEqual(expected.classes);
    expect(out.perClass.support).toEqual(expected.matrix.map((row) => row.reduce((a, b) => a + b, 0)));
    expect(out.perClass.tp).toEqual(expected.matrix.map((row, k) => row[k]));
  });

  it('names flow into table, CSV and markdown reports', () => {
    for (const format of ['table', 'csv', 'markdown']) {
      const r = confmat(['eval', ...NPY, '--backend', 'cpu', '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      for (const name of ['éclair', '\uff21', '\u{1f600}', 'Bird']) expect(r.stdout).toContain(name);
    }
  });

  it('heatmaps name the classes (SVG and HTML)', () => {
    for (const plot of [at('cm.svg'), at('cm.html')]) {
      expect(confmat(['eval', ...NPY, '--backend', 'cpu', '--out', at('r.json'), '--plot', plot]).code).toBe(0);
      expect(readFileSync(plot, 'utf8')).toMatch(/Bird[^]*a b[^]*x,y/);
    }
  });

  it('escapes control characters in names read from the data', () => {
    const csv = at('ctl.csv', 'label,pred\n"red\x1b[31mX",b\nb,b\n');
    const r = confmat(['eval', '--labels', `${csv}:label`, '--preds', `${csv}:pred`, '--backend', 'cpu', '--format',
      'table']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
  });
});

describe('string labels: logits and refusals', () => {
  const logits = at('l.npy', encodeNpy(Float32Array.from({ length: 300 * 9 }, (_, i) => (i * 7919) % 13), [300, 9]));

  it('with --logits, --classes names the columns', () => {
    const r = report(['eval', '--logits', logits, '--labels', `${F}/y.npy`, '--classes', `${F}/names.txt`]);
    expect(r.classes).toEqual(expected.given);
    const support = expected.matrixGiven.map((row) => row.reduce((a, b) => a + b, 0));
    expect(r.matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(support);
  });

  it('refuses string labels with --logits but no --classes (exit 2)', () => {
    const r = confmat(['eval', '--logits', logits, '--labels', `${F}/y.npy`, '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('y.npy holds string labels; the logits columns are class indices');
  });

  it('refuses a name --classes lacks, naming file, row and value', () => {
    const names = at('two.txt', 'cat\ndog\n');
    const csv = at('emu.csv', 'label,pred\ncat,cat\ndog,cat\nemu,dog\n');
    const r = confmat(['eval', '--labels', `${csv}:label`, '--preds', `${csv}:pred`, '--classes', names, '--backend',
      'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /emu\.csv:label: row 2: label "emu" is not one of the 2 classes of --classes \S*two\.txt$/m,
    );
    const p = confmat(['eval', '--labels', `${csv}:pred`, '--preds', `${csv}:label`, '--classes', names]);
    expect(p.stderr).toMatch(/emu\.csv:label: row 2: predicted class "emu" is not one of the 2 classes/);
  });

  it('refuses a mix of string and numeric labels, as sklearn does', () => {
    const y = at('y-int.npy', encodeNpy(new Int32Array(300), [300]));
    for (const args of [['--labels', y, '--preds', `${F}/p.npy`], ['--labels', `${F}/y.npy`, '--preds', y]]) {
      const r = confmat(['eval', ...args, '--backend', 'cpu']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Mix of label input types \(string and number\): \S*p?y?\.npy holds strings but/);
    }
  });

  it('refuses a headerless string CSV whose first line is a label (taken as the header, it would be lost)', () => {
    const y = at('y-headerless.csv', 'cat\ndog\ncat\nbird\n');
    const p = at('p-header.csv', 'pred\ncat\ndog\nbird\n');
    const out = at('headerless.json');
    const r = confmat(['eval', '--labels', y, '--preds', p, '--backend', 'cpu', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `confmat: ${y}:3:1: label "cat" is also this column's header (line 1): a column of string ` +
        'labels needs a header row, so line 1 was taken as one; if it is data, add a header line (e.g. "label")\n',
    );
    expect(() => readFileSync(out)).toThrow();
    // blanks around the value, in a column chosen by name among others
    const both = at('both.csv', 'label,pred\ndog,cat\n label ,dog\nbird,bird\n');
    const again = confmat(['eval', '--labels', `${both}:label`, '--preds', `${both}:pred`, '--backend', 'cpu']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${both}:3:1: label "label" is also this column's header`);
    const fine = report(['eval', '--labels', at('ok.csv', 'label\ndog\ncat\nbird\n'), '--preds', p]);
    expect(fine.matrix).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
  });

  it('refuses --ignore-index and a --num-classes that disagrees (exit 2)', () => {
    expect(confmat(['eval', ...NPY, '--ignore-index', '0', '--backend', 'cpu']).stderr).toContain(
      '--ignore-index takes a class index',
    );
    const r = confmat(['eval', ...NPY, '--num-classes', '3', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--num-classes 3 disagrees with the 8 classes of the sorted unique labels');
    expect(report(['eval', ...NPY, '--num-classes', '8']).classes).toEqual(expected.classes);
  });
});

describe('string labels in shards', () => {
  // Shard 0 holds cat and dog only, shard 1 bird, cat, dog and fox: their classes differ.
  const csv = at('b.csv', 'label,pred\ncat,cat\ndog,cat\ncat,cat\nfox,dog\nbird,bird\ndog,fox\n');
  const args = ['--labels', `${csv}:label`, '--preds', `${csv}:pred`];

  it('each shard infers its classes; merge aligns them by name into the sorted union', () => {
    const whole = report(['eval', ...args]);
    expect(whole.classes).toEqual(['bird', 'cat', 'dog', 'fox']);
    const parts = [0, 1].map((i) => at(`part-${i}.json`));
    parts.forEach((p, i) => expect(confmat(['eval', ...args, '--shard', `${i}/2`, '--out', p]).code).toBe(0));
    expect(JSON.parse(readFileSync(parts[0]!, 'utf8')).classes).toEqual(['cat', 'dog']);
    for (const order of [parts, [...parts].reverse()]) {
      const merged = report(['merge', ...order]);
      expect(merged.classes).toEqual(whole.classes);
      expect(merged.matrix).toEqual(whole.matrix);
    }
  });

  it('per-class parts align too', () => {
    const whole = JSON.parse(confmat(['eval', ...args, '--per-class', '--backend', 'cpu', '--format', 'json']).stdout);
    const parts = [0, 1].map((i) => at(`pc-${i}.json`));
    parts.forEach((p, i) =>
      expect(confmat(['eval', ...args, '--per-class', '--shard', `${i}/2`, '--out', p]).code).toBe(0)
    );
    const merged = JSON.parse(confmat(['merge', ...parts, '--format', 'json']).stdout);
    expect(merged.classes).toEqual(whole.classes);
    expect(merged.perClass).toEqual(whole.perClass);
    expect(merged.confusions).toEqual(whole.confusions);
  });

  it('compare: the classes of the labels and both models; parts align', () => {
    const two = at('c.csv', 'label,a,b\ncat,cat,dog\ndog,cat,dog\ncat,cat,emu\nfox,dog,fox\nbird,bird,bird\n');
    const cmp = ['compare', '--labels', `${two}:label`, '--preds', `${two}:a`, '--preds-b', `${two}:b`];
    const run = (more: string[]) => {
      const r = confmat([...more, '--backend', 'cpu', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const whole = run(cmp);
    expect(whole.a.classes).toEqual(['bird', 'cat', 'dog', 'emu', 'fox']);
    const parts = [0, 1].map((i) => at(`cmp-${i}.json`));
    parts.forEach((p, i) => expect(confmat([...cmp, '--shard', `${i}/2`, '--out', p]).code).toBe(0));
    expect(JSON.parse(readFileSync(parts[0]!, 'utf8')).a.classes).toEqual(['cat', 'dog']);
    const merged = run(['merge', ...parts]);
    for (const key of ['a', 'b'] as const) {
      expect(merged[key].classes).toEqual(whole[key].classes);
      expect(merged[key].matrix).toEqual(whole[key].matrix);
    }
    expect(merged.mcnemar).toEqual(whole.mcnemar);
  });
});
