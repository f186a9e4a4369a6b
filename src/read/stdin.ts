/**
 * Node-only: `-` as an input. Standard input is copied, in bounded memory, to a private temporary file
 * (a `mkdtemp` folder of mode 0700, the file 0600), which is then read as a file of its sniffed format:
 * `.npy`, CSV or JSON Lines, with as many passes as the reader needs. The copy is removed on close, on
 * a failed open, at exit and on SIGINT, SIGTERM and SIGHUP. Formats read by seeking are refused.
 *
 * @module
 */
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { errnoText } from '../node/fs-reason.js';
import { NpyError } from './npy.js';
import type { ArraySource } from './open-array.js';

/** How messages name standard input. */
const STDIN = '<stdin>';
/** Bytes looked at before copying, to refuse the formats that need seeking. */
const HEAD_BYTES = 16;

/** True for an input spec that names standard input: `-`, or `-:NAME` for a CSV column or JSON Lines field. */
export const isStdinSpec = (spec: string): boolean => spec === '-' || spec.startsWith('-:');

/** The copy of standard input, once made: its folder, its file and how many sources have it open. */
let spool: Promise<{ dir: string; file: string }> | undefined;
let users = 0;
const live = new Set<string>();

function removeAllNow(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Removes the copies, then, unless the program listens for `signal` itself, dies of it as it would have. */
function onSignal(signal: NodeJS.Signals): void {
  removeAllNow();
  for (const s of SIGNALS) process.off(s, onSignal);
  if (process.listeners(signal).length === 0) process.kill(process.pid, signal);
}

function watchExit(): void {
  if (live.size > 0) return;
  process.on('exit', removeAllNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unwatchExit(): void {
  if (live.size > 0) return;
  process.off('exit', removeAllNow);
  for (const s of SIGNALS) process.off(s, onSignal);
}

async function removeSpool(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
  unwatchExit();
}

/** What the first bytes say about a format that cannot be read from a pipe; undefined for the others. */
function seekingFormat(head: Uint8Array): string | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => head[i] === b);
  if (starts(0x50, 0x4b, 3, 4) || starts(0x50, 0x4b, 5, 6)) return 'a zip archive (.npz)';
  if (starts(0x50, 0x41, 0x52, 0x31)) return 'a Parquet file';
  if (head.length < 9 || head[8] !== 0x7b) return undefined;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n < 1n << 32n ? 'a .safetensors file' : undefined;
}

/** Copies `input` into a fresh private folder, refusing seeking formats from the first bytes. */
async function copyToSpool(input: Readable): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'confmat-stdin-'));
  watchExit();
  live.add(dir);
  const file = join(dir, 'stdin');
  try {
    const fh = await open(file, 'wx', 0o600);
    let size = 0;
    let head: Buffer | undefined = Buffer.alloc(0);
    try {
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += bytes.length;
        if (head !== undefined) {
          head = Buffer.concat([head, bytes]);
          if (head.length < HEAD_BYTES) continue;
          checkHead(head);
          await fh.writeFile(head);
          head = undefined;
        } else await fh.writeFile(bytes);
      }
      if (head !== undefined) {
        checkHead(head);
        await fh.writeFile(head);
      }
    } catch (e) {
      throw e instanceof NpyError ?
        e :
        new NpyError(STDIN, size, `cannot copy standard input to ${dir}: ${errnoText(e)}`);
    } finally {
      await fh.close();
    }
    return { dir, file };
  } catch (e) {
    await removeSpool(dir);
    throw e;
  }
}

function checkHead(head: Buffer): void {
  if (head.length === 0) throw new NpyError(STDIN, 0, 'standard input is empty');
  const what = seekingFormat(head);
  if (what === undefined) return;
  throw new NpyError(STDIN, 0,
    `${what} cannot be read from standard input: its format is read by seeking; save it to a file and name the file`);
}

/** `e` with the copy's path in its message named as standard input. */
function renamed(e: unknown, path: string): unknown {
  if (!(e instanceof Error) || !e.message.includes(path)) return e;
  e.message = e.message.split(path).join(STDIN);
  if (e instanceof NpyError) Object.defineProperty(e, 'file', { value: STDIN });
  return e;
}

async function* renaming<T>(it: AsyncIterable<T>, path: string): AsyncGenerator<T> {
  try {
    yield* it;
  } catch (e) {
    throw renamed(e, path);
  }
}

/**
 * Opens standard input (`-`, or `-:NAME`) through `openFile`, which opens the copy (a path without an
 * extension: its format is sniffed) as a file; the source's `file` and its errors name `<stdin>`. Opened
 * again in one process (`compare` reads the labels twice), it reads the same copy; standard input itself
 * is read once.
 *
 * @throws NpyError naming `<stdin>`: a terminal, empty input, a format that needs seeking, a failed copy
 */
export async function openStdinArray(spec: string, openFile: (spec: string) => Promise<ArraySource>,
  input: Readable & { isTTY?: boolean } = process.stdin): Promise<ArraySource> {
  if (spool === undefined) {
    if (input.isTTY === true) {
      throw new NpyError(STDIN, undefined,
        `'${spec}' reads standard input, which is a terminal; pipe the data in (python dump.py | confmat eval ...)`);
    }
    spool = copyToSpool(input);
  }
  const { dir, file } = await spool;
  if (!live.has(dir)) {
    throw new NpyError(STDIN, undefined, 'standard input was read and closed already; it can be read once');
  }
  users++;
  const done = async (): Promise<void> => {
    if (--users === 0) await removeSpool(dir);
  };
  let inner: ArraySource;
  try {
    inner = await openFile(file + spec.slice(1));
  } catch (e) {
    await done();
    throw renamed(e, file);
  }
  let closed = false;
  return { file: STDIN + spec.slice(1), dtype: inner.dtype, kind: inner.kind, shape: inner.shape, rows: inner.rows,
    rowLength: inner.rowLength, ...(inner.raw ? { raw: inner.raw } : {}),
    chunks: (rowsPerChunk) => renaming(inner.chunks(rowsPerChunk), file),
    ...(inner.rangeChunks ?
      { rangeChunks: (start, end, rowsPerChunk) => renaming(inner.rangeChunks!(start, end, rowsPerChunk), file) } :
      {}), async close() {
    if (closed) return;
    closed = true;
    try {
      await inner.close();
    } finally {
      await done();
    }
  } };
}
