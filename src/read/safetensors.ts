/**
 * Node-only: stream one tensor of a `.safetensors` file by rows. Format: an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, ...}`,
 * then the data, little-endian, C order, offsets counting from the end of the header.
 * Reference: https://github.com/huggingface/safetensors
 *
 * @module
 */
import { widenHalves } from '../format/half.js';
import { openWith, quoteList, readExactly } from './file-io.js';
import { jsonSyntaxError, jsonTooDeep } from './json-error.js';
import { decodeNpyItems, NpyError, type NpyHeader } from './npy.js';
import type { ArraySource } from './open-array.js';
import { FileRows } from './row-source.js';

/** The safetensors format's own limit on the header size. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPES: Record<string, string> = { F16: 'f2', BF16: 'bf16', F32: 'f4', F64: 'f8', I8: 'i1', I16: 'i2', I32: 'i4',
  I64: 'i8', U8: 'u1', U16: 'u2', U32: 'u4', U64: 'u8', BOOL: 'b1' };

/**
 * Widens little-endian bfloat16 values (the upper halves of float32s) to a fresh Float32Array; exact.
 *
 * @example
 * bf16ToFloat32(Uint8Array.of(0x80, 0x3f, 0x00, 0xc0)); // Float32Array [1, -2]
 */
export function bf16ToFloat32(raw: Uint8Array): Float32Array {
  return widenHalves(decodeNpyItems({ kind: 'u', itemSize: 2, bigEndian: false }, raw) as Uint16Array, 'bfloat16');
}

const listNames = (names: readonly string[]): string => quoteList(names, '(none)');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Opens one tensor of a `.safetensors` file for streaming by rows (F16, BF16, F32, F64, I8..I64,
 * U8..U64, BOOL), after checking its header entry, offsets and size.
 *
 * @throws NpyError naming `path` and the byte: a short file, invalid JSON, a missing tensor (listing
 *   the names), an unsupported dtype, offsets that disagree with the shape or the file size
 * @example
 * const src = await openSafetensorsArray('model-out.safetensors', 'logits');
 * for await (const { start, data } of src.chunks(8192)) consume(start, data as Float32Array);
 * await src.close();
 */
export function openSafetensorsArray(path: string, name: string | undefined, spec: string,
  options: { halves?: boolean } = {}): Promise<ArraySource> {
  const fail: (offset: number | undefined, detail: string) => never = (offset, detail) => {
    throw new NpyError(path, offset, detail);
  };
  return openWith(path, async (fh, size) => {
    if (size < 8) fail(0, `not a .safetensors file: ${size} bytes, too short for the 8-byte header length`);
    const lenBytes = new Uint8Array(8);
    await readExactly(fh, path, lenBytes, 0);
    const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (n > BigInt(size - 8)) {
      fail(0,
        `header length ${n} is more than the ${size - 8} bytes after it (truncated file, or not a .safetensors file)`);
    }
    const headerLen = Number(n);
    if (headerLen > MAX_HEADER_BYTES) {
      fail(0, `header length ${headerLen} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
    }
    if (headerLen < 2) fail(0, `header length ${headerLen} is too short for a JSON object`);
    const headerBytes = new Uint8Array(headerLen);
    await readExactly(fh, path, headerBytes, 8);
    if (headerBytes[0] !== 0x7b) {
      fail(8,
        `header does not start with '{' (got byte 0x${
          headerBytes[0]!.toString(16).padStart(2, '0')
        }); not a .safetensors file?`);
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
      if (names.length !== 1) {
        fail(undefined, `the file holds ${names.length} tensors (${listNames(names)}); choose one with ${path}:NAME`);
      }
      tensor = names[0]!;
    } else {
      if (name === '__metadata__' || !Object.hasOwn(header, name)) {
        fail(undefined, `no tensor '${name}' in the file; it holds ${listNames(names)}`);
      }
      tensor = name;
    }
    const what = `tensor '${tensor}'`;
    const info = header[tensor];
    if (!isObject(info)) fail(8, `${what}: header entry is not an object`);
    const t = info as Record<string, unknown>;
    const dt = t.dtype;
    if (typeof dt !== 'string') fail(8, `${what}: 'dtype' is missing or not a string`);
    const dtype = Object.hasOwn(DTYPES, dt) ? DTYPES[dt]! : undefined;
    if (dtype === undefined) {
      fail(8, `${what}: unsupported dtype ${JSON.stringify(dt)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    }
    const bf16 = dtype === 'bf16';
    const [kind, itemSize] = bf16 ? ['f' as const, 2] : [dtype[0] as NpyHeader['kind'], Number(dtype.slice(1))];
    const shapeV = t.shape;
    if (!Array.isArray(shapeV) || !shapeV.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) {
      fail(8, `${what}: 'shape' must be an array of non-negative integers, got ${JSON.stringify(shapeV)}`);
    }
    const shape = shapeV as number[];
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((v) =>
      Number.isSafeInteger(v) && (v as number) >= 0
    ) || offs[0] > offs[1]) {
      fail(8, `${what}: 'data_offsets' must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const base = 8 + headerLen;
    if (base + end > size) {
      fail(base + begin,
        `${what}: data_offsets [${begin}, ${end}] run past the end of the file: the data area holds ${
          size - base
        } bytes (truncated file?)`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * itemSize) || count * itemSize !== end - begin) {
      fail(base + begin,
        `${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${
          shape.join(', ')
        }] of ${dt} needs ${count * itemSize}`);
    }
    const bytes = { bigEndian: false, fortranOrder: false, dataOffset: base + begin, dataBytes: end - begin };
    const layout = { descr: dt, dtype, kind, itemSize, shape, ...bytes };
    const h = { kind: bf16 ? 'u' : kind, itemSize, bigEndian: false } as const;
    const decode = bf16 && !options.halves ? bf16ToFloat32 : (raw: Uint8Array) => decodeNpyItems(h, raw, options);
    return new FileRows({ file: spec, path, fh, header: layout, decode, what });
  });
}
