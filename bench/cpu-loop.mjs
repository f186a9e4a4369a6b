// confmat CPU micro-benchmark: the CPU paths against each other on the same logits, in one process.
// Usage: npm run build && node bench/cpu-loop.mjs [--n 1e6,1e7] [--c 2,10,100,1000] [--reps 7]
//        [--max-bytes 4e8] [--threads 1,2] [--job-rows N] [--no-copy]
// Paths: a 4-accumulator sum (the host read floor), the branchy JS loop of bench/run.mjs, the
// oracle (cpuUpdate), the fast path (cpuUpdateFast), the worker counter (1 and 2 threads) fed
// three ways: plain arrays (copied on the main thread), logits in a SharedArrayBuffer (copied by
// the workers), logits already in the counter's inputBuffer() (read in place; filled outside the
// timings, as a file reader writing there would). Repetitions are interleaved (path A, B, C, A,
// B, C, ...) after one warm-up round; medians and the spread (min..max) are printed, with ratios
// taken inside the run. Every path's counts are checked against the oracle once, outside the timings.
// Then (unless --no-copy) the ways of getting 1e6 x 10 logits into a worker: structured clone,
// transfer, one copy into a SharedArrayBuffer.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { makeDemoData } from '../dist/demo/synthetic.js';
import { createCpuWorkerCounter } from '../dist/node/index.js';
import { cpuFastBackend, cpuUpdateFast } from '../dist/tasks/multiclass/update-cpu-fast.js';
import { cpuUpdate } from '../dist/tasks/multiclass/update-cpu.js';
import { cells, flag, machineLine, numbers } from './lib/cli.mjs';
import { branchyLoop as branchyLoopInto } from './lib/paths.mjs';

const NS = numbers(flag('n', '1e6,1e7'));
const CS = numbers(flag('c', '2,10,100,1000'));
const REPS = Number(flag('reps', '7'));
const MAX_BYTES = Number(flag('max-bytes', '4e8'));
const THREADS = numbers(flag('threads', '1,2'));
const JOB_ROWS = flag('job-rows', undefined);

// ---------- data: Gaussian logits with a margin on a predicted class that is the label ~80% of the time ----------
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function makeData(n, c, seed) {
  if (c === 10) return makeDemoData({ rows: n, seed });
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const logits = new Float32Array(n * c);
  const labels = c <= 256 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(rand() * c);
    const pred = rand() < 0.8 ? y : Math.floor(rand() * c);
    labels[i] = y;
    const row = i * c;
    for (let j = 0; j < c; j++) logits[row + j] = gauss();
    logits[row + pred] += 3 + rand();
  }
  return { logits, labels };
}

// ---------- paths ----------
function readFloor(logits) {
  let a = 0, b = 0, c = 0, d = 0;
  const n = logits.length - (logits.length % 4);
  for (let i = 0; i < n; i += 4) {
    a += logits[i];
    b += logits[i + 1];
    c += logits[i + 2];
    d += logits[i + 3];
  }
  for (let i = n; i < logits.length; i++) a += logits[i];
  return a + b + c + d;
}

const branchyLoop = (logits, labels, c) => branchyLoopInto(logits, labels, c, new Float64Array(c * c));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sameCounts = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

async function runCase(n, c) {
  const data = makeData(n, c, 42);
  const batch = { rows: n, numClasses: c, logits: data.logits, labels: data.labels };
  const sharedLogits = new Float32Array(new SharedArrayBuffer(data.logits.byteLength));
  sharedLogits.set(data.logits);
  const sharedBatch = { ...batch, logits: sharedLogits };
  const counters = THREADS.map((t) =>
    createCpuWorkerCounter({ numClasses: c, threads: t, jobRows: JOB_ROWS && Number(JOB_ROWS) })
  );
  const paths = [['host read floor (4-acc sum)', () => readFloor(data.logits)], ['branchy JS loop',
    () => branchyLoop(data.logits, data.labels, c)], ['oracle cpuUpdate', () => {
    const counts = new Float64Array(c * c);
    cpuUpdate(counts, batch);
    return counts;
  }], [`fast cpuUpdateFast (${cpuFastBackend()})`, () => {
    const counts = new Float64Array(c * c);
    cpuUpdateFast(counts, batch);
    return counts;
  }]];
  for (const [i, k] of counters.entries()) {
    const run = (b) => async () => {
      await k.reset();
      await k.update(b);
      return k.read();
    };
    const input = k.inputBuffer(n);
    input.set(data.logits);
    paths.push([`workers x${THREADS[i]} (copy on main)`, run(batch)]);
    paths.push([`workers x${THREADS[i]} (SharedArrayBuffer in)`, run(sharedBatch)]);
    paths.push([`workers x${THREADS[i]} (in place: inputBuffer)`, run({ ...batch, logits: input })]);
  }
  const expected = paths[2][1]();
  for (const [name, fn] of paths.slice(1)) {
    const got = await fn();
    if (!sameCounts(got, expected)) console.log(`  WARNING: ${name} != oracle at N=${n} C=${c}`);
  }
  const times = paths.map(() => []);
  for (let rep = -1; rep < REPS; rep++) {
    for (const [p, [, fn]] of paths.entries()) {
      const t = performance.now();
      await fn();
      const ms = performance.now() - t;
      if (rep >= 0) times[p].push(ms);
    }
  }
  await Promise.all(counters.map((k) => k.destroy()));
  const med = times.map(median);
  const [floor, loop, oracle, fast] = med;
  console.log(
    `\nN=${n.toExponential(0)} C=${c} (${
      ((n * c * 4) / 1e6).toFixed(0)
    } MB of logits), ${REPS} interleaved reps after 1 warm-up`,
  );
  console.log(
    `${'path'.padEnd(40)} ${'median ms'.padStart(9)} ${'min..max'.padStart(15)} ${'GB/s'.padStart(6)} ${
      'x loop'.padStart(7)
    } ${'x oracle'.padStart(8)} ${'x fast'.padStart(7)} ${'/ floor'.padStart(7)}`,
  );
  for (const [p, [name]] of paths.entries()) {
    const ms = med[p];
    const spread = `${Math.min(...times[p]).toFixed(1)}..${Math.max(...times[p]).toFixed(1)}`;
    console.log(
      `${name.padEnd(40)} ${ms.toFixed(1).padStart(9)} ${spread.padStart(15)} ${
        ((n * c * 4) / ms / 1e6).toFixed(2).padStart(6)
      }` +
        ` ${(loop / ms).toFixed(2).padStart(7)} ${(oracle / ms).toFixed(2).padStart(8)} ${
          (fast / ms).toFixed(2).padStart(7)
        } ${(ms / floor).toFixed(2).padStart(7)}`,
    );
  }
}

/** Getting 1e6 x 10 float32 logits (40 MB) to a worker and an answer back: the three ways. */
async function copyCosts() {
  const logits = makeDemoData({ rows: 1e6, seed: 3 }).logits;
  const worker = new Worker(
    `import('node:worker_threads').then(({ parentPort }) => parentPort.on('message', (m) => parentPort.postMessage(m instanceof Float32Array ? m[1] : 0)));`,
    { eval: true },
  );
  const roundTrip = (message, transfer) =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(message, transfer);
    });
  const sab = new Float32Array(new SharedArrayBuffer(logits.byteLength));
  // [name, setup outside the timer, timed]
  const ways = [['empty message (latency)', () => 0, (m) => roundTrip(m)], ['structured clone (copies twice)',
    () => logits, (m) => roundTrip(m)], ['transfer (the caller loses its buffer)', () => logits.slice(),
    (m) => roundTrip(m, [m.buffer])], ['slice + transfer (the caller keeps it)', () => logits, (m) => {
    const copy = m.slice();
    return roundTrip(copy, [copy.buffer]);
  }], ['copy into a SharedArrayBuffer', () => logits, async (m) => sab.set(m)], [
    'copy into a SharedArrayBuffer + message',
    () => logits,
    (m) => {
      sab.set(m);
      return roundTrip(sab);
    },
  ]];
  const times = ways.map(() => []);
  for (let rep = -1; rep < REPS; rep++) {
    for (const [i, [, setup, fn]] of ways.entries()) {
      const m = setup();
      const t = performance.now();
      await fn(m);
      if (rep >= 0) times[i].push(performance.now() - t);
    }
  }
  await worker.terminate();
  console.log(`\nGetting 40 MB of logits (1e6 x 10) to a worker and an answer back, ${REPS} interleaved reps`);
  for (const [i, [name]] of ways.entries()) {
    console.log(
      `${name.padEnd(40)} ${median(times[i]).toFixed(2).padStart(9)} ms  (${Math.min(...times[i]).toFixed(2)}..${
        Math.max(...times[i]).toFixed(2)
      })`,
    );
  }
}

console.log(`confmat CPU micro-benchmark  ${new Date().toISOString()}`);
console.log(`machine: ${machineLine()}`);
for (const [n, c] of cells(NS, CS, MAX_BYTES)) await runCase(n, c);
if (!process.argv.includes('--no-copy')) await copyCosts();
console.log(`\nload after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
