import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync,
  readlinkSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { commitOutputs, liveTemps, onSignal, resolveOutput, tempPath,
  writeFileAtomic } from '../../src/node/write-outputs.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const fixedRandom = { on: false };
const getRandomValues = crypto.getRandomValues.bind(crypto);
vi.spyOn(crypto, 'getRandomValues').mockImplementation((a) => {
  if (!fixedRandom.on || !a) return getRandomValues(a!);
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0xab);
  return a;
});

const { fresh } = tempDirs('confmat-write-');
const temps = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('tempPath', () => {
  it('keeps the temporary name within 255 bytes, cutting a long name on a UTF-8 boundary', () => {
    for (const name of ['a'.repeat(245) + '.json', 'é'.repeat(122) + '.json', '😀'.repeat(61) + '.json', 'r.json']) {
      const tmp = basename(tempPath(join('/some/dir', name)));
      expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(255);
      expect(tmp).not.toContain('\ufffd');
      expect(tmp).toMatch(/^\..+\.\d+\.[0-9a-f]{8}\.tmp$/);
    }
    expect(basename(tempPath('/d/r.json'))).toMatch(/^\.r\.json\./);
  });
});

describe('writeFileAtomic', () => {
  it('writes a file whose name is 250 bytes long', async () => {
    const dir = fresh();
    const path = join(dir, 'é'.repeat(122) + '.json');
    await writeFileAtomic(path, 'x');
    expect(readFileSync(path, 'utf8')).toBe('x');
    expect(temps(dir)).toEqual([]);
  });

  it("keeps an existing file's mode", async () => {
    const path = join(fresh(), 'r.json');
    writeFileSync(path, 'old', { mode: 0o600 });
    await writeFileAtomic(path, 'new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('replaces the target of a symbolic link (through a chain of them), keeping the links', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 't.json'), 'old');
    symlinkSync('real/t.json', join(dir, 'a.json'));
    symlinkSync('a.json', join(dir, 'b.json'));
    await writeFileAtomic(join(dir, 'b.json'), 'new');
    expect(lstatSync(join(dir, 'b.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'a.json'))).toBe('real/t.json');
    expect(readFileSync(join(dir, 'real', 't.json'), 'utf8')).toBe('new');
    expect([...temps(dir), ...temps(join(dir, 'real'))]).toEqual([]);
  });

  it("resolves a link's ../ from the real folder it sits in, not from a linked folder on the way", async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'real', 'x.json'), 'old');
    writeFileSync(join(dir, 'x.json'), 'bystander');
    symlinkSync('real/sub', join(dir, 'linkdir'));
    symlinkSync('../x.json', join(dir, 'real', 'sub', 'out.json'));
    await writeFileAtomic(join(dir, 'linkdir', 'out.json'), 'new');
    expect(readFileSync(join(dir, 'real', 'x.json'), 'utf8')).toBe('new');
    expect(readFileSync(join(dir, 'x.json'), 'utf8')).toBe('bystander');
    expect(lstatSync(join(dir, 'real', 'sub', 'out.json')).isSymbolicLink()).toBe(true);
  });

  it('never removes a file it did not create: a temporary name taken already stays', async () => {
    const dir = fresh();
    const target = join(dir, 'r.json');
    fixedRandom.on = true;
    try {
      const taken = tempPath(target);
      writeFileSync(taken, 'someone else');
      await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
      expect(readFileSync(taken, 'utf8')).toBe('someone else');
    } finally {
      fixedRandom.on = false;
    }
  });

  it('writes through to /dev/null, which stays a character device', async () => {
    await writeFileAtomic('/dev/null', 'x'.repeat(100_000));
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(temps('/dev')).toEqual([]);
  });

  it('writes through to a FIFO, which stays a FIFO', async () => {
    const fifo = join(fresh(), 'f.json');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await writeFileAtomic(fifo, 'through');
      const buf = Buffer.alloc(64);
      expect(buf.subarray(0, readSync(reader, buf)).toString()).toBe('through');
    } finally {
      closeSync(reader);
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('names the file on a write failure (ENOSPC from /dev/full)', async () => {
    const e = await writeFileAtomic('/dev/full', 'x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe('/dev/full: cannot write: no space left on device');
  });

  it.skipIf(process.getuid?.() === 0)(
    'refuses a directory it may not write before writing anything (permission denied)',
    async () => {
      const dir = fresh();
      chmodSync(dir, 0o500);
      try {
        await expect(resolveOutput(join(dir, 'r.json'))).rejects.toThrow(/r\.json: cannot write: permission denied$/);
      } finally {
        chmodSync(dir, 0o700);
      }
    },
  );

  it.each([['a directory', (dir: string) => dir, /: cannot write: is a directory$/], ['a name ending in /',
    (dir: string) => `${dir}/x/`, /: cannot write: names a directory$/], ['a missing directory',
    (dir: string) => join(dir, 'missing', 'r.json'), /r\.json: cannot write: no such directory .*missing$/], [
    'a dangling link',
    (dir: string) => (symlinkSync('nowhere', join(dir, 'd.json')), join(dir, 'd.json')),
    /d\.json: cannot write: a dangling symbolic link/,
  ], ['a link loop', (dir: string) => (symlinkSync('l.json', join(dir, 'l.json')), join(dir, 'l.json')),
    /l\.json: cannot write: too many levels of symbolic links/]])('refuses %s, leaving nothing behind',
      async (_, make, message) => {
        const dir = fresh();
        const path = make(dir);
        const e = await writeFileAtomic(path, 'x').catch((x: unknown) => x);
        expect(e).toBeInstanceOf(InputError);
        expect((e as Error).message).toMatch(message);
        expect(temps(dir)).toEqual([]);
      });
});

describe('commitOutputs', () => {
  it('writes every file or none: a failing output leaves the other files untouched and no temporary', async () => {
    const dir = fresh();
    const a = join(dir, 'a.svg');
    writeFileSync(a, 'old');
    const e = await commitOutputs([[await resolveOutput(a), 'new'], [await resolveOutput(join(dir, 'b.svg')), 'new'], [
      await resolveOutput('/dev/full'),
      'report',
    ]]).catch((x: unknown) => x);
    expect((e as Error).message).toBe('/dev/full: cannot write: no space left on device');
    expect(readFileSync(a, 'utf8')).toBe('old');
    expect(existsSync(join(dir, 'b.svg'))).toBe(false);
    expect(temps(dir)).toEqual([]);
    expect(liveTemps()).toBe(0);
  });

  it('on SIGTERM while writing, removes the live temporaries, then dies of the signal', async () => {
    const dir = fresh();
    const fifo = join(dir, 'r.json');
    execFileSync('mkfifo', [fifo]);
    const others = process.listeners('SIGTERM');
    for (const l of others) process.off('SIGTERM', l);
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    try {
      // the plot's temporary is written, then opening the FIFO waits for a reader: a write in progress
      const writing = commitOutputs([[await resolveOutput(join(dir, 'p.svg')), '<svg/>'], [await resolveOutput(fifo),
        '{}']]).catch((x: unknown) => x);
      while (liveTemps() === 0 || temps(dir).length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(process.listeners('SIGTERM')).toContain(onSignal);
      process.emit('SIGTERM', 'SIGTERM');
      expect(temps(dir)).toEqual([]);
      expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
      expect(process.listeners('SIGTERM')).not.toContain(onSignal);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      expect(await writing).toBeInstanceOf(InputError);
      closeSync(reader);
      expect(readdirSync(dir)).toEqual(['r.json']);
    } finally {
      kill.mockRestore();
      for (const l of others) process.on('SIGTERM', l);
    }
  });

  it('on SIGINT, with the program listening for it too, removes the temporaries and leaves the exit to the program', () => {
    const mine = (): void => undefined;
    process.on('SIGINT', mine);
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    try {
      onSignal('SIGINT');
      expect(kill).not.toHaveBeenCalled();
    } finally {
      kill.mockRestore();
      process.off('SIGINT', mine);
    }
  });
});
