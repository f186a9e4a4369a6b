import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';

/*
 * The package as a consumer gets it: `npm pack` (its "prepack" script builds), the tarball installed
 * into a fresh project, its declarations type-checked there with skipLibCheck false, its CLI run.
 *
 * The pack runs in a copy of the tree (node_modules linked), so prepack's clean + build never
 * rewrites dist/ under the test files running alongside this one.
 *
 * The install is `npm install --offline --omit=optional <tarball>` with the non-optional
 * dependencies (@webgpu/types, fflate) copied into the project's node_modules first: npm then fetches nothing
 * and reads nothing from its cache, so this works on a fresh CI machine after `npm ci` and with no
 * network. (Installing the dependencies offline from the cache would need their registry metadata
 * there, which `npm ci`, reading the lockfile, does not store.) Leaving the optional dependencies
 * out is also the case under test: no `webgpu`, no `@resvg/resvg-js`. tsc runs from this
 * project's node_modules (module resolution starts at the consumer's files, not at tsc), and
 * @types/node is linked in after the install, which prunes packages it did not ask for.
 */

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'confmat-package-'));
const app = join(work, 'app');
const installed = join(app, 'node_modules', 'confmat');
const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let tarball = '';

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment without the npm_* variables of an enclosing `npm test` (its prefix, its config). */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`,
    npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

function mustRun(cmd: string, args: string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).map((
    f,
  ) => f.split('\\').join('/'));
}

beforeAll(() => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  const copy = join(work, 'pack');
  mkdirSync(copy);
  const needed = new Set([...pkg.files.filter((f) => f !== 'dist'), 'package.json', 'README.md', 'LICENSE',
    'CHANGELOG.md', 'scripts', 'shaders', 'tsconfig.json', 'tsconfig.build.json']);
  for (const f of needed) if (existsSync(join(root, f))) cpSync(join(root, f), join(copy, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  mustRun('npm', ['pack', '--pack-destination', work], copy);
  const tgz = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = join(work, tgz[0]!);

  mkdirSync(join(app, 'node_modules', '@webgpu'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const deps = Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: object }).dependencies,
  );
  for (const dep of deps) cpSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), { recursive: true });
  mustRun('npm', ['install', '--offline', '--no-save', '--no-package-lock', '--ignore-scripts', '--omit=optional',
    '--no-audit', '--no-fund', tarball], app);
  mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'), 'dir');

  writeFileSync(join(app, 'node-consumer.ts'), `
import { createConfusionMatrix, type ConfusionMatrixResult, type GpuBatch } from 'confmat';
import { requestNodeDevice, writeFileAtomic } from 'confmat/node';
import { requestBrowserDevice } from 'confmat/browser';

const gpu = await requestNodeDevice();
const device: GPUDevice | undefined = gpu?.device;
const cm = createConfusionMatrix({ numClasses: 3, device });
await cm.update({ logits: new Float32Array([0.9, 0.1, 0, 0.1, 0.8, 0.1]), labels: new Int32Array([0, 1]) });
if (device) {
  const labels: GPUBuffer = device.createBuffer({ size: 8, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const batch: GpuBatch = { preds: new Uint32Array([2, 2]), labels };
  await cm.update(batch);
}
const result: ConfusionMatrixResult = await cm.compute();
await writeFileAtomic('report.json', JSON.stringify({ accuracy: result.accuracy }));
gpu?.destroy();
const browser = await requestBrowserDevice({ powerPreference: 'high-performance' });
const other = createConfusionMatrix({ numClasses: 2, device: browser?.device });
console.log(result.accuracy, other.backend);
`);
  writeFileSync(join(app, 'browser-consumer.ts'), `
import { createConfusionMatrix, type ConfusionMatrixResult } from 'confmat';
import { requestBrowserDevice } from 'confmat/browser';

const gpu = await requestBrowserDevice();
const cm = createConfusionMatrix({ numClasses: 10, device: gpu?.device });
await cm.update({ preds: new Uint8Array([1, 2]), labels: new Uint8Array([1, 3]) });
const result: ConfusionMatrixResult = await cm.compute();
document.body.textContent = String(result.accuracy);
`);
  writeFileSync(join(app, 'wrong-device.ts'), `
import { createConfusionMatrix } from 'confmat';

createConfusionMatrix({ numClasses: 3, device: "a string" });
`);
}, 600_000);

/**
 * tsc --noEmit on consumer files, strict, skipLibCheck false, no @types/* pulled in by the config
 * (confmat/node's declarations reference @types/node themselves). lib has DOM: @webgpu/types needs it.
 */
function typecheck(files: string[],
  mode: { moduleResolution: string; module: string }): { code: number | null; errors: string[]; files: string[] } {
  const config = join(app, `tsconfig.${files[0]}.${mode.moduleResolution}.json`);
  const compilerOptions = { ...mode, target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true,
    skipLibCheck: false, noEmit: true };
  writeFileSync(config, JSON.stringify({ compilerOptions, files }));
  const r = run(process.execPath, [tscBin, '-p', config, '--listFiles', '--pretty', 'false'], app);
  const lines = r.stdout.split('\n').filter(Boolean);
  return { code: r.status, errors: lines.filter((l) => / error TS\d+:/.test(l)),
    files: lines.filter((l) => !/ error TS\d+:/.test(l) && !l.startsWith(' ')) };
}

const MODES = [{ moduleResolution: 'nodenext', module: 'nodenext' }, { moduleResolution: 'node16', module: 'node16' }, {
  moduleResolution: 'bundler',
  module: 'esnext',
}];

describe('the packed package', () => {
  describe.each(MODES)('types under moduleResolution $moduleResolution, skipLibCheck false', (mode) => {
    let browser: ReturnType<typeof typecheck> | undefined;
    /** One program for the browser consumer and the wrong one: tsc runs take seconds. */
    const browserProgram = () => (browser ??= typecheck(['browser-consumer.ts', 'wrong-device.ts'], mode));

    it('a Node consumer of confmat, confmat/node and confmat/browser type-checks', () => {
      const r = typecheck(['node-consumer.ts'], mode);
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
    });

    it('a browser consumer of confmat and confmat/browser type-checks without @types/node', () => {
      const r = browserProgram();
      expect(r.errors.filter((e) => !e.startsWith('wrong-device.ts('))).toEqual([]);
      expect(r.files.some((f) => f.includes('/@webgpu/types/'))).toBe(true);
      expect(r.files.filter((f) => f.includes('/@types/node/'))).toEqual([]);
    });

    it('a device that is not a GPUDevice is refused in the consumer file, not in confmat', () => {
      const r = browserProgram();
      expect(r.code).not.toBe(0);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/^wrong-device\.ts\(4,\d+\): error TS2322: .*'string'.*'GPUDevice'/);
    });
  });

  it('ships the build, its sources and notices, and nothing else', () => {
    expect(statSync(tarball).size).toBeLessThan(1024 * 1024);
    const files = filesUnder(installed);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.d.ts', 'dist/node/index.d.ts',
      'dist/browser/index.d.ts', 'dist/cli/main.js']) expect(files).toContain(f);
    const top = [...new Set(files.map((f) => f.split('/')[0]))].sort();
    expect(top).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'package.json', 'src']);
    const stale = files.filter((f) => f.startsWith('dist/') && f.endsWith('.js')).filter((f) =>
      !files.includes(f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'))
    );
    expect(stale).toEqual([]);
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      for (const s of sources) {
        expect(files, `${map} -> ${s}`).toContain(
          relative(installed, resolve(installed, dirname(map), s)).split('\\').join('/'),
        );
      }
    }
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    expect([...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]).filter((u) => !u!.startsWith('https://')))
      .toEqual([]);
  });

  describe('the CLI installed without the optional packages (webgpu, @resvg/resvg-js)', () => {
    const bin = () => join(app, 'node_modules', '.bin', 'confmat');
    const confmat = (args: string[]) => run(bin(), args, app);

    beforeAll(() => {
      expect(existsSync(join(app, 'node_modules', 'webgpu'))).toBe(false);
      expect(existsSync(join(app, 'node_modules', '@resvg'))).toBe(false);
      writeFileSync(join(app, 'logits.npy'),
        encodeNpy(new Float32Array([0.9, 0.1, 0, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7, 0.8, 0.1, 0.1]), [4, 3]));
      writeFileSync(join(app, 'labels.npy'), encodeNpy(new Int32Array([0, 1, 2, 1]), [4]));
    });

    it('confmat eval --backend cpu counts', () => {
      const r = confmat(['eval', '--logits', 'logits.npy', '--labels', 'labels.npy', '--backend', 'cpu', '--format',
        'json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { matrix: number[][]; backend: { name: string } };
      expect(out.matrix).toEqual([[1, 0, 0], [1, 1, 0], [0, 0, 1]]);
      expect(out.backend.name).toBe('cpu');
    });

    it('confmat --version prints the package version', () => {
      const r = confmat(['--version']);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version);
    });

    it('--backend gpu exits 3 with one line naming the missing webgpu package', () => {
      const r = confmat(['eval', '--logits', 'logits.npy', '--labels', 'labels.npy', '--backend', 'gpu']);
      expect(r.status).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^confmat: .*webgpu/);
    });

    it('--plot cm.png exits 1 with one line naming @resvg/resvg-js, and writes nothing', () => {
      const r = confmat(['eval', '--logits', 'logits.npy', '--labels', 'labels.npy', '--backend', 'cpu', '--plot',
        'cm.png']);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^confmat: .*@resvg\/resvg-js/);
      expect(existsSync(join(app, 'cm.png'))).toBe(false);
    });
  });
});
