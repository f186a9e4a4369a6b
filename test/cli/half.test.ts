import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const DIR = 'test/fixtures/half';
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { f16: { matrix: number[][] };
  bf16: { matrix: number[][] } };

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'eval', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const INPUTS: [string, 'f16' | 'bf16'][] = [['logits-f16.npy', 'f16'], ['logits-f16-be.npy', 'f16'], [
  'logits.npz:logits',
  'f16',
], ['logits-z.npz:logits', 'f16'], ['logits.safetensors:f16', 'f16'], ['logits.safetensors:bf16', 'bf16']];

describe('confmat eval with float16 / bfloat16 logits (numpy argmax, sklearn confusion_matrix)', () => {
  it.each(['gpu', 'cpu'])(
    'equals the fixture on --backend %s for .npy (both byte orders), .npz (stored, deflated) and .safetensors F16/BF16',
    (backend) => {
      for (const [input, kind] of INPUTS) {
        const r = confmat(['--logits', `${DIR}/${input}`, '--labels', `${DIR}/labels.npy`, '--backend', backend,
          '--format', 'json', '--chunk-rows', '128']);
        expect(r.stderr, input).not.toContain('counting on the CPU');
        expect(r.code, `${input}: ${r.stderr}`).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out.backend.name).toBe(backend);
        expect(out.matrix, `${input} on ${backend}`).toEqual(expected[kind].matrix);
      }
    },
  );

  it('counts top-k hits of halves alike on the GPU and the CPU', () => {
    const run = (backend: string) =>
      JSON.parse(
        confmat(['--logits', `${DIR}/logits.safetensors:bf16`, '--labels', `${DIR}/labels.npy`, '--backend', backend,
          '--format', 'json', '--top-k', '3']).stdout,
      );
    const [gpu, cpu] = [run('gpu'), run('cpu')];
    expect(gpu.topK).toEqual(cpu.topK);
    expect(gpu.topK.k).toBe(3);
    expect(gpu.matrix).toEqual(expected.bf16.matrix);
  });
});
