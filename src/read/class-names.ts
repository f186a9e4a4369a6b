import { firstDuplicate } from '../core/duplicates.js';
import { InputError } from '../core/errors.js';
import { ioError, readTextFile } from './file-io.js';
import { jsonSyntaxError, jsonTooDeep } from './json-error.js';

/** 1-based line and column of character `at` of `text`. */
function lineColumn(text: string, at: number): string {
  const before = text.slice(0, at).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/**
 * Parses class names: a JSON array of strings, a JSON object of index -> name, or plain text with
 * one name per line (a trailing empty line is ignored). Refuses an empty file, empty names and
 * duplicate names; errors name `file` and the line (text), the class (JSON) or `file:line:column`.
 */
function parseClassNames(text: string, file: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, '');
  const fail = (detail: string, index?: number, value?: unknown): never => {
    throw new InputError('classes', `${file}${detail}`, index, value);
  };
  if (trimmed.trim() === '') fail(': the file is empty: expected one class name per line, or a JSON array of names');
  const json = /^\s*[[{]/.test(trimmed);
  let names: string[];
  if (json) {
    const deep = jsonTooDeep(trimmed);
    if (deep) fail(`:${lineColumn(trimmed, deep.at)}: ${deep.detail}`);
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      const { at, detail } = jsonSyntaxError(trimmed, e);
      fail(`:${lineColumn(trimmed, at)}: not valid JSON: ${detail}`);
    }
    const entries: [string, unknown][] = Array.isArray(value) ?
      value.map((v, i) => [String(i), v]) :
      Object.entries(value as Record<string, unknown>);
    const byIndex = new Map<number, string>();
    for (const [k, v] of entries) {
      if (!/^(0|[1-9]\d*)$/.test(k)) {
        fail(`: key ${JSON.stringify(k)} is not a class index (0, 1, 2, ...)`, undefined, k);
      }
      const i = Number(k);
      if (typeof v !== 'string' && typeof v !== 'number') {
        fail(`: class ${i}: name must be a string, got ${JSON.stringify(v)}`, i, v);
      }
      byIndex.set(i, String(v));
    }
    names = entries.map((_, i) => byIndex.get(i) ?? fail(`: class ${i} has no name`, i));
  } else {
    const lines = trimmed.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    names = lines.map((l) => l.trim());
    const empty = names.indexOf('');
    if (empty >= 0) fail(`: line ${empty + 1}: empty class name`, empty);
  }
  const dup = firstDuplicate(names);
  if (dup) {
    const [n, i, first] = [names[dup.index]!, dup.index, dup.first];
    const [at, also] = json ? [`class ${i}`, `class ${first}`] : [`line ${i + 1}`, `on line ${first + 1}`];
    fail(`: ${at}: duplicate class name ${JSON.stringify(n)} (also ${also})`, i, n);
  }
  return names;
}

/** Reads class names from a .txt (one per line) or .json file, as many as it holds. */
export async function readClassList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (e) {
    throw new InputError('classes', `${path}: ${ioError(path, undefined, e).detail}`);
  }
  return parseClassNames(text, path);
}

/**
 * Reads class names from a .txt (one per line) or .json file and checks there is one per class.
 *
 * @example
 * const names = await readClassNames('names.txt', 10);
 */
export async function readClassNames(path: string, numClasses: number): Promise<string[]> {
  const names = await readClassList(path);
  if (names.length !== numClasses) {
    throw new InputError('classes', `${path}: ${names.length} class names, but the data has ${numClasses} classes`,
      undefined, names.length);
  }
  return names;
}
