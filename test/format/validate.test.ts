import { describe, expect, it } from 'vitest';
import { planGpu } from '../../src/engine/chunk-plan.js';
import { findOutOfRange, formatBatch } from '../../src/format/validate.js';
import { type Batch, createConfusionMatrix, InputError, matrixRows } from '../../src/index.js';

function refused(batch: unknown, numClasses: number): InputError {
  try {
    formatBatch(batch as Batch, numClasses);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('the batch was accepted');
}

describe('validation', () => {
  it('names the index and value of a negative label', () => {
    const e = refused({ logits: new Float32Array(6), labels: new Int8Array([0, -1, 0]) }, 2);
    expect(e.field).toBe('labels');
    expect(e.index).toBe(1);
    expect(e.value).toBe(-1);
    expect(e.message).toBe('index 1: label -1 is outside [0, 2)');
  });

  it.each([['Uint8', new Uint8Array([0, 1, 2, 7])], ['Uint32', new Uint32Array([0, 1, 2, 7])], ['Int32',
    new Int32Array([0, 1, 2, 7])], ['BigUint64', new BigUint64Array([0n, 1n, 2n, 7n])], ['BigInt64',
    new BigInt64Array([0n, 1n, 2n, 7n])]])('finds a label >= C in %s', (_, labels) => {
      expect(findOutOfRange(labels, 3)).toBe(3);
      const e = refused({ preds: new Uint8Array(4), labels }, 3);
      expect(e.index).toBe(3);
      expect(String(e.value)).toBe('7');
    });

  it('refuses a huge BigInt label that would wrap', () => {
    const e = refused({ preds: new Uint8Array(1), labels: new BigUint64Array([2n ** 64n - 1n]) }, 3);
    expect(e.message).toContain('18446744073709551615');
  });

  it('refuses predictions out of range', () => {
    const e = refused({ preds: new Int32Array([0, 5]), labels: new Int32Array([0, 0]) }, 3);
    expect(e.field).toBe('preds');
    expect(e.index).toBe(1);
  });

  it('refuses shape mismatches and wrong types', () => {
    expect(refused({ logits: new Float32Array(5), labels: new Int32Array(2) }, 3).message).toContain(
      'expected N x C = 2 x 3 = 6',
    );
    expect(refused({ logits: new Float64Array(6), labels: new Int32Array(2) }, 3).message).toContain('Float32Array');
    expect(refused({ preds: new Int32Array(3), labels: new Int32Array(2) }, 3).field).toBe('preds');
    expect(refused({ logits: new Float32Array(3), labels: [0] }, 3).message).toContain('integer typed array');
    expect(refused({ logits: new Float32Array(3), labels: new Float32Array(1) }, 3).message).toContain('Float32Array');
    expect(refused({ labels: new Int32Array(1) }, 3).field).toBe('batch');
    expect(refused({ preds: new Int32Array(1), logits: new Float32Array(3), labels: new Int32Array(1) }, 3).field).toBe(
      'batch',
    );
  });

  it.each([0, -1, 1.5, NaN, '3'])('refuses numClasses %s', (c) => {
    expect(() => createConfusionMatrix({ numClasses: c as number })).toThrow(InputError);
  });

  it('counts nothing from a refused batch', async () => {
    const cm = createConfusionMatrix({ numClasses: 2 });
    await cm.update({ preds: new Uint8Array([1]), labels: new Uint8Array([1]) });
    await expect(cm.update({ preds: new Uint8Array([0, 0, 1]), labels: new Uint8Array([0, 0, 2]) })).rejects.toThrow(
      'index 2: label 2',
    );
    expect(matrixRows(await cm.compute())).toEqual([[0, 0], [0, 1]]);
  });
});

describe('GPU plan', () => {
  const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20,
    maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupSizeX: 128,
    maxComputeWorkgroupsPerDimension: 65535 } as GPUSupportedLimits;

  it('sizes chunks (128 MiB on hardware, 32 MiB on emulated adapters) to the binding limit and caps them by the flush threshold', () => {
    const swiftshader = { vendor: 'google', architecture: 'swiftshader', device: '',
      description: 'SwiftShader' } as GPUAdapterInfo;
    expect(planGpu(limits, 10, {}).chunkRows).toBe(3355443);
    expect(planGpu(limits, 10, {}, swiftshader).chunkRows).toBe(838860);
    expect(planGpu(limits, 5000, {}).chunkRows).toBe(6710);
    expect(planGpu(limits, 5000, {}, swiftshader).chunkRows).toBe(1677);
    expect(planGpu({ ...limits, maxStorageBufferBindingSize: 64 * 2 ** 20 } as GPUSupportedLimits, 10, {}).chunkRows)
      .toBe(Math.floor((64 * 2 ** 20) / 40));
    expect(planGpu(limits, 10, { chunkRows: 10 ** 9 }).chunkRows).toBe(Math.floor((128 * 2 ** 20) / 40));
    expect(planGpu(limits, 10, { flushEvery: 5 }).chunkRows).toBe(5);
    expect(planGpu(limits, 10, {}).flushEvery).toBe(2 ** 32 - 1);
  });

  it('respects compatibility limits on invocations', () => {
    expect(planGpu(limits, 10, {}).workgroupSize).toBe(128);
    expect(planGpu(limits, 10, { workgroupSize: 64 }).workgroupSize).toBe(64);
  });

  it('privatizes the histogram on hardware up to C = 32 when C x C fits workgroup storage, and counts per invocation on emulated adapters at C <= 10', () => {
    expect(planGpu(limits, 32, {}).histogram).toBe('private');
    expect(planGpu(limits, 33, {}).histogram).toBe('global');
    expect(planGpu({ ...limits, maxComputeWorkgroupStorageSize: 2048 } as GPUSupportedLimits, 22, {}).histogram).toBe(
      'private',
    );
    expect(planGpu({ ...limits, maxComputeWorkgroupStorageSize: 2048 } as GPUSupportedLimits, 23, {}).histogram).toBe(
      'global',
    );
    expect(planGpu(limits, 64, { histogram: 'private' }).histogram).toBe('private');
    expect(planGpu(limits, 10, {}, { architecture: 'swiftshader' } as GPUAdapterInfo).histogram).toBe('local');
    expect(planGpu(limits, 11, {}, { architecture: 'swiftshader' } as GPUAdapterInfo).histogram).toBe('global');
    expect(
      planGpu(limits, 10, {}, { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' } as GPUAdapterInfo)
        .histogram,
    ).toBe('local');
    expect(planGpu(limits, 10, {}, { vendor: 'nvidia', architecture: 'hopper' } as GPUAdapterInfo).histogram).toBe(
      'private',
    );
    expect(() => planGpu(limits, 11, { histogram: 'local' })).toThrow(/at most 100 cells per invocation/);
    expect(() => planGpu(limits, 65, { histogram: 'private' })).toThrow(InputError);
  });

  it('refuses a class count whose matrix exceeds a binding', () => {
    expect(() => planGpu(limits, 6000, {})).toThrow(/numClasses 6000 is too large/);
  });

  it('refuses non-positive knobs', () => {
    expect(() => planGpu(limits, 10, { chunkRows: 0 })).toThrow(InputError);
    expect(() => planGpu(limits, 10, { flushEvery: 1.5 })).toThrow(InputError);
  });
});
