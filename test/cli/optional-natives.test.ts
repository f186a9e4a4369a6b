import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The native modules are optional: where Dawn's `dawn.node` or resvg's binary cannot load (an
 * older glibc or libstdc++, no build for the platform), everything else still works. The built
 * CLI is copied beside stand-ins for both packages that fail to load the way a native module does.
 */
const root = mkdtempSync(join(tmpdir(), 'confmat-natives-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const GLIBCXX =
  "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.30' not found (required by /x/node_modules/webgpu/dist/linux-x64/dawn.node)";
const app = join(root, 'app');
cpSync(resolve('dist'), join(app, 'dist'), { recursive: true });
cpSync(resolve('package.json'), join(app, 'package.json'));
const dependencies = Object.keys(
  (JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies?: object }).dependencies ?? {},
);
for (const dep of dependencies) {
  cpSync(resolve('node_modules', dep), join(app, 'node_modules', dep), { recursive: true });
}
function standIn(name: string, type: 'module' | 'commonjs', message: string): void {
  const dir = join(app, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', type, main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'),
    `throw new Error(${JSON.stringify(`${message}\nRequire stack:\n- ${dir}/index.js`)});\n`);
}
standIn('webgpu', 'module', GLIBCXX);
standIn('@resvg/resvg-js', 'commonjs',
  GLIBCXX.replace('webgpu/dist/linux-x64/dawn.node', '@resvg/resvg-js-linux-x64-gnu/resvgjs.node'));

const data = ['--logits', resolve('test/fixtures/sklearn/digits-mlp.logits.npy'), '--labels',
  resolve('test/fixtures/sklearn/digits-mlp.labels.npy')];
const expected = JSON.parse(readFileSync('test/fixtures/sklearn/digits-mlp.json', 'utf8')) as { matrix: number[][] };

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, [join(app, 'dist/cli/main.js'), ...args], { encoding: 'utf8', cwd: root,
    env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at |node:internal|\.js:\d+/m);

describe('without a loadable GPU binding or PNG renderer', () => {
  it('confmat --version and --help work', () => {
    const v = confmat(['--version']);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(confmat(['--help']).code).toBe(0);
  });

  it('eval --backend cpu counts, silently', () => {
    const r = confmat(['eval', ...data, '--backend', 'cpu', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).matrix).toEqual(expected.matrix);
  });

  it('eval --backend auto counts on the CPU and says why in one line', () => {
    const r = confmat(['eval', ...data, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).matrix).toEqual(expected.matrix);
    expect(JSON.parse(r.stdout).backend.name).toBe('cpu');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^confmat: the WebGPU binding for Node \(npm package webgpu\) could not be loaded: .*GLIBCXX_3\.4\.30.*; counting on the CPU/,
    );
    noStack(r.stderr);
  });

  it('eval --backend gpu exits 3 with the loader reason', () => {
    const r = confmat(['eval', ...data, '--backend', 'gpu', '--format', 'json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^confmat: the WebGPU binding for Node \(npm package webgpu\) could not be loaded: .*GLIBCXX_3\.4\.30/,
    );
    noStack(r.stderr);
  });

  it('--plot .png says what is missing and writes nothing; .svg works', () => {
    const png = join(root, 'cm.png');
    const r = confmat(['eval', ...data, '--backend', 'cpu', '--plot', png, '--out', join(root, 'r.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^confmat: .*PNG output needs the optional package @resvg\/resvg-js, which could not be loaded \(.*GLIBCXX_3\.4\.30.*\); write \.svg or \.html instead/,
    );
    noStack(r.stderr);
    const svg = confmat(['eval', ...data, '--backend', 'cpu', '--plot', join(root, 'cm.svg'), '--out',
      join(root, 'r2.json')]);
    expect(svg.code, svg.stderr).toBe(0);
    expect(readFileSync(join(root, 'cm.svg'), 'utf8')).toMatch(/^<svg/);
    expect(() => readFileSync(png)).toThrow();
    expect(() => readFileSync(join(root, 'r.json'))).toThrow();
  });

  it('--plot .png is refused before any input is read', () => {
    const r = confmat(['eval', '--logits', join(root, 'missing.npy'), '--labels', join(root, 'missing-too.npy'),
      '--backend', 'cpu', '--plot', join(root, 'early.png')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PNG output needs the optional package @resvg\/resvg-js/);
    expect(r.stderr).not.toMatch(/missing/);
    const merge = confmat(['merge', join(root, 'missing.json'), '--plot', join(root, 'early.png')]);
    expect(merge.code).toBe(1);
    expect(merge.stderr).toMatch(/PNG output needs the optional package @resvg\/resvg-js/);
  });
});

describe('an internal error', () => {
  const buggy = join(root, 'buggy');
  cpSync(join(app, 'dist'), join(buggy, 'dist'), { recursive: true });
  cpSync(join(app, 'package.json'), join(buggy, 'package.json'));
  for (const dep of dependencies) {
    cpSync(join(app, 'node_modules', dep), join(buggy, 'node_modules', dep), { recursive: true });
  }
  const dir = join(buggy, 'node_modules', 'webgpu');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'),
    JSON.stringify({ name: 'webgpu', version: '0.0.0', type: 'module', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'),
    'export const globals = {};\nexport function create() { return { async requestAdapter() { return {}; } }; }\n');
  const run = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(buggy, 'dist/cli/main.js'), 'eval', ...data, '--backend', 'gpu'], {
      encoding: 'utf8',
      cwd: root,
      env: { ...process.env, ...env },
    });

  it('exits 4 with one line that says it is a bug and where to report it, no stack', () => {
    const r = run();
    expect(r.status).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^confmat: internal error \(TypeError: Cannot read properties of undefined.*\)\. This is a bug in confmat: please report it .*https:\/\/github\.com\/confmat\/confmat\/issues/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    noStack(r.stderr);
  });

  it('shows the stack with CONFMAT_DEBUG=1', () => {
    const r = run({ CONFMAT_DEBUG: '1' });
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^\s+at .*request-device\.js:\d+/m);
  });
});

describe('a GPU binding whose adapter listing fails', () => {
  const broken = join(root, 'broken');
  cpSync(join(app, 'dist'), join(broken, 'dist'), { recursive: true });
  cpSync(join(app, 'package.json'), join(broken, 'package.json'));
  for (const dep of dependencies) {
    cpSync(join(app, 'node_modules', dep), join(broken, 'node_modules', dep), { recursive: true });
  }
  const dir = join(broken, 'node_modules', 'webgpu');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'),
    JSON.stringify({ name: 'webgpu', version: '0.0.0', type: 'module', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'),
    "export const globals = {};\nexport function create() { return { async requestAdapter() { throw new Error('vkEnumeratePhysicalDevices failed'); } }; }\n");
  const run = (backend: string) =>
    spawnSync(process.execPath, [join(broken, 'dist/cli/main.js'), 'eval', ...data, '--backend', backend, '--format',
      'json'], { encoding: 'utf8', cwd: root });

  it('--backend gpu exits 3 naming the reason; auto counts on the CPU', () => {
    const gpu = run('gpu');
    expect(gpu.status).toBe(3);
    expect(gpu.stderr).toMatch(/^confmat: .*failed to list its adapters: vkEnumeratePhysicalDevices failed/);
    noStack(gpu.stderr);
    const auto = run('auto');
    expect(auto.status).toBe(0);
    expect(JSON.parse(auto.stdout).matrix).toEqual(expected.matrix);
  });
});
