import { readFile } from 'node:fs/promises';
import { firstDuplicate } from '../core/duplicates.js';
import { InputError } from '../core/errors.js';
import { ioError } from './file-io.js';
import { jsonSyntaxError, jsonTooDeep } from './json-error.js';

/** 1-based line and column of character `at` of `text`. */
function lineColumn(text: string, at: number): string {
  const before = text.slice(0, at).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/**
 * Parses class names: a JSON array of strings, a JSON object of index -> name, or plain text with
 * one name per line (a trailing empty line is ignored). Refuses an empty file, empty names and
 * duplicate names. `file` names the source in errors, with the line (text) or the class index and
 * key (JSON), or `file:line:column` for a JSON syntax error.
 *
 * @example
 * parseClassNames('cat\ndog\n', 'names.txt'); // ['cat', 'dog']
 * parseClassNames('cat\ncat\n', 'names.txt'); // throws InputError: names.txt: line 2: duplicate class name "cat" (also
 * on line 1)
 */
function parseClassNames(text: string, file: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, '');
  if (trimmed.trim() === '') {
    throw new InputError('classes',
      `${file}: the file is empty: expected one class name per line, or a JSON array of names`);
  }
  if (/^\s*[[{]/.test(trimmed)) {
    const deep = jsonTooDeep(trimmed);
    if (deep) throw new InputError('classes', `${file}:${lineColumn(trimmed, deep.at)}: ${deep.detail}`);
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      const { at, detail } = jsonSyntaxError(trimmed, e);
      throw new InputError('classes', `${file}:${lineColumn(trimmed, at)}: not valid JSON: ${detail}`);
    }
    const entries: [string, unknown][] = Array.isArray(value) ?
      value.map((v, i) => [String(i), v]) :
      Object.entries(value as Record<string, unknown>);
    const byIndex = new Map<number, string>();
    for (const [k, v] of entries) {
      if (!/^(0|[1-9]\d*)$/.test(k)) {
        throw new InputError('classes', `${file}: key ${JSON.stringify(k)} is not a class index (0, 1, 2, ...)`,
          undefined, k);
      }
      const i = Number(k);
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new InputError('classes', `${file}: class ${i}: name must be a string, got ${JSON.stringify(v)}`, i, v);
      }
      byIndex.set(i, String(v));
    }
    const names: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const n = byIndex.get(i);
      if (n === undefined) throw new InputError('classes', `${file}: class ${i} has no name`, i);
      names.push(n);
    }
    const dup = firstDuplicate(names);
    if (dup) {
      const n = names[dup.index]!;
      throw new InputError('classes',
        `${file}: class ${dup.index}: duplicate class name ${JSON.stringify(n)} (also class ${dup.first})`, dup.index,
        n);
    }
    return names;
  }
  const lines = trimmed.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const names = lines.map((l) => l.trim());
  const empty = names.indexOf('');
  if (empty >= 0) throw new InputError('classes', `${file}: line ${empty + 1}: empty class name`, empty);
  const dup = firstDuplicate(names);
  if (dup) {
    const n = names[dup.index]!;
    throw new InputError('classes',
      `${file}: line ${dup.index + 1}: duplicate class name ${JSON.stringify(n)} (also on line ${dup.first + 1})`,
      dup.index, n);
  }
  return names;
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
    throw new InputError('classes', `${path}: ${ioError(path, undefined, e).detail}`);
  }
  const names = parseClassNames(text, path);
  if (names.length !== numClasses) {
    throw new InputError('classes', `${path}: ${names.length} class names, but the data has ${numClasses} classes`,
      undefined, names.length);
  }
  return names;
}
