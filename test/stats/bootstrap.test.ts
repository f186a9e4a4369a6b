import { describe, expect, it } from 'vitest';
import { bootstrapColumns, bootstrapIntervals, intervalMethod } from '../../src/stats/bootstrap.js';
import { checkLevel, percentileInterval } from '../../src/stats/interval.js';

describe('bootstrapIntervals', () => {
  it('is the percentile interval of each column of bootstrapColumns, drawn with the same seed', () => {
    const method = intervalMethod({ level: 0.9, resamples: 300, seed: 12 });
    const cells = [40, 3, 0, 17, 1, 90];
    const statistic = (d: Float64Array, out: Float64Array): void => {
      out[0] = d[0]! / 151;
      out[1] = (d[1]! + d[4]!) / Math.max(1, d[5]!);
    };
    const columns = bootstrapColumns(cells, method, 2, statistic);
    expect(bootstrapIntervals(cells, method, 2, statistic)).toEqual(columns.map((v) => percentileInterval(v, 0.9)));
    expect(columns[0]!.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(() => checkLevel(1)).toThrow(RangeError);
  });
});
