import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cpuUpdate } from '../../src/tasks/multiclass/update-cpu.js';

// A FLOAT16 Parquet logits column (test/fixtures/parquet/make-float16.mjs) counts as its .npy '<f2' twin does.
const DIR = fileURLToPath(new URL('../fixtures/parquet/', import.meta.url));
const at = (name: string) => join(DIR, name);
const [N, C] = [300, 5];

function evalJson(args: string[], backend: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'eval', ...args, '--format', 'json', '--backend', backend],
    { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' } });
  expect(r.stderr.split('\n').filter((l) => l !== '' && !/adapter|--num-classes not given/.test(l))).toEqual([]);
  expect(r.status).toBe(0);
  const { backend: _b, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
  return rest;
}

/** A float16's value from its bits (NaN payloads aside). */
function f16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const [e, f] = [(h >> 10) & 0x1f, h & 0x3ff];
  if (e === 0x1f) return f ? NaN : sign * Infinity;
  return e === 0 ? sign * f * 2 ** -24 : sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** The oracle's matrix of the .npy twins' data, widened here. */
function oracle(): number[][] {
  const tail = (name: string, bytes: number) => {
    const b = readFileSync(at(name));
    return b.buffer.slice(b.byteOffset + b.length - bytes, b.byteOffset + b.length);
  };
  const logits = Float32Array.from(new Uint16Array(tail('eval-f16-logits.npy', N * C * 2)), f16);
  const labels = new Int32Array(tail('eval-f16-labels.npy', N * 4));
  const counts = new Float64Array(C * C);
  cpuUpdate(counts, { rows: N, numClasses: C, logits, labels });
  return Array.from({ length: C }, (_, t) => Array.from(counts.subarray(t * C, t * C + C)));
}

describe('confmat eval reads Parquet FLOAT16 logits', () => {
  it.each(['cpu', 'gpu'])('on --backend %s: as the .npy <f2 twin and the oracle, plain and dictionary-encoded',
    (backend) => {
      const labels = ['--labels', at('eval-f16-labels.npy')];
      const npy = evalJson(['--logits', at('eval-f16-logits.npy'), ...labels], backend);
      expect(npy.matrix).toEqual(oracle());
      for (const spec of ['eval-f16.parquet:logits', 'eval-f16-dict.parquet']) {
        expect(evalJson(['--logits', at(spec), ...labels], backend), spec).toEqual(npy);
      }
    });
});
