#!/usr/bin/env node
/**
 * Software GPU adapters from the npm registry alone, for the tests on a bare machine (no Vulkan,
 * Mesa or Chromium system packages): the pinned devDependency `@sparticuz/chromium` ships
 * SwiftShader with its own Vulkan loader (`bin/swiftshader.tar.br`) and a headless Chromium
 * (`bin/chromium.br` with the libraries of `bin/al2023.tar.br`). Each archive is checked against
 * its SHA-256 below before it is unpacked into `node_modules/.cache/confmat/<name>-<sha>/`, once,
 * through a temporary folder renamed into place.
 *
 * `node scripts/software-adapters.mjs --env` prints the shell lines that point a process started
 * afterwards at SwiftShader (LD_LIBRARY_PATH is read at process start):
 *   eval "$(node scripts/software-adapters.mjs --env)" && node dist/cli/main.js demo --backend gpu
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync,
  writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'node_modules', '@sparticuz', 'chromium', 'bin');
const cacheDir = join(root, 'node_modules', '.cache', 'confmat');

/** SHA-256 of the archives in @sparticuz/chromium 153.0.0 (package.json pins that version). */
const ARCHIVES = { swiftshader: 'b680e40a33235ecc6ad4c6897a168b70ce5164f0d62d2a64d675320d51614631',
  chromium: '38e1e1649db20fa4ea644bf5987688ce81a4c9eb10e7eae8380b74fc0d699fea',
  al2023: 'a166168dd3e3e9d8743689fff543c5cadb3025c1816c6a154c90dc68a59edd0a',
  fonts: 'c1307fe5cd607092f0426742b4ab93755eec9a9b7752e47c56408c2bcf3e515b' };

/** The Vulkan files taken from swiftshader.tar.br (its ANGLE libEGL/libGLESv2 are left out). */
const VULKAN_FILES = ['libvulkan.so.1', 'libvk_swiftshader.so', 'vk_swiftshader_icd.json'];

function archive(name, file) {
  const path = join(pkgDir, file);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: run npm ci (the devDependency @sparticuz/chromium provides the test adapters)`,
    );
  }
  const bytes = readFileSync(path);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== ARCHIVES[name]) {
    throw new Error(`${path}: SHA-256 ${sha}, expected ${ARCHIVES[name]}: not the pinned @sparticuz/chromium 153.0.0`);
  }
  return brotliDecompressSync(bytes);
}

/** The regular files of a ustar archive, as [name, bytes, mode]. */
function* untar(tar) {
  for (let o = 0; o + 512 <= tar.length;) {
    const field = (at, len) => tar.subarray(o + at, o + at + len).toString('latin1').replace(/\0.*$/s, '');
    const name = field(0, 100);
    if (!name) return;
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const mode = parseInt(field(100, 8).trim() || '644', 8);
    const type = field(156, 1) || '0';
    const prefix = field(257, 6).startsWith('ustar') ? field(345, 155) : '';
    if (type === '0') yield [prefix ? `${prefix}/${name}` : name, tar.subarray(o + 512, o + 512 + size), mode];
    o += 512 + Math.ceil(size / 512) * 512;
  }
}

/** Unpacks once into the cache; `fill(tmpDir)` writes the files. Returns the final folder. */
function cached(name, fill, folder = name) {
  const dir = join(cacheDir, `${folder}-${ARCHIVES[name].slice(0, 16)}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    fill(tmp);
    writeFileSync(join(tmp, '.complete'), `${ARCHIVES[name]}\n`);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(join(dir, '.complete'))) throw e; // another process won the race
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * SwiftShader's Vulkan driver and loader, unpacked and verified.
 * @returns {{ dir: string, icd: string }}
 */
export function swiftShader() {
  const dir = cached('swiftshader', (tmp) => {
    const files = new Map([...untar(archive('swiftshader', 'swiftshader.tar.br'))].map(([n, b, m]) => [n, [b, m]]));
    for (const f of VULKAN_FILES) {
      const entry = files.get(f);
      if (!entry) throw new Error(`swiftshader.tar.br has no ${f}`);
      writeFileSync(join(tmp, f), entry[0], { mode: entry[1] | 0o444 });
    }
  });
  return { dir, icd: join(dir, 'vk_swiftshader_icd.json') };
}

/**
 * The environment that points a process started afterwards at SwiftShader (and no other Vulkan
 * driver): the loader and the driver from the cache, its manifest as the only ICD.
 */
export function swiftShaderEnv(env = process.env) {
  const { dir, icd } = swiftShader();
  return { LD_LIBRARY_PATH: [dir, env.LD_LIBRARY_PATH].filter(Boolean).join(':'), VK_ICD_FILENAMES: icd,
    VK_DRIVER_FILES: icd };
}

/**
 * Headless Chromium 153 from the same package, with the shared libraries it needs (start it with
 * `libDir` in LD_LIBRARY_PATH) and SwiftShader beside it for WebGPU.
 * @returns {{ executablePath: string, libDir: string }}
 */
export function chromium() {
  const libs = cached('al2023', (tmp) => {
    for (const [name, bytes, mode] of untar(archive('al2023', 'al2023.tar.br'))) {
      const path = join(tmp, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes, { mode: mode | 0o444 });
    }
  });
  const vulkan = swiftShader().dir;
  // Chromium loads SwiftShader's Vulkan driver from its own folder (--use-webgpu-adapter=swiftshader)
  const dir = cached('chromium', (tmp) => {
    writeFileSync(join(tmp, 'chromium'), archive('chromium', 'chromium.br'));
    chmodSync(join(tmp, 'chromium'), 0o755);
    for (const f of VULKAN_FILES) copyFileSync(join(vulkan, f), join(tmp, f));
  }, 'chromium-swiftshader');
  return { executablePath: join(dir, 'chromium'), libDir: join(libs, 'lib'), fontconfigFile: fontconfig() };
}

/**
 * A fontconfig file naming the fonts of the same package (Open Sans), for a machine with no fonts of its own:
 * without one, Chromium's GPU process aborts (Skia's FontConfigInterface) when it draws form controls' text.
 * @returns {string} the file, for FONTCONFIG_FILE
 */
function fontconfig() {
  const dir = cached('fonts', (tmp) => {
    for (const [name, bytes, mode] of untar(archive('fonts', 'fonts.tar.br'))) {
      if (!name.startsWith('fonts/')) continue;
      const path = join(tmp, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes, { mode: mode | 0o444 });
    }
  });
  const file = join(dir, 'fonts.conf');
  if (!existsSync(file)) {
    writeFileSync(file,
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'cache')}</cachedir>\n</fontconfig>\n`);
  }
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--env')) {
    for (const [k, v] of Object.entries(swiftShaderEnv())) process.stdout.write(`export ${k}='${v}'\n`);
  } else if (process.argv.includes('--chromium')) {
    process.stdout.write(`${JSON.stringify(chromium())}\n`);
  } else {
    process.stdout.write('usage: node scripts/software-adapters.mjs --env | --chromium\n');
    process.exitCode = 2;
  }
}
