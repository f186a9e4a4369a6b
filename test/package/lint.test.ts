import { spawnSync } from 'node:child_process';
import { execPath } from 'node:process';
import { describe, expect, it } from 'vitest';

/** Runs a dev tool from node_modules; its output is the failure message. */
function tool(bin: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 16 << 20,
    env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.slice(-8000) };
}

describe('the habits the tools keep (npm run lint)', () => {
  it('dprint (@dprint/formatter): the code is formatted (npm run format fixes it)', () => {
    const r = tool('scripts/format.mjs', ['--check']);
    expect(r.status, r.output).toBe(0);
  });

  it('ESLint: no finding', () => {
    const r = tool('node_modules/eslint/bin/eslint.js', ['.', '--max-warnings', '0']);
    expect(r.status, r.output).toBe(0);
  });

  it('knip: no unused export, file or dependency', () => {
    const r = tool('node_modules/knip/bin/knip.js', ['--no-progress']);
    expect(r.status, r.output).toBe(0);
  });

  // Left out: generated files.
  it('no line of src/ over 120 characters', async () => {
    const { readFileSync } = await import('node:fs');
    const listed = spawnSync('git', ['ls-files', 'src'], { encoding: 'utf8' }).stdout.split('\n');
    const skip = (f: string) => f.includes('.generated.');
    const files = listed.filter((f) => f.endsWith('.ts') && !skip(f));
    expect(files.length).toBeGreaterThan(50);
    const long = (f: string) => {
      const lines = readFileSync(f, 'utf8').split('\n');
      return lines.flatMap((line, i) => (line.length > 120 ? [`${f}:${i + 1} (${line.length})`] : []));
    };
    const found = files.flatMap(long);
    expect(found, found.slice(0, 40).join('\n')).toEqual([]);
  });
});
