import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HalfDtype } from '../../src/core/types.js';
import { widenHalves } from '../../src/format/half.js';
import { encodeNpy } from '../../src/read/npy.js';
import { cpuUpdate } from '../../src/tasks/multiclass/update-cpu.js';
import { halfRows } from '../helpers/half-rows.js';
import { rng } from '../helpers/random.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const { fresh } = tempDirs('confmat-half-file-cli-');

/** `confmat eval --backend cpu ...`, with the bytes read by file descriptor (the file paths) from stderr. */
function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', './test/helpers/count-fd-reads.mjs', 'dist/cli/main.js', 'eval',
    '--backend', 'cpu', '--format', 'json', ...args], { encoding: 'utf8', maxBuffer: 1 << 28,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  const read = Number(/fd read bytes: (\d+)/.exec(r.stderr)?.[1]);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/fd read bytes: \d+\n/, ''), read };
}

/** A .npy of float16 patterns: written as '<u2', the descr changed to '<f2' (same length). */
function f16Npy(path: string, bits: Uint16Array, c: number): void {
  const bytes = encodeNpy(bits, [bits.length / c, c]);
  const at = Buffer.from(bytes).indexOf("'<u2'");
  bytes.set(Buffer.from("'<f2'"), at);
  writeFileSync(path, bytes);
}

/** A .safetensors file of one BF16 tensor 'logits' after an I64 tensor 'pad' (the data not at the start). */
function bf16Safetensors(path: string, bits: Uint16Array, c: number): void {
  const pad = 24;
  const header = JSON.stringify({ pad: { dtype: 'I64', shape: [3], data_offsets: [0, pad] },
    logits: { dtype: 'BF16', shape: [bits.length / c, c], data_offsets: [pad, pad + bits.byteLength] } });
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([len, Buffer.from(header), Buffer.alloc(pad), Buffer.from(bits.buffer)]));
}

function oracle(bits: Uint16Array, labels: Int32Array, c: number, dtype: HalfDtype): number[][] {
  const counts = new Float64Array(c * c);
  cpuUpdate(counts, { rows: labels.length, numClasses: c, labels, logits: widenHalves(bits, dtype) });
  return Array.from({ length: c }, (_, i) => Array.from(counts.subarray(i * c, (i + 1) * c)));
}

describe('confmat eval --backend cpu reads float16 / bfloat16 logits files in pieces (as float32 ones)', () => {
  it.each([1, 2, 3, 10, 31, 32, 33, 100])(
    'C = %i: .npy <f2 and .safetensors BF16, one thread and --threads 2, equal the oracle on the widened values',
    (c) => {
      const dir = fresh();
      const rows = Math.max(4, Math.floor(65536 / c)) + 3;
      const y = join(dir, 'y.npy');
      const files = { float16: join(dir, 'l.npy'), bfloat16: join(dir, 'l.safetensors') };
      for (const dtype of ['float16', 'bfloat16'] as const) {
        const { bits, labels } = halfRows(rng(c * 3 + dtype.length), rows, c, dtype);
        writeFileSync(y, encodeNpy(BigInt64Array.from(labels, BigInt), [rows]));
        if (dtype === 'float16') f16Npy(files.float16, bits, c);
        else bf16Safetensors(files.bfloat16, bits, c);
        const logits = dtype === 'float16' ? files.float16 : `${files.bfloat16}:logits`;
        const want = oracle(bits, labels, c, dtype);
        for (const threads of [[], ['--threads', '2']]) {
          const r = confmat(['--logits', logits, '--labels', y, ...threads]);
          expect(r.code, `${dtype} ${threads}: ${r.stderr}`).toBe(0);
          expect(JSON.parse(r.stdout).matrix, `${dtype} ${threads}`).toEqual(want);
          // one thread: the logits (2 bytes each) and the labels (8) read straight from their files
          if (threads.length === 0) expect(r.read, dtype).toBeGreaterThanOrEqual(rows * (c * 2 + 8));
        }
      }
    },
  );

  it('reads read-sized steps of rows at their byte offsets (2 bytes a logit), and --shard slices (C = 1200)', () => {
    const dir = fresh();
    const [c, rows] = [1200, 7100];
    const y = join(dir, 'y.npy');
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const { bits, labels } = halfRows(rng(dtype.length), rows, c, dtype);
      writeFileSync(y, encodeNpy(labels, [rows]));
      const logits = dtype === 'float16' ? join(dir, 'l.npy') : `${join(dir, 'l.safetensors')}:logits`;
      if (dtype === 'float16') f16Npy(logits, bits, c);
      else bf16Safetensors(logits.replace(/:logits$/, ''), bits, c);
      const whole = confmat(['--logits', logits, '--labels', y]);
      expect(JSON.parse(whole.stdout).matrix, `${dtype}: ${whole.stderr}`).toEqual(oracle(bits, labels, c, dtype));
      const half = confmat(['--logits', logits, '--labels', y, '--shard', '1/2']);
      const second = oracle(bits.subarray(3550 * c), labels.subarray(3550), c, dtype);
      expect(JSON.parse(half.stdout).matrix, `${dtype} --shard 1/2: ${half.stderr}`).toEqual(second);
    }
  });

  it('fails on a bad label in the labels file as the float32 file path does, naming its index and value', () => {
    const dir = fresh();
    const [c, rows] = [10, 40_000];
    const { bits, labels } = halfRows(rng(9), rows, c, 'float16');
    labels[30_001] = 10;
    const y = join(dir, 'y.npy');
    writeFileSync(y, encodeNpy(labels, [rows]));
    f16Npy(join(dir, 'l16.npy'), bits, c);
    writeFileSync(join(dir, 'l32.npy'), encodeNpy(widenHalves(bits, 'float16'), [rows, c]));
    for (const threads of [[], ['--threads', '3']]) {
      const [half, single] = ['l16.npy', 'l32.npy'].map((l) =>
        confmat(['--logits', join(dir, l), '--labels', y, ...threads])
      );
      expect(half!.code, half!.stderr).toBe(single!.code);
      expect(half!.stderr).toContain('index 30001');
      expect(half!.stderr.replace('l16.npy', 'l32.npy')).toBe(single!.stderr);
      expect(half!.stdout).toBe('');
    }
  });
});
