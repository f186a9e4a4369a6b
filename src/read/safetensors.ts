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
import { decodeNpyItems, hexBytes, NpyError, type NpyHeader } from './npy.js';
import type { ArraySource } from './open-array.js';
import { FileRows } from './row-source.js';

/** The safetensors format's own limit on the header size. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPES: Record<string, string> = { F16: 'f2', BF16: 'bf16', F32: 'f4', F64: 'f8', I8: 'i1', I16: 'i2', I32: 'i4',
  I64: 'i8', U8: 'u1', U16: 'u2', U32: 'u4', U64: 'u8', BOOL: 'b1' };

/** Widens little-endian bfloat16 values (the upper halves of float32s) to a fresh Float32Array; exact. */
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
 */
export function openSafetensorsArray(path: string, name: string | undefined, spec: string,
  options: { halves?: boolean } = {}): Promise<ArraySource> {
  const fail: (offset: number | undefined, detail: string) => never = (offset, detail) => {
    throw new NpyError(path, offset, detail);
  };
  return openWith(path, async (fh, size) => {
    if (size < 8) fail(0, `not a .safetensors file: ${size} bytes, too short for the 8-byte header length`);
    const n = new DataView((await readExactly(fh, path, 8, 0)).buffer).getBigUint64(0, true);
    const after = `${size - 8} bytes after it (truncated file, or not a .safetensors file)`;
    if (n > BigInt(size - 8)) fail(0, `header length ${n} is more than the ${after}`);
    const headerLen = Number(n);
    if (headerLen > MAX_HEADER_BYTES) {
      fail(0, `header length ${headerLen} is over the format's limit of ${MAX_HEADER_BYTES} bytes`);
    }
    if (headerLen < 2) fail(0, `header length ${headerLen} is too short for a JSON object`);
    const headerBytes = await readExactly(fh, path, headerLen, 8);
    if (headerBytes[0] !== 0x7b) {
      fail(8,
        `header does not start with '{' (got byte 0x${
          hexBytes(headerBytes.subarray(0, 1))
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
    let header: unknown;
    try {
      header = JSON.parse(text);
    } catch (e) {
      const { at, detail } = jsonSyntaxError(text, e);
      fail(8 + Buffer.byteLength(text.slice(0, at)), `header is not valid JSON: ${detail}`);
    }
    if (!isObject(header)) fail(8, 'header JSON is not an object of tensors');
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    if (name === undefined && names.length !== 1) {
      fail(undefined, `the file holds ${names.length} tensors (${listNames(names)}); choose one with ${path}:NAME`);
    }
    if (name !== undefined && !names.includes(name)) {
      fail(undefined, `no tensor '${name}' in the file; it holds ${listNames(names)}`);
    }
    const what = `tensor '${name ?? names[0]}'`;
    const info = header[name ?? names[0]!];
    if (!isObject(info)) fail(8, `${what}: header entry is not an object`);
    const { dtype: dt, shape, data_offsets: offs } = info;
    if (typeof dt !== 'string') fail(8, `${what}: 'dtype' is missing or not a string`);
    const dtype = Object.hasOwn(DTYPES, dt) ? DTYPES[dt]! : undefined;
    if (dtype === undefined) {
      fail(8, `${what}: unsupported dtype ${JSON.stringify(dt)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    }
    const bf16 = dtype === 'bf16';
    const [kind, itemSize] = bf16 ? ['f' as const, 2] : [dtype[0] as NpyHeader['kind'], Number(dtype.slice(1))];
    const natural = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!Array.isArray(shape) || !shape.every(natural)) {
      fail(8, `${what}: 'shape' must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(natural) || offs[0]! > offs[1]!) {
      fail(8, `${what}: 'data_offsets' must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const [base, count] = [8 + headerLen, shape.reduce((a, b) => a * b, 1)];
    const at = `${what}: data_offsets [${begin}, ${end}]`;
    if (base + end > size) {
      fail(base + begin,
        `${at} run past the end of the file: the data area holds ${size - base} bytes (truncated file?)`);
    }
    if (!Number.isSafeInteger(count * itemSize) || count * itemSize !== end - begin) {
      fail(base + begin,
        `${at} hold ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dt} needs ${count * itemSize}`);
    }
    const bytes = { bigEndian: false, fortranOrder: false, dataOffset: base + begin, dataBytes: end - begin };
    const layout = { descr: dt, dtype, kind, itemSize, shape, ...bytes };
    const h = { kind: bf16 ? 'u' : kind, itemSize, bigEndian: false } as const;
    const decode = bf16 && !options.halves ? bf16ToFloat32 : (raw: Uint8Array) => decodeNpyItems(h, raw, options);
    return new FileRows({ file: spec, path, fh, header: layout, decode, what });
  });
}
