import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLabelArray } from '../../../src/format/validate.js';
import { confusionMatrix, matrixRows } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { readNpyFile } from '../../../src/read/npy-file.js';
import { checked, requireDevice, TEST_ADAPTERS } from '../../helpers/gpu.js';

const dir = 'test/fixtures/sklearn';
interface Case {
  name: string;
  numClasses: number;
  rows: number;
  logits: string;
  labels: string;
  matrix?: number[][];
  matrixSparse?: [number, number, number][];
  accuracy: number;
}
const cases: Case[] = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) =>
  JSON.parse(readFileSync(join(dir, f), 'utf8')) as Case
);

function expectedRows(c: Case): number[][] {
  if (c.matrix) return c.matrix;
  const rows = Array.from({ length: c.numClasses }, () => new Array<number>(c.numClasses).fill(0));
  for (const [t, p, n] of c.matrixSparse!) rows[t]![p] = n;
  return rows;
}

async function load(c: Case) {
  const logits = await readNpyFile(join(dir, c.logits));
  const labels = await readNpyFile(join(dir, c.labels));
  expect(logits.data).toBeInstanceOf(Float32Array);
  expect(isLabelArray(labels.data)).toBe(true);
  return { logits: logits.data as Float32Array, labels: labels.data as Int32Array };
}

describe('sklearn fixtures on the CPU', () => {
  it('has the committed cases', () => expect(cases.length).toBeGreaterThanOrEqual(10));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const r = await confusionMatrix(await load(c), { numClasses: c.numClasses });
    expect(matrixRows(r)).toEqual(expectedRows(c));
    expect(r.total).toBe(c.rows);
    expect(r.accuracy).toBeCloseTo(c.accuracy, 12);
  });
});

for (const adapter of TEST_ADAPTERS) {
  describe(`sklearn fixtures on ${adapter.name}`, () => {
    let gpu: NodeGpu;
    beforeAll(async () => {
      gpu = await requireDevice(adapter.options);
    });
    afterAll(() => gpu?.destroy());
    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
      const batch = await load(c);
      const r = await checked(gpu.device, () =>
        confusionMatrix(batch, { numClasses: c.numClasses, device: gpu.device, chunkRows: 64 }));
      expect(matrixRows(r)).toEqual(expectedRows(c));
    });
  });
}
