// confmat benchmark: GPU and CPU paths against a plain JS loop, TensorFlow.js, numpy, sklearn,
// and two floors (a host read pass, a host->GPU upload) on the same data.
// Usage: npm run bench [-- --full]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConfusionMatrix, makeDemoData } from '../dist/index.js';
import { requestNodeDevice, adapterLabel } from '../dist/node/index.js';

const FULL = process.argv.includes('--full');
const NS = FULL ? [1e5, 1e6, 1e7] : [1e5, 1e6];
const CS = FULL ? [2, 10, 100, 1000] : [10, 100];
const MAX_LOGIT_BYTES = 4e9;
const RUNS = 3;
const SLOW_MS = 10_000; // a warm-up slower than this is followed by one timed run, not three
const TFJS_MAX_N = 1e6;
// tf.math.confusionMatrix is a one-hot matmul, O(N*C^2): 53 s per run at N=1e6, C=100 on 2 cores,
// so quick mode stops at N*C^2 = 1e9 and full mode at 1e10
const TFJS_MAX_NCC = FULL ? 1e10 : 1e9;
const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));

// ---------- data ----------
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

/** N x C logits: Gaussian noise plus a margin on a predicted class that is the label ~80% of the time. */
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

// ---------- timing ----------
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn) {
  let t = performance.now();
  await fn();
  const warm = performance.now() - t;
  const runs = [];
  for (let i = 0; i < (warm > SLOW_MS ? 1 : RUNS); i++) {
    t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  return { ms: median(runs), runs };
}

// ---------- paths ----------
async function confmatRun(data, c, device) {
  const cm = createConfusionMatrix({ numClasses: c, device });
  try {
    await cm.update({ logits: data.logits, labels: data.labels });
    return await cm.compute();
  } finally {
    cm.destroy();
  }
}

function branchyLoop(logits, labels, c) {
  const n = labels.length;
  const counts = new Float64Array(c * c);
  for (let i = 0; i < n; i++) {
    const row = i * c;
    let best = 0;
    let max = logits[row];
    for (let j = 1; j < c; j++) {
      const v = logits[row + j];
      if (v > max) {
        max = v;
        best = j;
      }
    }
    counts[labels[i] * c + best]++;
  }
  return counts;
}

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

const CHUNK = 32 * 1024 * 1024;
async function uploadFloor(device, buffer, logits) {
  const bytes = new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength);
  for (let off = 0; off < bytes.length; off += CHUNK) {
    const len = Math.min(CHUNK, bytes.length - off);
    device.queue.writeBuffer(buffer, 0, bytes, off, len);
  }
  await device.queue.onSubmittedWorkDone();
}

let tf = null;
try {
  tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
} catch (e) {
  tf = null;
}
async function tfjsRun(data, n, c) {
  const cm = tf.tidy(() => {
    const x = tf.tensor2d(data.logits, [n, c]);
    const y = tf.tensor1d(Int32Array.from(data.labels), 'int32');
    return tf.math.confusionMatrix(y, tf.argMax(x, 1), c);
  });
  const out = await cm.data();
  cm.dispose();
  return out;
}

const PY_SCRIPT = `
import json, sys, time
import numpy as np
from sklearn.metrics import confusion_matrix
logits = np.load(sys.argv[1]); labels = np.load(sys.argv[2]).astype(np.int64); C = logits.shape[1]
def np_path(): return np.bincount(labels * C + logits.argmax(1), minlength=C * C).reshape(C, C)
def sk_path(): return confusion_matrix(labels, logits.argmax(1), labels=np.arange(C))
out = {}
for name, fn in (("numpy argmax+bincount", np_path), ("sklearn argmax+confusion_matrix", sk_path)):
    t = time.perf_counter(); fn(); warm = time.perf_counter() - t; runs = []
    for _ in range(1 if warm > ${SLOW_MS / 1000} else ${RUNS}):
        t = time.perf_counter(); fn(); runs.append((time.perf_counter() - t) * 1e3)
    out[name] = {"ms": sorted(runs)[len(runs) // 2], "runs": runs}
print(json.dumps(out))
`;
/** Writes a little-endian .npy without copying the data. */
function writeNpy(file, arr, shape) {
  const descr = { Float32Array: '<f4', Uint8Array: '|u1', Uint16Array: '<u2' }[arr.constructor.name];
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY\x01\x00', 'latin1');
  pre.writeUInt16LE(header.length, 8);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, pre);
    writeSync(fd, header, null, 'latin1');
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    for (let off = 0; off < bytes.length; off += CHUNK) writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
  } finally {
    closeSync(fd);
  }
}

function pythonRuns(data, n, c, dir) {
  const lp = path.join(dir, 'logits.npy');
  const yp = path.join(dir, 'labels.npy');
  writeNpy(lp, data.logits, [n, c]);
  writeNpy(yp, data.labels, [n]);
  const r = spawnSync(PYTHON, ['-c', PY_SCRIPT, lp, yp], { encoding: 'utf8', maxBuffer: 1 << 20 });
  rmSync(lp);
  rmSync(yp);
  if (r.status !== 0) throw new Error(`python: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout);
}

// ---------- main ----------
const gpu = await requestNodeDevice();
const adapter = gpu ? adapterLabel(gpu.info) : 'none (GPU paths skipped)';
const arch = gpu ? gpu.info.architecture || gpu.info.vendor || 'gpu' : 'no-gpu';
const date = new Date().toISOString();
const cpu = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`;
const notes = [];
if (gpu?.info.software) notes.push('The adapter is a software (CPU-emulated) one: its timings say nothing of GPU speed.');
const mlCm = spawnSync('npm', ['ls', 'ml-confusion-matrix', '--json'], { encoding: 'utf8' });
const hasMl = mlCm.status === 0 && /"ml-confusion-matrix"/.test(mlCm.stdout);
notes.push(hasMl ? 'ml-confusion-matrix is installed but not wired in (skipped).' : 'ml-confusion-matrix: not installed, skipped.');
if (!tf) notes.push('@tensorflow/tfjs: not importable, skipped.');
notes.push(`TensorFlow.js cpu backend only for N <= ${TFJS_MAX_N} and N*C^2 <= ${TFJS_MAX_NCC.toExponential(0)} (its confusionMatrix is a one-hot matmul; ~53 s/run at 1e6 x 100). Python paths time argmax + counting inside Python (file IO excluded).`);

console.log(`confmat bench (${FULL ? 'full' : 'quick'})  ${date}`);
console.log(`adapter: ${adapter}`);
console.log(`machine: ${cpu}, ${os.platform()} ${os.arch()}, node ${process.version}`);
for (const n of notes) console.log(`note: ${n}`);

const rows = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'confmat-bench-'));
const uploadBuf = gpu?.device.createBuffer({ size: CHUNK, usage: GPUBufferUsage.COPY_DST });
try {
  for (const c of CS) {
    for (const n of NS) {
      if (n * c * 4 > MAX_LOGIT_BYTES) {
        console.log(`skip N=${n} C=${c}: ${(n * c * 4 / 1e9).toFixed(1)} GB of logits`);
        continue;
      }
      const data = makeData(n, c, 42);
      const results = {};
      const add = async (name, fn) => {
        try {
          results[name] = await time(fn);
        } catch (e) {
          console.log(`  ${name} N=${n} C=${c} failed: ${e.message}`);
        }
      };
      await add('host read floor', () => readFloor(data.logits));
      if (gpu) await add('host->GPU upload floor', () => uploadFloor(gpu.device, uploadBuf, data.logits));
      await add('branchy JS loop', () => branchyLoop(data.logits, data.labels, c));
      await add('confmat CPU', () => confmatRun(data, c, undefined));
      if (gpu) {
        // correctness check once, outside the timings
        const [g, h] = [await confmatRun(data, c, gpu.device), branchyLoop(data.logits, data.labels, c)];
        if (!h.every((v, i) => v === g.counts[i])) console.log(`  WARNING: confmat GPU != JS loop at N=${n} C=${c}`);
        await add('confmat GPU', () => confmatRun(data, c, gpu.device));
      }
      if (tf && n <= TFJS_MAX_N && n * c * c <= TFJS_MAX_NCC) await add('tfjs cpu argMax+confusionMatrix', () => tfjsRun(data, n, c));
      try {
        Object.assign(results, pythonRuns(data, n, c, tmp));
      } catch (e) {
        console.log(`  python N=${n} C=${c} failed: ${e.message}`);
      }
      const base = results['branchy JS loop']?.ms;
      const floor = results['host read floor']?.ms;
      for (const [name, r] of Object.entries(results)) {
        rows.push({
          path: name, n, c, ms: r.ms, runs: r.runs,
          mPredPerS: n / r.ms / 1e3,
          gbPerS: (n * c * 4) / r.ms / 1e6,
          speedupVsLoop: base ? base / r.ms : null,
          timesReadFloor: floor ? r.ms / floor : null,
        });
      }
      console.log(`  done N=${n} C=${c}`);
    }
  }
} finally {
  uploadBuf?.destroy();
  rmSync(tmp, { recursive: true, force: true });
}

const fmt = (x, d) => (x == null ? '-' : x.toFixed(d));
const header = ['path', 'N', 'C', 'median ms', 'M pred/s', 'GB/s', 'x loop (speedup)', 'x read floor (time)'];
const table = [header, ...rows.map((r) => [
  r.path, r.n.toExponential(0), String(r.c), fmt(r.ms, 1), fmt(r.mPredPerS, 1), fmt(r.gbPerS, 2),
  fmt(r.speedupVsLoop, 2), fmt(r.timesReadFloor, 1),
])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
console.log();
for (const [k, row] of table.entries()) {
  console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
console.log(`\nmedian of ${RUNS} runs after 1 warm-up (1 run when the warm-up took > ${SLOW_MS / 1000} s); "x loop" = loop ms / path ms; "x read floor" = path ms / read-pass ms`);

const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `${date.slice(0, 10)}-${arch.replace(/[^\w.-]+/g, '_')}${FULL ? '-full' : ''}.json`);
writeFileSync(file, JSON.stringify({ date, mode: FULL ? 'full' : 'quick', adapter, adapterInfo: gpu?.info ?? null, machine: cpu, node: process.version, notes, rows }, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), file)}`);
gpu?.destroy();
