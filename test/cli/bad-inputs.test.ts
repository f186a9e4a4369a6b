import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICDS } from '../../src/node/request-device.js';
import { BAD_CASES, BAD_DIR, BAD_INPUT_FILES, type BadCase } from '../fixtures/bad/cases.js';

const root = mkdtempSync(join(tmpdir(), 'confmat-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(c: BadCase, tmp: string) {
  const args = c.args.map((a) => a.replaceAll('{dir}', BAD_DIR).replaceAll('{tmp}', tmp));
  if (!args.includes('--out')) args.push('--out', join(tmp, 'report.json'));
  if (!args.includes('--plot')) args.push('--plot', join(tmp, 'cm.svg'));
  const env: Record<string, string> = { XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' };
  const backend = c.backend ?? 'cpu';
  if (backend === 'swiftshader') {
    const icd = process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICDS.find((p) => existsSync(p));
    if (!icd?.includes('swiftshader')) {
      throw new Error(`no SwiftShader Vulkan ICD: VK_ICD_FILENAMES is ${icd} (test/global-setup.ts sets it)`);
    }
    env.VK_ICD_FILENAMES = icd;
  }
  const r = spawnSync(process.execPath, ['dist/cli/main.js', c.command ?? 'eval', ...args, '--format', 'json',
    '--backend', backend === 'cpu' ? 'cpu' : 'gpu'], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('the bad-input corpus', () => {
  it('holds at least 30 bad files (in under 1 MB), each read by some case', () => {
    expect(BAD_INPUT_FILES.length).toBeGreaterThanOrEqual(30);
    const files = readdirSync(BAD_DIR);
    expect(files.reduce((n, f) => n + statSync(join(BAD_DIR, f)).size, 0)).toBeLessThan(1 << 20);
    const used = new Set(BAD_CASES.flatMap((c) => c.files));
    expect(BAD_INPUT_FILES.filter((f) => !used.has(f))).toEqual([]);
    expect([...used].filter((f) => !BAD_INPUT_FILES.includes(f))).toEqual([]);
  });

  it.each(BAD_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const tmp = mkdtempSync(join(root, 'case-'));
    const r = run(c, tmp);
    expect(r.signal).toBeNull();
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: c.exit, stderr: expect.stringMatching(c.stderr) });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines.filter((l) => !/^confmat: |^Run confmat --help/.test(l))).toEqual([]);
    expect(r.stderr).not.toMatch(/^\s+at .*(\.[cm]?[jt]s:\d+|node:)/m);
    expect(r.stdout).toBe('');
    expect(readdirSync(tmp, { recursive: true })).toEqual([]);
  });

  it.each([['a symbolic link', (from: string, to: string) => symlinkSync(from, to)], ['a hard link',
    (from: string, to: string) => linkSync(from, to)]])(
      'merge: a part given again through %s is refused, naming both paths',
      (_, link) => {
        const tmp = mkdtempSync(join(root, 'link-'));
        const part = (i: number) => ({ format: 'confmat-state', version: 1, numClasses: 2, counts: [1, 0, 0, 1],
          options: { numClasses: 2 }, shards: { count: 2, indices: [i] } });
        writeFileSync(join(tmp, 'part-0.json'), JSON.stringify(part(0)));
        writeFileSync(join(tmp, 'part-1.json'), JSON.stringify(part(1)));
        link(join(tmp, 'part-0.json'), join(tmp, 'again.json'));
        const r = spawnSync(process.execPath, ['dist/cli/main.js', 'merge', join(tmp, 'part-0.json'),
          join(tmp, 'again.json'), join(tmp, 'part-1.json'), '--format', 'json'], { encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(
          `confmat: ${join(tmp, 'again.json')}: the same file as ${
            join(tmp, 'part-0.json')
          } (a symbolic or hard link to it); each part must be merged once\n`,
        );
        expect(r.stdout).toBe('');
      },
    );
});
