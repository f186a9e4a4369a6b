import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCellRows, type LabelArray, parseNpy } from '../../../src/index.js';
import type { NodeGpu } from '../../../src/node/index.js';
import { checked, requireDevice } from '../../helpers/gpu.js';

const FIX = 'test/fixtures';
const expected = JSON.parse(readFileSync(`${FIX}/cell-rows/expected.json`, 'utf8')) as {
  cases: { name: string; numClasses: number; cells: [number, number, number[]][] }[];
};
const npy = (file: string) => parseNpy(new Uint8Array(readFileSync(`${FIX}/sklearn/${file}`)), file).data;

/** Every off-diagonal cell's rows of a sklearn fixture, in two batches and small chunks, as [true, pred, rows]. */
async function offDiagonal(name: string, c: number, device?: GPUDevice): Promise<[number, number, number[]][]> {
  const [logits, labels] = [npy(`${name}.logits.npy`) as Float32Array, npy(`${name}.labels.npy`) as LabelArray];
  const half = Math.floor(labels.length / 2);
  const cr = createCellRows({ numClasses: c, cells: Array.from({ length: c }, (_, t) => ({ true: t })), limit: Infinity,
    device, chunkRows: 64 });
  try {
    await cr.update({ logits: logits.subarray(0, half * c), labels: labels.subarray(0, half) });
    await cr.update({ logits: logits.subarray(half * c), labels: labels.subarray(half) });
    const r = await cr.compute();
    return r.cells.filter((x) => x.count > 0).map((x) => [x.true, x.pred, x.rows.map((y) => y.row)]);
  } finally {
    cr.destroy();
  }
}

describe('cell rows equal numpy: np.where((y == t) & (argmax == p)) on the sklearn fixtures', () => {
  let gpu: NodeGpu;
  beforeAll(async () => {
    gpu = await requireDevice({ backend: 'vulkan', featureLevel: 'core' });
  });
  afterAll(() => gpu?.destroy());

  it.each(expected.cases.map((x) => [x.name, x] as const))('%s, on the CPU and the GPU', async (_, x) => {
    expect(x.cells.length).toBeGreaterThan(0);
    expect(await offDiagonal(x.name, x.numClasses)).toEqual(x.cells);
    expect(await checked(gpu.device, () => offDiagonal(x.name, x.numClasses, gpu.device))).toEqual(x.cells);
  });
});
