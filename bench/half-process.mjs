// Whole `confmat eval --backend cpu` processes on float16 vs float32 logits files (issue 18, bench/NOTES.md 23).
// Usage: npm run build && node bench/half-process.mjs [--c 10,1000] [--mb 128] [--runs 5] [--threads 2]
//        [--before DIR] [--dir /tmp/confmat-half-bench]
// Per C it writes (once) float16 logits (.npy '<f2') of N x C, N = mb MiB / (4 C) (the float32 file's rows), the
// same values widened into a float32 .npy, and int64 labels. Each round runs, in an order rotated each round after
// a warm-up round, `eval --logits L --labels y --format table` to /dev/null on one thread and on --threads T, for
// the float32 and the float16 file; with --before DIR (a built checkout of another commit) its float16 runs too.
// Medians of wall and CPU (user + system, /usr/bin/time) seconds.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { flag, machineLine, numbers } from './lib/cli.mjs';
import { classModel, fillChunk, toFloat16Bits } from './lib/data.mjs';

const CS = numbers(flag('c', '10,1000'));
const MB = Number(flag('mb', '128'));
const RUNS = Number(flag('runs', '5'));
const THREADS = Number(flag('threads', '2'));
const BEFORE = flag('before', undefined);
const DIR = flag('dir', join(os.tmpdir(), 'confmat-half-bench'));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function npy(path, descr, shape, write) {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${
    shape.length === 1 ? ',' : ''
  }), }`;
  const header = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11) + '\n';
  const fd = openSync(`${path}.tmp`, 'w');
  writeSync(fd,
    Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]),
      Buffer.from(header, 'latin1')]));
  write((bytes) => writeSync(fd, bytes));
  closeSync(fd);
  spawnSync('mv', [`${path}.tmp`, path]);
}

function files(c) {
  const n = Math.floor((MB * 2 ** 20) / (4 * c));
  const base = join(DIR, `c${c}-mb${MB}-model`);
  const [f16, f32, y] = [`${base}-f16.npy`, `${base}-f32.npy`, `${base}-y.npy`];
  if (existsSync(f16) && existsSync(f32) && existsSync(y)) return { n, f16, f32, y };
  mkdirSync(DIR, { recursive: true });
  const model = classModel(c, 7);
  const step = Math.max(1, Math.floor(2 ** 20 / c));
  const blocks = [];
  for (let r = 0; r < n; r += step) {
    const m = Math.min(step, n - r);
    const logits = new Float32Array(m * c);
    const y = new Int32Array(m);
    fillChunk(model, 7, r, m, logits, y);
    const labels = BigInt64Array.from(y, BigInt);
    const half = toFloat16Bits(logits);
    const wide = new Float32Array(half.length);
    const u = new Uint32Array(wide.buffer);
    for (let i = 0; i < half.length; i++) {
      const h = half[i];
      const e = (h >> 10) & 31;
      u[i] = ((h & 0x8000) << 16) | (e === 0 ? 0 : ((e + 112) << 23) | ((h & 0x3ff) << 13));
    }
    blocks.push([half, wide, labels]);
  }
  npy(f16, '<f2', [n, c], (w) => blocks.forEach(([h]) => w(new Uint8Array(h.buffer))));
  npy(f32, '<f4', [n, c], (w) => blocks.forEach(([, f]) => w(new Uint8Array(f.buffer))));
  npy(y, '<i8', [n], (w) => blocks.forEach(([, , l]) => w(new Uint8Array(l.buffer))));
  return { n, f16, f32, y };
}

function run(cli, logits, y, threads) {
  const args = ['-f', '%e %U %S', process.execPath, cli, 'eval', '--backend', 'cpu', '--logits', logits, '--labels', y,
    '--format', 'table', ...(threads > 1 ? ['--threads', String(threads)] : [])];
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  const [wall, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return [wall, user + sys];
}

console.log(`# bench/half-process.mjs: ${MB} MiB of float32 logits per C, ${RUNS} runs, ${new Date().toISOString()}`);
console.log(`machine: ${machineLine()}`);
console.log('');
console.log('| C | N | file | threads | wall s | CPU s |');
console.log('|---|---|---|---|---|---|');
for (const c of CS) {
  const { n, f16, f32, y } = files(c);
  const cases = [];
  for (const threads of [1, THREADS]) {
    cases.push([`float32`, 'dist/cli/main.js', f32, threads], [`float16`, 'dist/cli/main.js', f16, threads]);
    if (BEFORE) cases.push([`float16 (before)`, join(BEFORE, 'dist/cli/main.js'), f16, threads]);
  }
  const times = cases.map(() => []);
  for (let r = 0; r <= RUNS; r++) {
    for (let i = 0; i < cases.length; i++) {
      const j = (i + r) % cases.length;
      const [, cli, logits, threads] = cases[j];
      const t = run(cli, logits, y, threads);
      if (r > 0) times[j].push(t);
    }
  }
  cases.forEach(([name, , , threads], i) => {
    const [wall, cpu] = [median(times[i].map((t) => t[0])), median(times[i].map((t) => t[1]))];
    console.log(`| ${c} | ${n} | ${name} | ${threads} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} |`);
  });
}
console.log(`load after: ${machineLine()}`);
