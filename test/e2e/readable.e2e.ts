import { copyFileSync, mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/read/npy.js';
import { renderHeatmapHtml } from '../../src/report/heatmap-html.js';
import { topConfusions } from '../../src/tasks/multiclass/metrics.js';
import { plantedConfusion } from '../helpers/planted.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { dropFiles, nextRun, openDemo } from './helpers/page.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

const OUT = 'test/e2e/out';
const C = 1000;
const planted = plantedConfusion(C, 25, 60, 5);
const names = Array.from({ length: C }, (_, i) => `class-${String(i).padStart(4, '0')}`);
const files = [{ name: 'planted.preds.npy', bytes: encodeNpy(planted.preds, [planted.preds.length]) }, {
  name: 'planted.labels.npy',
  bytes: encodeNpy(planted.labels, [planted.labels.length]),
}, { name: 'planted.classes.txt', bytes: Buffer.from(`${names.join('\n')}\n`) }];
const top = topConfusions(planted.counts, C, 20)[0]!;

let server: StaticServer;
beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  server = await serveStatic('dist-web');
});
afterAll(async () => server?.close());

const pixels = (page: Page): Promise<string> =>
  page.evaluate(() => (document.getElementById('cm-canvas') as HTMLCanvasElement).toDataURL());
const view = (page: Page) =>
  page.locator('#cm-canvas').evaluate((el) =>
    Object.fromEntries(['cell', 'mx', 'my', 'row0', 'col0', 'k'].map((k) => [k, Number(el.dataset[k])]))
  );
/** The texts the next `action` draws on the canvas (fillText spied). */
async function drawn(page: Page, action: () => Promise<unknown>): Promise<string[]> {
  await page.evaluate(() => {
    const w = window as unknown as { __texts: string[]; __spied?: boolean };
    w.__texts = [];
    if (w.__spied) return;
    w.__spied = true;
    const fill = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function(text, ...rest) {
      w.__texts.push(text);
      return fill.call(this, text, ...rest);
    };
  });
  await action();
  return page.evaluate(() => (window as unknown as { __texts: string[] }).__texts);
}
const line = (t: number, p: number): RegExp =>
  new RegExp(`^True ${names[t]}, predicted ${names[p]}: ${planted.counts[t * C + p]!.toLocaleString('en-US')}, row `);

/** Top confusion click: zooms to a 20-class block holding the cell (class order = position unless reordered). */
async function topConfusionSelects(page: Page, reordered = false): Promise<void> {
  await page.click('.confusions li:first-child button');
  await expect(page.textContent('#cm-live')).resolves.toMatch(line(top.true, top.pred));
  await expect(page.textContent('#cm-tip')).resolves.toContain(`Predicted${names[top.pred]}`);
  const v = await view(page);
  expect(v.k).toBe(20);
  expect(
    reordered ||
      (top.true - v.row0! >= 0 && top.true - v.row0! < 20 && top.pred - v.col0! >= 0 && top.pred - v.col0! < 20),
  ).toBe(true);
  await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('cm-canvas');
}

/** A Chromium for the describe block (its hooks), WebGPU on or off, at a viewport size; `.page` once started. */
function browserAt(webgpu: boolean, width: number, height: number): TestBrowser {
  const b = {} as TestBrowser;
  beforeAll(async () => {
    Object.assign(b, await launchChromium({ webgpu }));
    await b.page.setViewportSize({ width, height });
  });
  afterAll(async () => b.close?.());
  return b;
}

describe('1000 classes that can be read: desktop 1440 x 900, WebGPU on SwiftShader', () => {
  const b = browserAt(true, 1440, 900);

  it('counts the planted 1000-class input on the GPU', async () => {
    await openDemo(b.page, `${server.url}/demo/?backend=gpu`);
    const state = await nextRun(b.page, () => dropFiles(b.page, 'body', files));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect([state.backend, state.numClasses]).toEqual(['gpu', C]);
    expect(state.matrix.flat()).toEqual(Array.from(planted.counts));
    await b.page.locator('.plot-col').screenshot({ path: `${OUT}/demo-1000.png` });
    if (process.env.CONFMAT_UPDATE_DOCS) copyFileSync(`${OUT}/demo-1000.png`, 'docs/demo-1000.png');
  });

  it('the colour scale and leaving out the diagonal change the pixels; the diagonal turns neutral', async () => {
    const before = await pixels(b.page);
    await b.page.selectOption('#scale', 'log');
    const log = await pixels(b.page);
    expect(log).not.toBe(before);
    await b.page.selectOption('#scale', 'row');
    expect(await pixels(b.page)).not.toBe(log);
    await b.page.check('#no-diagonal');
    const v = await view(b.page);
    const at = await b.page.evaluate(({ mx, my, cell }) => {
      const c = document.getElementById('cm-canvas') as HTMLCanvasElement;
      const d = devicePixelRatio;
      const px = (x: number, y: number) => Array.from(c.getContext('2d')!.getImageData(x * d, y * d, 1, 1).data);
      return { diag: px(mx! + 500.5 * cell!, my! + 500.5 * cell!), off: px(mx! + 500.5 * cell!, my! + 10.5 * cell!) };
    }, v);
    expect(at.diag).toEqual([200, 200, 200, 255]);
    expect(at.off).not.toEqual([200, 200, 200, 255]);
    await b.page.uncheck('#no-diagonal');
    await b.page.selectOption('#scale', 'linear');
    expect(await pixels(b.page)).toBe(before);
  });

  it('zoom (+ keys, a dragged box) shows the block with its labels and counts; arrows and reset work', async () => {
    await b.page.focus('#cm-canvas');
    for (let i = 0; i < 3; i++) await b.page.keyboard.press('ArrowDown');
    for (let i = 0; i < 5; i++) await b.page.keyboard.press('+');
    const texts = await drawn(b.page, () => b.page.keyboard.press('+'));
    const v = await view(b.page);
    expect([v.k, v.row0, v.col0]).toEqual([16, 3, 0]);
    expect([...names.slice(3, 19), ...names.slice(0, 16)].filter((n) => !texts.includes(n))).toEqual([]);
    expect(texts).not.toContain(names[19]);
    expect(texts).toContain(String(planted.counts[3 * C + 3]));
    await b.page.keyboard.press('ArrowRight');
    await expect(b.page.textContent('#cm-live')).resolves.toMatch(line(3, 1));
    for (let i = 0; i < 20; i++) await b.page.keyboard.press('ArrowDown');
    await expect(b.page.textContent('#cm-live')).resolves.toMatch(line(23, 1));
    expect((await view(b.page)).row0).toBe(23 - 15);
    await b.page.keyboard.press('0');
    expect((await view(b.page)).k).toBe(C);
    const box = (await b.page.locator('#cm-canvas').boundingBox())!;
    const w = await view(b.page);
    const xy = (t: number, p: number) => [box.x + w.mx! + (p + 0.5) * w.cell!, box.y + w.my! + (t + 0.5) * w.cell!];
    await b.page.mouse.move(xy(100, 200)[0]!, xy(100, 200)[1]!);
    await b.page.mouse.down();
    await b.page.mouse.move(xy(120, 230)[0]!, xy(120, 230)[1]!, { steps: 4 });
    await b.page.mouse.up();
    expect(await view(b.page)).toMatchObject({ row0: 100, col0: 200, k: 31 });
    await b.page.click('[data-zoom=reset]');
    expect((await view(b.page)).k).toBe(C);
  });

  it('a top confusion click zooms to its cell and selects it', async () => {
    await topConfusionSelects(b.page);
  });

  it('hierarchical order puts the planted groups in blocks (screenshots: log, no diagonal, clusters, zoomed)', async () => {
    await b.page.click('[data-zoom=reset]');
    await b.page.selectOption('#reorder-method', 'hierarchical');
    const before = await pixels(b.page);
    await b.page.check('#reorder');
    expect(await pixels(b.page)).not.toBe(before);
    await b.page.selectOption('#scale', 'log');
    await b.page.check('#no-diagonal');
    await b.page.locator('.plot-col').screenshot({ path: `${OUT}/demo-1000-clusters.png` });
    await topConfusionSelects(b.page, true);
    await b.page.locator('.plot-col').screenshot({ path: `${OUT}/demo-1000-zoom.png` });
    if (process.env.CONFMAT_UPDATE_DOCS) {
      copyFileSync(`${OUT}/demo-1000-clusters.png`, 'docs/demo-1000-clusters.png');
      copyFileSync(`${OUT}/demo-1000-zoom.png`, 'docs/demo-1000-zoom.png');
    }
    expect(b.errors).toEqual([]);
  });
});

describe('1000 classes that can be read: phone 390 x 844, on the CPU', () => {
  const b = browserAt(false, 390, 844);

  it('zoom buttons, scale and top confusions work on a phone', async () => {
    await openDemo(b.page, `${server.url}/demo/`);
    const state = await nextRun(b.page, () => dropFiles(b.page, 'body', files));
    expect([state.error, state.backend, state.numClasses]).toEqual([null, 'cpu', C]);
    const before = await pixels(b.page);
    await b.page.selectOption('#scale', 'log');
    expect(await pixels(b.page)).not.toBe(before);
    await b.page.click('[data-zoom=in]');
    expect((await view(b.page)).k).toBe(500);
    await b.page.click('[data-zoom=out]');
    expect((await view(b.page)).k).toBe(C);
    await topConfusionSelects(b.page);
    const fit = await b.page.evaluate(() => ({ page: document.scrollingElement!.scrollWidth, width: innerWidth }));
    expect(fit.page).toBe(fit.width);
    await b.page.screenshot({ path: `${OUT}/demo-1000-phone.png`, fullPage: true });
  });

  it("the HTML writer's page draws a log scale with the diagonal left out (grey)", async () => {
    const m = Float64Array.from([100, 1, 0, 10, 1000, 0, 0, 2, 50]);
    const errors: string[] = [];
    b.page.on('pageerror', (e) => errors.push(e.message));
    const px = async (html: string) => {
      await b.page.setContent(html);
      return b.page.evaluate(() => {
        const c = document.getElementById('cm-canvas') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let grey = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 200 && d[i + 1] === 200 && d[i + 2] === 200) grey++;
        return { grey, url: c.toDataURL() };
      });
    };
    const plain = await px(renderHeatmapHtml(m, 3));
    const left = await px(renderHeatmapHtml(m, 3, { scale: 'log', shadeDiagonal: false }));
    expect(errors).toEqual([]);
    expect(plain.grey).toBeLessThan(50);
    expect(left.grey).toBeGreaterThan(1000);
    expect(left.url).not.toBe(plain.url);
  });
});
