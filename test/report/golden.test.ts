// Every report format, byte for byte, at C = 3, 50 and 1000 with awkward class names: the outputs written before
// the report writers were made fast (issue 18), as SHA-256 digests in the snapshot (whole text at C = 3).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderPlot, renderReport } from '../../src/cli/render.js';
import type { ConfusionMatrixResult } from '../../src/core/types.js';
import { renderCsv } from '../../src/report/csv.js';
import { renderHeatmapHtml } from '../../src/report/heatmap-html.js';
import { renderHeatmapSvg } from '../../src/report/heatmap-svg.js';
import { jsonReport, renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTable } from '../../src/report/table.js';
import { createState, mergeStates, parseState, stateResult } from '../../src/state/state.js';
import { matrixIntervals } from '../../src/tasks/multiclass/intervals.js';
import { reduceCounts } from '../../src/tasks/multiclass/reduce.js';
import { rng } from '../helpers/random.js';

const AWKWARD = ['a,b', 'say "hi"', 'line\nbreak', 'x|y', '<b>&amp;', '=SUM(A1)', '-2+3', 'tab\there', '*em* _u_ `c`',
  'rtl\u202eevil', 'lone\ud800', 'ünïcödé 🐱', '猫の分類', 'n01440764_tench_and_a_long_tail', 'n01440764_tench_other',
  '', ' padded ', '1.5', '\u0007bell', 'back\\slash'];

/** C names: the awkward ones first, then plain ones. */
const namesOf = (c: number): string[] =>
  Array.from({ length: c }, (_, i) => (i < AWKWARD.length && c > 3 ? AWKWARD[i]! : `${AWKWARD[i * 7]!}#${i}`));

/** A seeded matrix: a diagonal, a few confusers per row, one row in ten dense, one class never seen; `weights`. */
function matrix(c: number, seed: number, weights = false): ConfusionMatrixResult {
  const r = rng(seed);
  const counts = new Float64Array(c * c);
  const w = (): number => (weights ? Math.round(r() * 1000) / 400 : 1);
  for (let t = 0; t < c; t++) {
    if (t === c - 1 && c > 2) continue;
    const n = 1 + Math.floor(r() * 60);
    const confusers = [Math.floor(r() * c), Math.floor(r() * c)];
    const dense = r() < 0.1;
    for (let k = 0; k < n; k++) {
      const p = r() < 0.7 ? t : dense ? Math.floor(r() * c) : confusers[k % 2]!;
      counts[t * c + p]! += w();
    }
  }
  return reduceCounts(counts, c, weights);
}

const digest = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

async function outputs(c: number, seed: number, weights = false): Promise<Record<string, string>> {
  const result = matrix(c, seed, weights);
  const classes = namesOf(c);
  const backend = { name: 'cpu' as const, adapter: null };
  const shards = { count: 4, indices: [1, 3] };
  const out: Record<string, string> = { json: await renderReport('json', result, backend, { classes }),
    'json normalize=true shards': await renderReport('json', result, backend, { classes, normalize: 'true', shards,
      stateOptions: { ignoreIndex: -100 } }), csv: renderCsv(result, { classes }),
    'csv normalize=pred': renderCsv(result, { classes, normalize: 'pred' }),
    markdown: renderMarkdown(result, { classes }),
    'markdown normalize=all': renderMarkdown(result, { classes, normalize: 'all' }),
    table: renderTable(result, { classes, width: 160 }),
    'table wide colour': renderTable(result, { classes, width: 1e6, color: true }),
    'table wide normalize=true': renderTable(result, { classes, width: 1e6, normalize: 'true', top: 30 }),
    svg: renderHeatmapSvg(result.counts, c, { classes }),
    'svg normalize=true text blues': renderHeatmapSvg(result.counts, c, { classes, normalize: 'true', cellText: 'on',
      colormap: 'blues', title: 'A <title> & more' }),
    html: (await renderPlot('plot.html', result, { classes })) as string,
    'html bare': renderHeatmapHtml(result.counts, c, { normalize: 'pred' }),
    state: JSON.stringify(createState(result, { classes, shards })) };
  if (!weights) {
    const part = parseState(JSON.parse(out.json!), 'part.json');
    out['state parsed'] = JSON.stringify(part);
    const shard0 = await renderReport('json', result, backend, { classes, shards: { count: 4, indices: [0] } });
    const parts = [parseState(JSON.parse(shard0), 'a'), parseState(JSON.parse(out.state!), 'b')];
    out['state merged'] = JSON.stringify(mergeStates(parts));
    out['state result'] = JSON.stringify(Array.from(stateResult(part).counts));
  }
  if (c <= 50 && !weights) {
    const intervals = matrixIntervals(result, { level: 0.9, resamples: 40, seed: 3 });
    out['json ci'] = JSON.stringify(jsonReport(result, backend, { classes, intervals }));
    out['markdown ci'] = renderMarkdown(result, { classes, intervals });
    out['table ci'] = renderTable(result, { classes, intervals, width: 1e6 });
    out['html ci'] = (await renderPlot('plot.html', result, { classes, intervals })) as string;
  }
  return out;
}

describe('report outputs stay byte for byte the same', () => {
  it('C = 3: whole texts', async () => {
    const out = await outputs(3, 1);
    for (const key of ['svg', 'svg normalize=true text blues', 'html', 'html bare', 'html ci']) {
      out[key] = digest(out[key]!);
    }
    expect(out).toMatchSnapshot();
  });

  for (const [c, seed, weights] of [[50, 2, false], [50, 3, true], [1000, 4, false]] as const) {
    it(`C = ${c}${weights ? ', sample weights' : ''}: digests`, async () => {
      const out = await outputs(c, seed, weights);
      expect(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, `${digest(v)} ${v.length}`])))
        .toMatchSnapshot();
    });
  }

  it('writes non-finite and negative-zero counts and names like keys as JSON.stringify does', () => {
    const backend = { name: 'cpu' as const, adapter: null };
    for (const cells of [[1, NaN, -0, 3], [1, Infinity, -0, 3], [1, 2.5, -0, -3]]) {
      const counts = new Float64Array(cells);
      const result = { ...reduceCounts(new Float64Array(4), 2, true), counts };
      for (const normalize of ['none', 'pred'] as const) {
        expect(renderJson(result, backend, { normalize })).toBe(
          JSON.stringify(jsonReport(result, backend, { normalize })),
        );
      }
      expect(renderHeatmapHtml(counts, 2)).toContain(`"counts":${JSON.stringify(cells)}`);
    }
    const classes = ['"matrix":[]', '"counts":[]'];
    const result = reduceCounts(new Float64Array([1, 2, 3, 4]), 2);
    expect(renderJson(result, backend, { classes, normalize: 'all' })).toBe(
      JSON.stringify(jsonReport(result, backend, { classes, normalize: 'all' })),
    );
    const page = renderHeatmapHtml(result.counts, 2, { classes });
    expect(JSON.parse(/id="cm-data">(.*?)<\/script>/.exec(page)![1]!)).toMatchObject({ classes, counts: [1, 2, 3, 4] });
  });
});
