import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapeText } from '../../src/read/npy.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { launchChromium, type TestBrowser } from './helpers/browser.js';
import { nextRun, openDemo, pageState } from './helpers/page.js';
import { serveStatic, type StaticServer } from './helpers/serve.js';

const C = 10;
const BIG_ROWS = 25_000_000;
const MiB = 1024 * 1024;

/** The label and the predicted class of row `i`: a seeded hash, right about 7 times in 8. */
function rule(i: number, seed: number): [number, number] {
  let h = Math.imul(i ^ seed, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  const label = h % C;
  return [label, (h >>> 8) % 8 === 0 ? (label + 1 + ((h >>> 12) % (C - 1))) % C : label];
}

/** The `.npy` 1.0 preamble and header of a C-order array of `descr` and `shape`, padded to 64 bytes. */
function npyHeader(descr: '<f4' | '<f2' | '<i8', shape: number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  const text = `${dict}${' '.repeat((64 - ((11 + dict.length) % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  out.set(Uint8Array.from(text, (ch) => ch.charCodeAt(0)), 10);
  return out;
}

/**
 * Writes N x C logits (`f4`, or `f2` as float16 bits) and N int64 labels from {@link rule}, a block of rows at a time
 * (never the whole file in memory), and returns the expected C x C counts; `badRow` gets label C (out of range).
 */
function writePair(dir: string, rows: number, dtype: 'f4' | 'f2', seed: number, badRow = -1) {
  const logitsPath = join(dir, `logits-${dtype}-${rows}.npy`);
  const labelsPath = join(dir, `labels-${rows}${badRow >= 0 ? '-bad' : ''}.npy`);
  const [fl, fy] = [openSync(logitsPath, 'w'), openSync(labelsPath, 'w')];
  writeSync(fl, npyHeader(`<${dtype}`, [rows, C]));
  writeSync(fy, npyHeader('<i8', [rows]));
  const counts = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const block = 1 << 20;
  const values = dtype === 'f4' ? new Float32Array(block * C) : new Uint16Array(block * C);
  const [one, half] = dtype === 'f4' ? [1, 0.5] : [0x3c00, 0x3800];
  const labels = new BigInt64Array(block);
  for (let start = 0; start < rows; start += block) {
    const n = Math.min(block, rows - start);
    values.fill(0);
    for (let r = 0; r < n; r++) {
      const [label, pred] = rule(start + r, seed);
      values[r * C + label] = half;
      values[r * C + pred] = one;
      labels[r] = BigInt(start + r === badRow ? C : label);
      counts[label]![pred]!++;
    }
    writeSync(fl, new Uint8Array(values.buffer, 0, n * C * values.BYTES_PER_ELEMENT));
    writeSync(fy, new Uint8Array(labels.buffer, 0, n * 8));
  }
  closeSync(fl);
  closeSync(fy);
  return { logitsPath, labelsPath, counts };
}

/** Resident memory of the processes below this one (the browser's), in bytes, from /proc (Linux). */
function browserRss(): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      rss.set(Number(d), Number(f[21]) * 4096);
    } catch {
      // the process ended meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...rss].reduce((sum, [pid, bytes]) => sum + (below(pid) ? bytes : 0), 0);
}

/** Peak JS heap (CDP) and peak growth of the browser's resident memory while `action` runs, sampled every 100 ms. */
async function peakMemory(cdp: CDPSession, action: () => Promise<unknown>) {
  const heap = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
  };
  const base = browserRss();
  let peak = { heap: await heap(), rssGrowth: 0, samples: 0 };
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = { heap: Math.max(peak.heap, await heap()), rssGrowth: Math.max(peak.rssGrowth, browserRss() - base),
        samples: peak.samples + 1 };
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await action();
  } finally {
    running = false;
    await sampler;
  }
  return peak;
}

/** A browser for the tests of one `describe`, launched before them and closed after. */
function browserFor(webgpu: boolean): () => TestBrowser {
  let b: TestBrowser | undefined;
  beforeAll(async () => {
    b = await launchChromium({ webgpu });
  });
  afterAll(async () => b?.close());
  return () => b!;
}

/** Opens the demo at `url` and chooses `path` as the logits, waiting until the page says it will read it in chunks. */
async function chooseLogits(page: Page, url: string, path: string): Promise<void> {
  await openDemo(page, url);
  await page.setInputFiles('#file-logits', path);
  await page.waitForFunction(() => document.getElementById('name-logits')!.textContent!.includes('in chunks'));
}

const { root, fresh } = tempDirs('confmat-big-');
let server: StaticServer;
beforeAll(async () => {
  server = await serveStatic('dist-web');
});
afterAll(async () => server?.close());

describe('a 1 GB logits .npy on the demo page, read in chunks from File.stream() (CPU backend)', () => {
  const browser = browserFor(false);
  let big: ReturnType<typeof writePair>;
  beforeAll(() => {
    big = writePair(root, BIG_ROWS, 'f4', 1);
  });

  it('counts it with progress shown and bounded memory, equal to the counts computed while writing it', async () => {
    const b = browser();
    await chooseLogits(b.page, `${server.url}/demo/?backend=cpu`, big.logitsPath);
    await expect(b.page.textContent('#name-logits')).resolves.toContain('25,000,000 × 10 logits, read in chunks');
    const cdp = await b.context.newCDPSession(b.page);
    await cdp.send('Performance.enable');
    await b.page.evaluate(() => {
      const [bar, text] = [document.getElementById('stream-bar') as HTMLProgressElement,
        document.getElementById('stream-text')!];
      const seen: string[] = [];
      Object.assign(window, { __seen: seen });
      new MutationObserver(() => {
        if (bar.value > 0 && bar.value < 1 && !document.getElementById('stream')!.hidden) seen.push(text.textContent!);
      }).observe(text, { childList: true, characterData: true, subtree: true });
    });
    let state;
    const peak = await peakMemory(cdp, async () => {
      state = await nextRun(b.page, () => b.page.setInputFiles('#file-labels', big.labelsPath));
    });
    const seen = await b.page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    console.log(
      `1 GB streamed: peak JS heap ${(peak.heap / MiB).toFixed(0)} MiB, peak browser RSS growth ` +
        `${(peak.rssGrowth / MiB).toFixed(0)} MiB, ${peak.samples} samples`,
    );
    state = state ?? (await pageState(b.page));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state.streamed).toBe(true);
    expect(state.backend).toBe('cpu');
    expect(state.total).toBe(BIG_ROWS);
    expect(state.matrix).toEqual(big.counts);
    expect(seen.length).toBeGreaterThan(3);
    for (const t of seen) {
      expect(t).toMatch(/^[\d,]+ of 1,2\d\d MB \(\d+%\), [\d,]+ of 25,000,000 rows, [\d.]+ M rows\/s$/);
    }
    await expect(b.page.isHidden('#stream')).resolves.toBe(true);
    expect(peak.samples).toBeGreaterThan(2);
    expect(peak.heap).toBeLessThan(300 * MiB);
    // Two reused buffers (32 MiB of logits, 27 MiB of labels) and the rest; whole, the file alone would be 1.2 GB.
    expect(peak.rssGrowth).toBeLessThan(200 * MiB);
  });

  it('cancels: stops reading, shows no matrix and says so; computes again afterwards', async () => {
    const b = browser();
    const before = (await pageState(b.page)).runs;
    await b.page.click('#compute');
    await b.page.waitForFunction(() => (document.getElementById('stream-bar') as HTMLProgressElement).value > 0.05);
    await b.page.click('#stream-cancel');
    await b.page.waitForFunction((n) => window.__confmat.runs > n && !window.__confmat.busy, before);
    const state = await pageState(b.page);
    expect(state).toMatchObject({ cancelled: true, error: null, total: 0, matrix: [] });
    await expect(b.page.isHidden('#results')).resolves.toBe(true);
    await expect(b.page.isHidden('#stream')).resolves.toBe(true);
    await expect(b.page.textContent('#progress')).resolves.toMatch(/^Cancelled/);
    const again = await nextRun(b.page, () => b.page.click('#compute'));
    expect(again).toMatchObject({ cancelled: false, error: null, total: BIG_ROWS });
    expect(again.matrix).toEqual(big.counts);
  });
});

describe('the same streaming path on the GPU (SwiftShader), on a smaller float16 file in many chunks', () => {
  const browser = browserFor(true);

  it('counts float16 logits in 64 KiB chunks on the GPU and the CPU, equal to the expected counts', async () => {
    const small = writePair(root, 300_000, 'f2', 2);
    const b = browser();
    await chooseLogits(b.page, `${server.url}/demo/?backend=gpu&check=1&stream-above=0&stream-chunk=65536`,
      small.logitsPath);
    const state = await nextRun(b.page, () => b.page.setInputFiles('#file-labels', small.labelsPath));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state).toMatchObject({ streamed: true, backend: 'gpu', equal: true, total: 300_000 });
    expect(state.cpuMs).not.toBeNull();
    expect(state.matrix).toEqual(small.counts);
  });

  it('names the labels file and the row of a bad label met mid-stream, and shows no matrix', async () => {
    const b = browser();
    const bad = writePair(fresh(), 300_000, 'f2', 2, 123_457);
    const state = await nextRun(b.page, () => b.page.setInputFiles('#file-labels', bad.labelsPath));
    expect(state.error).toBe(`${bad.labelsPath.split('/').pop()}: row 123457: label 10 is outside [0, 10)`);
    expect(state.matrix).toEqual([]);
    await expect(b.page.isHidden('#results')).resolves.toBe(true);
  });
});

describe('rows of a cell from a file read in chunks (CPU backend)', () => {
  const browser = browserFor(false);

  it("reads the file again in chunks and lists the cell's rows, equal to the rows the data was written with", async () => {
    const rows = 300_000;
    const pair = writePair(root, rows, 'f4', 3);
    const b = browser();
    await chooseLogits(b.page, `${server.url}/demo/?backend=cpu&stream-above=0&stream-chunk=65536`, pair.logitsPath);
    const state = await nextRun(b.page, () => b.page.setInputFiles('#file-labels', pair.labelsPath));
    expect(state.error, b.errors.join('\n')).toBeNull();
    expect(state).toMatchObject({ streamed: true, total: rows });
    const want: number[] = [];
    for (let i = 0; i < rows; i++) {
      const [label, pred] = rule(i, 3);
      if (label === 3 && pred === 5) want.push(i);
    }
    expect(want.length).toBeGreaterThan(100);
    await b.page.evaluate(() =>
      document.getElementById('cm-canvas')!.dispatchEvent(
        new CustomEvent('cellselect', { detail: { true: 3, pred: 5 } }),
      )
    );
    await b.page.waitForFunction(() => window.__confmat.cellRows !== null, undefined, { timeout: 60_000 });
    const got = (await pageState(b.page)).cellRows!;
    expect(got.count).toBe(want.length);
    expect(got.rows).toEqual(want.slice(0, got.rows.length));
    expect(got.rows.length).toBe(Math.min(want.length, 1000));
  });
});
