import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
// @ts-expect-error plain ES module without types
import { chromium as npmChromium } from '../../../scripts/software-adapters.mjs';

/**
 * The browser: CONFMAT_CHROMIUM when set (e.g. /usr/bin/chromium, Debian's), else headless
 * Chromium 153 from the pinned devDependency @sparticuz/chromium, checksum-verified and unpacked
 * by scripts/software-adapters.mjs with SwiftShader beside it: no system package needed.
 */
function browserBinary(): { executablePath: string; env: Record<string, string> } {
  if (process.env.CONFMAT_CHROMIUM) return { executablePath: process.env.CONFMAT_CHROMIUM, env: {} };
  const { executablePath, libDir, fontconfigFile } =
    (npmChromium as () => { executablePath: string; libDir: string; fontconfigFile: string })();
  // The package's fonts where the machine has none (a bare CI machine): Chromium's GPU process aborts without fonts.
  const fonts: Record<string, string> = {};
  if (!existsSync('/etc/fonts/fonts.conf') && !process.env.FONTCONFIG_FILE) fonts.FONTCONFIG_FILE = fontconfigFile;
  return { executablePath,
    env: { LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), ...fonts } };
}

const COMMON_FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
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
  const b = await launchOnce(options);
  try {
    await b.page.goto('about:blank');
    return b;
  } catch (e) {
    // A browser that dies before its first page (seen once in CI: "Target page, context or browser has been closed"
    // at the first goto, the same run's other browsers fine) is the harness's failure, not the page's: one retry, said.
    console.warn(`chromium closed at start-up (${(e as Error).message.split('\n')[0]}); launching it again`);
    await b.close().catch(() => undefined);
    return launchOnce(options);
  }
}

async function launchOnce(options: { webgpu: boolean }): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'confmat-chromium-'));
  const args = [...COMMON_FLAGS, ...(options.webgpu ? WEBGPU_FLAGS : ['--disable-webgpu'])];
  const { executablePath, env } = browserBinary();
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath,
    env: { ...(process.env as Record<string, string>), ...env }, headless: true, args,
    viewport: { width: 1500, height: 1000 }, acceptDownloads: true });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors, close: async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  } };
}
