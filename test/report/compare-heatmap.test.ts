import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { svgToPng } from '../../src/node/png.js';
import { rdbu, relativeLuminance } from '../../src/report/colormap.js';
import { comparisonHeatmapSvg } from '../../src/report/compare.js';
import { comparisonResult } from '../../src/tasks/compare/compare.js';

// B - A = [[+2, -1, 0], [0, 0, -1], [0, +1, 0]]: its largest |delta| is 2.
const A = [5, 1, 0, 0, 4, 2, 1, 0, 3];
const B = [7, 0, 0, 0, 4, 1, 1, 1, 3];
const result = (a: number[], b: number[], c = 3) =>
  comparisonResult(Float64Array.from([...a, ...b, ...new Array<number>(4 * c).fill(0)]), c, false);

/** The fill of cell (t, p): the run-length rect covering it. */
function fillAt(svg: string, c: number, t: number, p: number): string {
  const box = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" fill="none" stroke="#000"/.exec(svg)!;
  const [mx, my, side] = [Number(box[1]), Number(box[2]), Number(box[3])];
  const cell = side / c;
  const [x, y] = [mx + (p + 0.5) * cell, my + (t + 0.5) * cell];
  for (const m of svg.matchAll(
    /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="(#\w+)"\/>/g,
  )) {
    const [rx, ry, w, h] = [1, 2, 3, 4].map((k) => Number(m[k]));
    if (rx! <= x && x < rx! + w! && ry! <= y && y < ry! + h!) return m[5]!;
  }
  throw new Error(`no cell (${t}, ${p})`);
}
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

describe('comparisonHeatmapSvg', () => {
  const svg = comparisonHeatmapSvg(result(A, B));

  it('draws C x C cells of B - A, signed, rows the true class', () => {
    const texts = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" fill="(#000|#fff)">([^<]*)<\/text>/g)].map((m) => m[2]);
    expect(texts).toEqual(['+2', '-1', '0', '0', '0', '-1', '0', '+1', '0']);
    expect(svg).toContain('>B - A: change in rows per cell</text>');
    new Resvg(svg).render();
    expect(svgToPng(svg, { width: 300 }).subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'));
  });

  it('centres 0 on the neutral colour: blue where B has more rows, red where fewer', () => {
    expect(fillAt(svg, 3, 0, 0)).toBe('#053061');
    for (const [t, p] of [[0, 2], [1, 0], [1, 1], [2, 2]]) expect(fillAt(svg, 3, t!, p!)).toBe('#f7f7f7');
    const [plus, minus] = [rgb(fillAt(svg, 3, 2, 1)), rgb(fillAt(svg, 3, 0, 1))];
    expect(plus[2]).toBeGreaterThan(plus[0]);
    expect(minus[0]).toBeGreaterThan(minus[2]);
    // +1 and -1 lie as far from the centre: about the same lightness, another hue.
    expect(Math.abs(relativeLuminance(plus) - relativeLuminance(minus))).toBeLessThan(0.12);
    const colorbar = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" dy="0.35em">(-?[\d.]+)<\/text>/g)].map((m) => m[1]);
    expect(colorbar[0]).toBe(`-${colorbar.at(-1)}`);
  });

  it('draws equal models all neutral', () => {
    const same = comparisonHeatmapSvg(result(A, A));
    for (let i = 0; i < 9; i++) expect(fillAt(same, 3, Math.floor(i / 3), i % 3)).toBe('#f7f7f7');
  });

  it('is ColorBrewer RdBu: its ends and centre', () => {
    expect([rdbu(0), rdbu(0.5), rdbu(1), rdbu(NaN)]).toEqual([[103, 0, 31], [247, 247, 247], [5, 48, 97], [103, 0,
      31]]);
  });

  it('escapes hostile class names', () => {
    const names = ['<script>alert(1)</script>', 'a & "b"', "it's\u202e"];
    const out = comparisonHeatmapSvg(result(A, B), { classes: names });
    expect(out).not.toContain('<script');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('a &amp; &quot;b&quot;');
    expect(out).not.toContain('\u202e');
    new Resvg(out).render();
  });
});
