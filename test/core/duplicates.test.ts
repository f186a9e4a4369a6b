import { describe, expect, it } from 'vitest';
import { firstDuplicate } from '../../src/core/duplicates.js';

describe('firstDuplicate', () => {
  it('finds the first repeat and the name it repeats', () => {
    expect(firstDuplicate(['cat', 'dog', 'emu', 'dog', 'cat'])).toEqual({ index: 3, first: 1 });
    expect(firstDuplicate(['a', 'A', 'a '])).toBeUndefined();
    expect(firstDuplicate([])).toBeUndefined();
  });
});
