import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfusionMatrix } from '../../src/index.js';
import { makeLabels, makeLogits, rng } from '../helpers/random.js';

/**
 * A logits file larger than the stated memory bounds streams through `confmat eval` in constant
 * memory: peak RSS is measured in the child process, on the CPU and on the GPU (SwiftShader).
 */
export const MEMORY = { rows: 2 ** 26, classes: 10, cpuBoundBytes: 256 * 2 ** 20, gpuBoundBytes: 640 * 2 ** 20 };

const BLOCK = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'confmat-memory-'));
const logitsPath = join(dir, 'big-logits.npy');
const labelsPath = join(dir, 'big-labels.npy');
let expected: number[][];

function npyHeader(descr: string, shape: number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${
    shape.length === 1 ? ',' : ''
  }), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, 'latin1');
  header[total - 1] = 0x0a;
  return header;
}

/** Writes `repeats` copies of one random block: the file is big, the expected matrix is repeats x the block's. */
function writeRepeated(path: string, header: Buffer, block: ArrayBufferView, repeats: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
    for (let i = 0; i < repeats; i++) writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  const { rows, classes } = MEMORY;
  const rand = rng(2026);
  const logits = makeLogits(rand, BLOCK, classes, 'random');
  const labels = makeLabels(rand, BLOCK, classes, Uint8Array);
  writeRepeated(logitsPath, npyHeader('<f4', [rows, classes]), logits, rows / BLOCK);
  writeRepeated(labelsPath, npyHeader('|u1', [rows]), labels, rows / BLOCK);
  const cm = createConfusionMatrix({ numClasses: classes });
  await cm.update({ logits, labels });
  const block = (await cm.compute()).counts;
  expected = Array.from({ length: classes },
    (_, t) => Array.from(block.subarray(t * classes, (t + 1) * classes), (v) => v * (rows / BLOCK)));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memory', () => {
  it.each([['cpu', MEMORY.cpuBoundBytes], ['gpu', MEMORY.gpuBoundBytes]] as const)(
    'a %s run over a 2.7 GB logits file stays under its peak-RSS bound (%i bytes) and counts every row',
    (backend, bound) => {
      const fileBytes = statSync(logitsPath).size;
      expect(fileBytes).toBeGreaterThan(2.5 * 2 ** 30);
      const r = spawnSync(process.execPath, ['--import', './test/helpers/report-rss.mjs', 'dist/cli/main.js', 'eval',
        '--logits', logitsPath, '--labels', labelsPath, '--backend', backend, '--format', 'json'], { encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' }, maxBuffer: 16 * 2 ** 20 });
      expect(r.stderr).not.toMatch(/Error|counting on the CPU/);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.total).toBe(MEMORY.rows);
      expect(out.matrix).toEqual(expected);
      const peak = Number(/confmat-test peak-rss-bytes (\d+)/.exec(r.stderr)?.[1]);
      console.log(
        `${backend}: ${fileBytes} bytes of logits, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (bound ${
          bound / 2 ** 20
        } MiB)`,
      );
      expect(peak).toBeGreaterThan(10 * 2 ** 20);
      expect(peak).toBeLessThan(bound);
    },
    600_000,
  );
});
