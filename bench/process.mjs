// Whole processes, file -> matrix -> report, timed from outside (issue 18): start-up, reading, counting and
// the report, as a user's shell sees them. One command, sensible defaults:
//   npm run build && node bench/process.mjs [--quick] [--runs 5] [--c 2,10,100,1000,10000] [--mb 128]
//        [--threads 2] [--dir /tmp/confmat-process-bench] [--python /usr/bin/python3] [--compare OTHER/dist/cli/main.js]
// For each C it writes (once, kept for reruns) the SAME two .npy files every tool reads: float32 logits
// of N x C with N = mb * 2^20 / (4 C) rows (128 MiB of logits by default: 2 -> 16.8M rows, 10000 -> 3355),
// and int64 labels (numpy's default integer), from bench/lib/data.mjs's seeded model. It then runs,
// interleaved (every run is one round of all the commands, in an order rotated each round, after one
// warm-up round), medians of --runs:
// - confmat eval --backend cpu (one thread, and --threads T), its text table (--format table) to /dev/null;
// - numpy: np.load both, argmax(1), bincount(y * C + p, minlength C * C), prints the accuracy;
// - sklearn: np.load both, confusion_matrix(y, logits.argmax(1)), prints the accuracy;
// - with --compare: another build's CLI (e.g. main's, built in a copy), the same one-thread command, in the same rounds;
// and, once, the fixed costs: confmat --version, node -e 0, python3 -c pass.
// Peak RSS is /usr/bin/time's maximum resident set size (the largest process), and CPU its user + system seconds
// (the figure to trust on a shared machine), where /usr/bin/time exists.
// --quick: 8 MiB of logits, C in 2,100,10000, 3 runs (a minute). Prints one Markdown table.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { flag, machineLine, numbers } from './lib/cli.mjs';
import { streamData } from './lib/data.mjs';

const QUICK = process.argv.includes('--quick');
const RUNS = Number(flag('runs', QUICK ? '3' : '5'));
const CS = numbers(flag('c', QUICK ? '2,100,10000' : '2,10,100,1000,10000'));
const MB = Number(flag('mb', QUICK ? '8' : '128'));
const THREADS = Number(flag('threads', '2'));
const DIR = flag('dir', join(os.tmpdir(), 'confmat-process-bench'));
const PYTHON = flag('python', '/usr/bin/python3');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const CLI = 'dist/cli/main.js';
const COMPARE = flag('compare', '');

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

/** Writes the header of a little-endian .npy of `shape` to `fd` (version 1.0, padded to 64 bytes as numpy does). */
function npyHeader(fd, descr, shape) {
  const dims = `${shape.join(', ')}${shape.length === 1 ? ',' : ''}`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const header = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY\x01\x00', 'latin1');
  pre.writeUInt16LE(header.length, 8);
  writeSync(fd, pre);
  writeSync(fd, header, null, 'latin1');
}

const bytesOf = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The logits and labels files for C (written once, streamed, then renamed into place). */
async function dataFiles(c) {
  const n = Math.max(1, Math.round((MB * 2 ** 20) / (4 * c)));
  const [logits, labels] = [join(DIR, `logits-${n}x${c}.npy`), join(DIR, `labels-${n}.npy`)];
  if (existsSync(logits) && existsSync(labels)) return { n, logits, labels };
  mkdirSync(DIR, { recursive: true });
  const [lt, yt] = [`${logits}.part`, `${labels}.part`];
  const [lf, yf] = [openSync(lt, 'w'), openSync(yt, 'w')];
  try {
    npyHeader(lf, '<f4', [n, c]);
    npyHeader(yf, '<i8', [n]);
    await streamData(n, c, 42, 1 << 18, (l, y) => {
      writeSync(lf, bytesOf(l));
      writeSync(yf, bytesOf(BigInt64Array.from(y, BigInt)));
    });
  } finally {
    closeSync(lf);
    closeSync(yf);
  }
  renameSync(lt, logits);
  renameSync(yt, labels);
  return { n, logits, labels };
}

const NUMPY = `import sys, numpy as np
x = np.load(sys.argv[1]); y = np.load(sys.argv[2]); c = x.shape[1]
m = np.bincount(y * c + x.argmax(1), minlength=c * c).reshape(c, c)
print(f"accuracy {np.trace(m) / m.sum():.4f}")`;
const SKLEARN = `import sys, numpy as np
from sklearn.metrics import confusion_matrix
x = np.load(sys.argv[1]); y = np.load(sys.argv[2])
m = confusion_matrix(y, x.argmax(1))
print(f"accuracy {np.trace(m) / m.sum():.4f}")`;

/** Whether `python` imports numpy and sklearn. */
const pythonHas = (module) => spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;

/** One run of `argv`: wall seconds (spawn to exit, monotonic), peak RSS in MiB and CPU seconds (with time). */
function runOnce(argv) {
  const rssFile = join(DIR, `rss-${process.pid}.txt`);
  const full = TIME ? [TIME, '-f', '%M %U %S', '-o', rssFile, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim().slice(-400)}`));
      const [kb, user, sys] = TIME ? readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [];
      resolve({ wall, rss: TIME ? kb / 1024 : undefined, cpu: TIME ? user + sys : undefined });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `commands` ({ name, argv }) interleaved: a warm-up round, then RUNS rounds, each in a rotated order. */
async function interleaved(commands) {
  const got = new Map(commands.map((c) => [c.name, []]));
  for (let round = -1; round < RUNS; round++) {
    const k = Math.max(0, round) % commands.length;
    for (const cmd of [...commands.slice(k), ...commands.slice(0, k)]) {
      const r = await runOnce(cmd.argv);
      if (round >= 0) got.get(cmd.name).push(r);
    }
  }
  return commands.map((c) => {
    const rs = got.get(c.name);
    return { name: c.name, wall: median(rs.map((r) => r.wall)),
      rss: TIME ? Math.max(...rs.map((r) => r.rss)) : undefined, cpu: TIME ? median(rs.map((r) => r.cpu)) : undefined };
  });
}

const node = process.execPath;
const eval1 = (d,
  cli = CLI) => [node, cli, 'eval', '--backend', 'cpu', '--logits', d.logits, '--labels', d.labels, '--format',
  'table'];
const [hasNumpy, hasSklearn] = [pythonHas('numpy'), pythonHas('sklearn')];

mkdirSync(DIR, { recursive: true });
const rows = [];
const fixed = [{ name: 'confmat --version', argv: [node, CLI, '--version'] }, { name: 'node -e 0',
  argv: [node, '-e', '0'] },
  ...(existsSync(PYTHON) ? [{ name: 'python3 -c pass', argv: [PYTHON, '-c', 'pass'] }] : [])];
for (const r of await interleaved(fixed)) rows.push({ c: '-', n: '-', ...r, ratio: undefined });

for (const c of CS) {
  const d = await dataFiles(c);
  const commands = [{ name: 'confmat eval --backend cpu', argv: eval1(d) }, {
    name: `confmat eval --backend cpu --threads ${THREADS}`,
    argv: [...eval1(d), '--threads', String(THREADS)],
  }, ...(COMPARE ? [{ name: `confmat eval --backend cpu (${COMPARE})`, argv: eval1(d, COMPARE) }] : []),
    ...(hasNumpy ? [{ name: 'numpy argmax + bincount', argv: [PYTHON, '-c', NUMPY, d.logits, d.labels] }] : []),
    ...(hasSklearn ? [{ name: 'sklearn confusion_matrix', argv: [PYTHON, '-c', SKLEARN, d.logits, d.labels] }] : [])];
  const got = await interleaved(commands);
  const numpy = got.find((r) => r.name.startsWith('numpy'))?.wall;
  for (const r of got) rows.push({ c, n: d.n, ...r, ratio: numpy === undefined ? undefined : r.wall / numpy });
  process.stderr.write(`C = ${c} done\n`);
}
rmSync(join(DIR, `rss-${process.pid}.txt`), { force: true });

const at = new Date().toISOString().slice(0, 16).replace('T', ' ');
console.log(
  `Whole process, ${at} UTC; ${machineLine()}; ${MB} MiB of float32 logits per C, int64 labels; ` +
    `medians of ${RUNS} interleaved runs${TIME ? '; peak RSS: /usr/bin/time' : ''}\n`,
);
console.log('| C | N | command | wall s (median) | / numpy | CPU s (median) | peak RSS MiB |');
console.log('| ---: | ---: | --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const ratio = r.ratio === undefined ? '' : r.ratio.toFixed(2);
  const rss = r.rss === undefined ? '' : r.rss.toFixed(0);
  const cpu = r.cpu === undefined ? '' : r.cpu.toFixed(2);
  const n = typeof r.n === 'number' ? r.n.toLocaleString('en-US') : r.n;
  console.log(`| ${r.c} | ${n} | ${r.name} | ${r.wall.toFixed(3)} | ${ratio} | ${cpu} | ${rss} |`);
}
if (!hasNumpy || !hasSklearn) {
  console.log(`\n${PYTHON} lacks numpy or sklearn: apt-get install -y python3-numpy python3-sklearn`);
}
