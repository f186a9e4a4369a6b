// What this machine's memory allows the CPU paths fed from files (bench/from-file.mjs), on 1 and 2 threads.
// Usage: node bench/bandwidth.mjs [--mb 1024] [--reps 5] [--threads 1,2] [--dir /tmp/confmat-bench-files]
// Times, interleaved, medians (GB/s of the bytes each pass covers, all threads together):
// - read: WebAssembly SIMD loads summing a buffer larger than the L3 cache (the DRAM read bandwidth);
// - copy: memory.copy of that buffer into another (read + write, counted once: bytes copied per second);
// - pread: readSync of a file in the page cache into a 256 KiB scratch, as the workers and the one-thread path
//   read logits (the kernel's copy out of the page cache, bytes read per second);
// each thread takes its own contiguous share (threads > 1 are worker threads; the main thread only waits).
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import initWabt from 'wabt';
import { flag, machineLine, numbers } from './lib/cli.mjs';

const MB = Number(flag('mb', '1024'));
const REPS = Number(flag('reps', '5'));
const THREADS = numbers(flag('threads', '1,2'));
const DIR = flag('dir', join(os.tmpdir(), 'confmat-bench-files'));
const BYTES = MB * 1024 * 1024;
const SCRATCH = 256 * 1024;

const WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "sum") (param $p i32) (param $end i32) (result i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $a (i32x4.add (local.get $a) (v128.load (local.get $p))))
      (local.set $b (i32x4.add (local.get $b) (v128.load offset=16 (local.get $p))))
      (local.set $c (i32x4.add (local.get $c) (v128.load offset=32 (local.get $p))))
      (local.set $d (i32x4.add (local.get $d) (v128.load offset=48 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br $next)))
    (i32x4.extract_lane 0
      (i32x4.add (i32x4.add (local.get $a) (local.get $b)) (i32x4.add (local.get $c) (local.get $d)))))
  (func (export "copy") (param $to i32) (param $from i32) (param $n i32)
    (memory.copy (local.get $to) (local.get $from) (local.get $n))))`;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { module, memory } = workerData;
const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
const u8 = new Uint8Array(memory.buffer);
parentPort.on('message', (m) => {
  if (m.kind === 'read') x.sum(m.from, m.from + m.bytes);
  else if (m.kind === 'copy') x.copy(m.to, m.from, m.bytes);
  else for (let d = 0; d < m.bytes;) d += readSync(m.fd, u8, m.scratch, Math.min(${SCRATCH}, m.bytes - d), m.from + d);
  parentPort.postMessage(0);
});`;

const wabt = await initWabt();
const parsed = wabt.parseWat('bandwidth.wat', WAT, { simd: true, threads: true, bulk_memory: true });
const module = new WebAssembly.Module(parsed.toBinary({}).buffer);
parsed.destroy();
// buffer A, buffer B (copy target), then one 256 KiB scratch per thread
const maxThreads = Math.max(...THREADS);
const pages = Math.ceil((2 * BYTES + maxThreads * SCRATCH) / 65536);
const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
new Uint8Array(memory.buffer).fill(1, 0, 2 * BYTES);

mkdirSync(DIR, { recursive: true });
const file = join(DIR, `bandwidth-${MB}mb.bin`);
if (!existsSync(file) || statSync(file).size !== BYTES) {
  const fd = openSync(file, 'w');
  const block = new Uint8Array(1 << 24).fill(7);
  for (let at = 0; at < BYTES; at += block.length) writeSync(fd, block, 0, Math.min(block.length, BYTES - at));
  closeSync(fd);
}
const fd = openSync(file, 'r');
// warm the page cache
for (let d = 0; d < BYTES;) d += readSync(fd, new Uint8Array(1 << 24), 0, Math.min(1 << 24, BYTES - d), d);

const workers = new Map(
  THREADS.filter((t) => t > 1).map((t) => [t, Array.from({ length: t }, () =>
    new Worker(WORKER, { eval: true, workerData: { module, memory } }))]
  ),
);
const main = new WebAssembly.Instance(module, { env: { memory } }).exports;
const u8 = new Uint8Array(memory.buffer);

/** One pass of `kind` over the whole buffer on `t` threads; milliseconds. */
async function pass(kind, t) {
  const share = Math.floor(BYTES / t / 64) * 64;
  const jobs = Array.from({ length: t },
    (_, i) => ({ kind, fd, from: i * share, to: BYTES + i * share, bytes: i === t - 1 ? BYTES - i * share : share,
      scratch: 2 * BYTES + i * SCRATCH }));
  const start = performance.now();
  if (t === 1) {
    const [m] = jobs;
    if (kind === 'read') main.sum(0, BYTES);
    else if (kind === 'copy') main.copy(m.to, m.from, m.bytes);
    else for (let d = 0; d < BYTES;) d += readSync(fd, u8, m.scratch, Math.min(SCRATCH, BYTES - d), d);
  } else {
    await Promise.all(workers.get(t).map((w, i) =>
      new Promise((resolve) => {
        w.once('message', resolve);
        w.postMessage(jobs[i]);
      })
    ));
  }
  return performance.now() - start;
}

console.log(`confmat memory bandwidth  ${new Date().toISOString()}`);
console.log(`machine: ${machineLine()}; ${MB} MiB buffers, ${REPS} interleaved reps after 1 warm-up`);
console.log(`load before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const kinds = ['read', 'copy', 'pread'];
const cases = kinds.flatMap((k) => THREADS.map((t) => [k, t]));
const times = cases.map(() => []);
for (let rep = -1; rep < REPS; rep++) {
  for (const [i, [k, t]] of cases.entries()) {
    const ms = await pass(k, t);
    if (rep >= 0) times[i].push(ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `${'pass'.padEnd(8)} ${'threads'.padStart(7)} ${'median ms'.padStart(9)} ${'GB/s'.padStart(6)} ${
    'best GB/s'.padStart(9)
  }`,
);
for (const [i, [k, t]] of cases.entries()) {
  const [ms, best] = [median(times[i]), Math.min(...times[i])];
  console.log(
    `${k.padEnd(8)} ${String(t).padStart(7)} ${ms.toFixed(1).padStart(9)} ${
      (BYTES / ms / 1e6).toFixed(2).padStart(6)
    } ${(BYTES / best / 1e6).toFixed(2).padStart(9)}`,
  );
}
console.log(`load after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
closeSync(fd);
await Promise.all([...workers.values()].flat().map((w) => w.terminate()));
