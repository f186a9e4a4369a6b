import { defineConfig } from 'vitest/config';

/**
 * The end-to-end tests (`npm run test:e2e`, after `npm run build:web`): the built demo page and
 * browser bundle in headless Chromium, WebGPU on SwiftShader and without WebGPU. One file at a
 * time: each drives its own browser.
 */
export default defineConfig({
  test: { include: ['test/e2e/**/*.e2e.ts'], pool: 'forks', fileParallelism: false, testTimeout: 240_000,
    hookTimeout: 120_000, env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } },
});
