import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('generated shader module', () => {
  it('matches shaders/*.wgsl', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-shaders.mjs', '--check'], { stdio: 'pipe' })).not
      .toThrow();
  });
});
