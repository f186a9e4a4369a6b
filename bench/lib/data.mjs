// Seeded synthetic logits with a realistic confusion structure, generated chunk by chunk.
//
// Each class has its own frequency (a long tail), error rate (3% to 30%) and one to three classes
// it is mostly mistaken for; a row's logits are Gaussian noise plus a margin on its predicted
// class. Noise comes from a table of 65536 Gaussians (one 32-bit draw gives two values), so a
// streamed 1e8 x 10 set generates in seconds. Values are never exactly 0.

/**
 * A 32-bit PRNG (mulberry32).
 * @example
 * const rand = mulberry32(42); rand(); // a float in [0, 1)
 */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLE = 1 << 16;

/**
 * The per-class structure of a data set of `c` classes: label frequencies, error rates, confusers.
 * @example
 * const model = classModel(10, 42); model.errorRate[3]; // e.g. 0.21
 */
export function classModel(c, seed) {
  const rand = mulberry32(seed ^ 0x9e3779b9);
  const gauss = new Float32Array(TABLE);
  for (let i = 0; i < TABLE; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    gauss[i] = r * Math.cos(a) || 1e-7;
    gauss[i + 1] = r * Math.sin(a) || -1e-7;
  }
  const weight = Array.from({ length: c }, (_, k) => 1 / Math.sqrt(k + 1));
  for (let k = c - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [weight[k], weight[j]] = [weight[j], weight[k]];
  }
  const total = weight.reduce((a, b) => a + b, 0);
  const labelOf = new Uint16Array(TABLE);
  for (let i = 0, k = 0, acc = weight[0] / total; i < TABLE; i++) {
    while ((i + 0.5) / TABLE > acc && k < c - 1) acc += weight[++k] / total;
    labelOf[i] = k;
  }
  const errorRate = Float32Array.from({ length: c }, () => 0.03 + 0.27 * rand());
  const confusers = Array.from({ length: c }, (_, k) => {
    const near = [(k + 1) % c, Math.floor(rand() * c), (k + Math.floor(c / 2)) % c].filter((j) => j !== k);
    return near.slice(0, 1 + Math.floor(rand() * 3));
  });
  return { c, gauss, labelOf, errorRate, confusers };
}

/**
 * Fills `rows` rows (logits row-major `rows x c`, labels) for the chunk starting at row `start`.
 * The same (model, seed, start, rows) always gives the same bytes.
 * @example
 * fillChunk(classModel(10, 1), 1, 0, 1000, new Float32Array(10000), new Uint8Array(1000));
 */
export function fillChunk(model, seed, start, rows, logits, labels) {
  const { c, gauss, labelOf, errorRate, confusers } = model;
  let x =
    (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul((start / 65536) | 0, 0x85ebca6b) ^ (start & 0xffff) ^
        0x6a09e667) | 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < rows; i++) {
    const y = labelOf[next() & 0xffff];
    labels[i] = y;
    let pred = y;
    if (next() / 4294967296 < errorRate[y]) {
      const near = confusers[y];
      const r = next();
      pred = (r & 0xff) < 200 && near.length ? near[(r >>> 8) % near.length] : (r >>> 8) % c;
    }
    const base = i * c;
    let j = 0;
    for (; j + 1 < c; j += 2) {
      const r = next();
      logits[base + j] = gauss[r & 0xffff];
      logits[base + j + 1] = gauss[r >>> 16];
    }
    if (j < c) logits[base + j] = gauss[next() & 0xffff];
    logits[base + pred] += 2.5 + Math.abs(gauss[next() & 0xffff]) * 2;
  }
}

/**
 * Label arrays as a classifier would give them: bytes up to 256 classes, u16 beyond; over a
 * SharedArrayBuffer when `shared` (for worker threads).
 * @example
 * labelArray(1000, 10); // Uint8Array(1000)
 */
export function labelArray(rows, c, shared = false) {
  const Type = c <= 256 ? Uint8Array : Uint16Array;
  return shared ? new Type(new SharedArrayBuffer(rows * Type.BYTES_PER_ELEMENT)) : new Type(rows);
}

/**
 * A whole in-memory data set of `n` rows, made of the same chunks a stream of `chunkRows` gives.
 * @example
 * const { logits, labels } = makeData(1e5, 10, 42, 1 << 20);
 */
export function makeData(n, c, seed, chunkRows) {
  const model = classModel(c, seed);
  const logits = new Float32Array(n * c);
  const labels = labelArray(n, c);
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    fillChunk(model, seed, start, rows, logits.subarray(start * c, (start + rows) * c),
      labels.subarray(start, start + rows));
  }
  return { logits, labels };
}

/**
 * Streams `n` rows in chunks of `chunkRows`, generating each chunk into the same two buffers, so a
 * 4 GB set never lives in memory at once. `onChunk(logits, labels, start)` may be async; the buffers
 * are overwritten after it resolves.
 * @example
 * await streamData(1e8, 10, 42, 1e6, async (logits, labels) => { await cm.update({ logits, labels }); });
 */
export async function streamData(n, c, seed, chunkRows, onChunk) {
  const model = classModel(c, seed);
  const logits = new Float32Array(Math.min(n, chunkRows) * c);
  const labels = labelArray(Math.min(n, chunkRows), c);
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    const l = rows === chunkRows ? logits : logits.subarray(0, rows * c);
    const y = rows === chunkRows ? labels : labels.subarray(0, rows);
    fillChunk(model, seed, start, rows, l, y);
    await onChunk(l, y, start);
  }
}

/**
 * float32 -> IEEE binary16 bits, rounded to nearest even (numpy's `astype(np.float16)`): overflow
 * to infinity, subnormals kept, NaN stays a quiet NaN with its sign.
 * @example
 * toFloat16Bits(new Float32Array([1, -2, 65520])); // Uint16Array [0x3c00, 0xc000, 0x7c00]
 */
export function toFloat16Bits(f32, out = new Uint16Array(f32.length)) {
  const u = new Int32Array(f32.buffer, f32.byteOffset, f32.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const e = (x >>> 23) & 0xff;
    const m = x & 0x7fffff;
    let h;
    if (e === 0xff) h = 0x7c00 | (m ? 0x200 | (m >>> 13) : 0);
    else if (e > 142) h = 0x7c00;
    else if (e > 112) {
      h = ((e - 112) << 10) | (m >>> 13);
      const rest = m & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
    } else if (e >= 102) {
      const full = m | 0x800000;
      const shift = 126 - e;
      h = full >>> shift;
      const rest = full & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rest > half || (rest === half && (h & 1))) h++;
    } else h = 0;
    out[i] = sign | h;
  }
  return out;
}
