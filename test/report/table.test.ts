import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/index.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';

const result = reduceCounts(new Float64Array([50, 10, 0, 5, 30, 5, 0, 0, 0]), 3);

describe('renderTable', () => {
  it('prints each row with its accuracy, the sample count and the report', () => {
    const text = renderTable(result, { classes: ['cat', 'dog', 'fox'] });
    expect(text).toMatch(/^cat +\| +50 +10 +0 \| +83\.3%$/m);
    expect(text).toMatch(/^fox +\| +0 +0 +0 \| +-$/m);
    expect(text).toContain('Number of test samples: 100   accuracy: 80.0%');
    expect(text).toMatch(/cat -> dog +10 +16\.7% of cat/);
    expect(text).not.toContain('\x1b[');
  });

  it('colours cells by their share of the row: the diagonal green, confusions red', () => {
    const text = renderTable(result, { color: true });
    expect(text).toMatch(/\x1b\[48;2;20;\d+;60m\x1b\[38;2;255;255;255m *50\x1b\[0m/);
    expect(text).toMatch(/\x1b\[48;2;\d+;40;40m\x1b\[38;2;255;255;255m *10\x1b\[0m/);
  });

  it('gives way to the report and top confusions when the matrix is too wide', () => {
    const text = renderTable(result, { width: 20 });
    expect(text).toContain('wider than 20 columns');
    expect(text).not.toContain('| accuracy');
    expect(text).toContain('macro avg');
  });
});
