// Formats the TypeScript and JavaScript sources with dprint's TypeScript plugin (dprint.json), through
// @dprint/formatter (pure JS + Wasm: no platform binary). `--check` lists unformatted files and exits 1.
import { createFromBuffer } from '@dprint/formatter';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const check = process.argv.includes('--check');
const { lineWidth, indentWidth, typescript, includes, excludes } = JSON.parse(readFileSync('dprint.json', 'utf8'));
const formatter = createFromBuffer(readFileSync(require('@dprint/typescript').getPath()));
formatter.setConfig({ lineWidth, indentWidth }, typescript);

const glob = (pattern) => {
  const parts = pattern.split(/(\*\*\/|\*\*|\*)/).map((p) =>
    p === '**/' ? '(?:.*/)?' : p === '**' ? '.*' : p === '*' ? '[^/]*' : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  );
  return new RegExp(`^${parts.join('')}(?:/.*)?$`);
};
const [keep, drop] = [includes.map(glob), excludes.map(glob)];
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n').filter((f) => keep.some((r) => r.test(f)) && !drop.some((r) => r.test(f)));

const unformatted = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  const formatted = formatter.formatText({ filePath: file, fileText: text });
  if (formatted === text) continue;
  unformatted.push(file);
  if (!check) writeFileSync(file, formatted);
}
if (check && unformatted.length > 0) {
  console.error(`not formatted (npm run format fixes them):\n  ${unformatted.join('\n  ')}`);
  process.exit(1);
}
console.log(`${files.length} files ${check ? 'checked' : `checked, ${unformatted.length} formatted`}`);
