import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoData } from '../../src/demo/synthetic.js';
import { encodeNpy } from '../../src/read/npy.js';
import { createComparison } from '../../src/tasks/compare/matrix.js';
import { pairedIntervals } from '../../src/tasks/compare/paired-intervals.js';
import { matrixIntervals } from '../../src/tasks/multiclass/intervals.js';
import { confusionMatrix } from '../../src/tasks/multiclass/matrix.js';
import { matrixRows } from '../../src/tasks/multiclass/reduce.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { dropFiles, nextRun, openDemo, pageState } from './helpers/page.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

const ROWS = 50_000;

let server: StaticServer;
let b: TestBrowser;
beforeAll(async () => {
  server = await serveStatic('dist-web');
  b = await launchChromium({ webgpu: false });
});
afterAll(async () => {
  await b?.close();
  await server?.close();
});

describe('confidence intervals on the demo page (headless Chromium, the CPU)', () => {
  it("draws the CLI's intervals in a worker and shows them in the figures and the report; sorting still works",
    async () => {
      await openDemo(b.page, `${server.url}/demo/`);
      await b.page.fill('#example-rows', String(ROWS));
      const state = await nextRun(b.page, () => b.page.click('#example'));
      expect(state.error, b.errors.join('\n')).toBeNull();
      expect(state.intervals).toBeNull();
      await b.page.check('#intervals');
      await b.page.waitForFunction(() => window.__confmat.intervals !== null, undefined, { timeout: 120_000 });
      const d = makeDemoData({ rows: ROWS, seed: 1 });
      const result = await confusionMatrix({ logits: d.logits, labels: d.labels }, { numClasses: d.numClasses });
      const expected = matrixIntervals(result, { level: 0.95, resamples: 1000, seed: 0 });
      expect((await pageState(b.page)).intervals).toEqual(JSON.parse(JSON.stringify(expected)));
      const f = (v: number): string => v.toFixed(4);
      await expect(b.page.textContent('#figures')).resolves.toContain(
        `${f(result.accuracy)} [${f(expected.accuracy.low)}, ${f(expected.accuracy.high)}]`,
      );
      const cat = await b.page.locator('table.report tbody tr', { hasText: /^cat/ }).first().textContent();
      const r = expected.perClass[3]!.recall;
      expect(cat).toContain(`[${f(r.low)}, ${f(r.high)}]`);
      await expect(b.page.textContent('#intervals-status')).resolves.toMatch(/1,000 resamples, seed 0/);
      await b.page.click('table.report thead th:nth-child(3) button');
      const recalls = (await b.page.locator('table.report tbody:first-of-type tr td:nth-child(3)').allTextContents())
        .map((t) => parseFloat(t));
      expect(recalls).toEqual([...recalls].sort((x, y) => y - x));
      expect(recalls[0]).toBeGreaterThan(recalls.at(-1)!);
      const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.click('[data-download=json]')]);
      const json = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(json.ci.accuracy).toEqual(expected.accuracy);
      expect(json.ci.perClass[3]).toEqual({ class: 'cat', ...JSON.parse(JSON.stringify(expected.perClass[3])) });
      await b.page.uncheck('#intervals');
      await expect(b.page.textContent('#figures')).resolves.not.toContain('[');
      expect((await pageState(b.page)).intervals).toBeNull();
    });

  it('a cancelled draw shows nothing and says so; new results drop the old intervals', async () => {
    await b.page.evaluate(() => {
      document.querySelector<HTMLInputElement>('#intervals')!.click();
      document.querySelector<HTMLButtonElement>('#intervals-cancel')!.click();
    });
    await expect(b.page.textContent('#intervals-status')).resolves.toBe('Cancelled.');
    await b.page.waitForTimeout(300);
    expect((await pageState(b.page)).intervals).toBeNull();
    await expect(b.page.textContent('#report')).resolves.not.toContain('[');
    await b.page.uncheck('#intervals');
    await b.page.check('#intervals');
    await b.page.waitForFunction(() => window.__confmat.intervals !== null, undefined, { timeout: 120_000 });
    await b.page.fill('#example-rows', '20000');
    await nextRun(b.page, () => b.page.click('#example'));
    await b.page.waitForFunction(() => window.__confmat.intervals !== null, undefined, { timeout: 120_000 });
    const d = makeDemoData({ rows: 20_000, seed: 1 });
    const result = await confusionMatrix({ logits: d.logits, labels: d.labels }, { numClasses: d.numClasses });
    const expected = matrixIntervals(result, { level: 0.95, resamples: 1000, seed: 0 });
    expect((await pageState(b.page)).intervals!.accuracy).toEqual(expected.accuracy);
  });
});

describe('two models compared on the demo page (headless Chromium)', () => {
  const rows = 30_000;
  const d = makeDemoData({ rows, seed: 3 });
  const c = d.numClasses;
  const logitsB = d.logits.map((v, i) => v + (((i * 2654435761) >>> 0) % 1000) / 250 - 2);
  const files = (
    b: Float32Array,
  ) => [{ name: 'a.logits.npy', bytes: encodeNpy(d.logits, [rows, c]) }, { name: 'labels.npy',
    bytes: encodeNpy(d.labels, [rows]) }, { name: 'b.npy', bytes: encodeNpy(b, [rows, c]) }];

  async function expected(b: Float32Array) {
    const cmp = createComparison({ numClasses: c });
    await cmp.update({ labels: d.labels, logits: d.logits, logitsB: b });
    return cmp.compute();
  }

  for (const backend of ['cpu', 'gpu'] as const) {
    it(`counts model B beside model A on the ${backend.toUpperCase()}, equal to the oracle's comparison`, async () => {
      const g = await launchChromium({ webgpu: backend === 'gpu' });
      try {
        await openDemo(g.page, `${server.url}/demo/?backend=${backend}`);
        const [a, labels, b] = files(logitsB);
        await nextRun(g.page, () => dropFiles(g.page, 'body', [a!, labels!]));
        const state = await nextRun(g.page, () => dropFiles(g.page, '#zone-model-b', [b!]));
        expect(state.error, g.errors.join('\n')).toBeNull();
        expect(state.backend).toBe(backend);
        const want = await expected(logitsB);
        expect(state.comparison!.matrixB).toEqual(matrixRows(want.b));
        expect([state.comparison!.b, state.comparison!.c]).toEqual([want.mcnemar.b, want.mcnemar.c]);
        const table = await g.page.textContent('pre.comparison');
        expect(table).toContain(`McNemar: b = ${want.mcnemar.b} (A right, B wrong), c = ${want.mcnemar.c}`);
        await expect(g.page.locator('img.diff-heatmap').evaluate((img: HTMLImageElement) => img.naturalWidth)).resolves
          .toBeGreaterThan(100);
        if (backend === 'cpu') {
          await g.page.check('#intervals');
          await g.page.waitForFunction(() => window.__confmat.comparison?.intervals !== null, undefined, {
            timeout: 120_000,
          });
          const ci = (await pageState(g.page)).comparison!.intervals!;
          const options = { level: 0.95, resamples: 1000, seed: 0 };
          expect(ci.difference.accuracy).toEqual(pairedIntervals(want.counts!, c, options).accuracy);
          await expect(g.page.textContent('pre.comparison')).resolves.toMatch(/paired bootstrap over the joint table/);
          const [dl] = await Promise.all([g.page.waitForEvent('download'), g.page.click('[data-cmp-download=json]')]);
          expect(dl.suggestedFilename()).toBe('a.logits-comparison.json');
          const json = JSON.parse(readFileSync((await dl.path())!, 'utf8'));
          expect(json.mcnemar.b).toBe(want.mcnemar.b);
          expect(json.difference.accuracy).toEqual(ci.difference.accuracy);
        }
        await g.page.locator('#comparison').screenshot({ path: `test/e2e/out/compare-${backend}.png` });
        await g.page.click('#clear-model-b');
        await expect(g.page.locator('#comparison').isHidden()).resolves.toBe(true);
        expect((await pageState(g.page)).comparison).toBeNull();
      } finally {
        await g.close();
      }
    });
  }

  it('model B with other rows is refused by name; the run of model A stays shown', async () => {
    await openDemo(b.page, `${server.url}/demo/?backend=cpu`);
    const [a, labels] = files(logitsB);
    await nextRun(b.page, () => dropFiles(b.page, 'body', [a!, labels!]));
    const short = { name: 'short.npy', bytes: encodeNpy(logitsB.subarray(0, 10 * c), [10, c]) };
    const state = await nextRun(b.page, () => dropFiles(b.page, '#zone-model-b', [short]));
    expect(state.error).toBe(
      'Model B: short.npy: 10 rows, but the labels have 30,000; both models must score the same rows',
    );
    expect(state.total).toBe(rows);
    expect(state.comparison).toBeNull();
    await expect(b.page.locator('#results').isHidden()).resolves.toBe(false);
  });
});
