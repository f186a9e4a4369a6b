import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confusionMatrix, matrixRows } from '../../src/index.js';
import { encodeNpy } from '../../src/read/npy.js';
import { cpuArgmax } from '../../src/tasks/multiclass/update-cpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-raw-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// more rows than one 256 KiB piece of logits (21845 rows at C = 3): labels are read and checked piece by piece
const N = 50_000;
const C = 3;
const rand = rng(2026_12_05);
const logits = makeLogits(rand, N, C, 'ties');
const labels = makeLabels(rand, N, C, Int32Array) as Int32Array;
writeFileSync(at('x.npy'), encodeNpy(logits, [N, C]));

describe('confmat eval --backend cpu with raw integer labels in a file (read and checked in WebAssembly)', () => {
  it.each([['int64', BigInt64Array], ['uint8', Uint8Array], ['int16', Int16Array]] as const)(
    'counts %s labels as the oracle on one thread and on workers, and names a bad one past the first piece',
    async (name, T) => {
      const stored = T === BigInt64Array ? BigInt64Array.from(labels, BigInt) : (T as typeof Int16Array).from(labels);
      writeFileSync(at(`y-${name}.npy`), encodeNpy(stored, [N]));
      const want = matrixRows(await confusionMatrix({ preds: cpuArgmax(logits, C), labels }, { numClasses: C }));
      const args = ['eval', '--logits', at('x.npy'), '--backend', 'cpu', '--format', 'json'];
      for (const threads of [[], ['--threads', '2']]) {
        const r = confmat([...args, '--labels', at(`y-${name}.npy`), ...threads]);
        expect(r.code, r.stderr).toBe(0);
        expect((JSON.parse(r.stdout) as { matrix: unknown }).matrix).toEqual(want);
      }
      const bad = stored.slice();
      bad[43_210] = T === Uint8Array ? 3 : T === BigInt64Array ? -(2n ** 40n) : -7;
      bad[49_999] = bad[43_210]!;
      writeFileSync(at(`bad-${name}.npy`), encodeNpy(bad, [N]));
      for (const threads of [[], ['--threads', '2']]) {
        const out = at(`bad-${name}-${threads.length}.json`);
        const r = confmat([...args, '--labels', at(`bad-${name}.npy`), '--out', out, ...threads]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${at(`bad-${name}.npy`)}: index 43210: label ${bad[43_210]} is outside [0, 3)`);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(existsSync(out)).toBe(false);
      }
    },
  );
});

describe('confmat eval --backend cpu at many more cells than rows (the nonzero cells listed while counting)', () => {
  it('writes the reports of the whole matrix: JSON, table and Markdown equal those of the matrix counted in memory',
    async () => {
      const [n, c] = [600, 400];
      const r = rng(4004);
      const x = makeLogits(r, n, c, 'random');
      const y = makeLabels(r, n, c, Int32Array) as Int32Array;
      for (let i = 0; i < n; i += 3) x[i * c + y[i]!] = 50; // a diagonal to report
      writeFileSync(at('wide.npy'), encodeNpy(x, [n, c]));
      writeFileSync(at('wide-y.npy'), encodeNpy(BigInt64Array.from(y, BigInt), [n]));
      const base = ['eval', '--logits', at('wide.npy'), '--labels', at('wide-y.npy'), '--backend', 'cpu'];
      for (const format of ['json', 'table', 'markdown']) {
        // --ignore-index -100 (no label holds it) counts in memory, without the list
        const [sparse, dense] = [confmat([...base, '--format', format]),
          confmat([...base, '--format', format, '--ignore-index=-100'])];
        expect(sparse.code, sparse.stderr).toBe(0);
        expect(dense.code, dense.stderr).toBe(0);
        if (format === 'json') {
          const [a, b] = [JSON.parse(sparse.stdout), JSON.parse(dense.stdout)];
          delete b.options.ignoreIndex;
          expect(a).toEqual(b);
          expect(a.topConfusions.length).toBeGreaterThan(0);
        } else {
          expect(sparse.stdout).toBe(dense.stdout);
        }
      }
    });
});
