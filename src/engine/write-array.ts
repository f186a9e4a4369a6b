/**
 * Host arrays into GPU buffers. Dawn's Node bindings (webgpu 0.6.2) crash the process on a
 * typed array over a SharedArrayBuffer in `writeBuffer`, though the spec allows one; such arrays
 * go through plain copies of at most 4 MiB.
 *
 * @module
 */

type Uploadable = Float32Array | Float64Array | Uint32Array | Int32Array | Uint16Array | Int16Array | Uint8Array
  | Int8Array;

/** Bytes copied per write for arrays over a SharedArrayBuffer. */
const SHARED_COPY_BYTES = 1 << 22;

/**
 * `queue.writeBuffer(target, targetOffset, a, start, count)` (offsets and counts in elements of
 * `a`, `targetOffset` in bytes), safe for arrays over a SharedArrayBuffer. Writes are whole 4-byte
 * words: an odd count of 16-bit items ends with the last one and a zero.
 */
export function writeArray(queue: GPUQueue, target: GPUBuffer, targetOffset: number, a: Uploadable, start = 0,
  count = a.length - start): void {
  if (a.BYTES_PER_ELEMENT === 2 && count % 2 === 1) {
    count--;
    queue.writeBuffer(target, targetOffset + count * 2, Uint16Array.of(a[start + count]!, 0));
  }
  if (!(typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer)) {
    queue.writeBuffer(target, targetOffset, a as unknown as GPUAllowSharedBufferSource, start, count);
    return;
  }
  const per = SHARED_COPY_BYTES / a.BYTES_PER_ELEMENT;
  for (let i = 0; i < count; i += per) {
    const k = Math.min(per, count - i);
    queue.writeBuffer(target, targetOffset + i * a.BYTES_PER_ELEMENT,
      a.slice(start + i, start + i + k) as unknown as GPUAllowSharedBufferSource);
  }
}
