import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoData } from '../../src/demo/synthetic.js';
import { renderRowsOf } from '../../src/report/cell-rows.js';
import { cellRows } from '../../src/tasks/cell-rows/matrix.js';
import { argmaxRow } from '../../src/tasks/multiclass/update-cpu.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { nextRun, openDemo, pageState } from './helpers/page.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

const ROWS = 20_000;
const data = makeDemoData({ rows: ROWS, seed: 1 });
const c = data.numClasses;

/** np.where((y == t) & (argmax(logits, 1) == p)): the example's rows in cell (t, p), first 1000. */
function where(t: number, p: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ROWS; i++) if (data.labels[i] === t && argmaxRow(data.logits, i * c, c) === p) out.push(i);
  return out;
}

let server: StaticServer;
beforeAll(async () => {
  server = await serveStatic('dist-web');
});
afterAll(async () => server?.close());

describe('demo page: rows in a clicked cell, WebGPU on SwiftShader', () => {
  let b: TestBrowser;
  beforeAll(async () => {
    b = await launchChromium({ webgpu: true });
  });
  afterAll(async () => b?.close());

  it.each(['gpu', 'cpu'])('lists the rows of an off-diagonal cell as numpy finds them, counted on the %s',
    async (backend) => {
      await openDemo(b.page, `${server.url}/demo/?backend=${backend}`);
      await b.page.fill('#example-rows', String(ROWS));
      const state = await nextRun(b.page, () => b.page.click('#example'));
      expect(state.error, b.errors.join('\n')).toBeNull();
      expect(state.backend).toBe(backend);
      const canvas = b.page.locator('#cm-canvas');
      const { cell, mx, my } = await canvas.evaluate((el) => ({ cell: Number(el.dataset.cell),
        mx: Number(el.dataset.mx), my: Number(el.dataset.my) })
      );
      const click = (t: number, p: number) =>
        canvas.click({ position: { x: mx + (p + 0.5) * cell, y: my + (t + 0.5) * cell }, timeout: 10_000 });
      await click(3, 5);
      await b.page.waitForFunction(() => window.__confmat.cellRows !== null);
      const want = where(3, 5);
      expect(want.length).toBeGreaterThan(5);
      expect((await pageState(b.page)).cellRows).toEqual({ true: 3, pred: 5, count: want.length, rows: want });
      const title = await b.page.textContent('#cell-rows h3');
      expect(title).toBe(
        `Rows in this cell: true ${state.classes[3]}, predicted ${state.classes[5]}: ${want.length} rows`,
      );
      const shown = await b.page.locator('#cell-rows tbody tr td:first-child').allTextContents();
      expect(shown).toEqual(want.slice(0, 50).map(String));
      const [d] = await Promise.all([b.page.waitForEvent('download'), b.page.click('[data-cell-rows=csv]')]);
      const oracle = await cellRows({ logits: data.logits, labels: data.labels }, { numClasses: c,
        cells: [{ true: 3, pred: 5 }] });
      expect(readFileSync((await d.path())!, 'utf8')).toBe(renderRowsOf('csv', oracle, undefined, state.classes));
      expect(d.suggestedFilename()).toBe('confmat-rows-true3-pred5.csv');
      if (backend === 'gpu') {
        mkdirSync('test/e2e/out', { recursive: true });
        await b.page.locator('#results').screenshot({ path: 'test/e2e/out/demo-cell-rows.png' });
        if (process.env.CONFMAT_UPDATE_DOCS) copyFileSync('test/e2e/out/demo-cell-rows.png', 'docs/demo-cell-rows.png');
      }
      await click(4, 4);
      const after = await b.page.evaluate(
        () => [document.getElementById('cell-rows')!.hidden, document.getElementById('cm-live')!.textContent,
          document.getElementById('cell-rows')!.textContent!.slice(0, 80)]
      );
      expect(after).toEqual([true,
        expect.stringMatching(new RegExp(`^True ${state.classes[4]}, predicted ${state.classes[4]}`)), '']);
    });
});
