// One thread reading both .npy files (issue 18, C = 10 whole process): cpuUpdateFromFile (readSync, then count)
// against cpuUpdateFromFileAsync (libuv's thread pool reads the next pieces while this thread counts), in one
// process, interleaved, medians of wall and CPU time (every thread of the process). Reads bench/process.mjs's files:
//   npm run build && node bench/process.mjs --c 10 (once) && node bench/file-overlap.mjs [--c 2,10,100,1000]
//        [--runs 9] [--pieces 256,1024,4096 (KiB)] [--slots 2,3] [--first 256 (KiB)] [--dir /tmp/confmat-process-bench] [--mb 128]
// The CLI reads in calls of 32 MiB / (8 C) rows (its READ_CHUNK_BYTES); so does this bench. Checks that every
// variant's counts equal the first's.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { cpuUpdateFromFile, cpuUpdateFromFileAsync } from '../dist/node/cpu-file.js';
import { flag, machineLine, numbers } from './lib/cli.mjs';

const RUNS = Number(flag('runs', '9'));
const CS = numbers(flag('c', '10'));
const PIECES = numbers(flag('pieces', '256,1024,4096'));
const SLOTS = numbers(flag('slots', '2,3'));
const FIRST = numbers(flag('first', '256'));
const DIR = flag('dir', join(os.tmpdir(), 'confmat-process-bench'));
const MB = Number(flag('mb', '128'));
/** The byte where a version 1 .npy's data start (bench/process.mjs writes version 1). */
function dataOffset(path) {
  const fd = openSync(path, 'r');
  const pre = Buffer.alloc(10);
  readSync(fd, pre, 0, 10, 0);
  closeSync(fd);
  return 10 + pre.readUInt16LE(8);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`file-overlap, ${new Date().toISOString().slice(0, 16)} UTC; ${machineLine()}; medians of ${RUNS}`);
for (const c of CS) {
  const n = Math.max(1, Math.round((MB * 2 ** 20) / (4 * c)));
  const [lp, yp] = [join(DIR, `logits-${n}x${c}.npy`), join(DIR, `labels-${n}.npy`)];
  if (!existsSync(lp)) throw new Error(`${lp} is missing: node bench/process.mjs --c ${c}`);
  const [lh, yh] = [{ dataOffset: dataOffset(lp) }, { dataOffset: dataOffset(yp) }];
  const step = Math.max(1, Math.floor((32 * 2 ** 20) / (c * 8)));
  const calls = (each) => async () => {
    const counts = new Float64Array(c * c);
    for (let s = 0; s < n; s += step) {
      const m = Math.min(step, n - s);
      await each(counts, { path: lp, byteOffset: lh.dataOffset + s * c * 4 }, { path: yp,
        byteOffset: yh.dataOffset + s * 8, dtype: 'i8', rows: m, index0: s });
    }
    return counts;
  };
  const variants = [{ name: 'sync (readSync, then count)', run: calls((a, f, y) => cpuUpdateFromFile(a, f, y, c)) }];
  for (const kib of PIECES) {
    for (const slots of SLOTS) {
      for (const first of FIRST) {
        const options = { pieceBytes: kib * 1024, slots, firstBytes: first * 1024 };
        variants.push({ name: `async ${kib} KiB x ${slots} slots, first ${first} KiB`, run: calls((a, f, y) =>
          cpuUpdateFromFileAsync(a, f, y, c, options)
        ) });
      }
    }
  }
  const wall = variants.map(() => []);
  const cpu = variants.map(() => []);
  let first;
  for (let r = -1; r < RUNS; r++) {
    for (let i = 0; i < variants.length; i++) {
      const k = (i + Math.max(r, 0)) % variants.length;
      const [t0, u0] = [performance.now(), process.cpuUsage()];
      const got = await variants[k].run();
      const u = process.cpuUsage(u0);
      if (r >= 0) {
        wall[k].push(performance.now() - t0);
        cpu[k].push((u.user + u.system) / 1000);
      }
      first ??= got;
      if (got.some((v, j) => v !== first[j])) throw new Error(`${variants[k].name}: counts differ`);
    }
  }
  console.log(
    `\nC = ${c}, N = ${n} (${lp})\n\n| variant | wall ms | / sync | best wall ms | CPU ms |\n| --- | ---: | ---: | ---: | ---: |`,
  );
  const base = median(wall[0]);
  variants.forEach((v, k) => {
    const w = median(wall[k]);
    const best = Math.min(...wall[k]).toFixed(1);
    console.log(`| ${v.name} | ${w.toFixed(1)} | ${(w / base).toFixed(2)} | ${best} | ${median(cpu[k]).toFixed(1)} |`);
  });
  first = undefined;
}
