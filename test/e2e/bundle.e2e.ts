import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxWgsl } from '../../src/engine/wgsl/argmax.generated.js';
import { cellRowsWgsl } from '../../src/engine/wgsl/cell-rows.generated.js';
import { compareWgsl } from '../../src/engine/wgsl/compare.generated.js';
import { histogramWgsl } from '../../src/engine/wgsl/histogram.generated.js';
import { multilabelWgsl } from '../../src/engine/wgsl/multilabel.generated.js';
import { perClassWgsl } from '../../src/engine/wgsl/per-class.generated.js';
import { thresholdSweepWgsl } from '../../src/engine/wgsl/threshold-sweep.generated.js';
import { confusionMatrix } from '../../src/tasks/multiclass/matrix.js';
import { matrixRows } from '../../src/tasks/multiclass/reduce.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

const BUNDLE = 'dist-web/confmat.js';

/** Every module specifier the bundle imports or exports from, static or dynamic. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g)) out.push(m[2]!);
  for (const m of code.matchAll(/\bimport\s*(['"])([^'"]+)\1/g)) out.push(m[2]!);
  for (const m of code.matchAll(/\bimport\s*\(\s*(['"`])([^'"`]+)\1/g)) out.push(m[2]!);
  for (const m of code.matchAll(/\brequire\s*\(\s*(['"`])([^'"`]+)\1/g)) out.push(m[2]!);
  return out;
}

describe('browser bundle dist-web/confmat.js', () => {
  const code = readFileSync(BUNDLE, 'utf8');

  it('is one self-contained ES module: no node: imports, no Node built-ins, no imports at all', () => {
    expect(specifiers('import { a } from "node:fs"; export { b } from "./x.js"; import("webgpu")')).toEqual(['node:fs',
      './x.js', 'webgpu']);
    expect(specifiers('var a=1;import{x as y}from"fs";import"node:os";')).toEqual(['fs', 'node:os']);
    expect(specifiers(code)).toEqual([]);
    expect(code).not.toMatch(/["'`]node:/);
    expect(code).not.toMatch(/\bprocess\.(env|platform)|\bBuffer\.|__vite-browser-external/);
    const raw = statSync(BUNDLE).size;
    console.log(`${BUNDLE}: ${(raw / 1024).toFixed(1)} KiB raw, ${(gzipSync(code).length / 1024).toFixed(1)} KiB gzip`);
  });

  it('carries both WGSL shaders, every line of them', () => {
    for (const wgsl of [argmaxWgsl, histogramWgsl]) {
      const lines = wgsl.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('//'));
      expect(lines.length).toBeGreaterThan(10);
      expect(lines.filter((l) => !code.includes(l))).toEqual([]);
    }
  });
});

describe('the demo page bundle', () => {
  it("carries the matrix's shaders only; the downloads, the SVG writer and other tasks load on demand", () => {
    const dir = 'dist-web/demo/assets';
    const chunks = readdirSync(dir).filter((f) => f.endsWith('.js'));
    const entry = readFileSync(`${dir}/${chunks.find((f) => f.startsWith('index-'))!}`, 'utf8');
    const entries = (wgsl: string): string[] => [...wgsl.matchAll(/@compute[^;{]*?(fn \w+\()/g)].map((m) => m[1]!);
    for (const wgsl of [argmaxWgsl, histogramWgsl]) for (const fn of entries(wgsl)) expect(entry).toContain(fn);
    for (const wgsl of [cellRowsWgsl, compareWgsl, multilabelWgsl, perClassWgsl, thresholdSweepWgsl]) {
      expect(entries(wgsl).length).toBeGreaterThan(0);
      for (const fn of entries(wgsl)) expect(entry, fn).not.toContain(fn);
    }
    const lazy = chunks.filter((f) => !f.startsWith('index-')).map((f) => readFileSync(`${dir}/${f}`, 'utf8'));
    expect(lazy.some((code) => code.includes('<svg xmlns='))).toBe(true);
    expect(entry).not.toContain('<svg xmlns=');
    console.log(
      `demo entry chunk: ${(entry.length / 1024).toFixed(1)} KiB raw, ${
        (gzipSync(entry).length / 1024).toFixed(1)
      } KiB gzip`,
    );
  });
});

describe('the bundle in a page: requestBrowserDevice + confusionMatrix on SwiftShader', () => {
  let server: StaticServer;
  let b: TestBrowser;
  beforeAll(async () => {
    server = await serveStatic('dist-web');
    b = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  it('counts on the GPU what the CPU oracle counts: ties, NaN, infinities, C = 7 and C = 300', async () => {
    await b.page.goto(`${server.url}/demo/`);
    await b.page.addScriptTag({ type: 'module',
      content: `import * as m from '${server.url}/confmat.js'; window.confmat = m;` });
    await b.page.waitForFunction(() => 'confmat' in window);
    for (const [rows, c, style] of [[5000, 7, 'ties'], [3000, 300, 'special']] as const) {
      const r = rng(c);
      const logits = makeLogits(r, rows, c, style);
      const labels = makeLabels(r, rows, c);
      const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
      const got = await b.page.evaluate(async ({ logits, labels, c }) => {
        const bytes = (s: string): ArrayBuffer => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0)).buffer;
        const m = (window as unknown as { confmat: typeof import('../../src/browser/index.js') }).confmat;
        const gpu = await m.requestBrowserDevice();
        if (!gpu) return { error: 'no adapter' };
        const result = await m.confusionMatrix({ logits: new Float32Array(bytes(logits)),
          labels: new Int32Array(bytes(labels)) }, { numClasses: c, device: gpu.device });
        gpu.destroy();
        return { label: m.browserAdapterLabel(gpu.info), software: gpu.info.software,
          limit: gpu.device.limits.maxStorageBufferBindingSize, rows: m.matrixRows(result) };
      }, { logits: b64(logits), labels: b64(labels), c });
      expect(got.error).toBeUndefined();
      expect(got.label).toMatch(/swiftshader.*core.*software/i);
      expect(got.software).toBe(true);
      expect(got.limit).toBeGreaterThan(128 * 1024 * 1024);
      expect(got.rows).toEqual(matrixRows(await confusionMatrix({ logits, labels }, { numClasses: c })));
    }
  });
});
