import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The system Chromium (Debian's `chromium` package); never a downloaded one. */
export const CHROMIUM = process.env.CONFMAT_CHROMIUM ?? '/usr/bin/chromium';

const COMMON_FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** WebGPU on SwiftShader, Chromium's CPU Vulkan implementation: works without any GPU. */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** A headless Chromium with a fresh profile, and the page the tests drive. */
export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, for failure messages. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh user-data dir: with WebGPU on SwiftShader, or with
 * WebGPU disabled (`--disable-webgpu`) for the CPU fallback.
 *
 * @example
 * const b = await launchChromium({ webgpu: true });
 * await b.page.goto(url);
 * await b.close();
 */
export async function launchChromium(options: { webgpu: boolean }): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'confmat-chromium-'));
  const args = [...COMMON_FLAGS, ...(options.webgpu ? WEBGPU_FLAGS : ['--disable-webgpu'])];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1500, height: 1000 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
