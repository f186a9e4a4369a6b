import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';

/**
 * Parses class names: a JSON array of strings, a JSON object of index -> name, or plain text with
 * one name per line (a trailing empty line is ignored). `file` names the source in errors.
 *
 * @example
 * parseClassNames('cat\ndog\n', 'names.txt'); // ['cat', 'dog']
 */
export function parseClassNames(text: string, file: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(trimmed)) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      throw new InputError('classes', `${file}: not valid JSON: ${(e as Error).message}`);
    }
    const entries: [number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value as Record<string, unknown>).map(([k, v]) => [Number(k), v]);
    const names: string[] = [];
    for (const [i, v] of entries) {
      if (!Number.isInteger(i) || i < 0) throw new InputError('classes', `${file}: key ${JSON.stringify(String(i))} is not a class index`);
      if (typeof v !== 'string' && typeof v !== 'number') throw new InputError('classes', `${file}: class ${i}: name must be a string, got ${JSON.stringify(v)}`, i, v);
      names[i] = String(v);
    }
    const hole = names.findIndex((n) => n === undefined);
    if (hole >= 0 || names.length !== entries.length) {
      throw new InputError('classes', `${file}: class ${hole >= 0 ? hole : names.length} has no name`);
    }
    return names;
  }
  const lines = trimmed.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const empty = lines.findIndex((l) => l.trim() === '');
  if (empty >= 0) throw new InputError('classes', `${file}: line ${empty + 1}: empty class name`, empty);
  return lines.map((l) => l.trim());
}

/**
 * Reads class names from a .txt (one per line) or .json file and checks there is one per class.
 *
 * @example
 * const names = await readClassNames('names.txt', 10);
 */
export async function readClassNames(path: string, numClasses: number): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError('classes', `${path}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const names = parseClassNames(text, path);
  if (names.length !== numClasses) {
    throw new InputError('classes', `${path}: ${names.length} class names, but the data has ${numClasses} classes`, undefined, names.length);
  }
  return names;
}
