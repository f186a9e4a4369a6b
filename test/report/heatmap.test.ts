import { Resvg } from '@resvg/resvg-js';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from '../../src/core/crc32.js';
import { svgToPng } from '../../src/node/png.js';
import { blues, relativeLuminance, textColorOn, viridis } from '../../src/report/colormap.js';
import { escapeXml } from '../../src/report/escape.js';
import { renderHeatmapHtml } from '../../src/report/heatmap-html.js';
import { niceTicks, shortLabels, truncateLabel } from '../../src/report/heatmap-scale.js';
import { base64, encodePng, renderHeatmapSvg, zlibCompress } from '../../src/report/heatmap-svg.js';
import { normalizeCounts } from '../../src/tasks/multiclass/metrics.js';
import { rng } from '../helpers/random.js';

const CIFAR_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR = Float64Array.from(
  [[29363, 209, 1023, 231, 230, 230, 209, 216, 1530, 191], [474, 71814, 462, 482, 485, 455, 462, 444, 467, 2755], [5876,
    940, 88864, 4376, 5927, 926, 930, 979, 918, 960], [1504, 1525, 5515, 93315, 1478, 29067, 1460, 1507, 1576, 1542], [
    946,
    921,
    5184,
    922,
    106194,
    2424,
    958,
    6740,
    1026,
    947,
  ], [979, 945, 941, 15364, 1010, 73892, 914, 3002, 900, 971], [590, 543, 1612, 2167, 2101, 510, 72410, 510, 565, 534],
    [512, 499, 492, 516, 2682, 2029, 488, 59847, 518, 458], [1942, 859, 334, 333, 358, 333, 333, 313, 52017, 374], [
    1330,
    10795,
    1298,
    1337,
    1326,
    1310,
    1335,
    1297,
    1329,
    185767,
  ]].flat(),
);

/** A diagonal-heavy C x C matrix. */
function diagonalHeavy(c: number, seed = 1): Float64Array {
  const rand = rng(seed);
  const m = new Float64Array(c * c);
  for (let t = 0; t < c; t++) {
    m[t * c + t] = 50 + Math.floor(rand() * 100);
    for (let k = 0; k < 8; k++) m[t * c + Math.floor(rand() * c)]! += Math.floor(rand() * 10);
  }
  return m;
}

/** Throws unless every tag is closed in order (comments, CDATA, declarations skipped). */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const body = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(body.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|#\d+);)/);
}

/** A cell's value: its colour, then its text. */
const CELL_TEXT = /<text x="[\d.]+" y="[\d.]+" fill="(#000|#fff)">([^<]*)<\/text>/g;

const render = (svg: string): Resvg =>
  new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });

/** PNG chunks, each CRC checked. */
function pngChunks(png: Uint8Array): { type: string; body: Uint8Array }[] {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: { type: string; body: Uint8Array }[] = [];
  for (let at = 8; at < png.length;) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    expect(view.getUint32(at + 8 + len) >>> 0, `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
    out.push({ type, body: png.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  return out;
}

describe('colormap', () => {
  it('matches matplotlib viridis and Blues', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(0.5)).toEqual([33, 145, 140]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(Number.NaN)).toEqual([68, 1, 84]);
    expect(viridis(7)).toEqual([253, 231, 37]);
    expect(blues(0)).toEqual([247, 251, 255]);
    expect(blues(1)).toEqual([8, 48, 107]);
    for (let i = 1; i <= 100; i++) {
      expect(relativeLuminance(viridis(i / 100))).toBeGreaterThanOrEqual(relativeLuminance(viridis((i - 1) / 100)));
      expect(relativeLuminance(blues(i / 100))).toBeLessThanOrEqual(relativeLuminance(blues((i - 1) / 100)));
    }
  });

  it('picks the text colour with the higher WCAG contrast', () => {
    expect(textColorOn(viridis(0))).toBe('#fff');
    expect(textColorOn(viridis(1))).toBe('#000');
    expect(textColorOn(blues(0))).toBe('#000');
    expect(textColorOn(blues(1))).toBe('#fff');
    expect(textColorOn([0, 0, 0])).toBe('#fff');
    expect(textColorOn([255, 255, 255])).toBe('#000');
    expect(textColorOn([117, 117, 117])).toBe('#fff');
    expect(textColorOn([118, 118, 118])).toBe('#000');
  });
});

describe('normalizeCounts', () => {
  const m = Float64Array.of(3, 1, 0, 0, 0, 0, 2, 0, 2);
  it('divides rows, columns or the total, with 0/0 -> 0', () => {
    expect(Array.from(normalizeCounts(m, 3, 'none'))).toEqual(Array.from(m));
    expect(Array.from(normalizeCounts(m, 3, 'true'))).toEqual([0.75, 0.25, 0, 0, 0, 0, 0.5, 0, 0.5]);
    expect(Array.from(normalizeCounts(m, 3, 'pred'))).toEqual([0.6, 1, 0, 0, 0, 0, 0.4, 0, 1]);
    expect(Array.from(normalizeCounts(m, 3, 'all'))).toEqual([0.375, 0.125, 0, 0, 0, 0, 0.25, 0, 0.25]);
    expect(Array.from(normalizeCounts(new Float64Array(4), 2, 'all'))).toEqual([0, 0, 0, 0]);
  });
});

describe('renderHeatmapSvg', () => {
  const svg = renderHeatmapSvg(CIFAR, 10, { classes: CIFAR_NAMES, title: 'CIFAR-10' });
  const cellTexts = [...svg.matchAll(CELL_TEXT)];

  it('is well-formed and renders through resvg', () => {
    assertWellFormed(svg);
    const image = render(svg).render();
    expect(image.width).toBeGreaterThan(600);
    expect(svg).toContain('font-family="DejaVu Sans, Arial, sans-serif"');
    expect(svg).toContain('>True label</text>');
    expect(svg).toContain('>Predicted label</text>');
    expect(svg).toContain('>CIFAR-10</text>');
    expect(svg).toContain('<linearGradient id="cm-colorbar"');
  });

  it('fills all 100 cells and writes every count in them', () => {
    expect(cellTexts).toHaveLength(100);
    expect(cellTexts.map((m) => m[2])).toEqual(Array.from(CIFAR, String));
    const rects = [
      ...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="([\d.]+)" fill="#[0-9a-f]{6}"\/>/g),
    ];
    const area = rects.reduce((a, m) => a + Number(m[1]) * Number(m[2]), 0);
    const side = Number(
      /<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="none" stroke="#000"/.exec(svg)![1],
    );
    expect(area).toBeCloseTo(side * side, 3);
    for (const name of CIFAR_NAMES) expect(svg).toContain(`>${name}</text>`);
  });

  it('writes black on light cells and white on dark ones', () => {
    const colourOf = (t: number, p: number): string => cellTexts[t * 10 + p]![1]!;
    expect(colourOf(9, 9)).toBe('#000');
    expect(colourOf(0, 1)).toBe('#fff');
    expect(colourOf(0, 0)).toBe('#fff');
    const light = renderHeatmapSvg(CIFAR, 10, { colormap: 'blues' });
    const texts = [...light.matchAll(/fill="(#000|#fff)">(\d+)<\/text>/g)];
    expect(texts.find((m) => m[2] === '185767')![1]).toBe('#fff');
    expect(texts.find((m) => m[2] === '209')![1]).toBe('#000');
  });

  it('escapes class names and truncates long ones', () => {
    const names = ['<cat & "dog">', 'a'.repeat(40), "it's"];
    const out = renderHeatmapSvg(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), 3, { classes: names, title: 'A & B <x>' });
    assertWellFormed(out);
    expect(out).not.toContain('<cat');
    expect(out).toContain('&lt;cat &amp; &quot;dog&quot;&gt;');
    expect(out).toContain('A &amp; B &lt;x&gt;');
    expect(out).toContain(`>${'a'.repeat(17)}…<title>${'a'.repeat(40)}</title>`);
    expect(out).toContain('it&#39;s');
    render(out).render();
  });

  it('shows normalized values with 2 decimals', () => {
    const out = renderHeatmapSvg(CIFAR, 10, { classes: CIFAR_NAMES, normalize: 'true' });
    const texts = [...out.matchAll(CELL_TEXT)].map((m) => m[2]);
    expect(texts[0]).toBe((29363 / 33432).toFixed(2));
    expect(texts[99]).toBe('0.90');
    expect(texts.every((s) => /^\d\.\d\d$/.test(s!))).toBe(true);
    const zero = renderHeatmapSvg(Float64Array.of(0, 0, 1, 1), 2, { normalize: 'pred',
      valueFormat: (v) => `${Math.round(v * 100)}%` });
    expect([...zero.matchAll(CELL_TEXT)].map((m) => m[2])).toEqual(['0%', '0%', '100%', '100%']);
  });

  it('drops cell text when asked or above 50 classes', () => {
    expect(renderHeatmapSvg(CIFAR, 10, { cellText: 'off' }).match(CELL_TEXT)).toBeNull();
    const c60 = renderHeatmapSvg(diagonalHeavy(60), 60);
    expect(c60.match(CELL_TEXT)).toBeNull();
    expect(renderHeatmapSvg(diagonalHeavy(60), 60, { cellText: 'on' }).match(CELL_TEXT)).toHaveLength(3600);
    expect(c60).not.toContain('<image');
    assertWellFormed(c60);
  });

  it('embeds a raster at 1000 classes, small, with thinned tick labels', () => {
    const big = renderHeatmapSvg(diagonalHeavy(1000), 1000, { normalize: 'true', title: '1000 classes' });
    expect(big.length).toBeLessThan(3_000_000);
    expect(big.match(/<rect/g)!.length).toBeLessThan(10);
    expect(big).toMatch(/<image [^>]*image-rendering="optimizeSpeed"[^>]*href="data:image\/png;base64,/);
    expect(big).toContain('image-rendering: pixelated');
    assertWellFormed(big.replace(/href="data:[^"]*"/, 'href=""'));
    const tickLabels = [...big.matchAll(/dy="0\.35em" text-anchor="end">(\d+)<\/text>/g)].map((m) => Number(m[1]));
    expect(tickLabels.length).toBeGreaterThanOrEqual(5);
    expect(tickLabels.length).toBeLessThanOrEqual(25);
    const png = Uint8Array.from(Buffer.from(/base64,([^"]+)"/.exec(big)![1]!, 'base64'));
    const ihdr = pngChunks(png)[0]!;
    expect(new DataView(ihdr.body.buffer, ihdr.body.byteOffset).getUint32(0)).toBe(1000);
    const image = render(big).render();
    expect(image.width).toBeGreaterThan(1000);
  });
});

describe('encodePng', () => {
  it('writes valid chunks whose IDAT inflates to the filtered rows', () => {
    const rand = rng(7);
    const data = Uint8Array.from({ length: 13 * 7 * 4 }, (_, i) => (i % 17 < 9 ? 200 : Math.floor(rand() * 256)));
    const png = encodePng({ width: 13, height: 7, data });
    const chunks = pngChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(Array.from(chunks[0]!.body)).toEqual([0, 0, 0, 13, 0, 0, 0, 7, 8, 6, 0, 0, 0]);
    const raw = inflateSync(chunks[1]!.body);
    for (let y = 0; y < 7; y++) {
      expect(raw[y * 53]).toBe(0);
      expect(Array.from(raw.subarray(y * 53 + 1, (y + 1) * 53))).toEqual(
        Array.from(data.subarray(y * 52, (y + 1) * 52)),
      );
    }
  });

  it('round-trips through zlib for repetitive and random data', () => {
    const rand = rng(3);
    for (const data of [new Uint8Array(0), new Uint8Array(100_000),
      Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251),
      Uint8Array.from({ length: 50_000 }, () => Math.floor(rand() * 256)),
      Uint8Array.from({ length: 50_000 }, () => Math.floor(rand() * 3))]) {
      const z = zlibCompress(data);
      expect(Buffer.compare(inflateSync(z), Buffer.from(data))).toBe(0);
    }
    expect(zlibCompress(new Uint8Array(100_000)).length).toBeLessThan(1000);
  });

  it('decodes in resvg to the same pixels (indexed colour)', () => {
    const palette = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255);
    const png = encodePng({ width: 3, height: 2, data: Uint8Array.of(0, 1, 2, 2, 1, 0), palette });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2">` +
      `<image width="3" height="2" image-rendering="optimizeSpeed" href="data:image/png;base64,${base64(png)}"/></svg>`;
    const pixels = new Resvg(svg).render().pixels;
    const rgb = (i: number): number[] => Array.from(pixels.subarray(i * 4, i * 4 + 3));
    expect([0, 1, 2, 3, 4, 5].map(rgb)).toEqual([[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 0, 255], [0, 255, 0], [255,
      0, 0]]);
  });

  it('has the standard checksums and base64', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const rand = rng(5);
    const bytes = Uint8Array.from({ length: 3000 }, () => Math.floor(rand() * 256));
    for (const [a, b] of [[0, 3000], [0, 1], [1, 2999], [1000, 3000]] as const) {
      const head = crc32Table(bytes.subarray(0, a));
      expect(crc32Table(bytes.subarray(a, b), head), `table path ${a}..${b}`).toBe(crc32(bytes.subarray(0, b)));
    }
    const z = zlibCompress(new TextEncoder().encode('Wikipedia'));
    expect(new DataView(z.buffer, z.byteOffset).getUint32(z.length - 4), 'Adler-32 trailer').toBe(0x11e60398);
    for (const n of [0, 1, 2, 3, 4, 5, 100_000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 255);
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});

describe('helpers', () => {
  it('escapes, truncates and picks round ticks', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;');
    expect(truncateLabel('short')).toBe('short');
    expect(truncateLabel('a very long class name indeed', 10)).toBe('a very lo…');
    expect(niceTicks(0, 185767, 9)).toEqual([0, 25000, 50000, 75000, 100000, 125000, 150000, 175000]);
    expect(niceTicks(0, 185767, 4)).toEqual([0, 50000, 100000, 150000]);
    expect(niceTicks(0, 7, 3)).toEqual([0, 2.5, 5]);
    expect(niceTicks(0, 7, 3, true)).toEqual([0, 5]);
    expect(niceTicks(0, 2, 8, true)).toEqual([0, 1, 2]);
    expect(niceTicks(0.0058, 0.92, 6)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });
});

describe('svgToPng', () => {
  it('writes a PNG of the requested width', () => {
    const png = svgToPng(renderHeatmapSvg(CIFAR, 10, { classes: CIFAR_NAMES }), { width: 640 });
    const ihdr = pngChunks(png)[0]!;
    const view = new DataView(ihdr.body.buffer, ihdr.body.byteOffset);
    expect(view.getUint32(0)).toBe(640);
    expect(view.getUint32(4)).toBeGreaterThan(400);
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', { width: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('renderHeatmapHtml', () => {
  const names = [...CIFAR_NAMES.slice(0, 9), '<cat & "dog">'];
  const report = { headers: ['', 'precision', 'recall'],
    rows: [['<cat & "dog">', '0.9000', 3] as (string | number)[]] };
  const html = renderHeatmapHtml(CIFAR, 10, { classes: names, normalize: 'true', title: 'T <1>', subtitle: 'S & s',
    report });

  it('embeds the counts as JSON and needs no network', () => {
    const json = /<script type="application\/json" id="cm-data">([^<]*)<\/script>/.exec(html)![1]!;
    const data = JSON.parse(json) as { n: number; counts: number[]; classes: string[]; normalize: string };
    expect(data.n).toBe(10);
    expect(data.counts).toEqual(Array.from(CIFAR));
    expect(data.classes[9]).toBe('<cat & "dog">');
    expect(data.normalize).toBe('true');
    expect(html).not.toMatch(/https?:/);
    expect(html).not.toMatch(/\s(?:src|href)\s*=/i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
    expect(html).toContain('<canvas id="cm-canvas" tabindex="0"');
    expect(html).toContain('value="true" checked');
    expect(html).toContain('aria-live="polite"');
  });

  it('escapes names, title and the report table', () => {
    expect(html).not.toContain('<cat');
    expect(html).toContain('<title>T &lt;1&gt;</title>');
    expect(html).toContain('S &amp; s');
    expect(html).toContain(
      '<th scope="row">&lt;cat &amp; &quot;dog&quot;&gt;</th><td class="num">0.9000</td><td class="num">3</td>',
    );
    assertWellFormed(
      html.replace(/<!doctype html>/i, '').replace(/<(meta|input)\b([^>]*)>/g, '<$1$2/>').replace(
        /<script\b[^>]*>[\s\S]*?<\/script>/g,
        '',
      ).replace(/<style>[\s\S]*?<\/style>/, ''),
    );
  });

  it('handles 1000 classes', () => {
    const big = renderHeatmapHtml(diagonalHeavy(1000), 1000, { normalize: 'true' });
    expect(big.length).toBeLessThan(5_000_000);
    expect(big).not.toMatch(/https?:/);
  });
});

describe('shortLabels', () => {
  it('cuts at the end, or in the middle where end cuts would make labels alike', () => {
    const ids = ['n01440764_tench_fish_a', 'n01440764_tench_fish_b', 'cat', 'a_rather_long_class_name'];
    expect(ids.map((n) => truncateLabel(n))).toEqual(['n01440764_tench_f…', 'n01440764_tench_f…', 'cat',
      'a_rather_long_cla…']);
    const short = shortLabels(ids);
    expect(short).toEqual(['n01440764…h_fish_a', 'n01440764…h_fish_b', 'cat', 'a_rather_long_cla…']);
    expect(short.every((l) => Array.from(l).length <= 18)).toBe(true);
    expect(shortLabels(['same_prefix_and_same_end', 'same_prefix_and_same_end'], 10)).toEqual(['same_…_end',
      'same_…_end']);
  });

  it('keeps the labels of the SVG heatmap distinct when names share a long prefix', () => {
    const names = ['imagenet_synset_0001', 'imagenet_synset_0002'];
    const svg = renderHeatmapSvg(Float64Array.of(5, 1, 2, 7), 2, { classes: names });
    expect(svg).toContain('imagenet_…set_0001');
    expect(svg).toContain('imagenet_…set_0002');
  });
});
