import { describe, expect, it } from 'vitest';
import { computeMetrics, jsonReport, matrixIntervals, parseState, renderMarkdown, renderTable,
  stateResult } from '../../src/index.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';

const result = reduceCounts(new Float64Array([50, 10, 0, 5, 30, 5, 2, 3, 40]), 3);
const intervals = matrixIntervals(result, { level: 0.9, resamples: 200, seed: 11 });
const backend = { name: 'cpu', adapter: null } as const;

describe('reports with confidence intervals', () => {
  it('the JSON report carries ci, with class names, and stays a state that parseState reads', () => {
    const report = jsonReport(result, backend, { classes: ['cat', 'dog', 'fox'], intervals });
    expect(report.ci!.perClass.map((p) => p.class)).toEqual(['cat', 'dog', 'fox']);
    expect(report.ci!.perClass[1]!.recall).toEqual(intervals.perClass[1]!.recall);
    expect([report.ci!.level, report.ci!.resamples, report.ci!.seed, report.ci!.method]).toEqual([0.9, 200, 11,
      'multinomial-bootstrap']);
    const state = parseState(JSON.parse(JSON.stringify(report)), 'report.json');
    expect(stateResult(state).counts).toEqual(result.counts);
    const { ci: _ci, ...rest } = report;
    expect(rest).toEqual(jsonReport(result, backend, { classes: ['cat', 'dog', 'fox'] }));
  });

  it('the table prints value [low, high] on the summary lines and in the report, columns aligned', () => {
    const text = renderTable(result, { intervals });
    const f = (v: number) => v.toFixed(4);
    const pc = (v: number) => `${(100 * v).toFixed(1)}%`;
    expect(text).toContain(`accuracy: 82.8% [${pc(intervals.accuracy.low)}, ${pc(intervals.accuracy.high)}]`);
    expect(text).toContain(
      `Cohen's kappa ${f(computeMetrics(result.counts, 3).kappa)} [${f(intervals.kappa.low)}, ${
        f(intervals.kappa.high)
      }]`,
    );
    const lines = text.split('\n');
    const head = lines.findIndex((l) => l.includes('precision'));
    const block = lines.slice(head, head + 8).filter((l) => l !== '');
    expect(block).toHaveLength(7);
    expect(new Set(block.map((l) => l.length)).size).toBe(1);
    const p = intervals.perClass[2]!.precision;
    expect(lines[head + 3]).toMatch(new RegExp(`^2 +0\\.8889 \\[${f(p.low)}, ${f(p.high)}\\] `));
    expect(text).toContain('[90% confidence intervals: multinomial bootstrap, 200 resamples, seed 11]');
    expect(renderTable(result, {})).not.toMatch(/\[|confidence/);
  });

  it('markdown shows them in the summary and the report', () => {
    const md = renderMarkdown(result, { intervals });
    expect(md).toContain(`accuracy 0.8276 [${intervals.accuracy.low.toFixed(4)}, `);
    expect(md).toMatch(/^\| macro avg \| 0\.\d{4} \\\[0\.\d{4}, 0\.\d{4}\\\] \|/m);
    expect(md).toContain('Intervals: 90% confidence, multinomial bootstrap, 200 resamples, seed 11.');
    expect(renderMarkdown(result)).not.toContain('Intervals');
  });
});
