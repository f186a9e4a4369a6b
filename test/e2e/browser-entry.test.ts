import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as browser from '../../src/browser/index.js';
import * as main from '../../src/index.js';

/** Runtime import specifiers of a TypeScript file (type-only imports and exports are erased). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gm)) if (!m[2]) out.push(m[3]!);
  for (const m of code.matchAll(/^\s*import\s+'([^']+)'/gm)) out.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Every module the file pulls in at run time, transitively: local files and package specifiers. */
function moduleGraph(entry: string): { files: string[]; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.set(spec, relative('.', file));
    }
  };
  visit(entry);
  return { files: [...files], external };
}

describe('browser entry src/browser/index.ts', () => {
  it('pulls in no Node built-in and no package but fflate (pure JS, a dependency), through any module it imports', () => {
    expect(importsOf('test/e2e/browser-entry.test.ts')).toContain('node:module');
    const { files, external } = moduleGraph('src/browser/index.ts');
    expect(files).toContain('src/engine/shaders.generated.ts');
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const browserSafe = new Set(['fflate']);
    expect([...browserSafe].every((p) => p in JSON.parse(readFileSync('package.json', 'utf8')).dependencies)).toBe(
      true,
    );
    const offending = [...external].filter(([spec]) =>
      builtins.has(spec) || spec.startsWith('node:') || (!spec.startsWith('.') && !browserSafe.has(spec))
    );
    expect(offending.map(([spec, file]) => `${file} imports ${spec}`)).toEqual([]);
  });

  it('exports every runtime export of src/index.ts (the isomorphic API) plus requestBrowserDevice', () => {
    const missing = Object.keys(main).filter((k) => !(k in browser));
    expect(missing).toEqual([]);
    for (const k of Object.keys(main)) {
      if (k in browser) expect((browser as Record<string, unknown>)[k], k).toBe((main as Record<string, unknown>)[k]);
    }
    expect(typeof browser.requestBrowserDevice).toBe('function');
  });
});

describe('requestBrowserDevice', () => {
  const fakeAdapter = (level: string): GPUAdapter =>
    ({ info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
      limits: { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 31, maxComputeWorkgroupStorageSize: 32768,
        maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024,
        maxComputeWorkgroupsPerDimension: 65535 },
      requestDevice: async (d: GPUDeviceDescriptor) => ({ label: level, limits: d.requiredLimits, destroy: () =>
        undefined }) }) as unknown as GPUAdapter;

  it('asks for the adapter maxima, and falls back to the compatibility feature level', async () => {
    const asked: (string | undefined)[] = [];
    const gpu = { requestAdapter: async (o?: GPURequestAdapterOptions) => {
      asked.push(o?.featureLevel);
      return o?.featureLevel === 'compatibility' ? fakeAdapter('compat') : null;
    } } as unknown as GPU;
    const got = await browser.requestBrowserDevice({ gpu });
    expect(asked).toEqual(['core', 'compatibility']);
    expect(got?.info.featureLevel).toBe('compatibility');
    expect(got?.info.software).toBe(true);
    expect(got?.device.limits).toMatchObject({ maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 31,
      maxComputeWorkgroupStorageSize: 32768 });
    expect(browser.browserAdapterLabel(got!.info)).toBe('google swiftshader (compatibility, software)');
  });

  it('resolves to null without navigator.gpu or without an adapter', async () => {
    expect(await browser.requestBrowserDevice()).toBeNull();
    const none = { requestAdapter: async () => null } as unknown as GPU;
    expect(await browser.requestBrowserDevice({ gpu: none })).toBeNull();
  });
});
