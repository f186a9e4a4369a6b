import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Start-up loads only what a command needs (issue 18). A module-load hook (`module.register`, given with
 * `--import`) writes every module the built CLI loads to a file; the heavy ones must not be among them for
 * `--version` and a small `eval --backend cpu` to a text table. Structural, never timed.
 */
const root = mkdtempSync(join(tmpdir(), 'confmat-startup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hooks = join(root, 'hooks.mjs');
writeFileSync(hooks, `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.CONFMAT_TEST_LOADED, url + '\\n');
  return next(url, context);
}
`);
const register = join(root, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
`);

let runs = 0;

/** Runs the built CLI with `args`; its output and the modules it loaded (paths under the repository, or node:). */
function loaded(args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const log = join(root, `loaded-${runs++}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, 'dist/cli/main.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CONFMAT_TEST_LOADED: log, NO_COLOR: '1' },
  });
  const here = pathToFileURL(resolve('.')).href + '/';
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => u.replace(here, ''));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

const fixture = (name: string): string => resolve('test/fixtures/sklearn', name);
const smallEval = ['eval', '--backend', 'cpu', '--logits', fixture('digits-mlp.logits.npy'), '--labels',
  fixture('digits-mlp.labels.npy'), '--format', 'table'];

/**
 * What a lean start must not load: Dawn, the compressors, Parquet, the PNG writers, the workers, the GPU engine, and
 * node:crypto (3 to 5 ms to load; temporary names take the global `crypto`).
 */
const HEAVY = [/node_modules\/webgpu\//, /node_modules\/fflate\//, /node_modules\/hyparquet/, /node_modules\/@resvg\//,
  /^dist\/node\/request-device\.js$/, /^dist\/node\/png\.js$/, /^dist\/report\/heatmap-svg\.js$/,
  /^dist\/node\/cpu-workers?\.js$/, /^dist\/engine\//, /^dist\/stats\//, /^dist\/state\//,
  /^dist\/read\/(csv|jsonl|npz|safetensors|parquet)\.js$/, /^dist\/cli\/eval-(scores|per-class)\.js$/,
  /^node:child_process$/, /^node:worker_threads$/, /^node:zlib$/, /^node:crypto$/];

const heavyIn = (modules: string[]): string[] => modules.filter((m) => HEAVY.some((re) => re.test(m)));

describe('lean start-up', () => {
  it('--version loads the entry point and two small modules, nothing else of confmat', () => {
    const r = loaded(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}\n`);
    expect(r.modules.filter((m) => m.startsWith('dist/')).sort()).toEqual(['dist/cli/main.js', 'dist/core/errors.js',
      'dist/node/fs-reason.js']);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it('a small eval --backend cpu to a text table loads none of the heavy modules', () => {
    const r = loaded(smallEval);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Confusion matrix');
    expect(r.stdout).toContain('counted on the CPU');
    // the hook sees the modules a command loads on demand
    expect(r.modules).toEqual(
      expect.arrayContaining(['dist/cli/eval-multiclass.js', 'dist/read/npy-file.js', 'dist/report/table.js']),
    );
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it('the hook sees what a command loads on demand: --threads 2 loads the worker module', () => {
    const r = loaded([...smallEval, '--threads', '2']);
    expect(r.status).toBe(0);
    expect(r.modules).toContain('dist/node/cpu-workers.js');
  });
});
