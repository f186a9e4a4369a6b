/**
 * Exact-size reads from a `ReadableStream` of bytes (a `File.stream()`) into one buffer the reader owns and fills
 * again and again. A byte stream (Chromium's `Blob.stream()`) is read with a BYOB reader straight into that buffer,
 * so reading a file allocates nothing per chunk: with a default reader, each chunk is a fresh array that lingers
 * until the garbage collector runs (in Chromium, 1 GB read that way grew the renderer by 170-360 MB; BYOB by 10).
 * Other streams are read with a default reader, their chunks copied into the buffer.
 *
 * @module
 */

/** Reads bytes from a stream into a buffer of its own. */
export interface ByteReader {
  /**
   * The next `n` bytes (at most the capacity), fewer only at the stream's end: a view of the reader's buffer, valid
   * until the next `read()`.
   */
  read(n: number): Promise<Uint8Array>;
  /** Stops the stream (the file is read no further). */
  cancel(): Promise<void>;
}

function byobReader(reader: ReadableStreamBYOBReader, capacity: number): ByteReader {
  let buffer: ArrayBuffer = new ArrayBuffer(capacity);
  let done = false;
  return { async read(n) {
    let filled = 0;
    while (filled < n && !done) {
      const next = await reader.read(new Uint8Array(buffer, filled, n - filled));
      if (next.value) buffer = next.value.buffer as ArrayBuffer;
      else buffer = new ArrayBuffer(capacity);
      if (next.done) done = true;
      else filled += next.value.length;
    }
    return new Uint8Array(buffer, 0, filled);
  }, async cancel() {
    done = true;
    await reader.cancel().catch(() => undefined);
  } };
}

function copyingReader(reader: ReadableStreamDefaultReader<Uint8Array>, capacity: number): ByteReader {
  const buffer = new Uint8Array(capacity);
  let rest: Uint8Array = new Uint8Array(0);
  let done = false;
  return { async read(n) {
    let filled = 0;
    while (filled < n) {
      if (rest.length === 0) {
        if (done) break;
        const next = await reader.read();
        if (next.done) {
          done = true;
          break;
        }
        rest = next.value;
      }
      const take = Math.min(rest.length, n - filled);
      buffer.set(rest.subarray(0, take), filled);
      rest = rest.subarray(take);
      filled += take;
    }
    return buffer.subarray(0, filled);
  }, async cancel() {
    done = true;
    rest = new Uint8Array(0);
    await reader.cancel().catch(() => undefined);
  } };
}

/**
 * A {@link ByteReader} over `stream` with a buffer of `capacity` bytes: BYOB where the stream is a byte stream.
 *
 * @example
 * const r = byteReader(file.slice(offset).stream(), 1 << 20);
 * const bytes = await r.read(1 << 20);
 */
export function byteReader(stream: ReadableStream<Uint8Array>, capacity: number): ByteReader {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    byob = undefined;
  }
  return byob ? byobReader(byob, capacity) : copyingReader(stream.getReader(), capacity);
}
