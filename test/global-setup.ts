import { execFileSync } from 'node:child_process';
// @ts-expect-error plain ES module without types
import { swiftShaderEnv } from '../scripts/software-adapters.mjs';

/**
 * Builds the CLI the tests run from the current sources, and points every test worker (forked
 * after this, so LD_LIBRARY_PATH reaches its dynamic loader) at SwiftShader from npm: the GPU
 * tests need no system package. A VK_ICD_FILENAMES set by the caller is kept (another adapter).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/gen-shaders.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  if (process.platform === 'linux' && process.arch === 'x64' && !process.env.VK_ICD_FILENAMES) {
    Object.assign(process.env, (swiftShaderEnv as (env: NodeJS.ProcessEnv) => Record<string, string>)(process.env));
  }
}
