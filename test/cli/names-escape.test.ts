import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';
import { MAX_PLOT_PIXELS, MAX_PLOT_SIDE } from '../../src/report/plot-size.js';

const tmp = mkdtempSync(join(tmpdir(), 'confmat-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, data: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, data);
  return path;
}

const npy = (name: string, data: Parameters<typeof encodeNpy>[0], shape = [data.length]): string =>
  file(name, encodeNpy(data, shape));

/** Names that try to drive a terminal, reorder text, break XML, run in a spreadsheet or end a script. */
const NAMES = ['red\x1b[31mX', '\x1b]8;;http://evil.example\x07link\x1b]8;;\x07', 'bell\x07', 'nul\x00', 'abc\u202edef',
  '=HYPERLINK("http://x")', 'a|b\\|c', '</script><b>'];
const C = NAMES.length;
const names = file('names.json', JSON.stringify(NAMES));
const labels = npy('y.npy', Int32Array.from({ length: 40 }, (_, i) => i % C));
const preds = npy('p.npy', Int32Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? (i + 1) % C : i % C)));
const DENSE = ['eval', '--preds', preds, '--labels', labels, '--num-classes', String(C), '--classes', names,
  '--backend', 'cpu'];
const ML = ['eval', '--task', 'multilabel', '--scores',
  npy('s.npy', Float32Array.from({ length: 5 * C }, (_, i) => (i % 7) / 7), [5, C]), '--targets',
  npy('t.npy', Uint8Array.from({ length: 5 * C }, (_, i) => i % 2), [5, C]), '--classes', names, '--backend', 'cpu'];

/** Bytes a names file must never put into a text report (tab, LF and CR are the report's own). */
const RAW_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]/;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR. */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(Array.from(bytes.subarray(0, 8))).toEqual(PNG_SIGNATURE);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Checks every format of a report whose names came from NAMES. */
function checkText(format: string, out: string): void {
  if (format === 'json') {
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    expect(out).toContain('\\u001b]8;;');
    expect(JSON.stringify(JSON.parse(out))).toContain(JSON.stringify(NAMES[1]));
  } else if (format === 'csv') {
    expect(out).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(out).not.toMatch(/(^|,)=/m);
  } else {
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toContain('\\x1b');
    expect(out).toContain(format === 'markdown' ? 'a\\|b\\\\\\|c' : 'a|b\\|c');
  }
}

describe('class and label names from files reach every format escaped', () => {
  it.each(['table', 'json', 'csv', 'markdown'])('confmat eval --format %s', (format) => {
    const r = confmat([...DENSE, '--format', format]);
    expect(r.code, r.stderr).toBe(0);
    checkText(format, r.stdout);
  });

  it('confmat eval --plot .svg / .png / .html', () => {
    for (const ext of ['svg', 'png', 'html']) {
      const plot = join(tmp, `dense.${ext}`);
      const r = confmat([...DENSE, '--plot', plot, '--out', join(tmp, `dense-${ext}.json`)]);
      expect(r.code, r.stderr).toBe(0);
      if (ext === 'png') {
        expect(pngSize(plot).width).toBeGreaterThan(100);
        continue;
      }
      const text = readFileSync(plot, 'utf8');
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).toContain('\\x1b');
      expect(text).toContain('\\u202edef');
      expect(text).not.toContain('</script><b>');
      if (ext === 'html') {
        expect(text.match(/<\/script>/g)).toHaveLength(2);
        expect(text).toContain('\\u003c/script>\\u003cb>');
      } else expect(text).toContain('&lt;/script&gt;&lt;b&gt;');
    }
  });

  it('names.txt, --per-class and confmat merge of parts that store the names', () => {
    const txt = file('names.txt', `${NAMES.map((n) => n.replace('\x00', '')).join('\n')}\n`);
    let r = confmat([...DENSE.slice(0, -4), '--classes', txt, '--backend', 'cpu', '--format', 'table']);
    expect(r.code, r.stderr).toBe(0);
    checkText('table', r.stdout);
    for (const format of ['table', 'markdown', 'csv']) {
      r = confmat([...DENSE, '--per-class', '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      checkText(format, r.stdout);
    }
    const parts = [0, 1].map((k) => {
      const out = join(tmp, `part-${k}.json`);
      expect(confmat([...DENSE, '--shard', `${k}/2`, '--format', 'json', '--out', out]).code).toBe(0);
      return out;
    });
    for (const format of ['table', 'markdown', 'csv']) {
      r = confmat(['merge', ...parts, '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      checkText(format, r.stdout);
    }
    const png = join(tmp, 'merged.png');
    r = confmat(['merge', ...parts, '--format', 'json', '--out', join(tmp, 'merged.json'), '--plot', png]);
    expect(r.code, r.stderr).toBe(0);
    pngSize(png);
  });

  it.each(['table', 'json', 'csv', 'markdown'])('confmat eval --task multilabel --format %s', (format) => {
    const r = confmat([...ML, '--format', format]);
    expect(r.code, r.stderr).toBe(0);
    checkText(format, r.stdout);
  });

  it('confmat eval --task multilabel --plot .svg / .png', () => {
    for (const ext of ['svg', 'png']) {
      const plot = join(tmp, `ml.${ext}`);
      const r = confmat([...ML, '--plot', plot, '--out', join(tmp, `ml-${ext}.json`)]);
      expect(r.code, r.stderr).toBe(0);
      if (ext === 'png') pngSize(plot);
      else {
        const svg = readFileSync(plot, 'utf8');
        expect(svg).not.toMatch(RAW_CONTROL);
        expect(svg).toContain('&lt;/script&gt;&lt;b&gt;');
      }
    }
  });
});

describe('plot size', () => {
  it('a multilabel PNG of 20000 labels stays within the plot budget', () => {
    const L = 20000;
    const plot = join(tmp, 'wide.png');
    const scores = npy('wide-s.npy', Float32Array.from({ length: 2 * L }, (_, i) => (i % 10) / 10), [2, L]);
    const targets = npy('wide-t.npy', Uint8Array.from({ length: 2 * L }, (_, i) => i % 3 === 0 ? 1 : 0), [2, L]);
    const r = confmat(['eval', '--task', 'multilabel', '--scores', scores, '--targets', targets, '--backend', 'cpu',
      '--plot', plot, '--out', join(tmp, 'wide.json')]);
    expect(r.code, r.stderr).toBe(0);
    const { width, height } = pngSize(plot);
    expect(height).toBeLessThanOrEqual(MAX_PLOT_SIDE);
    expect(width * height).toBeLessThanOrEqual(MAX_PLOT_PIXELS);
  });
});

describe('sample weights whose sum overflows', () => {
  const w = npy('huge.npy', Float64Array.of(1e308, 1e308));
  const two = { preds: npy('p2.npy', Int32Array.of(0, 1)), labels: npy('y2.npy', Int32Array.of(0, 1)),
    scores: npy('s2.npy', Float32Array.of(0.2, 0.9)), targets: npy('t2.npy', Uint8Array.of(0, 1)) };
  const ml = { scores: npy('s22.npy', Float32Array.of(0.2, 0.9, 0.4, 0.1), [2, 2]),
    targets: npy('t22.npy', Uint8Array.of(0, 1, 1, 0), [2, 2]) };

  it.each([['multiclass', ['eval', '--preds', two.preds, '--labels', two.labels, '--num-classes', '2']], [
    'multiclass --threads 2',
    ['eval', '--preds', two.preds, '--labels', two.labels, '--num-classes', '2', '--threads', '2'],
  ], ['binary', ['eval', '--task', 'binary', '--scores', two.scores, '--targets', two.targets]], ['multilabel', ['eval',
    '--task', 'multilabel', '--scores', ml.scores, '--targets', ml.targets]]])(
      'are refused up front (%s), naming the file and index 1; nothing is written',
      (_, args) => {
        const out = join(tmp, 'never.json');
        const r = confmat([...args, '--sample-weight', w, '--backend', 'cpu', '--out', out]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(
            `^confmat: ${
              w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
            }: index 1: weight 1e\\+308 makes the sum of \\|weights\\| overflow .*\\n$`,
          ),
        );
        expect(existsSync(out)).toBe(false);
      },
    );
});
