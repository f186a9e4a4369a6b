import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch, LabelArray } from '../../src/core/types.js';
import { makeDemoData } from '../../src/demo/synthetic.js';
import { parseNpy } from '../../src/read/npy.js';
import { renderCsv } from '../../src/report/csv.js';
import { confusionMatrix } from '../../src/tasks/multiclass/matrix.js';
import { matrixRows } from '../../src/tasks/multiclass/reduce.js';
import { cpuArgmax as matrixArgmax } from '../../src/tasks/multiclass/update-cpu.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { dropFiles, nextRun, openDemo, pageState } from './helpers/page.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

const OUT = 'test/e2e/out';
const EXAMPLE_ROWS = 200_000;
const fixture = (p: string): Buffer => readFileSync(`test/fixtures/${p}`);

/** The CPU oracle, in Node, on the same data the page counted. */
async function oracle(batch: Batch, numClasses: number): Promise<number[][]> {
  return matrixRows(await confusionMatrix(batch, { numClasses }));
}

function npyBatch(logitsFile: string, labelsFile: string): { batch: Batch; numClasses: number } {
  const logits = parseNpy(fixture(logitsFile), logitsFile);
  const labels = parseNpy(fixture(labelsFile), labelsFile);
  return { batch: { logits: logits.data as Float32Array, labels: labels.data as LabelArray },
    numClasses: logits.shape[1]! };
}

async function exampleOracle(rows: number): Promise<number[][]> {
  const d = makeDemoData({ rows, seed: 1 });
  return oracle({ logits: d.logits, labels: d.labels }, d.numClasses);
}

let server: StaticServer;
beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  server = await serveStatic('dist-web');
});
afterAll(async () => server?.close());

describe('demo page in headless Chromium, WebGPU on SwiftShader', () => {
  let b: TestBrowser;
  beforeAll(async () => {
    b = await launchChromium({ webgpu: true });
  });
  afterAll(async () => b?.close());

  it('finds the WebGPU adapter and says so on the page', async () => {
    const state = await openDemo(b.page, `${server.url}/demo/?backend=gpu&check=1`);
    expect(state.webgpu).toBe(true);
    expect(state.backend).toBe('gpu');
    expect(state.adapter).toMatch(/swiftshader/i);
    await expect(b.page.textContent('#backend')).resolves.toContain(`WebGPU adapter: ${state.adapter}`);
  });

  it('counts the example on the GPU, equal to the CPU oracle, and shows heatmap, report and timings', async () => {
    await b.page.fill('#example-rows', String(EXAMPLE_ROWS));
    const state = await nextRun(b.page, () => b.page.click('#example'));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.backend).toBe('gpu');
    expect(state.gpuMs).toBeGreaterThan(0);
    expect(state.residentMs).toBeGreaterThan(0);
    expect(state.equal).toBe(true);
    expect(state.total).toBe(EXAMPLE_ROWS);
    expect(state.matrix).toEqual(await exampleOracle(EXAMPLE_ROWS));
    expect(state.classes).toEqual(makeDemoData({ rows: 1 }).classNames);
    const report = await b.page.locator('table.report tbody tr').allTextContents();
    expect(report).toHaveLength(10 + 3);
    expect(report[3]).toMatch(/^cat/);
    await expect(b.page.textContent('#timing')).resolves.toMatch(
      /GPU: .*swiftshader[\s\S]*already in GPU buffers[\s\S]*CPU[\s\S]*identical/i,
    );
    const box = await b.page.locator('#cm-canvas').boundingBox();
    expect(box!.width).toBeGreaterThan(500);
    await b.page.screenshot({ path: `${OUT}/demo-gpu.png`, fullPage: true });
    if (process.env.CONFMAT_UPDATE_DOCS) copyFileSync(`${OUT}/demo-gpu.png`, 'docs/demo.png');
  });

  it('the report filters classes by name and sorts them by any column; the summary rows stay below', async () => {
    const state = await pageState(b.page);
    const names =
      async () => (await b.page.locator('table.report tbody:not(.sep) tr:not([hidden]) th').allTextContents());
    await b.page.fill('.report-filter', 'CA');
    expect(await names()).toEqual(['cat']);
    await b.page.fill('.report-filter', '');
    expect(await names()).toEqual(state.classes);
    const f1 = (await b.page.locator('table.report tbody:not(.sep) tr td:nth-of-type(3)').allTextContents()).map(
      Number,
    );
    expect(f1).toHaveLength(state.classes.length);
    await b.page.click('table.report thead button:text("f1-score")');
    const byF1 = state.classes.map((n, k) => [n, f1[k]!] as const).sort((x, y) => y[1] - x[1]).map(([n]) => n);
    expect(await names()).toEqual(byF1);
    await expect(b.page.getAttribute('table.report thead th:nth-child(4)', 'aria-sort')).resolves.toBe('descending');
    await b.page.click('table.report thead button:text("f1-score")');
    const ascending = state.classes.map((n, k) => [n, f1[k]!] as const).sort((x, y) => x[1] - y[1]).map(([n]) => n);
    expect(await names()).toEqual(ascending);
    await b.page.click('table.report thead button:text("class")');
    expect(await names()).toEqual([...state.classes].sort((x, y) => x.localeCompare(y)));
    const [headColor, inkColor] = await b.page.evaluate(
      () => [getComputedStyle(document.querySelector('table.report thead button')!).color,
        getComputedStyle(document.querySelector('table.report tbody th')!).color]
    );
    expect(headColor).toBe(inkColor);
    const summary = await b.page.locator('table.report tbody.sep tr th').allTextContents();
    expect(summary).toEqual(['accuracy', 'macro avg', 'weighted avg']);
  });

  it('hover and arrow keys show a cell: true and predicted class, count, row %, column %', async () => {
    const state = await pageState(b.page);
    const m = state.matrix;
    const rowSum = m[3]!.reduce((a, v) => a + v, 0);
    const colSum = m.reduce((a, r) => a + r[5]!, 0);
    await b.page.focus('#cm-canvas');
    for (let i = 0; i < 3; i++) await b.page.keyboard.press('ArrowDown');
    for (let i = 0; i < 5; i++) await b.page.keyboard.press('ArrowRight');
    const live = await b.page.textContent('#cm-live');
    const n = m[3]![5]!;
    expect(live).toBe(
      `True cat, predicted dog: ${n.toLocaleString('en-US')}, row ${((100 * n) / rowSum).toFixed(1)}%, column ${
        ((100 * n) / colSum).toFixed(1)
      }%`,
    );
    await expect(b.page.isVisible('#cm-tip')).resolves.toBe(true);
    await expect(b.page.textContent('#cm-tip')).resolves.toContain('dog');
    const canvas = (await b.page.locator('#cm-canvas').boundingBox())!;
    await b.page.mouse.move(canvas.x + canvas.width / 2, canvas.y + 30);
    await expect(b.page.textContent('#cm-tip')).resolves.toMatch(/True.*Predicted.*Count.*Row %.*Column %/);
  });

  it('a click (a tap) on a cell shows and announces that cell, not the first one', async () => {
    const state = await pageState(b.page);
    const m = state.matrix;
    await b.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const canvas = b.page.locator('#cm-canvas');
    const { cell, mx, my } = await canvas.evaluate((el) => ({ cell: Number(el.dataset.cell), mx: Number(el.dataset.mx),
      my: Number(el.dataset.my) })
    );
    const box = (await canvas.boundingBox())!;
    const at = (t: number, p: number) => ({ x: box.x + mx + (p + 0.5) * cell, y: box.y + my + (t + 0.5) * cell });
    const line = (t: number, p: number): string => {
      const n = m[t]![p]!;
      const [row, col] = [m[t]!.reduce((a, v) => a + v, 0), m.reduce((a, r) => a + r[p]!, 0)];
      return `True ${state.classes[t]}, predicted ${state.classes[p]}: ${n.toLocaleString('en-US')}, row ${
        ((100 * n) / row).toFixed(1)
      }%, column ${((100 * n) / col).toFixed(1)}%`;
    };
    await b.page.mouse.click(at(3, 5).x, at(3, 5).y);
    await expect(b.page.textContent('#cm-live')).resolves.toBe(line(3, 5));
    await expect(b.page.textContent('#cm-tip')).resolves.toContain(`Predicted${state.classes[5]}`);
    await b.page.mouse.click(at(6, 2).x, at(6, 2).y);
    await expect(b.page.textContent('#cm-live')).resolves.toBe(line(6, 2));
    await b.page.mouse.move(box.x + box.width + 40, box.y - 20);
    await expect(b.page.textContent('#cm-tip')).resolves.toContain(`True${state.classes[6]}`);
  });

  it('normalize toggle and reorder by confusion redraw the heatmap; downloads match the CLI formats', async () => {
    const pixels = (): Promise<string> =>
      b.page.evaluate(() => (document.getElementById('cm-canvas') as HTMLCanvasElement).toDataURL());
    const before = await pixels();
    await b.page.check('input[name=normalize][value=true]');
    const normalized = await pixels();
    expect(normalized).not.toBe(before);
    await b.page.check('#reorder');
    expect(await pixels()).not.toBe(normalized);
    const state = await pageState(b.page);
    const download = async (kind: string): Promise<Buffer> => {
      const [d] = await Promise.all([b.page.waitForEvent('download'), b.page.click(`[data-download=${kind}]`)]);
      return readFileSync((await d.path())!);
    };
    const json = JSON.parse((await download('json')).toString('utf8'));
    expect(json.matrix).toEqual(state.matrix);
    expect(json.normalized.mode).toBe('true');
    expect(json.backend).toEqual({ name: 'gpu', adapter: state.adapter });
    const result = await confusionMatrix({ preds: new Uint8Array(0), labels: new Uint8Array(0) }, {
      numClasses: state.numClasses,
    });
    result.counts.set(state.matrix.flat());
    expect((await download('csv')).toString('utf8')).toBe(
      renderCsv(result, { classes: state.classes, normalize: 'true' }),
    );
    expect((await download('svg')).toString('utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const png = await download('png');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const canvasSize = await b.page.evaluate(() => {
      const c = document.getElementById('cm-canvas') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    expect([png.readUInt32BE(16), png.readUInt32BE(20) - canvasSize[1]!]).toEqual([canvasSize[0], 32]);
    await b.page.check('input[name=normalize][value=none]');
    await b.page.uncheck('#reorder');
  });

  it('counts dropped .npy files of 1000 classes, equal to the CPU oracle', async () => {
    const files = [{ name: 'c1000.logits.npy', bytes: fixture('sklearn/c1000.logits.npy') }, { name: 'c1000.labels.npy',
      bytes: fixture('sklearn/c1000.labels.npy') }];
    const state = await nextRun(b.page, () => dropFiles(b.page, 'body', files));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.backend).toBe('gpu');
    expect(state.numClasses).toBe(1000);
    const { batch, numClasses } = npyBatch('sklearn/c1000.logits.npy', 'sklearn/c1000.labels.npy');
    expect(state.matrix).toEqual(await oracle(batch, numClasses));
    await expect(b.page.textContent('#name-logits')).resolves.toContain('c1000.logits.npy');
    const [d] = await Promise.all([b.page.waitForEvent('download'), b.page.click('[data-download=csv]')]);
    expect(d.suggestedFilename()).toBe('c1000.logits-confusion-matrix.csv');
    await b.page.check('#reorder');
    await b.page.screenshot({ path: `${OUT}/demo-1000.png`, fullPage: true });
    await b.page.uncheck('#reorder');
  });

  it('reads CSV logits and labels chosen with the file pickers, equal to the same data as .npy', async () => {
    await nextRun(b.page, () => b.page.setInputFiles('#file-logits', 'test/fixtures/formats/logits-header.csv'));
    const state = await nextRun(b.page, () => b.page.setInputFiles('#file-labels', 'test/fixtures/formats/labels.csv'));
    expect(state.error, b.errors.join('\n')).toBeNull();
    const { batch, numClasses } = npyBatch('formats/logits.npy', 'formats/labels.npy');
    expect(state.numClasses).toBe(numClasses);
    expect(state.matrix).toEqual(await oracle(batch, numClasses));
  });

  it('reads a CSV of predicted classes (header pred) as predictions, not as N x 1 logits', async () => {
    const labels = parseNpy(fixture('formats/labels.npy'), 'labels.npy').data as LabelArray;
    const { batch, numClasses } = npyBatch('formats/logits.npy', 'formats/labels.npy');
    const preds = Array.from(matrixArgmax(batch.logits as Float32Array, numClasses));
    const csv = `pred\n${preds.join('\n')}\n`;
    const state = await nextRun(b.page,
      () =>
        b.page.setInputFiles('#file-logits', { name: 'preds.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) }));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.matrix).toEqual(await oracle({ preds: Int32Array.from(preds), labels }, numClasses));
    await expect(b.page.textContent('#name-logits')).resolves.toContain('predictions');
  });

  it('routes y_pred.npy + y_true.npy dropped together; says so when two files look alike', async () => {
    const files = [{ name: 'y_pred.npy', bytes: fixture('formats/logits.npy') }, { name: 'y_true.npy',
      bytes: fixture('formats/labels.npy') }];
    const state = await nextRun(b.page, () => dropFiles(b.page, 'body', files));
    expect(state.error, b.errors.join('\n')).toBeNull();
    const { batch, numClasses } = npyBatch('formats/logits.npy', 'formats/labels.npy');
    expect(state.matrix).toEqual(await oracle(batch, numClasses));
    const twins = [{ name: 'gt.npy', bytes: fixture('formats/labels.npy') }, { name: 'y.npy',
      bytes: fixture('formats/labels.npy') }];
    const refused = await nextRun(b.page, () => dropFiles(b.page, 'body', twins));
    expect(refused.error).toBe(
      "'gt.npy' and 'y.npy' all look like labels from their names: drop each file on its " +
        'own box (predictions, labels, class names)',
    );
    await expect(b.page.textContent('#name-labels')).resolves.toContain('y_true.npy');
  });

  it('removes a loaded file, and hides the results once they no longer match the inputs', async () => {
    const ten = { name: 'ten-classes.txt',
      bytes: Buffer.from(`${Array.from({ length: 10 }, (_, i) => `c${i}`).join('\n')}\n`) };
    const failed = await nextRun(b.page, () => dropFiles(b.page, '#zone-classes', [ten]));
    expect(failed.error).toMatch(/ten-classes.txt: 10 class names, but the data has 5 classes/);
    await expect(b.page.isHidden('#results')).resolves.toBe(true);
    expect(failed.matrix).toEqual([]);
    await expect(b.page.isVisible('#clear-classes')).resolves.toBe(true);
    const state = await nextRun(b.page, () => b.page.click('#clear-classes'));
    expect(state.error).toBeNull();
    await expect(b.page.textContent('#name-classes')).resolves.toBe('no file');
    await expect(b.page.isVisible('#results')).resolves.toBe(true);
    expect(state.numClasses).toBe(5);
    const cleared = await nextRun(b.page, () => b.page.click('#clear-labels'));
    await expect(b.page.isHidden('#results')).resolves.toBe(true);
    await expect(b.page.isDisabled('#compute')).resolves.toBe(true);
    expect(cleared.matrix).toEqual([]);
    await nextRun(b.page, () => b.page.setInputFiles('#file-labels', 'test/fixtures/formats/labels.npy'));
  });

  it('reads a Parquet file holding labels and predictions (dropped alone), and logits from a list column', async () => {
    const oracleParquet = async () => {
      const { batch, numClasses } = npyBatch('parquet/eval-logits.npy', 'parquet/eval-labels.npy');
      return oracle(batch, numClasses);
    };
    const state = await nextRun(b.page,
      () => dropFiles(b.page, 'body', [{ name: 'eval.parquet', bytes: fixture('parquet/eval-zstd.parquet') }]));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.matrix).toEqual(await oracleParquet());
    await expect(b.page.textContent('#name-labels')).resolves.toContain('eval.parquet: 4,200 labels');
    const bad = await nextRun(b.page,
      () =>
        b.page.setInputFiles('#file-logits', { name: 'x.parquet', mimeType: 'application/octet-stream',
          buffer: Buffer.from('PAR1 not really') }));
    expect(bad.error).toMatch(/^x\.parquet: not a readable Parquet file/);
    await nextRun(b.page, () => b.page.setInputFiles('#file-logits', 'test/fixtures/formats/logits.npy'));
    await nextRun(b.page, () => b.page.setInputFiles('#file-labels', 'test/fixtures/formats/labels.npy'));
  });

  it('refuses a bad label, naming the file, the index and the value', async () => {
    const lines = fixture('formats/labels.csv').toString('utf8').split('\n');
    lines[1 + 17] = '9';
    const state = await nextRun(b.page,
      () =>
        b.page.setInputFiles('#file-labels', { name: 'bad-labels.csv', mimeType: 'text/csv',
          buffer: Buffer.from(lines.join('\n')) }));
    expect(state.error).toMatch(/index 17.*9.*outside \[0, 5\)/);
    await expect(b.page.textContent('#error')).resolves.toBe(state.error);
  });
  it('counts on the CPU by default on a software adapter, and says so; the GPU once, unchecked, on demand', async () => {
    const state0 = await openDemo(b.page, `${server.url}/demo/`);
    expect(state0.backend).toBe('cpu');
    await expect(b.page.textContent('#backend')).resolves.toMatch(/a software adapter .*counting on the CPU/);
    await b.page.fill('#example-rows', '50000');
    const cpu = await nextRun(b.page, () => b.page.click('#example'));
    expect([cpu.backend, cpu.gpuMs, cpu.residentMs]).toEqual(['cpu', null, null]);
    expect(cpu.cpuMs).toBeGreaterThan(0);
    const once = await nextRun(b.page, () => b.page.selectOption('#backend-choice', 'gpu'));
    expect(once.error, b.errors.join('\n')).toBeNull();
    expect([once.backend, once.residentMs, once.cpuMs]).toEqual(['gpu', null, null]);
    expect(once.gpuMs).toBeGreaterThan(0);
    expect(once.matrix).toEqual(await exampleOracle(50000));
    await expect(b.page.textContent('#timing')).resolves.toMatch(/Counted on the GPU once/);
    const checked = await nextRun(b.page, () => b.page.check('#check'));
    expect([checked.backend, checked.equal]).toEqual(['gpu', true]);
    expect(checked.residentMs! > 0 && checked.cpuMs! > 0).toBe(true);
  });
  it("follows the system's dark theme, the heatmap staying a white figure", async () => {
    const colors = () =>
      b.page.evaluate(() => ({ page: getComputedStyle(document.documentElement).backgroundColor,
        ink: getComputedStyle(document.documentElement).color })
      );
    await b.page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colors();
    expect(dark).toEqual({ page: 'rgb(24, 25, 27)', ink: 'rgb(230, 230, 230)' });
    const corner = await b.page.evaluate(() => {
      const c = document.getElementById('cm-canvas') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(1, 1, 1, 1).data);
    });
    expect(corner).toEqual([255, 255, 255, 255]);
    await b.page.screenshot({ path: `${OUT}/demo-dark.png`, fullPage: true });
    await b.page.emulateMedia({ colorScheme: 'light' });
    expect(await colors()).toEqual({ page: 'rgb(255, 255, 255)', ink: 'rgb(17, 17, 17)' });
  });
});

describe('demo page in headless Chromium without WebGPU', () => {
  let b: TestBrowser;
  beforeAll(async () => {
    b = await launchChromium({ webgpu: false });
  });
  afterAll(async () => b?.close());

  it('has no WebGPU adapter, says so, and counts the example on the CPU', async () => {
    const state0 = await openDemo(b.page, `${server.url}/demo/`);
    const adapter = await b.page.evaluate(
      async () => (navigator.gpu ? (await navigator.gpu.requestAdapter()) !== null : false)
    );
    expect(adapter).toBe(false);
    expect(state0.backend).toBe('cpu');
    expect(state0.adapter).toBeNull();
    await expect(b.page.textContent('#backend')).resolves.toMatch(/counting on the CPU/);
    await b.page.fill('#example-rows', String(EXAMPLE_ROWS));
    const state = await nextRun(b.page, () => b.page.click('#example'));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.backend).toBe('cpu');
    expect(state.gpuMs).toBeNull();
    expect(state.residentMs).toBeNull();
    expect(state.matrix).toEqual(await exampleOracle(EXAMPLE_ROWS));
    await expect(b.page.textContent('#timing')).resolves.toMatch(/CPU only/);
    await b.page.screenshot({ path: `${OUT}/demo-cpu.png`, fullPage: true });
  });

  it("fits the heatmap to a phone's width (390 x 844), every cell on screen and a tap still answers", async () => {
    await b.page.setViewportSize({ width: 390, height: 844 });
    await b.page.fill('#example-rows', '20000');
    const state = await nextRun(b.page, () => b.page.click('#example'));
    const fit = await b.page.evaluate(() => ({ page: document.scrollingElement!.scrollWidth, width: innerWidth,
      right: document.getElementById('cm-canvas')!.getBoundingClientRect().right })
    );
    expect(fit.page).toBe(fit.width);
    expect(fit.right).toBeLessThanOrEqual(fit.width);
    const canvas = b.page.locator('#cm-canvas');
    const { cell, mx, my } = await canvas.evaluate((el) => ({ cell: Number(el.dataset.cell), mx: Number(el.dataset.mx),
      my: Number(el.dataset.my) })
    );
    expect(cell).toBeGreaterThanOrEqual(8);
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await b.page.mouse.click(box.x + mx + 9.5 * cell, box.y + my + 0.5 * cell);
    await expect(b.page.textContent('#cm-live')).resolves.toMatch(
      new RegExp(`^True ${state.classes[0]}, predicted ${state.classes[9]}: `),
    );
    await b.page.screenshot({ path: `${OUT}/demo-phone.png`, fullPage: true });
    await b.page.setViewportSize({ width: 1500, height: 1000 });
  });
});
