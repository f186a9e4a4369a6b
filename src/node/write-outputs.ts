/**
 * Output files that never destroy a file: each output path is classified before any work, then all the outputs
 * of one command are committed together (every temporary written first, then renamed into place).
 *
 * @module
 */
import { constants, fstatSync, type Stats, unlinkSync, writeSync } from 'node:fs';
import { access, type FileHandle, lstat, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { errnoText } from './fs-reason.js';

/** The longest file name most file systems take (NAME_MAX), in bytes. */
const NAME_MAX = 255;
/** Symbolic links followed before giving up (as Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;
/** What an output path that is none of a file, device, FIFO or link is, in words. */
const KINDS = { isDirectory: 'is a directory', isBlockDevice: 'is a block device', isSocket: 'is a socket' } as const;

/** Where one output goes: `replace` `target` by a temporary, write `through` to a device or FIFO, or to `fd`. */
export interface OutputTarget {
  /** The path as the user gave it. */
  path: string;
  kind: 'replace' | 'through' | 'fd';
  /** Absolute path written or replaced (the final target of a symbolic link). */
  target: string;
  /** The descriptor of a `fd` output. */
  fd?: number;
  /** Device and inode of what is there now, when something is. */
  id?: { dev: number; ino: number };
  /** Mode and owner of a regular file being replaced, kept on its replacement. */
  keep?: { mode: number; uid: number; gid: number };
}

const refuse = (path: string, why: string): InputError =>
  new InputError('out', `${path}: cannot write: ${why}`, undefined, path);

const STD_FDS: Record<string, number> = { '/dev/stdout': 1, '/dev/stderr': 2 };

/** The descriptor that /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N stand for. */
function fdAlias(abs: string): number | undefined {
  const m = /^\/(?:dev\/fd|proc\/self\/fd|proc\/thread-self\/fd)\/(\d+)$/.exec(abs);
  return m ? Number(m[1]) : STD_FDS[abs];
}

/** Refuses, before any work, a directory or device this process may not write (permissions, read-only). */
async function writable(path: string, where: string): Promise<void> {
  await access(where, constants.W_OK).catch((e: unknown) => {
    throw refuse(path, errnoText(e));
  });
}

/**
 * Classifies an output path before any work: a new or regular file (behind any symbolic links) is replaced, a
 * character device or FIFO written through, /dev/stdout or /dev/fd/N written to; else an {@link InputError}.
 */
export function resolveOutput(path: string): Promise<OutputTarget> {
  return classify(path).catch((e: unknown) => {
    throw e instanceof InputError ? e : refuse(path, errnoText(e));
  });
}

async function classify(path: string): Promise<OutputTarget> {
  if (path === '') throw refuse(path, 'empty file name');
  let abs = resolve(path);
  if (/[\\/]$/.test(path)) throw refuse(path, 'names a directory');
  for (let hops = 0;; hops++) {
    const fd = fdAlias(abs);
    if (fd !== undefined) {
      let st: Stats;
      try {
        st = fstatSync(fd);
      } catch (e) {
        throw refuse(path, `descriptor ${fd}: ${errnoText(e)}`);
      }
      return { path, kind: 'fd', target: abs, fd, id: { dev: st.dev, ino: st.ino } };
    }
    let st: Stats;
    try {
      st = await lstat(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw refuse(path, errnoText(e));
      if (hops > 0) throw refuse(path, `a dangling symbolic link (to ${abs}, which does not exist)`);
      const dir = dirname(abs);
      const d = await stat(dir).catch(() => undefined);
      if (!d?.isDirectory()) throw refuse(path, `no such directory ${dirname(path)}`);
      await writable(path, dir);
      return { path, kind: 'replace', target: join(await realpath(dir), basename(abs)) };
    }
    if (st.isSymbolicLink()) {
      if (hops >= MAX_LINKS) throw refuse(path, 'too many levels of symbolic links');
      abs = resolve(await realpath(dirname(abs)), await readlink(abs));
      continue;
    }
    const id = { dev: st.dev, ino: st.ino };
    const target = await realpath(abs);
    if (st.isFile()) {
      await writable(path, dirname(target));
      return { path, kind: 'replace', target, id, keep: { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } };
    }
    if (st.isCharacterDevice() || st.isFIFO()) {
      await writable(path, target);
      return { path, kind: 'through', target, id };
    }
    const kind = (Object.keys(KINDS) as (keyof typeof KINDS)[]).find((k) => st[k]());
    throw refuse(path, kind ? KINDS[kind] : 'is not a regular file');
  }
}

/** The temporary beside `target`: `.NAME.PID.HEX.tmp`, NAME cut (on a UTF-8 boundary) to fit in 255 bytes. */
export function tempPath(target: string): string {
  const suffix = `.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex')}.tmp`;
  const budget = NAME_MAX - 1 - Buffer.byteLength(suffix);
  const bytes = Buffer.from(basename(target));
  let end = Math.min(bytes.length, budget);
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
  return join(dirname(target), `.${bytes.subarray(0, end).toString()}${suffix}`);
}

/** Temporary files being written now, removed by {@link onSignal} on SIGINT or SIGTERM. */
const live = new Set<string>();

/**
 * The SIGINT / SIGTERM handler while temporaries are live: removes them, then, unless the program listens for the
 * signal itself, dies of it again (re-raising also ends a thread pool stuck opening a FIFO nobody reads).
 */
export function onSignal(signal: NodeJS.Signals): void {
  const others = process.listeners(signal).filter((l) => l !== onSignal).length;
  for (const tmp of live) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or removed
    }
    track(tmp, false);
  }
  if (others === 0) process.kill(process.pid, signal);
}

/** Adds or removes a live temporary; listens for SIGINT and SIGTERM exactly while temporaries are live. */
function track(tmp: string, on: boolean): void {
  if (on) live.add(tmp);
  else live.delete(tmp);
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.off(s, onSignal);
    if (live.size > 0) process.on(s, onSignal);
  }
}

/** The number of temporary files being written now (for tests). */
export function liveTemps(): number {
  return live.size;
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length;) done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/** Writes to a descriptor the process holds: stdout and stderr through their streams, others directly. */
async function writeFd(fd: number, data: Uint8Array): Promise<void> {
  const stream = fd === 1 ? process.stdout : fd === 2 ? process.stderr : undefined;
  if (stream) return new Promise<void>((ok, fail) => stream.write(data, (e) => (e ? fail(e) : ok())));
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done);
}

const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? Buffer.from(data) : data);

/** Writes `data` to a fresh temporary beside a `replace` target, with the old file's mode kept. */
async function writeTemp(t: OutputTarget, data: Uint8Array): Promise<string> {
  const tmp = tempPath(t.target);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx', 0o666);
    track(tmp, true);
    await writeAll(fh, data);
    if (t.keep) {
      if (t.keep.uid !== process.getuid?.() || t.keep.gid !== process.getgid?.()) {
        await fh.chown(t.keep.uid, t.keep.gid).catch(() => undefined);
      }
      await fh.chmod(t.keep.mode);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    return tmp;
  } catch (e) {
    // fh is set from the temporary's creation until it is closed
    if (fh) await Promise.all([fh.close().catch(() => undefined), rm(tmp, { force: true })]);
    track(tmp, false);
    throw e;
  }
}

/** Writes to a device or FIFO, opened without creating, truncating or following anything (FIFOs wait for a reader). */
async function writeThrough(t: OutputTarget, data: Uint8Array): Promise<void> {
  const fh = await open(t.target, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NOCTTY);
  try {
    const st = await fh.stat();
    if (!st.isCharacterDevice() && !st.isFIFO()) {
      throw refuse(t.path, 'changed while confmat ran: no longer a device or FIFO');
    }
    await writeAll(fh, data);
  } finally {
    await fh.close();
  }
}

/**
 * Writes outputs classified by {@link resolveOutput}, all or nothing as far as files go: every temporary first,
 * then the devices and descriptors, then the renames; failures are an {@link InputError} naming the output.
 */
export async function commitOutputs(outputs: [OutputTarget, string | Uint8Array][]): Promise<void> {
  const temps: [OutputTarget, string][] = [];
  let current: OutputTarget | undefined;
  try {
    for (const [t, data] of outputs) {
      current = t;
      if (t.kind === 'replace') temps.push([t, await writeTemp(t, bytesOf(data))]);
    }
    for (const [t, data] of outputs) {
      current = t;
      if (t.kind === 'through') await writeThrough(t, bytesOf(data));
      else if (t.kind === 'fd') await writeFd(t.fd!, bytesOf(data));
    }
    for (const [t, tmp] of temps) {
      current = t;
      await rename(tmp, t.target);
      track(tmp, false);
    }
  } catch (e) {
    for (const [, tmp] of temps) {
      await rm(tmp, { force: true });
      track(tmp, false);
    }
    if (e instanceof InputError) throw e;
    throw refuse(current!.path, errnoText(e));
  }
}

/**
 * Writes a file atomically (a temporary beside it, renamed over it; the mode kept), or through to a device, FIFO
 * or /dev/stdout; failures are an `InputError` naming `path` (`report.json: cannot write: no space left on device`).
 *
 * @example
 * await writeFileAtomic('report.json', JSON.stringify(report));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await commitOutputs([[await resolveOutput(path), data]]);
}
