import { GpuUnavailableError } from '../core/errors.js';

/**
 * Runs `op` inside validation and out-of-memory error scopes: a GPU error throws
 * {@link GpuUnavailableError} naming the phase and the kind ("(validation)" or "(out-of-memory)",
 * which device-loss recovery reads), never a wrong count. `onError` runs first (e.g. to free buffers).
 */
export async function gpuScoped<T>(device: GPUDevice, what: string, op: () => Promise<T>,
  onError?: () => void): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let result: T | undefined;
  let failure: unknown;
  try {
    result = await op();
  } catch (e) {
    failure = e;
  }
  const [oom, validation] = [await device.popErrorScope(), await device.popErrorScope()];
  if (validation || oom) {
    onError?.();
    const kind = validation ? 'validation' : 'out-of-memory';
    throw new GpuUnavailableError(
      `the GPU failed during ${what} (${kind}): ${
        [validation, oom].filter((e) => e).map((e) => e!.message).join('; ')
      }`,
      { cause: failure },
    );
  }
  if (failure !== undefined) throw failure;
  return result as T;
}

/**
 * A typed array as writeBuffer's source type; for arrays a caller hands in (which may be over a SharedArrayBuffer) use
 * writeArray (src/engine/write-array.ts).
 */
export const bufferSource = (a: ArrayBufferView): GPUAllowSharedBufferSource =>
  a as unknown as GPUAllowSharedBufferSource;
