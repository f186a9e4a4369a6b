import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDawnStderrFilter } from '../../src/cli/dawn-stderr.js';
import { requestNodeDevice, vulkanDrivers } from '../../src/node/request-device.js';

const root = mkdtempSync(join(tmpdir(), 'confmat-dawn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = ['--logits', 'test/fixtures/sklearn/digits-mlp.logits.npy', '--labels',
  'test/fixtures/sklearn/digits-mlp.labels.npy'];

/** A Vulkan driver folder as a desktop has it: lavapipe, and a hardware driver whose library is not there. */
function fakeDrivers(): string {
  const share = join(root, 'share');
  mkdirSync(join(share, 'vulkan/icd.d'), { recursive: true });
  const manifest = (lib: string) =>
    JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: lib, api_version: '1.3.0' } });
  writeFileSync(join(share, 'vulkan/icd.d/lvp_icd.x86_64.json'), manifest('/nowhere/libvulkan_lvp.so'));
  writeFileSync(join(share, 'vulkan/icd.d/intel_icd.x86_64.json'), manifest('/nowhere/libvulkan_intel.so'));
  return share;
}

function confmat(args: string[], env: Record<string, string | undefined>) {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8', env: merged });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("Dawn's native warnings", () => {
  it('the filter drops Dawn and loader blocks, keeps every other line, across chunk borders', () => {
    let out = '';
    const f = createDawnStderrFilter((t) => (out += t));
    for (const chunk of [
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n - While initializing adapter (backend=BackendType::Vulkan)\n    at InitializeImpl (/home/runner/work/x/PhysicalDeviceVk.cpp:257)\n\n',
      'confmat: no WebGPU adapter found; count',
      'ing on the CPU\nError: Loader Message: setup_loader_term_phys_devs:  Failed to detect any valid GPUs in the current config\n',
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.\n',
      'progress 50%\n\nlast line without newline',
    ]) f.write(chunk);
    f.end();
    expect(out).toBe(
      'confmat: no WebGPU adapter found; counting on the CPU\nprogress 50%\n\nlast line without newline',
    );
  });

  it('the filter passes a progress line redrawn with \\r at once, not at the next newline', () => {
    let out = '';
    const f = createDawnStderrFilter((t) => (out += t));
    f.write('\r[######......] 50%\x1b[K');
    expect(out).toBe('\r[######......] 50%\x1b[K');
    f.write('\r[############] 10');
    f.write('0%\x1b[K');
    expect(out).toBe('\r[######......] 50%\x1b[K\r[############] 100%\x1b[K');
    f.write('\r\x1b[K');
    f.write('Warning: Dawn says\n - While x\nconfmat: done\n');
    f.end();
    expect(out).toBe('\r[######......] 50%\x1b[K\r[############] 100%\x1b[K\r\x1b[Kconfmat: done\n');
  });

  it("the child draws its progress bar when the parent's stderr is a terminal", () => {
    const r = confmat(['eval', ...data, '--backend', 'cpu', '--format', 'json'], { CONFMAT_STDERR_COLUMNS: '100' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\r\[#+\] 100%/);
    expect(confmat(['eval', ...data, '--backend', 'cpu', '--format', 'json'], {}).stderr).toBe('');
  });

  it('SIGINT sent to the parent alone ends the child too, and no temporary is left', async () => {
    const dir = join(root, 'sigint');
    mkdirSync(dir);
    const fifo = join(dir, 'labels.npy');
    spawnSync('mkfifo', [fifo]);
    const parent = spawn(process.execPath, ['dist/cli/main.js', 'eval', '--logits', data[1]!, '--labels', fifo,
      '--backend', 'auto', '--out', join(dir, 'r.json')], { env: { ...process.env, CONFMAT_DAWN_STDERR: undefined },
      stdio: 'ignore' });
    await new Promise((ok) => setTimeout(ok, 1500));
    parent.kill('SIGINT');
    const ended = await new Promise<string | number | null>((ok) => {
      const t = setTimeout(() => ok('still running'), 10_000);
      parent.on('exit', (code, signal) => {
        clearTimeout(t);
        ok(signal ?? code);
      });
    });
    if (ended === 'still running') parent.kill('SIGKILL');
    expect(ended).toBe('SIGINT');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.each(['cpu', 'auto'])('a reader that goes away (| head) ends --backend %s quietly, without a stack',
    async (backend) => {
      const child = spawn(process.execPath, ['dist/cli/main.js', 'eval', ...data, '--backend', backend, '--format',
        'csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      child.stdout.destroy();
      const code = await new Promise((ok) => child.on('close', (c, signal) => ok(signal ?? c)));
      expect(stderr).not.toMatch(/Unhandled|EPIPE|^\s+at /m);
      expect(code).toBe(0);
    });

  it('lavapipe is never offered to Dawn; other manifests are', () => {
    const share = fakeDrivers();
    const found = vulkanDrivers({ XDG_DATA_DIRS: share, XDG_CONFIG_DIRS: join(root, 'none'),
      HOME: join(root, 'home') });
    expect(found?.usable).toContain(join(share, 'vulkan/icd.d/intel_icd.x86_64.json'));
    expect(found?.usable.some((p) => p.includes('lvp'))).toBe(false);
    expect(found?.filtered).toBe(true);
    expect(vulkanDrivers({ VK_ICD_FILENAMES: '/x.json' })).toBeNull();
  });

  it('the driver list set for an attempt is taken back after it (nothing leaks into later calls or child processes)', async () => {
    const share = fakeDrivers();
    const keep = { ...process.env };
    delete process.env.VK_ICD_FILENAMES;
    delete process.env.VK_DRIVER_FILES;
    Object.assign(process.env, { XDG_DATA_DIRS: share, XDG_CONFIG_DIRS: join(root, 'none'), HOME: join(root, 'home') });
    try {
      const gpu = await requestNodeDevice({ backend: 'vulkan', softwareFallback: false });
      gpu?.destroy();
      expect(process.env.VK_ICD_FILENAMES).toBeUndefined();
      expect(process.env.VK_DRIVER_FILES).toBeUndefined();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in keep)) delete process.env[k];
      Object.assign(process.env, keep);
    }
  });

  it.each([['auto', 0], ['gpu', null]] as const)(
    'eval --backend %s leaves stderr to confmat where the Vulkan drivers fail loudly',
    (backend, code) => {
      const share = fakeDrivers();
      const r = confmat(['eval', ...data, '--backend', backend, '--format', 'json'], { VK_ICD_FILENAMES: undefined,
        VK_DRIVER_FILES: undefined, XDG_DATA_DIRS: share, NO_COLOR: '1' });
      if (code !== null) expect(r.code).toBe(code);
      expect([0, 3]).toContain(r.code);
      expect(r.stderr).not.toMatch(/Warning|Loader Message|\.cpp:\d+/);
      for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^(confmat: |Run confmat --help)/);
      const shown = confmat(['eval', ...data, '--backend', backend, '--format', 'json'], { VK_ICD_FILENAMES: undefined,
        VK_DRIVER_FILES: undefined, XDG_DATA_DIRS: share, CONFMAT_DAWN_LOG: '1' });
      expect(shown.stderr).toMatch(/Warning|Loader Message/);
    },
  );

  it('the child that does the work passes its exit code and its own lines through', () => {
    const bad = confmat(['eval', '--logits', join(root, 'missing.npy'), '--labels', data[3]!, '--backend', 'auto'], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^confmat: .*missing\.npy/);
  });
});
