import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { multilabelSvg, multilabelTable } from '../../src/cli/task-report.js';
import { InputError } from '../../src/core/errors.js';
import { addAbsWeights, checkWeights } from '../../src/format/weights.js';
import { renderCsv } from '../../src/report/csv.js';
import { clipText, csvField, escapeXml, jsonForScript, markdownText, visibleText,
  xmlName } from '../../src/report/escape.js';
import { renderHeatmapHtml } from '../../src/report/heatmap-html.js';
import { renderHeatmapSvg } from '../../src/report/heatmap-svg.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { perClassCsv, perClassMarkdown, perClassTable } from '../../src/report/per-class.js';
import { MAX_PLOT_PIXELS, MAX_PLOT_SIDE, pngWidthWithin, svgSize,
  withinPlotBudget } from '../../src/report/plot-size.js';
import { renderTable } from '../../src/report/table.js';
import { multilabelCsv, multilabelMarkdown } from '../../src/report/task-formats.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';
import { emptyMultilabelCounts, formatMultilabelBatch, multilabelResult,
  resolveLabelThresholds } from '../../src/tasks/multilabel/multilabel.js';
import { multilabelCpuUpdate } from '../../src/tasks/multilabel/update-cpu.js';
import { emptyPerClassCounts, formatPerClassBatch, perClassResult } from '../../src/tasks/per-class/per-class.js';
import { perClassCpuUpdate } from '../../src/tasks/per-class/update-cpu.js';

/** Names that try to drive a terminal, reorder text, break XML, run in a spreadsheet or end a script. */
export const NASTY = ['red\x1b[31mX', '\x1b]8;;http://evil.example\x07link\x1b]8;;\x07', 'bell\x07', 'nul\x00',
  'abc\u202edef', '=HYPERLINK("http://x")', 'a|b\\|c', '</script><b>', 'csi\u009b2J del\x7f',
  'lone\ud800 sep\u2028 iso\u2066 nonchar\uffff', 'tab\tnew\nline\r'];
const C = NASTY.length;

/** Characters no name may put into a human-readable report. */
const UNSAFE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** What XML 1.0 forbids in a document. */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Tags nest, every `&` starts an entity, no raw `<` or `>` in text, no character XML forbids. */
function assertXml(xml: string): void {
  expect(xml).not.toMatch(NOT_XML);
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop(), `</${name}>`).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(xml.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|#\d+);)/);
}

/** The cells of a Markdown table line: split at each `|` that no backslash escapes. */
function cellsOf(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 1; i < line.length - 1; i++) {
    if (line[i] === '\\') cell += line[i]! + line[++i]!;
    else if (line[i] === '|') {
      cells.push(cell);
      cell = '';
    } else cell += line[i]!;
  }
  return [...cells, cell];
}

/** resvg parses XML strictly (roxmltree): it refuses a raw ESC with 'a non-XML character'. */
const rasterize = (svg: string) =>
  new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render();

const dense = reduceCounts(Float64Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 5 : i % 3)), C);

function perClass() {
  const counts = emptyPerClassCounts(C);
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % C);
  const preds = Int32Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? (i + 1) % C : i % C));
  perClassCpuUpdate(counts, formatPerClassBatch({ preds, labels }, C));
  return perClassResult(counts);
}

function multilabel(numLabels: number, rows = 4) {
  const counts = emptyMultilabelCounts(numLabels);
  const thresholds = resolveLabelThresholds(0.5, numLabels);
  const scores = Float32Array.from({ length: rows * numLabels }, (_, i) => ((i * 7919) % 100) / 100);
  const targets = Uint8Array.from({ length: rows * numLabels }, (_, i) => (i * 31) % 3 === 0 ? 1 : 0);
  multilabelCpuUpdate(counts, formatMultilabelBatch({ scores, targets }, numLabels), thresholds);
  return multilabelResult(counts, thresholds);
}

describe('visibleText', () => {
  it('writes controls, bidi controls, separators, lone surrogates and noncharacters as escapes', () => {
    expect(visibleText('\x1b[31m')).toBe('\\x1b[31m');
    expect(visibleText('\x00\x07\t\n\r\x7f\u0085\u009b')).toBe('\\x00\\x07\\x09\\x0a\\x0d\\x7f\\x85\\x9b');
    expect(visibleText('a\u202ab\u202ec\u2066d\u2069e\u200ef\u061c')).toBe(
      'a\\u202ab\\u202ec\\u2066d\\u2069e\\u200ef\\u061c',
    );
    expect(visibleText('\u2028\u2029\ufffe\uffff')).toBe('\\u2028\\u2029\\ufffe\\uffff');
    expect(visibleText('x\ud800y\udfffz')).toBe('x\\ud800y\\udfffz');
  });

  it('keeps printable text, surrogate pairs and backslashes, and is idempotent', () => {
    for (const s of ['cat', 'Straße', '猫', '😺 emoji', 'C:\\path', '"quoted" <tag> & | *']) {
      expect(visibleText(s)).toBe(s);
    }
    for (const s of NASTY) {
      const v = visibleText(s);
      expect(v).not.toMatch(UNSAFE);
      expect(visibleText(v)).toBe(v);
    }
  });

  it('clips by code points, never halving a surrogate pair', () => {
    expect(clipText('😺😺😺😺', 3)).toBe('😺😺…');
    expect(clipText('short', 10)).toBe('short');
    expect(clipText('ab cdef', 4), 'no space before the ellipsis').toBe('ab…');
  });
});

describe('escapeXml and xmlName', () => {
  it('makes well-formed XML of any text', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;');
    expect(escapeXml('a\x00b\x1bc\td\ne\ud800\uffff')).toBe('a\\x00b\\x1bc\td\ne\\ud800\\uffff');
    for (const s of NASTY) assertXml(`<t a="${xmlName(s)}">${xmlName(s)}</t>`);
    expect(xmlName('</script>\u202e')).toBe('&lt;/script&gt;\\u202e');
  });
});

describe('markdownText', () => {
  it('escapes the backslash first, then | and markup; line breaks are shown, not broken', () => {
    expect(markdownText('a|b\\|c')).toBe('a\\|b\\\\\\|c');
    expect(markdownText('x\ny')).toBe('x\\\\x0ay');
    expect(markdownText('<b>*x*</b>')).toBe('\\<b\\>\\*x\\*\\</b\\>');
    expect(markdownText('\x1b[31m')).toBe('\\\\x1b\\[31m');
  });
});

describe('csvField', () => {
  it('quotes as RFC 4180 and neutralises formulas (OWASP), not numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    for (const s of ['+1+1', '-1+cmd', '@SUM(A1)', '\tx', '\rx']) expect(csvField(s).replace(/^"/, '')).toMatch(/^'/);
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(-1e-7)).toBe('-1e-7');
    expect(csvField('-1')).toBe('-1');
    expect(csvField('+2.5e3')).toBe('+2.5e3');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('plain')).toBe('plain');
  });
});

describe('jsonForScript', () => {
  it('leaves no </script>, <!-- or line separator in a script, and parses back', () => {
    const value = { names: ['</script><script>alert(1)</script>', '<!--', 'a\u2028b\u2029c', '\x1b'] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<\u2028\u2029\x00-\x1f]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('every writer escapes names from files', () => {
  it('terminal tables: no control or bidi character, columns aligned', () => {
    const texts = [renderTable(dense, { classes: NASTY, width: 400 }),
      renderTable(dense, { classes: NASTY, width: 20 }), perClassTable(perClass(), { classes: NASTY }),
      multilabelTable(multilabel(C), NASTY)];
    for (const t of texts) {
      expect(t).not.toMatch(UNSAFE);
      expect(t).toContain('\\x1b');
    }
    const rows = texts[0]!.split('\n').slice(1, 3 + C);
    expect(new Set(rows.filter((l) => !l.startsWith('-')).map((l) => l.indexOf(' | '))).size).toBe(1);
    expect(new Set(rows.map((l) => l.length)).size).toBe(1);
    expect(texts[0]).toContain('tab\\x09new\\x0aline\\x0d');
    const ml = texts[3]!.split('\n').slice(2, 3 + C);
    expect(new Set(ml.map((l) => l.length)).size).toBe(1);
  });

  it('colours are the only escape sequences of a coloured table', () => {
    const t = renderTable(dense, { classes: NASTY, color: true, width: 400 });
    expect(t.replace(/\x1b\[[\d;]*m/g, '')).not.toMatch(UNSAFE);
  });

  it('Markdown: one cell per name, no raw control or markup', () => {
    for (const md of [renderMarkdown(dense, { classes: NASTY }), perClassMarkdown(perClass(), { classes: NASTY }),
      multilabelMarkdown(multilabel(C), NASTY)]) {
      expect(md).not.toMatch(UNSAFE);
      expect(md).toContain('a\\|b\\\\\\|c');
      expect(md).toContain('\\</script\\>');
      expect(md).toContain('tab\\\\x09new\\\\x0aline\\\\x0d');
      const tables = md.split('\n\n').filter((block) => block.startsWith('|'));
      expect(tables.length).toBeGreaterThan(0);
      for (const table of tables) {
        const widths = table.split('\n').filter(Boolean).map((line) => cellsOf(line).length);
        expect(new Set(widths).size, table).toBe(1);
      }
    }
    const matrix = renderMarkdown(dense, { classes: NASTY });
    expect(matrix).toContain('| **a\\|b\\\\\\|c** |');
    expect(matrix.split('\n').filter((l) => l.startsWith('| **')).map((l) => cellsOf(l).length)).toEqual(
      new Array(C).fill(C + 1),
    );
  });

  it('CSV: RFC 4180 quoting, formulas neutralised, names otherwise kept exactly', () => {
    for (const csv of [renderCsv(dense, { classes: NASTY }), perClassCsv(perClass(), { classes: NASTY }),
      multilabelCsv(multilabel(C), NASTY)]) {
      expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
      expect(csv).toContain('"tab\tnew\nline\r"');
      expect(csv).toContain('red\x1b[31mX');
      expect(csv).not.toMatch(/(^|,)[=+\-@]/m);
    }
  });

  it('SVG heatmaps and the multilabel charts are XML that resvg parses', () => {
    for (const svg of [renderHeatmapSvg(dense.counts, C, { classes: NASTY }),
      renderHeatmapSvg(new Float64Array(101 * 101), 101, {
        classes: Array.from({ length: 101 }, (_, i) => NASTY[i % C]!),
      }), multilabelSvg(multilabel(C), NASTY)]) {
      assertXml(svg);
      expect(svg).not.toMatch(UNSAFE);
      expect(svg).toContain('\\x1b');
      expect(rasterize(svg).width).toBeGreaterThan(100);
    }
  });

  it('HTML: names shown escaped, the data script inert', () => {
    const html = renderHeatmapHtml(dense.counts, C, { classes: NASTY, title: 'T\x00</title>',
      report: { headers: ['', 'x'], rows: NASTY.map((n) => [n, 1]) } });
    expect(html).not.toMatch(UNSAFE);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('</script><b>');
    const data = JSON.parse(/<script type="application\/json" id="cm-data">([^<]*)<\/script>/.exec(html)![1]!) as {
      classes: string[];
    };
    expect(data.classes).toEqual(NASTY.map(visibleText));
    expect(html).toContain('<th scope="row">&lt;/script&gt;&lt;b&gt;</th>');
    expect(html).toContain('<title>T\\x00&lt;/title&gt;</title>');
  });
});

describe('plot budget', () => {
  it('the dense heatmap keeps within it at its largest (50 classes of long numbers and names)', () => {
    const counts = Float64Array.from({ length: 2500 }, (_, i) => 123456789012345.67 + i);
    const classes = Array.from({ length: 50 }, (_, i) => `${'W'.repeat(40)}${i}`);
    for (const c of [50, 1200, 3000]) {
      const svg = renderHeatmapSvg(c === 50 ? counts : new Float64Array(c * c).fill(1), c, {
        classes: c === 50 ? classes : undefined,
        title: 'W'.repeat(300),
      });
      const { width, height } = svgSize(svg)!;
      expect(withinPlotBudget(width, height), `${c} classes: ${width} x ${height}`).toBe(true);
    }
  });

  it('multilabel charts of 20000 labels draw a bounded number, saying so', () => {
    const svg = multilabelSvg(multilabel(20000, 2), Array.from({ length: 20000 }, (_, j) => `label ${j}`));
    const { width, height } = svgSize(svg)!;
    expect(height).toBeLessThanOrEqual(MAX_PLOT_SIDE);
    expect(width * height).toBeLessThanOrEqual(MAX_PLOT_PIXELS);
    const shown = /showing the first (\d+) of 20000 labels/.exec(svg);
    expect(Number(shown![1])).toBeGreaterThan(100);
    expect(svg).toContain('>label 0</text>');
    expect(svg).not.toContain('>label 19999</text>');
    expect(multilabelSvg(multilabel(5), ['a', 'b', 'c', 'd', 'e'])).not.toContain('showing the first');
  });

  it('a PNG of an SVG over the budget is scaled down into it', () => {
    expect(pngWidthWithin('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"/>')).toBeUndefined();
    for (const [w, h] of [[620, 880092], [20000, 20000], [30000, 100]] as const) {
      const width = pngWidthWithin(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"/>`)!;
      const height = Math.ceil((h * width) / w);
      expect(withinPlotBudget(width, height), `${w} x ${h} -> ${width} x ${height}`).toBe(true);
      expect(width).toBeGreaterThan(0);
    }
  });
});

describe('sample weight sums', () => {
  it('refuses weights whose running sum of |w| overflows, at the index where it does', () => {
    const refusal = (f: () => unknown): InputError => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return e as InputError;
      }
      throw new Error('not refused');
    };
    let e = refusal(() => checkWeights(Float64Array.of(1e308, 1e308), 2));
    expect(e.index).toBe(1);
    expect(e.message).toMatch(/^index 1: weight 1e\+308 makes the sum of \|weights\| overflow/);
    e = refusal(() => checkWeights(Float64Array.of(1, 1e308, -1e308, 1), 4));
    expect(e.index).toBe(2);
    expect(e.value).toBe(-1e308);
    expect(checkWeights(Float64Array.of(1e308, 7e307), 2)).toHaveLength(2);
    let sum = addAbsWeights(Float32Array.of(3e38, 3e38), 0, 0);
    sum = addAbsWeights(Float64Array.of(1.7e308), sum, 2);
    expect(refusal(() => addAbsWeights(Float64Array.of(0, 1e307), sum, 3)).message).toMatch(/^index 4: /);
    expect(refusal(() => addAbsWeights(Float64Array.of(0, NaN), 0, 10)).message).toBe(
      'index 11: weight NaN is not finite',
    );
  });
});
