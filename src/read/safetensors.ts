/**
 * Node-only: stream one tensor of a `.safetensors` file by rows.
 *
 * Format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`,
 * then the data, little-endian, C order; `data_offsets` count from the end of
 * the header. Reference: https://github.com/huggingface/safetensors
 *
 * @module
 */
import { widenHalves } from '../format/half.js';
import { NpyError, decodeNpyItems, type NumericArray } from './npy.js';
import { byteRangeSource } from './npz.js';
import { openRegularFile, readExactly } from './file-io.js';
import { jsonSyntaxError, jsonTooDeep } from './json-error.js';
import type { ArraySource } from './open-array.js';

/** The safetensors format's own limit on the header size. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface DtypeInfo {
  dtype: string;
  kind: 'f' | 'i' | 'u' | 'b';
  itemSize: number;
}

const DTYPES: Record<string, DtypeInfo> = {
  F16: { dtype: 'f2', kind: 'f', itemSize: 2 },
  BF16: { dtype: 'bf16', kind: 'f', itemSize: 2 },
  F32: { dtype: 'f4', kind: 'f', itemSize: 4 },
  F64: { dtype: 'f8', kind: 'f', itemSize: 8 },
  I8: { dtype: 'i1', kind: 'i', itemSize: 1 },
  I16: { dtype: 'i2', kind: 'i', itemSize: 2 },
  I32: { dtype: 'i4', kind: 'i', itemSize: 4 },
  I64: { dtype: 'i8', kind: 'i', itemSize: 8 },
  U8: { dtype: 'u1', kind: 'u', itemSize: 1 },
  U16: { dtype: 'u2', kind: 'u', itemSize: 2 },
  U32: { dtype: 'u4', kind: 'u', itemSize: 4 },
  U64: { dtype: 'u8', kind: 'u', itemSize: 8 },
  BOOL: { dtype: 'b1', kind: 'b', itemSize: 1 },
};

/**
 * Widens bfloat16 values (the upper halves of float32s) to a fresh
 * Float32Array; exact.
 *
 * @param raw little-endian bfloat16 items; `raw.length` must be even
 * @example
 * bf16ToFloat32(Uint8Array.of(0x80, 0x3f, 0x00, 0xc0)); // Float32Array [1, -2]
 */
export function bf16ToFloat32(raw: Uint8Array): Float32Array {
  return widenHalves(decodeNpyItems({ kind: 'u', itemSize: 2, bigEndian: false }, raw) as Uint16Array, 'bfloat16');
}

function listNames(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length === 0 ? '(none)' : q.length > 50 ? `${q.slice(0, 50).join(', ')}, ... (${q.length} in all)` : q.join(', ');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Opens one tensor of a `.safetensors` file for streaming by rows, with
 * positional reads (memory bounded by the chunk size).
 *
 * Without `name` the file must hold exactly one tensor (`__metadata__` is not
 * one). The header is validated before this resolves: its length against the
 * file size, the JSON, and for the chosen tensor its dtype, shape and
 * `data_offsets` (inside the data area, and exactly product(shape) * item size
 * bytes). dtypes: F16 (widened to Float32Array, reported as `'f2'`), BF16
 * (widened exactly to Float32Array, reported as `'bf16'`), F32, F64, I8..I64,
 * U8..U64, BOOL (Uint8Array of 0/1, `'b1'`); others (F8_E4M3, ...) are refused.
 *
 * @param path the file on disk
 * @param name the tensor to read; optional when the file holds one tensor
 * @param spec the name the source reports as `file` (defaults to `path` or `path:name`)
 * @param options `halves`: F16 and BF16 data come as their raw bits (Uint16Array) instead of widened to Float32Array
 * @throws NpyError naming `path` and the byte offset: I/O errors, a file too
 *   short for its header, invalid JSON (with the offset of the syntax error),
 *   a missing tensor (listing those there are), an unsupported dtype, or
 *   offsets that disagree with the shape or the file size
 * @example
 * const src = await openSafetensorsArray('model-out.safetensors', 'logits');
 * try {
 *   for await (const { start, data } of src.chunks(8192)) consume(start, data as Float32Array);
 * } finally {
 *   await src.close();
 * }
 */
export async function openSafetensorsArray(path: string, name?: string, spec?: string, options: { halves?: boolean } = {}): Promise<ArraySource> {
  const { fh, size } = await openRegularFile(path);
  const fail: (offset: number | undefined, detail: string) => never = (offset, detail) => {
    throw new NpyError(path, offset, detail);
  };
  try {
    if (size < 8) fail(0, `not a .safetensors file: ${size} bytes, too short for the 8-byte header length`);
    const lenBytes = new Uint8Array(8);
    await readExactly(fh, path, lenBytes, 0);
    const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (n > BigInt(size - 8)) {
      fail(0, `header length ${n} is more than the ${size - 8} bytes after it (truncated file, or not a .safetensors file)`);
    }
    const headerLen = Number(n);
    if (headerLen > MAX_HEADER_BYTES) fail(0, `header length ${headerLen} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
    if (headerLen < 2) fail(0, `header length ${headerLen} is too short for a JSON object`);
    const headerBytes = new Uint8Array(headerLen);
    await readExactly(fh, path, headerBytes, 8);
    if (headerBytes[0] !== 0x7b) {
      fail(8, `header does not start with '{' (got byte 0x${headerBytes[0]!.toString(16).padStart(2, '0')}); not a .safetensors file?`);
    }
    let text = '';
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      fail(8, 'header is not valid UTF-8');
    }
    const deep = jsonTooDeep(text);
    if (deep) fail(8 + deep.byte, `header ${deep.detail}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      const { at, detail } = jsonSyntaxError(text, e);
      fail(8 + new TextEncoder().encode(text.slice(0, at)).length, `header is not valid JSON: ${detail}`);
    }
    if (!isObject(json)) fail(8, 'header JSON is not an object of tensors');
    const header = json as Record<string, unknown>;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    let tensor: string;
    if (name === undefined) {
      if (names.length !== 1) fail(undefined, `the file holds ${names.length} tensors (${listNames(names)}); choose one with ${path}:NAME`);
      tensor = names[0]!;
    } else {
      if (name === '__metadata__' || !Object.hasOwn(header, name)) fail(undefined, `no tensor '${name}' in the file; it holds ${listNames(names)}`);
      tensor = name;
    }
    const what = `tensor '${tensor}'`;
    const info = header[tensor];
    if (!isObject(info)) fail(8, `${what}: header entry is not an object`);
    const t = info as Record<string, unknown>;
    const dt = t.dtype;
    if (typeof dt !== 'string') fail(8, `${what}: 'dtype' is missing or not a string`);
    const d = DTYPES[dt];
    if (d === undefined) {
      fail(8, `${what}: unsupported dtype ${JSON.stringify(dt)}; supported: F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, BOOL`);
    }
    const shapeV = t.shape;
    if (!Array.isArray(shapeV) || !shapeV.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) {
      fail(8, `${what}: 'shape' must be an array of non-negative integers, got ${JSON.stringify(shapeV)}`);
    }
    const shape = shapeV as number[];
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((v) => Number.isSafeInteger(v) && (v as number) >= 0) || offs[0] > offs[1]) {
      fail(8, `${what}: 'data_offsets' must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const base = 8 + headerLen;
    if (base + end > size) {
      fail(base + begin, `${what}: data_offsets [${begin}, ${end}] run past the end of the file: the data area holds ${size - base} bytes (truncated file?)`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * d.itemSize) || count * d.itemSize !== end - begin) {
      fail(
        base + begin,
        `${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dt} needs ${count * d.itemSize}`,
      );
    }
    const layout = { dtype: d.dtype, kind: d.kind, itemSize: d.itemSize, bigEndian: false, shape, fortranOrder: false };
    const raw16 = options.halves === true && (dt === 'F16' || dt === 'BF16');
    const decode = raw16
      ? (raw: Uint8Array): NumericArray => decodeNpyItems({ kind: 'u', itemSize: 2, bigEndian: false }, raw)
      : dt === 'BF16'
        ? (raw: Uint8Array): NumericArray => bf16ToFloat32(raw)
        : undefined;
    return byteRangeSource({
      fh,
      path,
      spec: spec ?? (name === undefined ? path : `${path}:${name}`),
      what,
      layout,
      dataStart: base + begin,
      ...(decode ? { decode } : {}),
    });
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}
