import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoData } from '../../src/demo/synthetic.js';
import { matrixIntervals } from '../../src/tasks/multiclass/intervals.js';
import { confusionMatrix } from '../../src/tasks/multiclass/matrix.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { nextRun, openDemo, pageState } from './helpers/page.js';
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
