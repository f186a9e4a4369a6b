import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusionMatrix } from '../../src/tasks/multiclass/matrix.js';
import { matrixRows } from '../../src/tasks/multiclass/reduce.js';
import { DIGITS, parseDigits } from '../../web/model-digits.js';
import type { ModelPageState } from '../../web/model.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

// The model page (web/model.html): onnxruntime-web's WebGPU execution provider on SwiftShader runs the digits MLP,
// confmat counts its 'gpu-buffer' logits in place on ort's device; the test counts the logits the page read back.
const digits = parseDigits(new Uint8Array(readFileSync('web/model-data/digits.u8')));
const sklearn = JSON.parse(readFileSync('web/model-data/digits.json', 'utf8')) as { numClasses: number; rows: number;
  sklearnCounts: number[] };
const C = sklearn.numClasses;
const OUT = 'test/e2e/out';
const PHASES = ['load model', 'warm-up', 'make inputs', 'upload inputs', 'inference', 'count (in place)', 'read back'];

/** Opens the page with `query` (which runs it) and waits for the run to end. */
async function runPage(page: Page, url: string): Promise<ModelPageState> {
  await page.goto(url);
  await page.waitForFunction(() => window.__confmatModel?.runs > 0 && !window.__confmatModel.busy, undefined, {
    timeout: 200_000,
  });
  return JSON.parse(await page.evaluate(() => JSON.stringify(window.__confmatModel))) as ModelPageState;
}

/** The CPU oracle in Node: the logits the page read back, against the labels of rows 0 .. rows - 1. */
async function oracle(logitsB64: string, rows: number): Promise<number[][]> {
  const bytes = Buffer.from(logitsB64, 'base64');
  const logits = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  expect(logits.length).toBe(rows * C);
  const labels = Int32Array.from({ length: rows }, (_, i) => digits.labels[i % DIGITS]!);
  return matrixRows(await confusionMatrix({ logits, labels }, { numClasses: C }));
}

const sklearnRows = (): number[][] =>
  Array.from({ length: C }, (_, i) => sklearn.sklearnCounts.slice(i * C, (i + 1) * C));

let server: StaticServer;
let b: TestBrowser;
beforeAll(async () => {
  [server, b] = await Promise.all([serveStatic('dist-web'), launchChromium({ webgpu: true })]);
});
afterAll(async () => {
  await Promise.all([b?.close(), server?.close()]);
});

describe('model page in headless Chromium: onnxruntime-web on WebGPU (SwiftShader), logits counted in place', () => {
  it("counts the digits model's logits on ort's device as sklearn and the CPU oracle do, with a phase table",
    async () => {
      const state = await runPage(b.page, `${server.url}/model/model.html?rows=1797&check=1&run=1`);
      expect(state.error, b.errors.join('\n')).toBeNull();
      expect(state.adapter).toMatch(/swiftshader/i);
      expect(state.software).toBe(true);
      await expect(b.page.textContent('#backend')).resolves.toContain('software adapter');

      expect(state.rows).toBe(sklearn.rows);
      expect(state.matrix).toEqual(sklearnRows());
      expect(state.matrix).toEqual(await oracle(state.logits!, state.rows));
      expect([state.oracle, state.equal]).toEqual([state.matrix, true]);

      expect(state.inPlace).toBe(true);
      expect(state.logitsBytes).toBe(sklearn.rows * C * 4);
      expect(state.countUploadBytes).toBeGreaterThan(0);
      expect(state.countUploadBytes).toBeLessThan(state.logitsBytes);
      await expect(b.page.getAttribute('#results', 'data-in-place')).resolves.toBe('true');

      const shown = await b.page.$$eval('#phase-table tbody tr',
        (trs) =>
          trs.map((tr) =>
            [tr.querySelector('th')!.textContent!, Number(tr.querySelector('td')!.textContent)] as const
          ));
      for (const name of PHASES) {
        const row = shown.find(([n]) => n.startsWith(name));
        expect(row, `${name} in ${JSON.stringify(shown)}`).toBeDefined();
        expect(row![1]).toBeGreaterThanOrEqual(0);
      }
      expect(state.phases.map((p) => p.name)).toEqual(shown.slice(0, -1).map(([n]) => n.replace(' (once)', '')));
      await expect(b.page.locator('#report table').count()).resolves.toBe(1);
      expect(await b.page.$eval('#cm-canvas', (c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(100);
      mkdirSync(OUT, { recursive: true });
      await b.page.screenshot({ path: `${OUT}/model-gpu.png`, fullPage: true });
      if (process.env.CONFMAT_UPDATE_DOCS) copyFileSync(`${OUT}/model-gpu.png`, 'docs/model.png');
    });

  it('counts a noisy set over several batches (the last one short) as the CPU oracle does', async () => {
    const rows = 5000;
    const state = await runPage(b.page, `${server.url}/model/model.html?rows=${rows}&batch=2048&check=1&run=1`);
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.matrix.flat().reduce((s, v) => s + v, 0)).toBe(rows);
    expect(state.matrix).toEqual(await oracle(state.logits!, rows));
    expect(state.equal).toBe(true);
    expect(state.inPlace).toBe(true);
    const first = state.matrix.map((row, i) => row.map((v, j) => v - sklearnRows()[i]![j]!));
    expect(first.flat().every((v) => v >= 0)).toBe(true);
  });
});

describe('model page without WebGPU', () => {
  it('says it needs a WebGPU adapter, shows no results and loads no onnxruntime', async () => {
    const nogpu = await launchChromium({ webgpu: false });
    try {
      const wasm: string[] = [];
      nogpu.page.on('request', (r) => {
        if (/\.wasm$|ort\.webgpu/.test(r.url())) wasm.push(r.url());
      });
      const state = await runPage(nogpu.page, `${server.url}/model/model.html?run=1`);
      expect(state.error).toMatch(/needs a WebGPU adapter: none answered/);
      await expect(nogpu.page.textContent('#error')).resolves.toMatch(/needs a WebGPU adapter: none answered/);
      await expect(nogpu.page.isHidden('#results')).resolves.toBe(true);
      expect(wasm).toEqual([]);
    } finally {
      await nogpu.close();
    }
  });
});
