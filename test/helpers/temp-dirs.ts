import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A temporary folder for one test file, removed after its tests, and `fresh()`: a new empty
 * folder inside it for each case.
 *
 * @example
 * const { root, fresh } = tempDirs('confmat-write-');
 * const dir = fresh();
 */
export function tempDirs(prefix: string): { root: string; fresh: () => string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return { root, fresh: () => {
    const dir = join(root, `case-${n++}`);
    mkdirSync(dir);
    return dir;
  } };
}
