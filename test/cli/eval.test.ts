import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confusionMatrix, matrixRows } from '../../src/index.js';
import { SWIFTSHADER_ICDS } from '../../src/node/request-device.js';
import { encodeNpy } from '../../src/read/npy.js';
import { HAS_MESA_EGL } from '../helpers/gpu.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'confmat-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confmat(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, data: Parameters<typeof encodeNpy>[0], shape: number[],
  opts?: Parameters<typeof encodeNpy>[2]): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy(data, shape, opts));
  return path;
}

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/sklearn/${name}.json`, 'utf8')) as { matrix: number[][]; accuracy: number };
const fixtureArgs = (
  name: string,
) => ['--logits', `test/fixtures/sklearn/${name}.logits.npy`, '--labels', `test/fixtures/sklearn/${name}.labels.npy`];

describe('confmat eval', () => {
  it.each(['gpu', 'cpu'])('equals sklearn on a real model (digits MLP, big-endian int32 labels) with --backend %s',
    (backend) => {
      const r = confmat(['eval', ...fixtureArgs('digits-mlp'), '--backend', backend, '--format', 'json']);
      expect(r.stderr).not.toContain('counting on the CPU');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.matrix).toEqual(fixture('digits-mlp').matrix);
      expect(out.accuracy).toBeCloseTo(fixture('digits-mlp').accuracy, 12);
      expect(out.total).toBe(899);
      expect(out.backend.name).toBe(backend);
      if (backend === 'gpu') expect(out.backend.adapter).toMatch(/^\S.* \(.+, core(, software)?\)$/);
      else expect(out.backend.adapter).toBeNull();
    });

  it('--histogram picks the GPU kernel: each mode equals sklearn; a misspelt one is refused', () => {
    for (const mode of ['global', 'private', 'local', 'wide']) {
      const r = confmat(['eval', ...fixtureArgs('digits-mlp'), '--backend', 'gpu', '--histogram', mode, '--format',
        'json']);
      expect(r.code, `${mode}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).matrix).toEqual(fixture('digits-mlp').matrix);
    }
    const bad = confmat(['eval', ...fixtureArgs('digits-mlp'), '--histogram', 'wider']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('wide');
  });

  it('counts on CPU worker threads with --threads 2, equal to sklearn', () => {
    const r = confmat(['eval', ...fixtureArgs('digits-mlp'), '--backend', 'cpu', '--threads', '2', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).matrix).toEqual(fixture('digits-mlp').matrix);
    expect(JSON.parse(r.stdout).backend).toEqual({ name: 'cpu', adapter: null, threads: 2 });
    expect(confmat(['eval', ...fixtureArgs('digits-mlp'), '--threads', '0']).stderr).toContain(
      '--threads must be an integer >= 1',
    );
    const auto = confmat(['eval', ...fixtureArgs('digits-mlp'), '--backend', 'cpu', '--threads', 'auto', '--format',
      'json']);
    expect(JSON.parse(auto.stdout).matrix).toEqual(fixture('digits-mlp').matrix);
    expect(JSON.parse(auto.stdout).backend.threads).toBe(availableParallelism());
  });

  it('--backend auto counts on the CPU, aloud, when the only adapter is a software one; --backend gpu uses it', () => {
    const gpu = confmat(['eval', ...fixtureArgs('digits-mlp'), '--backend', 'gpu', '--format', 'json']);
    const adapter = JSON.parse(gpu.stdout).backend.adapter as string;
    const auto = confmat(['eval', ...fixtureArgs('digits-mlp'), '--format', 'json']);
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.stdout).matrix).toEqual(fixture('digits-mlp').matrix);
    if (adapter.endsWith(', software)')) {
      expect(JSON.parse(auto.stdout).backend).toEqual({ name: 'cpu', adapter: null });
      expect(auto.stderr).toContain('the only WebGPU adapter here emulates a GPU on the CPU');
      const ml = confmat(['eval', '--task', 'multilabel', '--scores', 'test/fixtures/multilabel/scores.npy',
        '--targets', 'test/fixtures/multilabel/targets.npy', '--format', 'json']);
      expect(ml.code, ml.stderr).toBe(0);
      expect(JSON.parse(ml.stdout).backend.name).toBe('cpu');
    } else {
      expect(JSON.parse(auto.stdout).backend.name).toBe('gpu');
    }
  });

  // The product's own search for a Chromium-installed SwiftShader (.ci/run installs Debian's chromium).
  it.runIf(SWIFTSHADER_ICDS.some((p) => existsSync(p)))(
    'falls back to SwiftShader when VK_DRIVER_FILES names no usable driver',
    () => {
      const r = confmat(['eval', ...fixtureArgs('digits-mlp'), '--backend', 'gpu', '--format', 'json'], {
        VK_DRIVER_FILES: join(dir, 'no-such-icd.json'),
        VK_ICD_FILENAMES: '',
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).backend.adapter).toMatch(/swiftshader.*core/i);
    },
  );

  it.runIf(HAS_MESA_EGL)('runs on Mesa GL ES at the compatibility feature level', () => {
    const r = confmat(['eval', ...fixtureArgs('nan-inf'), '--backend', 'gpu', '--dawn-backend', 'opengles', '--format',
      'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.matrix).toEqual(fixture('nan-inf').matrix);
    expect(out.backend.adapter).toContain('compatibility');
  });

  it('counts class-index predictions and infers C with a note', () => {
    const labels = file('p-labels.npy', new Int16Array([0, 1, 2, 2]), [4]);
    const preds = file('p-preds.npy', new BigInt64Array([0n, 2n, 2n, 1n]), [4], { bigEndian: true });
    const r = confmat(['eval', '--preds', preds, '--labels', labels, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('using 3');
    expect(JSON.parse(r.stdout).matrix).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 1]]);
  });

  it('streams a 1.5M-row file through many read and GPU chunks and equals the CPU oracle', async () => {
    const rand = rng(42);
    const n = 1_500_000;
    const c = 10;
    const logits = makeLogits(rand, n, c, 'ties');
    const labels = makeLabels(rand, n, c, Uint8Array);
    const expected = matrixRows(await confusionMatrix({ logits, labels }, { numClasses: c }));
    const args = ['eval', '--logits', file('big.logits.npy', logits, [n, c]), '--labels',
      file('big.labels.npy', labels as Uint8Array, [n]), '--format', 'json'];
    const r = confmat([...args, '--backend', 'gpu', '--chunk-rows', '300007']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).matrix).toEqual(expected);
  });

  it('prints a table with per-row accuracy', () => {
    const r = confmat(['eval', ...fixtureArgs('iris-logreg'), '--format', 'table', '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Number of test samples: 75');
    expect(r.stdout).toMatch(/\| +\d+\.\d%/);
  });
});

describe('confmat eval refuses bad input', () => {
  const logits = file('ok.logits.npy', new Float32Array([0, 1, 1, 0, 0.5, 0.2]), [3, 2]);
  const labels = file('ok.labels.npy', new Int32Array([1, 0, 0]), [3]);

  const cases: [string, () => string[], number, RegExp][] = [['a missing file',
    () => ['--logits', join(dir, 'nope.npy'), '--labels', labels], 1, /nope\.npy: cannot read: no such file/], [
    'a file that is not .npy',
    () => ['--logits', logits, '--labels', join(dir, 'fake.npy')],
    1,
    /fake\.npy: byte 0: not a \.npy file/,
  ], ['a CSV label that is not an integer', () => ['--logits', logits, '--labels', join(dir, 'labels.csv')], 1,
    /labels\.csv:3:1: .*"0\.5"/], ['integer logits',
    () => ['--logits', file('i4.npy', new Int32Array(6), [3, 2]), '--labels', labels], 1,
    /i4\.npy: dtype i4: logits must be floating point/], ['1-D logits',
    () => ['--logits', file('rank1.npy', new Float32Array(6), [6]), '--labels', labels], 1,
    /rank1\.npy: shape \(6,\): logits must be 2-D/], ['float labels',
    () => ['--logits', logits, '--labels', file('flabels.npy', new Float32Array(3), [3])], 1,
    /flabels\.npy: dtype f4: labels must be integers/], ['2-D labels',
    () => ['--logits', logits, '--labels', file('l2d.npy', new Int32Array(3), [3, 1])], 1,
    /l2d\.npy: shape \(3, 1\): labels must be 1-D/], ['N mismatch',
    () => ['--logits', logits, '--labels', file('l4.npy', new Int32Array(4), [4])], 1,
    /l4\.npy holds 4 labels but .*ok\.logits\.npy has 3 rows/], ['a label >= C',
    () => ['--logits', logits, '--labels', file('l-big.npy', new Uint8Array([0, 1, 2]), [3])], 1,
    /l-big\.npy: index 2: label 2 is outside \[0, 2\)/], ['a negative label',
    () => ['--logits', logits, '--labels',
      file('l-neg.npy', new BigInt64Array([0n, -3n, 1n]), [3], { bigEndian: true })], 1,
    /l-neg\.npy: index 1: label -3 is outside/], ['C = 0',
    () => ['--logits', file('c0.npy', new Float32Array(0), [3, 0]), '--labels', labels], 1,
    /c0\.npy: shape \(3, 0\): logits have no class columns/], ['a prediction >= C',
    () => ['--preds', file('pbig.npy', new Int32Array([0, 5, 1]), [3]), '--labels', labels, '--num-classes', '2'], 1,
    /pbig\.npy: index 1: predicted class 5 is outside \[0, 2\)/], ['--num-classes disagreeing with the logits',
    () => ['--logits', logits, '--labels', labels, '--num-classes', '3'], 2, /--num-classes 3 disagrees/], [
    'both --logits and --preds',
    () => ['--logits', logits, '--preds', labels, '--labels', labels],
    2,
    /exactly one of/,
  ], ['an unknown option', () => ['--logits', logits, '--labels', labels, '--frobnicate'], 2, /frobnicate/], [
    'a bad --backend',
    () => ['--logits', logits, '--labels', labels, '--backend', 'tpu'],
    2,
    /--backend must be one of auto, gpu, cpu/,
  ]];

  it.each(cases)('%s', (_, args, code, message) => {
    writeFileSync(join(dir, 'fake.npy'), 'label\n1\n0\n');
    writeFileSync(join(dir, 'labels.csv'), 'label\n1\n0.5\n0\n');
    const r = confmat(['eval', ...args(), '--format', 'json']);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--backend gpu without an adapter fails and says how to get one', () => {
    const r = confmat(['eval', '--logits', logits, '--labels', labels, '--backend', 'gpu', '--dawn-backend', 'd3d12',
      '--format', 'json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('apt-get install chromium libvulkan1');
    expect(r.stdout).toBe('');
  });

  it('--backend auto without an adapter counts on the CPU and says so once', () => {
    const r = confmat(['eval', '--logits', logits, '--labels', labels, '--dawn-backend', 'd3d12', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/counting on the CPU/g)).toHaveLength(1);
    expect(JSON.parse(r.stdout).backend).toEqual({ name: 'cpu', adapter: null });
    expect(JSON.parse(r.stdout).matrix).toEqual([[2, 0], [0, 1]]);
  });
});

describe('confmat demo', () => {
  it('counts the built-in set on the GPU and the CPU, and they agree', () => {
    const r = confmat(['demo', '--rows', '50000', '--format', 'table']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Number of test samples: 50,000');
    expect(r.stdout).toContain('GPU and CPU agree on all 100 cells.');
    expect(r.stdout).toMatch(/^cat +\|/m);
  });

  it('prints JSON with class names', () => {
    const r = confmat(['demo', '--rows', '1000', '--backend', 'cpu', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.classes[3]).toBe('cat');
    expect(out.total).toBe(1000);
  });
});
