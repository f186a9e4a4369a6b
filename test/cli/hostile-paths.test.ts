import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, constants, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync,
  readFileSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.js';

const { fresh } = tempDirs('confmat-hostile-');

function confmat(args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', NO_COLOR: '1' }, maxBuffer: 64 << 20, ...options });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
const fx = 'test/fixtures/sklearn/digits-mlp';
/** A copy of the digits fixture in `dir`, as inputs the tests may try to overwrite. */
function inputs(dir: string): { logits: string; labels: string; args: string[] } {
  const logits = join(dir, 'logits.npy');
  const labels = join(dir, 'labels.npy');
  copyFileSync(`${fx}.logits.npy`, logits);
  copyFileSync(`${fx}.labels.npy`, labels);
  return { logits, labels,
    args: ['eval', '--logits', logits, '--labels', labels, '--backend', 'cpu', '--format', 'json'] };
}
/** Every temporary file under `dir`. */
const temps = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.tmp'));
const total = (path: string): number => JSON.parse(readFileSync(path, 'utf8')).total;

describe('--out and --plot never destroy a file', () => {
  it('a symbolic link as --out: its target is replaced, the link kept', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    writeFileSync(join(dir, 'target.json'), 'old');
    symlinkSync('target.json', join(dir, 'link.json'));
    const r = confmat([...args, '--out', join(dir, 'link.json')]);
    expect(r.code).toBe(0);
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(total(join(dir, 'target.json'))).toBe(899);
    expect(temps(dir)).toEqual([]);
  });

  it('--out /dev/null is written through and stays a character device', () => {
    const { args } = inputs(fresh());
    const r = confmat([...args, '--out', '/dev/null']);
    expect(r.code).toBe(0);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('--out /dev/stdout goes to standard output (appended to a redirect), and /dev/stdout stays what it was', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const before = lstatSync('/dev/stdout');
    const log = join(dir, 'log.txt');
    writeFileSync(log, 'kept\n');
    const fd = openSync(log, 'a');
    try {
      expect(confmat([...args, '--out', '/dev/stdout'], { stdio: ['ignore', fd, 'pipe'] }).code).toBe(0);
    } finally {
      closeSync(fd);
    }
    const text = readFileSync(log, 'utf8');
    expect(text.startsWith('kept\n')).toBe(true);
    expect(JSON.parse(text.slice(5)).total).toBe(899);
    const devnull = openSync('/dev/null', 'w');
    try {
      expect(confmat([...args, '--out', '/dev/stdout'], { stdio: ['ignore', devnull, 'pipe'] }).code).toBe(0);
    } finally {
      closeSync(devnull);
    }
    const after = lstatSync('/dev/stdout');
    expect([after.isSymbolicLink(), after.ino, after.mode]).toEqual([before.isSymbolicLink(), before.ino, before.mode]);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync('/dev').filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--plot on standard output is refused when the report goes there too (no --out)', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const plotArgs = args.filter((a, i) => a !== '--out' && args[i - 1] !== '--out');
    symlinkSync('/dev/stdout', join(dir, 's.svg'));
    const log = join(dir, 'log.svg');
    const fd = openSync(log, 'w');
    try {
      for (const plot of [join(dir, 's.svg'), log]) {
        const r = confmat([...plotArgs, '--plot', plot], { stdio: ['ignore', fd, 'pipe'] });
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/--plot .* is standard output, where the report goes without --out/);
      }
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(log, 'utf8')).toBe('');
    const ok = confmat([...plotArgs, '--plot', join(dir, 's.svg'), '--out', join(dir, 'r.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^<svg/);
  });

  it('a FIFO as --out is written through and stays a FIFO', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const fifo = join(dir, 'report.json');
    spawnSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      expect(confmat([...args, '--out', fifo]).code).toBe(0);
      const buf = Buffer.alloc(1 << 16);
      let got = '';
      for (let k; (k = readSyncSafe(reader, buf)) > 0;) got += buf.subarray(0, k).toString();
      expect(JSON.parse(got).total).toBe(899);
    } finally {
      closeSync(reader);
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  it.each([['the input itself', (d: string, labels: string) => labels], ['the input by another spelling',
    (d: string) => `${d}/./sub/../labels.npy`], ['a symbolic link to the input',
    (d: string) => (symlinkSync('labels.npy', join(d, 'sym.json')), join(d, 'sym.json'))], ['a hard link to the input',
    (d: string, labels: string) => (linkSync(labels, join(d, 'hard.json')), join(d, 'hard.json'))]])(
      '--out as %s is refused (exit 2), the input untouched byte for byte',
      (_, out) => {
        const dir = fresh();
        mkdirSync(join(dir, 'sub'));
        const { labels, args } = inputs(dir);
        const r = confmat([...args, '--out', out(dir, labels), '--plot', join(dir, 'cm.svg')]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(
          /^confmat: --out \S+ is also the input --labels \S*labels\.npy: writing it would destroy the input$/m,
        );
        expect(readFileSync(labels).equals(readFileSync(`${fx}.labels.npy`))).toBe(true);
        expect(existsSync(join(dir, 'cm.svg'))).toBe(false);
        expect(temps(dir)).toEqual([]);
      },
    );

  it('--plot over --logits, a CSV column input or --classes is refused too', () => {
    const dir = fresh();
    const { logits, args } = inputs(dir);
    const logitsBefore = readFileSync(logits);
    expect(confmat([...args, '--plot', (symlinkSync('logits.npy', join(dir, 'l.svg')), join(dir, 'l.svg'))]).code).toBe(
      2,
    );
    expect(readFileSync(logits).equals(logitsBefore)).toBe(true);
    const csv = join(dir, 'd.csv');
    writeFileSync(csv, 'pred,label\n0,0\n1,1\n1,0\n');
    const r = confmat(['eval', '--preds', `${csv}:pred`, '--labels', `${csv}:label`, '--num-classes', '2', '--backend',
      'cpu', '--out', csv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is also the input --labels ${csv}:label`);
    expect(readFileSync(csv, 'utf8')).toBe('pred,label\n0,0\n1,1\n1,0\n');
    const names = join(dir, 'names.txt');
    writeFileSync(names, 'a\nb\n');
    expect(
      confmat(['eval', '--preds', `${csv}:pred`, '--labels', `${csv}:label`, '--classes', names, '--backend', 'cpu',
        '--out', names]).code,
    ).toBe(2);
    expect(readFileSync(names, 'utf8')).toBe('a\nb\n');
  });

  it('confmat merge refuses --out over one of its parts', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const part = join(dir, 'part.json');
    expect(confmat([...args, '--out', part]).code).toBe(0);
    const before = readFileSync(part);
    const r = confmat(['merge', part, '--out', part]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is also the input part ${part}`);
    expect(readFileSync(part).equals(before)).toBe(true);
  });

  it('--out and --plot naming the same file are refused (exit 2)', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const same = join(dir, 'x.svg');
    expect(confmat([...args, '--out', same, '--plot', same]).stderr).toContain('name the same file');
    writeFileSync(same, 'old');
    symlinkSync('x.svg', join(dir, 'y.svg'));
    const r = confmat([...args, '--out', join(dir, 'y.svg'), '--plot', same]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('name the same file')]);
    expect(readdirSync(dir).sort()).toEqual(['labels.npy', 'logits.npy', 'x.svg', 'y.svg']);
    expect(readFileSync(same, 'utf8')).toBe('old');
  });

  it("keeps --out's mode 0600", () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const out = join(dir, 'r.json');
    writeFileSync(out, 'old', { mode: 0o600 });
    expect(confmat([...args, '--out', out]).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(total(out)).toBe(899);
  });

  it('writes an --out whose name is 250 bytes long', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const out = join(dir, `${'r'.repeat(245)}.json`);
    const r = confmat([...args, '--out', out]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(total(out)).toBe(899);
    expect(temps(dir)).toEqual([]);
  });

  it('a failing --out (no space left) leaves no --plot, an existing one untouched, and no temporary', () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const r = confmat([...args, '--out', '/dev/full', '--plot', join(dir, 'new.svg')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('confmat: /dev/full: cannot write: no space left on device\n');
    writeFileSync(join(dir, 'old.png'), 'old');
    expect(confmat([...args, '--out', '/dev/full', '--plot', join(dir, 'old.png')]).code).toBe(1);
    expect(readFileSync(join(dir, 'old.png'), 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['labels.npy', 'logits.npy', 'old.png']);
  });

  it.each([['a directory', (d: string) => d, /cannot write: is a directory/], ['a dangling symbolic link',
    (d: string) => (symlinkSync('nowhere.json', join(d, 'd.json')), join(d, 'd.json')),
    /d\.json: cannot write: a dangling symbolic link/], ['a missing directory',
    (d: string) => join(d, 'missing', 'r.json'), /r\.json: cannot write: no such directory/]])(
      '--out as %s fails (exit 1) before any input is read',
      (_, out, message) => {
        const dir = fresh();
        const bad = join(dir, 'bad.npy');
        writeFileSync(bad, 'not an npy file');
        const r = confmat(['eval', '--logits', bad, '--labels', bad, '--backend', 'cpu', '--out', out(dir), '--plot',
          join(dir, 'cm.svg')]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toContain('bad.npy');
        expect(existsSync(join(dir, 'cm.svg'))).toBe(false);
        expect(temps(dir)).toEqual([]);
      },
    );

  it('SIGTERM while the outputs are being written removes the temporaries', async () => {
    const dir = fresh();
    const { args } = inputs(dir);
    const fifo = join(dir, 'report.json');
    spawnSync('mkfifo', [fifo]);
    // nobody reads the FIFO: the CLI holds the plot's temporary while it waits to write the report
    const child = spawn(process.execPath, ['dist/cli/main.js', ...args, '--out', fifo, '--plot', join(dir, 'cm.svg')], {
      stdio: 'ignore',
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((ok) =>
      child.on('exit', (code, signal) => ok([code, signal]))
    );
    while (temps(dir).length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(readdirSync(dir).sort()).toEqual(['labels.npy', 'logits.npy', 'report.json']);
  });
});

/** readSync on a non-blocking FIFO: 0 at the end, and when nothing is buffered. */
function readSyncSafe(fd: number, buf: Buffer): number {
  try {
    return readSync(fd, buf);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw e;
  }
}

describe('text inputs read whole (--classes, --ids) refuse devices and directories', () => {
  it.each([['--classes'], ['--ids']])('%s /dev/zero or a directory: one line naming it, exit 1, nothing written',
    (flagName) => {
      const dir = fresh();
      const { args } = inputs(dir);
      const extra = flagName === '--ids' ? ['--rows-of', '3,5'] : [];
      for (const [path, why] of [['/dev/zero', /not a regular file/], [dir, /is a directory/]] as const) {
        const out = join(dir, 'out.json');
        const r = confmat([...args, ...extra, flagName, path, '--out', out]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^confmat: ${path.replace(/[/.]/g, '\\$&')}: cannot read: ${why.source}`));
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(existsSync(out)).toBe(false);
      }
    });
});

describe("--out over the other inputs: --ids, and compare's model B", () => {
  it('is refused (exit 2) and the input is left as it was', () => {
    const dir = fresh();
    const { logits, labels, args } = inputs(dir);
    const ids = join(dir, 'ids.txt');
    const rows = JSON.parse(confmat([...args]).stdout).total as number;
    writeFileSync(ids, Array.from({ length: rows }, (_, i) => `img_${i}.png`).join('\n'));
    const before = readFileSync(ids);
    const r = confmat([...args, '--rows-of', '3,5', '--ids', ids, '--out', ids]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is also the input --ids ${ids}`);
    expect(readFileSync(ids)).toEqual(before);
    const b = join(dir, 'b.npy');
    copyFileSync(logits, b);
    const c = confmat(['compare', '--logits', logits, '--logits-b', b, '--labels', labels, '--backend', 'cpu', '--out',
      b]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`is also the input --logits-b ${b}`);
    expect(readFileSync(b)).toEqual(readFileSync(logits));
  });
});
