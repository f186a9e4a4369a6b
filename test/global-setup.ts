import { execFileSync } from 'node:child_process';

/** The CLI tests run the built CLI: build it from the current sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/gen-shaders.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
