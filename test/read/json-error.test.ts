import { describe, expect, it } from 'vitest';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../src/read/json-error.js';

describe('jsonTooDeep', () => {
  it('finds the bracket that opens level max + 1, in characters and UTF-8 bytes', () => {
    expect(jsonTooDeep('[[[1]]]', 2)).toEqual({ at: 2, byte: 2, detail: 'JSON nested deeper than 2 levels' });
    expect(jsonTooDeep('{"é": {"a": [[0]]}}', 3)).toEqual({ at: 13, byte: 14,
      detail: 'JSON nested deeper than 3 levels' });
    expect(jsonTooDeep(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
    expect(jsonTooDeep(`${'{"a":'.repeat(1_000_000)}1${'}'.repeat(1_000_000)}`)?.at).toBe(5 * MAX_JSON_DEPTH);
  });

  it('skips brackets inside strings, escaped quotes included', () => {
    expect(jsonTooDeep('["[[[[", "\\"[[[[", {"k[{": "]"}]', 2)).toBeUndefined();
    expect(jsonTooDeep('["\\\\", [[0]]]', 2)).toMatchObject({ at: 8 });
  });

  it('counts nesting only: a level closed makes room for the next', () => {
    expect(jsonTooDeep('[[0], [1], {"a": [2]}]', 3)).toBeUndefined();
    expect(jsonTooDeep('[[0], [1], {"a": [2]}]', 2)).toMatchObject({ at: 17 });
    expect(jsonTooDeep('not json at all', 1)).toBeUndefined();
  });
});
