import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('examples', () => {
  it('tfjs-training.mjs prints the report at each epoch, counted on the GPU', () => {
    const r = spawnSync(process.execPath, ['examples/tfjs-training.mjs', '1'], { encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/confmat counts on .*swiftshader|confmat counts on \S/);
    expect(r.stdout).toContain('epoch 1/1');
    expect(r.stdout).toContain('Number of test samples: 100,000');
    expect(r.stdout).toMatch(/^left arm +\|/m);
  });
});
