import { describe, expect, it } from 'vitest';
import { colorLevels } from '../../src/report/heatmap-scale.js';

const m = Float64Array.from([100, 1, 0, 10, 1000, 0, 0, 2, 50]);

describe('report/heatmap-scale colorLevels: linear, log, the diagonal left out', () => {
  it('linear: min to max over every cell, ticks at their levels', () => {
    const { levels, ticks } = colorLevels(m, 3, false, true, 5, true);
    expect(levels[4]).toBe(1);
    expect(levels[2]).toBe(0);
    expect(levels[0]).toBeCloseTo(0.1);
    expect(ticks.map((t) => t.value)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(ticks[1]!.level).toBeCloseTo(0.2);
  });

  it('log: zeros at 0, the smallest non-zero just above, decades as ticks', () => {
    const { levels, ticks } = colorLevels(m, 3, true);
    const span = Math.log(1000) - Math.log(0.5);
    expect(levels[2]).toBe(0);
    expect(levels[1]).toBeCloseTo(Math.log(2) / span);
    expect(levels[3]).toBeCloseTo(Math.log(20) / span);
    expect(levels[4]).toBeCloseTo(1);
    expect(ticks.map((t) => t.value)).toEqual([1, 10, 100, 1000]);
    expect(ticks[2]!.level).toBeCloseTo(Math.log(200) / span);
    expect(colorLevels(Float64Array.from([0.02, 0.05, 0.1, 0.3]), 2, true).ticks.map((t) => t.value)).toEqual([0.02,
      0.05, 0.1, 0.2]);
  });

  it('without the diagonal: the range from off-diagonal cells, the diagonal NaN', () => {
    const { levels, ticks } = colorLevels(m, 3, false, false);
    expect([levels[0], levels[4], levels[8]]).toEqual([NaN, NaN, NaN]);
    expect(levels[3]).toBe(1);
    expect(levels[1]).toBeCloseTo(0.1);
    expect(ticks.at(-1)!.value).toBe(10);
    expect(colorLevels(m, 3, true, false).levels[3]).toBeCloseTo(1);
  });

  it('all zeros, one class, symmetric: no NaN outside the diagonal, one tick at least', () => {
    expect(Array.from(colorLevels(new Float64Array(4), 2, true).levels)).toEqual([0, 0, 0, 0]);
    expect(colorLevels(new Float64Array(4), 2, false).ticks).toEqual([{ value: 0, level: 0 }]);
    expect(colorLevels(Float64Array.from([7]), 1, false, false).ticks).toHaveLength(1);
    const s = colorLevels(Float64Array.from([-2, 1, 0, 0]), 2, false, true, 4, false, true);
    expect(s.levels[0]).toBe(0);
    expect(s.levels[2]).toBe(0.5);
  });
});

describe('report/heatmap-svg and heatmap-html: the scale and shadeDiagonal options', () => {
  it('SVG: log ticks, grey diagonal without shadeDiagonal, row shares 0..1; the default unchanged', async () => {
    const { renderHeatmapSvg } = await import('../../src/report/heatmap-svg.js');
    const base = renderHeatmapSvg(m, 3);
    expect(renderHeatmapSvg(m, 3, { scale: 'linear', shadeDiagonal: true })).toBe(base);
    const log = renderHeatmapSvg(m, 3, { scale: 'log' });
    expect(log).not.toBe(base);
    const cbTicks = (svg: string): string[] => [...svg.matchAll(/dy="0.35em">([^<]+)</g)].map((x) => x[1]!);
    expect(cbTicks(log)).toEqual(['1', '10', '100', '1000']);
    const noDiag = renderHeatmapSvg(m, 3, { shadeDiagonal: false });
    expect(noDiag.match(/fill="#c8c8c8"/g)).toHaveLength(3);
    expect(base).not.toContain('#c8c8c8');
    expect(cbTicks(noDiag).at(-1)).toBe('10');
    expect(cbTicks(renderHeatmapSvg(m, 3, { scale: 'row' }))).toEqual(['0.00', '0.25', '0.50', '0.75']);
    const big = new Float64Array(200 * 200).fill(1);
    expect(renderHeatmapSvg(big, 200, { shadeDiagonal: false })).not.toBe(renderHeatmapSvg(big, 200));
  });

  it('HTML: the options reach the page data', async () => {
    const { renderHeatmapHtml } = await import('../../src/report/heatmap-html.js');
    const html = renderHeatmapHtml(m, 3, { scale: 'log', shadeDiagonal: false });
    expect(html).toContain('"scale":"log","diagonal":false');
    expect(renderHeatmapHtml(m, 3)).toContain('"scale":"linear","diagonal":true');
  });
});
