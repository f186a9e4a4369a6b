// confmat CPU paths fed from files, as `confmat eval --backend cpu [--threads T]` runs them, in one process.
// Usage: npm run build && node bench/from-file.mjs [--n 1e6,1e7] [--c 2,10,100,1000] [--reps 5]
//        [--max-bytes 4e8] [--threads 2] [--labels int64|int32] [--chunk-mb 32] [--dir /tmp/confmat-bench-files]
//        [--compare DIR] [--only reads]
// Writes the bench data (bench/lib/data.mjs: float32 logits with a confusion structure; labels int64 by
// default, numpy's integer) as .npy once per shape, then
// times, interleaved after one warm-up round (medians, min..max, ratios inside the run):
// - the read floor: the same two files read in the CLI's 32 MiB chunks, nothing computed;
// - one thread, reader chunks: chunks of both files into createConfusionMatrix's CPU update (the CLI
//   at --threads 1 before 2026-11-29 17:30);
// - one thread reads both files: cpuUpdateFromFile with a labels file, both read in cache-sized pieces into the
//   module, labels checked there (the CLI at --threads 1 since 2026-12-05; `x 1 reads` is over this path);
// - one thread reads logits: cpuUpdateFromFile with the labels' reader chunks (the CLI from 2026-11-29 17:30);
// - workers, main reads: chunks into createCpuWorkerCounter().update (the main thread reads and
//   copies the logits into the workers' shared memory; the CLI before 2026-11-29);
// - workers read the file: the main thread reads labels only, each worker reads its own rows
//   (updateFromFile with a labels array);
// - workers read both files: labels too, checked in the workers; the main thread hands out row
//   ranges (updateFromFile with a LabelsFile; the CLI at --threads T for raw integer labels).
// --compare DIR adds the workers reading both files of the build in DIR/dist
// (e.g. a checkout of main), interleaved with this one's; --only reads keeps the file-reading paths alone.
// Every path's counts are checked against the oracle once, outside the timings. Files stay in the
// page cache (each shape is read many times), so this measures memory, not the disk.
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatBatch } from '../dist/format/validate.js';
import { createConfusionMatrix } from '../dist/index.js';
import * as nodeApi from '../dist/node/index.js';
import { cpuUpdate } from '../dist/tasks/multiclass/update-cpu.js';
import { cells, flag, machineLine, numbers } from './lib/cli.mjs';
import { makeData } from './lib/data.mjs';

const { createCpuWorkerCounter, openArray } = nodeApi;

const NS = numbers(flag('n', '1e6,1e7'));
const CS = numbers(flag('c', '2,10,100,1000'));
const REPS = Number(flag('reps', '5'));
const MAX_BYTES = Number(flag('max-bytes', '4e8'));
const THREADS = numbers(flag('threads', '2'));
const LABELS = flag('labels', 'int64');
const DIR = flag('dir', join(os.tmpdir(), 'confmat-bench-files'));
const CHUNK_BYTES = Number(flag('chunk-mb', '32')) * 1024 * 1024;
const COMPARE = flag('compare', '');
const other = COMPARE ? await import(pathToFileURL(join(resolve(COMPARE), 'dist/node/index.js')).href) : undefined;
const ONLY_READS = flag('only', '') === 'reads';

/** A .npy file of `data` (version 1.0 header padded to 64 bytes, as numpy writes it), written in slices. */
function writeNpy(path, descr, shape, data) {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${
    shape.length === 1 ? ',' : ''
  }), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = `${dict}${' '.repeat(total - 10 - dict.length - 1)}\n`;
  const head = Buffer.alloc(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, Buffer.from(header, 'latin1'));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let at = 0; at < bytes.length; at += 1 << 26) {
      writeSync(fd, bytes.subarray(at, Math.min(bytes.length, at + (1 << 26))));
    }
  } finally {
    closeSync(fd);
  }
}

/** The two files for N x C (made once, kept in DIR), and the oracle's counts. */
function files(n, c) {
  mkdirSync(DIR, { recursive: true });
  const logitsPath = join(DIR, `logits-${n}x${c}-s42.npy`);
  const labelsPath = join(DIR, `labels-${n}x${c}-s42-${LABELS}.npy`);
  const data = makeData(n, c, 42, 1 << 20);
  if (!existsSync(logitsPath)) writeNpy(logitsPath, '<f4', [n, c], data.logits);
  const labels = LABELS === 'int64' ? BigInt64Array.from(data.labels, (v) => BigInt(v)) : Int32Array.from(data.labels);
  if (!existsSync(labelsPath)) writeNpy(labelsPath, LABELS === 'int64' ? '<i8' : '<i4', [n], labels);
  const expected = new Float64Array(c * c);
  cpuUpdate(expected, { rows: n, numClasses: c, logits: data.logits, labels: data.labels });
  return { logitsPath, labelsPath, expected };
}

/** Both files in lockstep chunks, as the CLI reads them. */
async function* chunks(logitsPath, labelsPath, rowsPerChunk) {
  const [x, y] = await Promise.all([openArray(logitsPath, { role: 'logits' }),
    openArray(labelsPath, { role: 'labels' })]);
  try {
    const a = x.chunks(rowsPerChunk)[Symbol.asyncIterator]();
    const b = y.chunks(rowsPerChunk)[Symbol.asyncIterator]();
    for (;;) {
      const [p, q] = [await a.next(), await b.next()];
      if (p.done) return;
      yield { logits: p.value.data, labels: q.value.data };
    }
  } finally {
    await Promise.all([x.close(), y.close()]);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sameCounts = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

async function runCase(n, c) {
  const { logitsPath, labelsPath, expected } = files(n, c);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (c * 8)));
  const counters = THREADS.map((t) => createCpuWorkerCounter({ numClasses: c, threads: t }));
  const others = other ? THREADS.map((t) => other.createCpuWorkerCounter({ numClasses: c, threads: t })) : [];
  const paths = [['read floor (both files, no compute)', async () => {
    for await (const _ of chunks(logitsPath, labelsPath, rowsPerChunk));
  }], ['one thread, reader chunks (CLI < 17:30)', async () => {
    const cm = createConfusionMatrix({ numClasses: c });
    for await (const b of chunks(logitsPath, labelsPath, rowsPerChunk)) await cm.update(b);
    const { counts } = await cm.compute();
    cm.destroy();
    return counts;
  }]];
  /** The one-thread path from 2026-11-29 17:30: cpuUpdateFromFile over the labels' reader chunks. */
  const oneThreadReads = async () => {
    const counts = new Float64Array(c * c);
    const x = await openArray(logitsPath, { role: 'logits' });
    const y = await openArray(labelsPath, { role: 'labels' });
    const at = x.raw;
    for await (const { start, data } of y.chunks(rowsPerChunk)) {
      nodeApi.cpuUpdateFromFile(counts, { path: at.path, byteOffset: at.byteOffset + start * c * 4 }, data, c);
    }
    await Promise.all([x.close(), y.close()]);
    return counts;
  };
  /** `update(logitsFile, labelsFile)` over both files' rows, as the CLI hands them out for raw integer labels. */
  const bothFiles = async (update) => {
    const x = await openArray(logitsPath, { role: 'logits' });
    const y = await openArray(labelsPath, { role: 'labels' });
    const [at, lt] = [x.raw, y.raw];
    const size = Number(lt.dtype.slice(1));
    for (let start = 0; start < n; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, n - start);
      await update({ path: at.path, byteOffset: at.byteOffset + start * c * 4 }, { path: lt.path,
        byteOffset: lt.byteOffset + start * size, dtype: lt.dtype, rows });
    }
    await Promise.all([x.close(), y.close()]);
  };
  /** Workers of counter `k` reading both files (the CLI at --threads T). */
  const readBoth = (k) => async () => {
    await k.reset();
    await bothFiles((x, y) => k.updateFromFile(x, y));
    return k.read();
  };
  /** This thread reading both files, labels checked in the label module (the CLI at --threads 1 since 12-05). */
  const oneThreadBoth = async () => {
    const counts = new Float64Array(c * c);
    await bothFiles((x, y) => nodeApi.cpuUpdateFromFile(counts, x, y, c));
    return counts;
  };
  paths.push(['one thread reads both files (CLI now)', oneThreadBoth]);
  paths.push(['one thread reads logits (CLI < 12-05)', oneThreadReads]);
  for (const [i, k] of counters.entries()) {
    if (!ONLY_READS) {
      paths.push([`workers x${THREADS[i]}, main reads + copies`, async () => {
        await k.reset();
        for await (const b of chunks(logitsPath, labelsPath, rowsPerChunk)) await k.update(formatBatch(b, c));
        return k.read();
      }]);
    }
    if (typeof k.updateFromFile !== 'function') continue; // a build from before 2026-11-29, for before/after runs
    if (!ONLY_READS) {
      paths.push([`workers x${THREADS[i]} read the file`, async () => {
        await k.reset();
        const x = await openArray(logitsPath, { role: 'logits' });
        const y = await openArray(labelsPath, { role: 'labels' });
        const at = x.raw;
        for await (const { start, data } of y.chunks(rowsPerChunk)) {
          await k.updateFromFile({ path: at.path, byteOffset: at.byteOffset + start * c * 4 }, data);
        }
        const counts = await k.read();
        await Promise.all([x.close(), y.close()]);
        return counts;
      }]);
    }
    paths.push([`workers x${THREADS[i]} read both files`, readBoth(k)]);
    if (others[i]) paths.push([`  compare: workers x${THREADS[i]} read both`, readBoth(others[i])]);
  }
  for (const [name, fn] of paths.slice(1)) {
    const got = await fn();
    if (!sameCounts(Float64Array.from(got), expected)) console.log(`  WARNING: ${name} != oracle at N=${n} C=${c}`);
  }
  const times = paths.map(() => []);
  for (let rep = -1; rep < REPS; rep++) {
    for (const [p, [, fn]] of paths.entries()) {
      const t = performance.now();
      await fn();
      if (rep >= 0) times[p].push(performance.now() - t);
    }
  }
  await Promise.all([...counters, ...others].map((k) => k.destroy()));
  const med = times.map(median);
  const [floor, one, oneReads] = med;
  const readsCol = nodeApi.cpuUpdateFromFile !== undefined;
  const mb = (n * c * 4 + n * (LABELS === 'int64' ? 8 : 4)) / 1e6;
  console.log(
    `\nN=${n.toExponential(0)} C=${c} (${
      mb.toFixed(0)
    } MB of logits + ${LABELS} labels), ${REPS} interleaved reps after 1 warm-up`,
  );
  console.log(
    `${'path'.padEnd(38)} ${'median ms'.padStart(9)} ${'min..max'.padStart(15)} ${'GB/s'.padStart(6)} ${
      'M rows/s'.padStart(8)
    } ${'x 1 thread'.padStart(10)}${readsCol ? ` ${'x 1 reads'.padStart(9)}` : ''} ${'/ floor'.padStart(7)}`,
  );
  for (const [p, [name]] of paths.entries()) {
    const ms = med[p];
    const spread = `${Math.min(...times[p]).toFixed(1)}..${Math.max(...times[p]).toFixed(1)}`;
    console.log(
      `${name.padEnd(38)} ${ms.toFixed(1).padStart(9)} ${spread.padStart(15)} ${(mb / ms).toFixed(2).padStart(6)} ${
        (n / ms / 1e3).toFixed(1).padStart(8)
      }` +
        ` ${(one / ms).toFixed(2).padStart(10)}${readsCol ? ` ${(oneReads / ms).toFixed(2).padStart(9)}` : ''} ${
          (ms / floor).toFixed(2).padStart(7)
        }`,
    );
  }
}

console.log(`confmat CPU from files  ${new Date().toISOString()}`);
console.log(`machine: ${machineLine()}; files in ${DIR}`);
for (const [n, c] of cells(NS, CS, MAX_BYTES)) await runCase(n, c);
console.log(`\nload after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
