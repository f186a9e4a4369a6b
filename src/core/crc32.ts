// CRC-32 (zip / PNG / gzip): Node's zlib.crc32 through process.getBuiltinModule, elsewhere a table-driven loop.

type Crc = (data: Uint8Array, value?: number) => number;

let table: Int32Array | undefined;

/** CRC-32 of `data` in plain TypeScript, continuing from `value` (0 to start). */
export function crc32Table(data: Uint8Array, value = 0): number {
  const t = (table ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  }));
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type NodeProcess = { getBuiltinModule?: (id: string) => { crc32?: Crc } | undefined };
const native = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule?.('zlib')?.crc32;

/** CRC-32 of `data`, continuing from `value` (the CRC of the bytes before it; 0 to start): `crc32(b, crc32(a))`. */
export function crc32(data: Uint8Array, value = 0): number {
  return native !== undefined ? native(data, value) >>> 0 : crc32Table(data, value);
}
