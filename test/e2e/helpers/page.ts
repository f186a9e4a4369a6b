import type { Page } from 'playwright-core';
import type { PageState } from '../../../web/main.js';

/**
 * The demo page's `window.__confmat` (as one JSON string: Playwright's per-value serialization
 * of a 1000 x 1000 matrix takes seconds).
 *
 * @example
 * expect((await pageState(page)).backend).toBe('gpu');
 */
export async function pageState(page: Page): Promise<PageState> {
  return JSON.parse(await page.evaluate(() => JSON.stringify(window.__confmat))) as PageState;
}

/**
 * Opens the demo and waits until its WebGPU probe has finished.
 *
 * @example
 * await openDemo(page, `${server.url}/demo/`);
 */
export async function openDemo(page: Page, url: string): Promise<PageState> {
  await page.goto(url);
  await page.waitForFunction(() => window.__confmat?.ready === true);
  return pageState(page);
}

/**
 * Runs `action`, then waits until the page has finished one more computation (or failed it).
 *
 * @example
 * const state = await nextRun(page, () => page.click('#example'));
 */
export async function nextRun(page: Page, action: () => Promise<unknown>): Promise<PageState> {
  const before = (await pageState(page)).runs;
  await action();
  await page.waitForFunction((n) => window.__confmat.runs > n && !window.__confmat.busy, before, { timeout: 180_000 });
  return pageState(page);
}

/**
 * Drops files on `selector` as a user dragging them from the desktop would (a `drop` event
 * carrying a DataTransfer of File objects).
 *
 * @example
 * await dropFiles(page, 'body', [{ name: 'logits.npy', bytes: readFileSync('logits.npy') }]);
 */
export async function dropFiles(page: Page, selector: string,
  files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (ch) => ch.charCodeAt(0))], f.name));
    return dt;
  }, payload);
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}
