import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], globalSetup: ['test/global-setup.ts'], pool: 'forks', testTimeout: 180_000,
    hookTimeout: 60_000, env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } },
});
